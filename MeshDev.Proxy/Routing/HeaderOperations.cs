namespace MeshDev.Proxy.Routing;

/// <summary>Istio's header manipulation for one direction: set replaces, add appends, remove deletes, in that order.</summary>
public sealed class HeaderOperations(KeyValuePair<string, string>[] set, KeyValuePair<string, string>[] add, string[] remove)
{
    public static readonly HeaderOperations None = new([], [], []);

    public KeyValuePair<string, string>[] Set { get; } = set;
    public KeyValuePair<string, string>[] Add { get; } = add;
    public string[] Remove { get; } = remove;

    public bool IsEmpty => Set.Length == 0 && Add.Length == 0 && Remove.Length == 0;

    public void Apply(IHeaderDictionary headers)
    {
        foreach (var (name, value) in Set)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in Add)
        {
            headers.Append(name, value);
        }

        foreach (var name in Remove)
        {
            headers.Remove(name);
        }
    }

    public static HeaderOperations From(Core.Discovery.HeaderOperations? operations) =>
        operations is null || (operations.Set.Count == 0 && operations.Add.Count == 0 && operations.Remove.Count == 0)
            ? None
            : new HeaderOperations(
                operations.Set.OrderBy(h => h.Key, StringComparer.Ordinal).ToArray(),
                operations.Add.OrderBy(h => h.Key, StringComparer.Ordinal).ToArray(),
                operations.Remove.ToArray());
}
