using System.Text;
using k8s;
using k8s.Models;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// What the API server would hold after <c>kubectl apply</c>: the rendered objects plus the Secrets created at deploy
/// time, looked up by namespace and name. An object without a namespace lands in the one it is applied to.
/// </summary>
public sealed class ClusterObjects
{
    private readonly List<object> _objects = [];

    public ClusterObjects(string defaultNamespace) => DefaultNamespace = defaultNamespace;

    public string DefaultNamespace { get; }

    public IReadOnlyList<object> All => _objects;

    public void Add(IEnumerable<object> objects)
    {
        foreach (var item in objects)
        {
            if (item is IMetadata<V1ObjectMeta> { Metadata: { } metadata } && metadata.NamespaceProperty is null
                && item is not V1Namespace and not V1ClusterRole and not V1ClusterRoleBinding)
            {
                metadata.NamespaceProperty = DefaultNamespace;
            }
            if (item is IKubernetesObject<V1ObjectMeta> named && Find<IKubernetesObject<V1ObjectMeta>>(o =>
                    o.Kind == named.Kind && o.Metadata.Name == named.Metadata.Name && o.Metadata.NamespaceProperty == named.Metadata.NamespaceProperty) is { } existing)
            {
                _objects.Remove(existing);
            }
            _objects.Add(item);
        }
    }

    public IEnumerable<T> OfKind<T>() => _objects.OfType<T>();

    public V1ConfigMap? ConfigMap(string ns, string name) =>
        Find<V1ConfigMap>(c => c.Metadata.Name == name && c.Metadata.NamespaceProperty == ns);

    public V1Secret? Secret(string ns, string name) =>
        Find<V1Secret>(s => s.Metadata.Name == name && s.Metadata.NamespaceProperty == ns);

    /// <summary>A Secret's values as the API server stores them: <c>stringData</c> merged over <c>data</c>.</summary>
    public static IReadOnlyDictionary<string, byte[]> SecretData(V1Secret secret)
    {
        var data = new Dictionary<string, byte[]>(secret.Data ?? new Dictionary<string, byte[]>(), StringComparer.Ordinal);
        foreach (var (key, value) in secret.StringData ?? new Dictionary<string, string>())
        {
            data[key] = Encoding.UTF8.GetBytes(value);
        }
        return data;
    }

    private T? Find<T>(Func<T, bool> match) => _objects.OfType<T>().FirstOrDefault(match);
}
