using System.Reflection;
using System.Reflection.Emit;
using Kcptun.Kcp;

namespace Kcptun.Tests.Architecture;

/// <summary>
/// The pure core (Kcp/, Fec/, Smux/, ReedSolomon/) reports through its owner, never through a process-wide counter
/// object (issue 15): no method there touches a static member of <c>Kcptun.Diagnostics</c>. Read from the IL.
/// </summary>
public class PureCoreStaticsTests
{
    private static readonly string[] s_pureNamespaces = ["Kcptun.Kcp", "Kcptun.Fec", "Kcptun.Smux", "Kcptun.ReedSolomon"];

    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Pure_core_reads_no_static_of_the_diagnostics()
    {
        var offenders = StaticDiagnosticsUses(s_pureNamespaces);
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_check_sees_the_transport_default_to_the_shared_totals()
    {
        // KcpSessionOptions.Totals defaults to SnmpTotals.Shared: the same reading of Kcptun.Transport must find it.
        var uses = StaticDiagnosticsUses(["Kcptun.Transport"]);
        Assert.Contains(uses, u => u.Contains("SnmpTotals.get_Shared", StringComparison.Ordinal));
    }

    private static List<string> StaticDiagnosticsUses(string[] namespaces)
    {
        var found = new List<string>();
        Assembly core = typeof(KcpControlBlock).Assembly;
        foreach (Type type in core.GetTypes())
        {
            if (!InNamespaces(type, namespaces))
            {
                continue;
            }

            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (MethodBase method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                foreach (MemberInfo member in ReferencedMembers(method))
                {
                    if (member.DeclaringType?.Namespace == "Kcptun.Diagnostics" && IsStatic(member))
                    {
                        found.Add($"{type.FullName}.{method.Name} -> {member.DeclaringType.Name}.{member.Name}");
                    }
                }
            }
        }

        return found;
    }

    private static bool InNamespaces(Type type, string[] namespaces)
    {
        string ns = type.Namespace ?? "";
        return namespaces.Any(n => ns == n || ns.StartsWith(n + ".", StringComparison.Ordinal));
    }

    private static bool IsStatic(MemberInfo member) => member switch
    {
        FieldInfo field => field.IsStatic,
        MethodBase method => method.IsStatic,
        _ => false,
    };

    /// <summary>The fields and methods a method body's instructions name (call, ldsfld, ldftn and the like).</summary>
    private static IEnumerable<MemberInfo> ReferencedMembers(MethodBase method)
    {
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        Type[]? typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int position = 0;
        while (position < il.Length)
        {
            short value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += il[position] == 0xFE ? 2 : 1;
            OpCode opCode = s_opCodes[value];
            int operandSize = OperandSize(opCode.OperandType, il, position);
            if (opCode.OperandType is OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok)
            {
                int token = BitConverter.ToInt32(il, position);
                MemberInfo? member = null;
                try
                {
                    member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                }
                catch (ArgumentException)
                {
                }

                if (member is FieldInfo or MethodBase)
                {
                    yield return member;
                }
            }

            position += operandSize;
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int position) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, position)),
        _ => 4,
    };
}
