using System.Text.Encodings.Web;
using System.Text.Json;

namespace MeshDev.Proxy.Admin;

public static class AdminJson
{
    /// <summary>
    /// Admin JSON is read by people and tools, never embedded in HTML, so quotes, '+' and apostrophes in reasons
    /// and timestamps are written as they are instead of as \u escapes.
    /// </summary>
    public static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
