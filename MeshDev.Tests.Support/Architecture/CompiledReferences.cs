using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MeshDev.Tests.Architecture;

/// <summary>A type as compiled code names it: the assembly that defines it, its namespace and its name (nested types as Outer+Inner, generics as List`1).</summary>
public sealed record CompiledType(string Assembly, string Namespace, string Name)
{
    public string FullName => Namespace.Length == 0 ? Name : $"{Namespace}.{Name}";

    /// <summary>In <paramref name="namespace"/> or one below it.</summary>
    public bool In(string @namespace) =>
        Namespace == @namespace || Namespace.StartsWith(@namespace + ".", StringComparison.Ordinal);

    public bool Is(Type type) => FullName == (type.IsConstructedGenericType ? type.GetGenericTypeDefinition() : type).FullName;

    public override string ToString() => FullName;
}

/// <summary>A method or field by its declaring type and name; overloads of a method count as one member.</summary>
public sealed record CompiledMember(CompiledType Type, string Name)
{
    public override string ToString() => $"{Type.FullName}.{Name}";
}

/// <summary>A method with a body, and the outermost type it is written in (a lambda's or an async method's body lives in a nested type).</summary>
public sealed record CompiledMethod(CompiledType Outermost, string DeclaringType, string Name)
{
    public override string ToString() => $"{DeclaringType}.{Name}";
}

/// <summary>
/// What the types of a compiled assembly refer to, read from its metadata rather than its sources (an unused using
/// directive adds nothing, a fully qualified name hides nothing) and without loading anything it refers to.
/// A type refers to the types in its base type and interfaces, generic constraints, field, property, event and method
/// signatures, custom attributes, local variables, and every type, method and field token of its method bodies (calls,
/// field accesses, object creation, casts, typeof, generic instantiations with their arguments); to a called method's
/// or accessed field's declaring type and signature types; and to those members themselves. Compiler-made nested types
/// (closures, async state machines, iterators) and every other nested type count for their outermost declaring type.
/// Constants are copied into the user at compile time, so using only another type's const or enum value leaves no trace.
/// </summary>
public sealed class CompiledReferences
{
    private static readonly ConcurrentDictionary<string, Lazy<CompiledReferences>> ByPath = new(StringComparer.Ordinal);

    private readonly Dictionary<CompiledType, Uses> _uses;
    private readonly List<(CompiledMethod Method, HashSet<CompiledMember> Named)> _bodies;

    private CompiledReferences(string assembly, Dictionary<CompiledType, Uses> uses, List<(CompiledMethod, HashSet<CompiledMember>)> bodies)
    {
        AssemblyName = assembly;
        _uses = uses;
        _bodies = bodies;
    }

    public string AssemblyName { get; }

    /// <summary>The outermost types the assembly defines.</summary>
    public IReadOnlyCollection<CompiledType> Types => _uses.Keys;

    /// <summary>The assembly's references, read once per process.</summary>
    public static CompiledReferences Of(Assembly assembly) =>
        ByPath.GetOrAdd(assembly.Location, path => new Lazy<CompiledReferences>(() => Read(path))).Value;

    /// <summary>Every type <paramref name="type"/> (an outermost type of the assembly) and its nested types refer to.</summary>
    public IReadOnlySet<CompiledType> TypesUsedBy(CompiledType type) => UsesOf(type).Types;

    public IReadOnlySet<CompiledType> TypesUsedBy(Type type) => TypesUsedBy(NameOf(type));

    /// <summary>Every method and field <paramref name="type"/> and its nested types name (calls, field accesses, attribute constructors).</summary>
    public IReadOnlySet<CompiledMember> MembersUsedBy(CompiledType type) => UsesOf(type).Members;

    /// <summary>The methods of the assembly whose bodies name <paramref name="member"/> (or one of its overloads).</summary>
    /// <remarks>Matched by full name: compiled code names System.DateTime in System.Runtime, reflection in System.Private.CoreLib.</remarks>
    public IReadOnlyList<CompiledMethod> CallersOf(MemberInfo member)
    {
        var type = NameOf(member.DeclaringType!).FullName;
        return [.. _bodies.Where(b => b.Named.Any(m => m.Name == member.Name && m.Type.FullName == type)).Select(b => b.Method)];
    }

    private Uses UsesOf(CompiledType type) => _uses.TryGetValue(type, out var uses)
        ? uses
        : throw new ArgumentException($"{type.FullName} is not an outermost type of {AssemblyName}", nameof(type));

    private static CompiledType NameOf(Type type)
    {
        var definition = type.IsConstructedGenericType ? type.GetGenericTypeDefinition() : type;
        var name = definition.Name;
        var outermost = definition;
        while (outermost.DeclaringType is { } outer)
        {
            outermost = outer;
            name = outer.Name + "+" + name;
        }

        return new CompiledType(definition.Assembly.GetName().Name!, outermost.Namespace ?? "", name);
    }

    private static CompiledReferences Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var collector = new Collector(metadata, pe);
        var uses = new Dictionary<CompiledType, Uses>();
        var bodies = new List<(CompiledMethod, HashSet<CompiledMember>)>();
        foreach (var handle in metadata.TypeDefinitions)
        {
            var outermost = collector.Outermost(handle);
            if (!uses.TryGetValue(outermost, out var found))
            {
                uses[outermost] = found = new Uses([], []);
            }

            collector.Visit(handle, found, outermost, bodies);
            if (metadata.GetTypeDefinition(handle).GetDeclaringType().IsNil && outermost.Name == "<Module>")
            {
                collector.VisitAssemblyAttributes();
            }
        }

        return new CompiledReferences(metadata.GetString(metadata.GetAssemblyDefinition().Name), uses, bodies);
    }

    private sealed record Uses(HashSet<CompiledType> Types, HashSet<CompiledMember> Members);

    /// <summary>Decodes signatures into the types they name (null for what is no named type), noting each named type as used.</summary>
    private sealed class Collector(MetadataReader metadata, PEReader pe) : ISignatureTypeProvider<CompiledType?, object?>
    {
        private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value);

        private readonly string _assembly = metadata.GetString(metadata.GetAssemblyDefinition().Name);
        private Uses _found = new([], []);

        public CompiledType Outermost(TypeDefinitionHandle handle)
        {
            var type = metadata.GetTypeDefinition(handle);
            while (type.GetDeclaringType() is { IsNil: false } declaring)
            {
                type = metadata.GetTypeDefinition(declaring);
            }

            return new CompiledType(_assembly, metadata.GetString(type.Namespace), metadata.GetString(type.Name));
        }

        public void Visit(TypeDefinitionHandle handle, Uses found, CompiledType outermost, List<(CompiledMethod, HashSet<CompiledMember>)> bodies)
        {
            _found = found;
            var type = metadata.GetTypeDefinition(handle);
            var declaringType = Name(handle).FullName;
            VisitEntity(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
            {
                VisitEntity(metadata.GetInterfaceImplementation(i).Interface);
            }

            VisitGenericParameters(type.GetGenericParameters());
            VisitAttributes(type.GetCustomAttributes());
            foreach (var f in type.GetFields())
            {
                var field = metadata.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                VisitAttributes(field.GetCustomAttributes());
            }

            foreach (var p in type.GetProperties())
            {
                var property = metadata.GetPropertyDefinition(p);
                property.DecodeSignature(this, null);
                VisitAttributes(property.GetCustomAttributes());
            }

            foreach (var e in type.GetEvents())
            {
                var @event = metadata.GetEventDefinition(e);
                VisitEntity(@event.Type);
                VisitAttributes(@event.GetCustomAttributes());
            }

            foreach (var i in type.GetMethodImplementations())
            {
                VisitEntity(metadata.GetMethodImplementation(i).MethodDeclaration);
            }

            foreach (var m in type.GetMethods())
            {
                var method = metadata.GetMethodDefinition(m);
                method.DecodeSignature(this, null);
                VisitGenericParameters(method.GetGenericParameters());
                VisitAttributes(method.GetCustomAttributes());
                foreach (var p in method.GetParameters())
                {
                    VisitAttributes(metadata.GetParameter(p).GetCustomAttributes());
                }

                if (method.RelativeVirtualAddress != 0)
                {
                    // The body's own members are collected apart as well, so callers can be found per method.
                    var named = new HashSet<CompiledMember>();
                    VisitBody(pe.GetMethodBody(method.RelativeVirtualAddress), named);
                    found.Members.UnionWith(named);
                    bodies.Add((new CompiledMethod(outermost, declaringType, metadata.GetString(method.Name)), named));
                }
            }
        }

        /// <summary>The assembly's and module's own attributes, counted for the module type that every assembly has.</summary>
        public void VisitAssemblyAttributes()
        {
            VisitAttributes(metadata.GetAssemblyDefinition().GetCustomAttributes());
            VisitAttributes(metadata.GetModuleDefinition().GetCustomAttributes());
        }

        private void VisitAttributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
            {
                VisitEntity(metadata.GetCustomAttribute(a).Constructor);
            }
        }

        private void VisitGenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                foreach (var c in metadata.GetGenericParameter(p).GetConstraints())
                {
                    VisitEntity(metadata.GetGenericParameterConstraint(c).Type);
                }
            }
        }

        private void VisitBody(MethodBodyBlock body, HashSet<CompiledMember> named)
        {
            if (!body.LocalSignature.IsNil)
            {
                metadata.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
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
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                        VisitEntity(MetadataTokens.EntityHandle(il.ReadInt32()), named);
                        break;
                    case OperandType.InlineSig:
                        metadata.GetStandaloneSignature(MetadataTokens.StandaloneSignatureHandle(il.ReadInt32() & 0xFFFFFF))
                            .DecodeMethodSignature(this, null);
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    default:
                        il.Offset += OperandSize(opCode.OperandType);
                        break;
                }
            }
        }

        private static int OperandSize(OperandType operand) => operand switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            _ => 4,
        };

        /// <summary>Notes a type or member token; returns the type it names (a member's declaring type).</summary>
        private CompiledType? VisitEntity(EntityHandle handle, HashSet<CompiledMember>? named = null)
        {
            if (handle.IsNil)
            {
                return null;
            }

            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    return GetTypeFromDefinition(metadata, (TypeDefinitionHandle)handle, 0);
                case HandleKind.TypeReference:
                    return GetTypeFromReference(metadata, (TypeReferenceHandle)handle, 0);
                case HandleKind.TypeSpecification:
                    return GetTypeFromSpecification(metadata, null, (TypeSpecificationHandle)handle, 0);
                case HandleKind.MethodDefinition:
                {
                    var method = metadata.GetMethodDefinition((MethodDefinitionHandle)handle);
                    var declaring = GetTypeFromDefinition(metadata, method.GetDeclaringType(), 0);
                    method.DecodeSignature(this, null);
                    Note(declaring, method.Name, named);
                    return declaring;
                }

                case HandleKind.FieldDefinition:
                {
                    var field = metadata.GetFieldDefinition((FieldDefinitionHandle)handle);
                    var declaring = GetTypeFromDefinition(metadata, field.GetDeclaringType(), 0);
                    field.DecodeSignature(this, null);
                    Note(declaring, field.Name, named);
                    return declaring;
                }

                case HandleKind.MemberReference:
                {
                    var member = metadata.GetMemberReference((MemberReferenceHandle)handle);
                    var parent = VisitEntity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        member.DecodeMethodSignature(this, null);
                    }
                    else
                    {
                        member.DecodeFieldSignature(this, null);
                    }

                    Note(member.Parent.Kind == HandleKind.MethodDefinition ? null : parent, member.Name, named);
                    return parent;
                }

                case HandleKind.MethodSpecification:
                {
                    var spec = metadata.GetMethodSpecification((MethodSpecificationHandle)handle);
                    spec.DecodeSignature(this, null);
                    return VisitEntity(spec.Method, named);
                }

                default:
                    return null;
            }
        }

        private void Note(CompiledType? declaring, StringHandle name, HashSet<CompiledMember>? named)
        {
            if (declaring is null)
            {
                return;
            }

            var member = new CompiledMember(declaring, metadata.GetString(name));
            _found.Members.Add(member);
            named?.Add(member);
        }

        private CompiledType Used(CompiledType type)
        {
            _found.Types.Add(type);
            return type;
        }

        private CompiledType Name(TypeDefinitionHandle handle)
        {
            var type = metadata.GetTypeDefinition(handle);
            var name = metadata.GetString(type.Name);
            while (type.GetDeclaringType() is { IsNil: false } declaring)
            {
                type = metadata.GetTypeDefinition(declaring);
                name = metadata.GetString(type.Name) + "+" + name;
            }

            return new CompiledType(_assembly, metadata.GetString(type.Namespace), name);
        }

        private CompiledType Name(TypeReferenceHandle handle)
        {
            var type = metadata.GetTypeReference(handle);
            var name = metadata.GetString(type.Name);
            if (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                var outer = Name((TypeReferenceHandle)type.ResolutionScope);
                return outer with { Name = outer.Name + "+" + name };
            }

            var assembly = type.ResolutionScope.Kind == HandleKind.AssemblyReference
                ? metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name)
                : _assembly;
            return new CompiledType(assembly, metadata.GetString(type.Namespace), name);
        }

        // A nested type is named through the types that enclose it, so those count as used too.
        public CompiledType? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            if (reader.GetTypeDefinition(handle).GetDeclaringType() is { IsNil: false } declaring)
            {
                GetTypeFromDefinition(reader, declaring, 0);
            }

            return Used(Name(handle));
        }

        public CompiledType? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            if (reader.GetTypeReference(handle).ResolutionScope is { Kind: HandleKind.TypeReference } scope)
            {
                GetTypeFromReference(reader, (TypeReferenceHandle)scope, 0);
            }

            return Used(Name(handle));
        }

        public CompiledType? GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);

        // Built-in types are encoded by code, not by reference; code compiled against the reference pack finds them in System.Runtime.
        public CompiledType? GetPrimitiveType(PrimitiveTypeCode typeCode) => Used(new CompiledType("System.Runtime", "System", typeCode.ToString()));

        // A member of a generic instantiation belongs to the generic type; arrays, pointers and generic parameters name no type of their own.
        public CompiledType? GetGenericInstantiation(CompiledType? genericType, ImmutableArray<CompiledType?> typeArguments) => genericType;

        public CompiledType? GetSZArrayType(CompiledType? elementType) => null;

        public CompiledType? GetArrayType(CompiledType? elementType, ArrayShape shape) => null;

        public CompiledType? GetByReferenceType(CompiledType? elementType) => elementType;

        public CompiledType? GetPointerType(CompiledType? elementType) => null;

        public CompiledType? GetPinnedType(CompiledType? elementType) => elementType;

        public CompiledType? GetModifiedType(CompiledType? modifier, CompiledType? unmodifiedType, bool isRequired) => unmodifiedType;

        public CompiledType? GetFunctionPointerType(MethodSignature<CompiledType?> signature) => null;

        public CompiledType? GetGenericTypeParameter(object? genericContext, int index) => null;

        public CompiledType? GetGenericMethodParameter(object? genericContext, int index) => null;
    }
}
