using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// The folder dependency graph of a compiled assembly, read from its metadata rather than its sources, so an unused
/// using directive cannot add an edge and a fully qualified name cannot hide one. A folder is the first namespace
/// segment below the assembly's root namespace (MeshDev.Proxy.Outbound.Tls belongs to Outbound); types directly in
/// the root namespace belong to the root folder "(root)".
/// An edge A → B is recorded when a type of A names a type of B in its base type or interfaces, in a field, property,
/// event or method signature, in a generic constraint, in a local variable, or in any type, method or field token of
/// a method body (calls, field accesses, casts, typeof). Compiler-made nested types (closures, async state machines)
/// count for the type that declares them. Constants are copied into the user at compile time, so using only another
/// folder's const or enum value leaves no trace in metadata and records no edge.
/// </summary>
public sealed class ProxyFolderGraph
{
    public const string RootFolder = "(root)";

    private ProxyFolderGraph(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> edges) => Edges = edges;

    /// <summary>Folder → (folder it uses → one example of a type that makes the edge).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Edges { get; }

    public static ProxyFolderGraph Read(string assemblyPath, string rootNamespace)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var edges = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        var collector = new Collector(reader, rootNamespace);

        foreach (var typeHandle in reader.TypeDefinitions)
        {
            var from = collector.FolderOf(typeHandle);
            if (from is null)
            {
                continue;
            }

            collector.Begin();
            collector.VisitTypeDefinition(typeHandle, pe);
            if (!edges.TryGetValue(from, out var targets))
            {
                edges[from] = targets = new SortedDictionary<string, string>(StringComparer.Ordinal);
            }

            foreach (var (folder, example) in collector.Found)
            {
                if (folder != from)
                {
                    targets.TryAdd(folder, $"{collector.NameOf(typeHandle)} uses {example}");
                }
            }
        }

        return new ProxyFolderGraph(edges.ToDictionary(
            e => e.Key, e => (IReadOnlyDictionary<string, string>)e.Value, StringComparer.Ordinal));
    }

    /// <summary>Every cycle's strongly connected component among the folders that are not excluded, each as a closed path.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles(IReadOnlySet<string> excluded)
    {
        var nodes = Edges.Keys.Concat(Edges.Values.SelectMany(v => v.Keys))
            .Where(n => !excluded.Contains(n)).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        IEnumerable<string> Next(string n) => Edges.TryGetValue(n, out var t) ? t.Keys.Where(k => !excluded.Contains(k)) : [];

        var cycles = new List<IReadOnlyList<string>>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in nodes)
        {
            if (reported.Contains(start))
            {
                continue;
            }

            var path = ShortestPath(start, start, Next);
            if (path is not null)
            {
                cycles.Add(path);
                reported.UnionWith(path);
            }
        }

        return cycles;
    }

    public string Describe(IReadOnlySet<string> excluded) => string.Join('\n', Edges
        .Where(e => !excluded.Contains(e.Key))
        .Select(e => $"{e.Key} → {string.Join(", ", e.Value.Keys.Where(k => !excluded.Contains(k)))}"));

    private static List<string>? ShortestPath(string from, string to, Func<string, IEnumerable<string>> next)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var n in next(from))
        {
            if (previous.TryAdd(n, from))
            {
                queue.Enqueue(n);
            }
        }

        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            if (current == to)
            {
                var path = new List<string> { to };
                for (var n = previous[to]; n != from; n = previous[n])
                {
                    path.Add(n);
                }

                path.Add(from);
                path.Reverse();
                return path;
            }

            foreach (var n in next(current))
            {
                if (previous.TryAdd(n, current))
                {
                    queue.Enqueue(n);
                }
            }
        }

        return null;
    }

    private sealed class Collector(MetadataReader reader, string rootNamespace) : ISignatureTypeProvider<bool, object?>
    {
        private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value);

        public Dictionary<string, string> Found { get; } = new(StringComparer.Ordinal);

        public void Begin() => Found.Clear();

        public string? FolderOf(TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            while (type.GetDeclaringType() is { IsNil: false } declaring)
            {
                type = reader.GetTypeDefinition(declaring);
            }

            var ns = reader.GetString(type.Namespace);
            if (ns == rootNamespace)
            {
                return RootFolder;
            }

            if (!ns.StartsWith(rootNamespace + ".", StringComparison.Ordinal))
            {
                return null;
            }

            var rest = ns[(rootNamespace.Length + 1)..];
            var dot = rest.IndexOf('.');
            return dot < 0 ? rest : rest[..dot];
        }

        public string NameOf(TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            var name = reader.GetString(type.Name);
            while (type.GetDeclaringType() is { IsNil: false } declaring)
            {
                type = reader.GetTypeDefinition(declaring);
                name = reader.GetString(type.Name) + "." + name;
            }

            return reader.GetString(type.Namespace) + "." + name;
        }

        public void VisitTypeDefinition(TypeDefinitionHandle handle, PEReader pe)
        {
            var type = reader.GetTypeDefinition(handle);
            VisitEntity(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
            {
                VisitEntity(reader.GetInterfaceImplementation(i).Interface);
            }

            VisitGenericParameters(type.GetGenericParameters());
            foreach (var f in type.GetFields())
            {
                reader.GetFieldDefinition(f).DecodeSignature(this, null);
            }

            foreach (var p in type.GetProperties())
            {
                reader.GetPropertyDefinition(p).DecodeSignature(this, null);
            }

            foreach (var e in type.GetEvents())
            {
                VisitEntity(reader.GetEventDefinition(e).Type);
            }

            foreach (var m in type.GetMethods())
            {
                var method = reader.GetMethodDefinition(m);
                method.DecodeSignature(this, null);
                VisitGenericParameters(method.GetGenericParameters());
                if (method.RelativeVirtualAddress != 0)
                {
                    VisitBody(pe.GetMethodBody(method.RelativeVirtualAddress));
                }
            }
        }

        private void VisitGenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                foreach (var c in reader.GetGenericParameter(p).GetConstraints())
                {
                    VisitEntity(reader.GetGenericParameterConstraint(c).Type);
                }
            }
        }

        private void VisitBody(MethodBodyBlock body)
        {
            if (!body.LocalSignature.IsNil)
            {
                reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            }

            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                short value = il.ReadByte();
                if (value == 0xFE)
                {
                    value = (short)(0xFE00 | il.ReadByte());
                }

                var opCode = OpCodesByValue[value];
                switch (opCode.OperandType)
                {
                    case OperandType.InlineField:
                    case OperandType.InlineMethod:
                    case OperandType.InlineTok:
                    case OperandType.InlineType:
                        VisitToken(il.ReadInt32());
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget:
                    case OperandType.ShortInlineI:
                    case OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.InlineI8:
                    case OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    default:
                        il.Offset += 4;
                        break;
                }
            }
        }

        private void VisitToken(int token) => VisitEntity(MetadataTokens.EntityHandle(token));

        private void VisitEntity(EntityHandle handle)
        {
            if (handle.IsNil)
            {
                return;
            }

            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    GetTypeFromDefinition(reader, (TypeDefinitionHandle)handle, 0);
                    break;
                case HandleKind.TypeSpecification:
                    reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                    break;
                case HandleKind.MethodDefinition:
                    var method = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                    GetTypeFromDefinition(reader, method.GetDeclaringType(), 0);
                    break;
                case HandleKind.FieldDefinition:
                    GetTypeFromDefinition(reader, reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType(), 0);
                    break;
                case HandleKind.MemberReference:
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    VisitEntity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        member.DecodeMethodSignature(this, null);
                    }
                    else
                    {
                        member.DecodeFieldSignature(this, null);
                    }

                    break;
                case HandleKind.MethodSpecification:
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    VisitEntity(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
            }
        }

        public bool GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            if (FolderOf(handle) is { } folder)
            {
                Found.TryAdd(folder, NameOf(handle));
            }

            return true;
        }

        public bool GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind) => true;
        public bool GetTypeFromSpecification(MetadataReader r, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            r.GetTypeSpecification(handle).DecodeSignature(this, context);
        public bool GetPrimitiveType(PrimitiveTypeCode typeCode) => true;
        public bool GetSZArrayType(bool elementType) => true;
        public bool GetArrayType(bool elementType, ArrayShape shape) => true;
        public bool GetByReferenceType(bool elementType) => true;
        public bool GetPointerType(bool elementType) => true;
        public bool GetPinnedType(bool elementType) => true;
        public bool GetGenericInstantiation(bool genericType, ImmutableArray<bool> typeArguments) => true;
        public bool GetGenericTypeParameter(object? genericContext, int index) => true;
        public bool GetGenericMethodParameter(object? genericContext, int index) => true;
        public bool GetFunctionPointerType(MethodSignature<bool> signature) => true;
        public bool GetModifiedType(bool modifier, bool unmodifiedType, bool isRequired) => true;
    }
}
