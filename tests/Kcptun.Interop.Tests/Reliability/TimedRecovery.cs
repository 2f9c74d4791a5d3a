namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Tests that assert how soon a dead or restarted peer is noticed, and the bad-path tests that load the machine
/// beside them, run one at a time: on the 2-core runner a 10 s bulk transfer through a lossy relay next to a restart
/// test once pushed the restart past its 5 s bound (3.0-3.6 s when alone).
/// </summary>
[CollectionDefinition(Name)]
public sealed class TimedRecovery
{
    public const string Name = "timed recovery";
}
