using Kcptun.Diagnostics;

namespace Kcptun.Tests.Support;

public class VectorsTests
{
    [Fact]
    public void Vector_directory_holds_every_file_named_in_its_readme()
    {
        var readme = File.ReadAllText(Path.Combine(Vectors.Directory, "README.md"));
        foreach (var file in System.IO.Directory.GetFiles(Vectors.Directory, "*.json"))
        {
            Assert.Contains(Path.GetFileName(file), readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Snmp_snapshot_matches_the_debian_field_list()
    {
        var counters = new SnmpCounters();
        Interlocked.Increment(ref counters.InCsumErrors);
        var snapshot = counters.Snapshot();
        Assert.Equal(SnmpCounters.DebianFieldNames.Count, snapshot.Length);
        Assert.Equal(1, snapshot[IndexOf("InCsumErrors")]);
        Assert.Equal(24, snapshot.Length);
    }

    private static int IndexOf(string name) => SnmpCounters.DebianFieldNames.ToList().IndexOf(name);
}
