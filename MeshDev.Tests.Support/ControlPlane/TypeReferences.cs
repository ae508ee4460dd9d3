using System.Reflection;
using System.Reflection.Emit;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// What a compiled type refers to, read from the build output rather than from its source: the types in its
/// signatures (base type, interfaces, fields, properties, parameters, return types) and every type, method and field
/// that its method bodies name in their IL, nested types (lambdas, async state machines) included.
/// </summary>
public static class TypeReferences
{
    private const BindingFlags Declared =
        BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Every type <paramref name="type"/> and its nested types refer to, generic arguments and element types spelled out.</summary>
    public static IReadOnlySet<Type> Of(Type type)
    {
        var types = new HashSet<Type>();
        foreach (var self in WithNested(type))
        {
            Add(types, self.BaseType);
            foreach (var item in self.GetInterfaces())
            {
                Add(types, item);
            }

            foreach (var field in self.GetFields(Declared))
            {
                Add(types, field.FieldType);
            }

            foreach (var property in self.GetProperties(Declared))
            {
                Add(types, property.PropertyType);
            }

            foreach (var method in Methods(self))
            {
                foreach (var parameter in method.GetParameters())
                {
                    Add(types, parameter.ParameterType);
                }

                if (method is MethodInfo info)
                {
                    Add(types, info.ReturnType);
                }

                foreach (var member in BodyMembers(method))
                {
                    AddMember(types, member);
                }
            }
        }

        return types;
    }

    /// <summary>The methods (of any type in <paramref name="assembly"/>) whose bodies name <paramref name="member"/>.</summary>
    public static IReadOnlyList<MethodBase> CallersOf(Assembly assembly, MethodBase member) =>
        [.. assembly.GetTypes().SelectMany(Methods).Where(m => BodyMembers(m).Any(used => Same(used, member)))];

    /// <summary>The type a nested type (a lambda's closure, an async state machine) is written in.</summary>
    public static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static IEnumerable<Type> WithNested(Type type) =>
        type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(WithNested).Prepend(type);

    private static IEnumerable<MethodBase> Methods(Type type) =>
        type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared));

    private static bool Same(MemberInfo a, MemberInfo b) =>
        a.Module == b.Module && a.MetadataToken == b.MetadataToken;

    private static IEnumerable<MemberInfo> BodyMembers(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method is MethodInfo { IsGenericMethod: true } ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            var value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            var opCode = OpCodesByValue[value];
            position += opCode.Size;
            switch (opCode.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    yield return method.Module.ResolveMember(BitConverter.ToInt32(il, position), typeArguments, methodArguments)!;
                    position += 4;
                    break;
                case OperandType.InlineSwitch:
                    position += 4 + (4 * BitConverter.ToInt32(il, position));
                    break;
                default:
                    position += OperandSize(opCode.OperandType);
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

    private static void AddMember(HashSet<Type> types, MemberInfo member)
    {
        switch (member)
        {
            case Type type:
                Add(types, type);
                break;
            case FieldInfo field:
                Add(types, field.DeclaringType);
                Add(types, field.FieldType);
                break;
            case MethodBase method:
                Add(types, method.DeclaringType);
                foreach (var parameter in method.GetParameters())
                {
                    Add(types, parameter.ParameterType);
                }

                if (method is MethodInfo info)
                {
                    Add(types, info.ReturnType);
                    if (info.IsGenericMethod)
                    {
                        foreach (var argument in info.GetGenericArguments())
                        {
                            Add(types, argument);
                        }
                    }
                }

                break;
        }
    }

    private static void Add(HashSet<Type> types, Type? type)
    {
        if (type is null || type.IsGenericParameter || !types.Add(type))
        {
            return;
        }

        if (type.HasElementType)
        {
            Add(types, type.GetElementType());
        }

        if (type.IsGenericType)
        {
            Add(types, type.GetGenericTypeDefinition());
            foreach (var argument in type.GetGenericArguments())
            {
                Add(types, argument);
            }
        }
    }
}
