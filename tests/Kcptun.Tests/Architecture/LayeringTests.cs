using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Kcptun.Cli.Hosting;
using Kcptun.Kcp;

namespace Kcptun.Tests.Architecture;

/// <summary>
/// The library is only the tunnel: Kcptun.Core may not write to the console or handle process signals (issue 15).
/// Read from the compiled assemblies' metadata: every type Kcptun.Core references from another assembly.
/// </summary>
public class LayeringTests
{
    private static readonly (string Namespace, string Name)[] s_hostingOnly =
    [
        ("System", "Console"),
        ("System.Runtime.InteropServices", "PosixSignalRegistration"),
        ("System.Runtime.InteropServices", "PosixSignalContext"),
        ("System.Runtime.InteropServices", "PosixSignal"),
    ];

    [Fact]
    public void Core_references_no_console_and_no_signal_api()
    {
        var referenced = ReferencedTypes(typeof(KcpControlBlock).Assembly.Location);
        foreach (var type in s_hostingOnly)
        {
            Assert.DoesNotContain(type, referenced);
        }
    }

    [Fact]
    public void The_check_sees_console_and_signal_use_in_the_cli()
    {
        // The same reading of Kcptun.Cli, which hosts the programs, must find them: the check above can fail.
        var referenced = ReferencedTypes(typeof(ProgramContext).Assembly.Location);
        Assert.Contains(("System", "Console"), referenced);
        Assert.Contains(("System.Runtime.InteropServices", "PosixSignalRegistration"), referenced);
    }

    [Fact]
    public void Core_does_not_reference_the_cli()
    {
        var assembly = typeof(KcpControlBlock).Assembly;
        Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name == "Kcptun.Cli");
    }

    private static HashSet<(string Namespace, string Name)> ReferencedTypes(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var types = new HashSet<(string, string)>();
        foreach (var handle in metadata.TypeReferences)
        {
            var reference = metadata.GetTypeReference(handle);
            types.Add((metadata.GetString(reference.Namespace), metadata.GetString(reference.Name)));
        }

        return types;
    }
}
