namespace MeshDev.Cli.Output;

/// <summary>kubectl's plain table: upper-case headers, columns padded to their widest cell, three spaces apart.</summary>
public sealed class Table(params string[] headers)
{
    public const string Empty = "-";

    private readonly List<string[]> _rows = [];

    public int RowCount => _rows.Count;

    public Table Add(params string?[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"A row has {cells.Length} cells; the table has {headers.Length} columns.", nameof(cells));
        }

        _rows.Add(cells.Select(c => string.IsNullOrEmpty(c) ? Empty : c).ToArray());
        return this;
    }

    public void WriteTo(TextWriter writer)
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in _rows.Prepend(headers))
        {
            var cells = row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]));
            writer.WriteLine(string.Join("   ", cells).TrimEnd());
        }
    }
}
