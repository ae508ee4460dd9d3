using k8s.Models;

namespace MeshDev.Tests.Kubernetes;

/// <summary>The checks the generated trees pass do catch what they look for.</summary>
public sealed class TreeCheckTests
{
    [Fact]
    public async Task The_schema_check_refuses_objects_that_break_their_kinds_schema()
    {
        var results = await KubernetesTree.ValidateSchemasAsync(KubernetesTree.ToJson("""
            apiVersion: v1
            kind: Service
            metadata: {name: ok}
            spec: {ports: [{port: 9080}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: wrong-type}
            spec: {ports: [{port: "nine"}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: bad-route}
            spec: {http: [{route: [{destination: {host: reviews}, weight: "all"}]}]}
            """));

        Assert.Equal([true, false, false], results.Select(r => (bool)r!["valid"]!));
        Assert.Contains("port", (string?)results[1]!["error"]);
    }

    [Fact]
    public void The_strict_reader_refuses_an_unknown_field()
    {
        var error = Assert.ThrowsAny<Exception>(() => KubernetesTree.LoadStrict("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: a}
            automountToken: false
            """));
        Assert.Contains("automountToken", error.ToString());
    }

    [Fact]
    public void Broken_references_are_named()
    {
        var objects = KubernetesTree.LoadStrict("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  serviceAccountName: missing-account
                  containers:
                  - name: app
                    image: web
                    ports: [{name: http, containerPort: 8080}]
                    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: missing-secret, key: token}}}]
                  volumes: [{name: config, configMap: {name: missing-config}}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: grpc}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: nothing}
            spec: {selector: {app: nothing}, ports: [{port: 80}]}
            """);

        var problems = CrossReferences.Problems(objects, new HashSet<string>());

        Assert.Equal(
        [
            "Deployment web: service account missing-account does not exist",
            "Deployment web: volume config names ConfigMap missing-config, which does not exist",
            "Deployment web: container app reads TOKEN from Secret missing-secret, which does not exist",
            "Service web: port http targets grpc, which pods of web do not declare",
            "Service nothing: its selector matches no pod",
        ], problems);
        Assert.DoesNotContain(CrossReferences.Problems(objects.Where(o => o is not V1Service).ToList(), new HashSet<string> { "missing-secret" }),
            p => p.Contains("Secret", StringComparison.Ordinal));
    }
}
