using System.Globalization;

namespace MeshDev.ControlPlane.Telemetry;

/// <summary>One sample line of the Prometheus text format: a metric name, its labels and its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.TryGetValue(name, out var value) ? value : null;
}

/// <summary>The text a proxy's /stats/prometheus returned does not follow the exposition format.</summary>
public sealed class PrometheusFormatException(string message) : FormatException(message);

/// <summary>
/// Reads the Prometheus text exposition format (version 0.0.4, and the OpenMetrics "# EOF" line): comments and
/// TYPE/HELP lines are skipped, every other non-empty line is one sample with an optional timestamp. A malformed
/// line fails the whole parse with its line number, because half a scrape would show as a drop in traffic.
/// </summary>
public static class PrometheusTextParser
{
    public static IReadOnlyList<PrometheusSample> Parse(string text, Func<string, bool>? keep = null)
    {
        var samples = new List<PrometheusSample>();
        var lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }

            var reader = new LineReader(line.ToString(), lineNumber);
            var name = reader.ReadName(isMetric: true);
            if (keep is not null && !keep(name))
            {
                continue;
            }

            var labels = reader.TryConsume('{') ? reader.ReadLabels() : (IReadOnlyDictionary<string, string>)EmptyLabels;
            var value = reader.ReadValue();
            reader.SkipTimestamp();
            samples.Add(new PrometheusSample(name, labels, value));
        }

        return samples;
    }

    private static readonly Dictionary<string, string> EmptyLabels = new(StringComparer.Ordinal);

    private sealed class LineReader(string line, int lineNumber)
    {
        private int _position;

        public string ReadName(bool isMetric)
        {
            SkipSpaces();
            var start = _position;
            while (_position < line.Length && IsNameChar(line[_position], first: _position == start, isMetric))
            {
                _position++;
            }

            if (_position == start)
            {
                throw Error(isMetric ? "expected a metric name" : "expected a label name");
            }

            return line[start.._position];
        }

        public bool TryConsume(char expected)
        {
            SkipSpaces();
            if (_position < line.Length && line[_position] == expected)
            {
                _position++;
                return true;
            }

            return false;
        }

        public IReadOnlyDictionary<string, string> ReadLabels()
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            while (!TryConsume('}'))
            {
                var name = ReadName(isMetric: false);
                if (!TryConsume('='))
                {
                    throw Error($"expected '=' after label '{name}'");
                }

                if (!labels.TryAdd(name, ReadQuoted()))
                {
                    throw Error($"label '{name}' appears twice");
                }

                if (!TryConsume(','))
                {
                    if (!TryConsume('}'))
                    {
                        throw Error("expected ',' or '}' after a label value");
                    }

                    break;
                }
            }

            return labels;
        }

        public double ReadValue()
        {
            var token = ReadToken("a sample value");
            return token switch
            {
                "+Inf" or "Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ when double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
                _ => throw Error($"'{token}' is not a number"),
            };
        }

        public void SkipTimestamp()
        {
            SkipSpaces();
            if (_position == line.Length)
            {
                return;
            }

            var token = ReadToken("a timestamp");
            if (!long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                throw Error($"'{token}' after the value is not a timestamp");
            }

            SkipSpaces();
            if (_position != line.Length)
            {
                throw Error($"unexpected '{line[_position..]}' after the timestamp");
            }
        }

        private string ReadQuoted()
        {
            SkipSpaces();
            if (_position >= line.Length || line[_position] != '"')
            {
                throw Error("expected a quoted label value");
            }

            _position++;
            var value = new System.Text.StringBuilder();
            while (_position < line.Length)
            {
                var c = line[_position++];
                if (c == '"')
                {
                    return value.ToString();
                }

                if (c == '\\' && _position < line.Length)
                {
                    var escaped = line[_position++];
                    value.Append(escaped switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw Error($"unknown escape '\\{escaped}' in a label value") });
                    continue;
                }

                value.Append(c);
            }

            throw Error("a label value is not closed by '\"'");
        }

        private string ReadToken(string what)
        {
            SkipSpaces();
            var start = _position;
            while (_position < line.Length && line[_position] is not (' ' or '\t'))
            {
                _position++;
            }

            return _position > start ? line[start.._position] : throw Error($"expected {what}");
        }

        private void SkipSpaces()
        {
            while (_position < line.Length && line[_position] is ' ' or '\t')
            {
                _position++;
            }
        }

        private static bool IsNameChar(char c, bool first, bool isMetric) =>
            c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_'
            || (isMetric && c == ':')
            || (!first && c is >= '0' and <= '9');

        private PrometheusFormatException Error(string what) =>
            new($"line {lineNumber}, column {_position + 1}: {what}: {Shorten(line)}");

        private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
    }
}
