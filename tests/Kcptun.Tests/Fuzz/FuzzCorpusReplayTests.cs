using Kcptun.Crypto;
using Kcptun.Fuzz;

namespace Kcptun.Tests.Fuzz;

/// <summary>
/// The fuzz targets' corpora as regular tests (docs/fuzzing.md): every seed in fuzz/corpus/TARGET and every saved
/// crash in fuzz/crashes/TARGET runs through its target in-process, under the same checks as under afl-fuzz (clean
/// error or counted drop, time budget, allocation bound).
/// The allocation bound counts the whole process's allocations while one input runs, so these tests run alone: a
/// transfer test allocating in parallel would otherwise be charged to a seed.
/// </summary>
[Collection(FuzzReplayAlone.Name)]
public sealed class FuzzCorpusReplayTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    public static TheoryData<string> Ciphers => [.. PacketProtection.Names(WireGeneration.Latest)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_and_saved_crash_runs_clean(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = Inputs("corpus", name);
        Assert.NotEmpty(seeds);
        var failures = new List<string>();
        foreach (var file in seeds.Concat(Inputs("crashes", name)))
        {
            try
            {
                FuzzTargets.Run(target, File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(RepositoryRoot, file)}: {e}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Theory]
    [MemberData(nameof(Ciphers))]
    public void Each_pinned_cipher_target_runs_the_protection_seeds(string crypt)
    {
        var target = FuzzTargets.Find("protection-" + crypt);
        Assert.NotNull(target);
        foreach (var file in Inputs("corpus", "protection"))
        {
            FuzzTargets.Run(target, File.ReadAllBytes(file).AsSpan(1));
        }
    }

    [Fact]
    public void An_input_that_allocates_past_the_bound_is_a_finding()
    {
        var greedy = new FuzzTarget("greedy", "allocates 80 MiB", _ => GC.KeepAlive(new byte[80 << 20]));

        var finding = Assert.Throws<FuzzFindingException>(() => FuzzTargets.Run(greedy, []));

        Assert.Contains("allocation", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_planted_crash_of_the_ci_self_test_is_a_finding_only_for_its_trigger()
    {
        var target = FuzzTargets.Find("selftest-crash");
        Assert.NotNull(target);
        Assert.DoesNotContain(target, FuzzTargets.All);

        Assert.Throws<InvalidOperationException>(() => FuzzTargets.Run(target, "CRASH-planted"u8));
        FuzzTargets.Run(target, "crash"u8);
        FuzzTargets.Run(FuzzTargets.Find("selftest-hang")!, "not a hang"u8);
    }

    [Fact]
    public void Unknown_target_names_are_not_found()
    {
        Assert.Null(FuzzTargets.Find("protection-rot13"));
        Assert.Null(FuzzTargets.Find("nothing"));
    }

    private static List<string> Inputs(string kind, string target)
    {
        var folder = Path.Combine(RepositoryRoot, "fuzz", kind, target);
        return Directory.Exists(folder) ? [.. Replay.Files([folder])] : [];
    }

    private static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kcptun.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Kcptun.slnx not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The fuzz replay tests' own collection, run with nothing else in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzReplayAlone
{
    /// <summary>The collection's name.</summary>
    public const string Name = "fuzz replay (alone)";
}
