namespace MeshDev.Tests.Cli;

/// <summary>Reading the tables meshctl prints.</summary>
public static class MeshctlTable
{
    /// <summary>The cells of one row: columns are three or more spaces apart.</summary>
    public static string[] Columns(string line) => line.Split("   ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
