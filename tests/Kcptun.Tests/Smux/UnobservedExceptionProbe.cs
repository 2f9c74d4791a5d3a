namespace Kcptun.Tests.Smux;

/// <summary>Collects unobserved exceptions of the smux session's background tasks while it is alive.</summary>
public sealed class UnobservedExceptionProbe : IDisposable
{
    private readonly List<Exception> _seen = [];

    public UnobservedExceptionProbe() => TaskScheduler.UnobservedTaskException += OnUnobserved;

    public void AssertNone()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        lock (_seen)
        {
            Assert.Empty(_seen);
        }
    }

    public void Dispose() => TaskScheduler.UnobservedTaskException -= OnUnobserved;

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        // Only the session's own background tasks: a task a test (possibly another class running in parallel) dropped
        // is that test's business.
        string[] loops = ["SmuxSession.ReceiveLoopAsync", "SmuxSession.SendLoopAsync", "SmuxSession.ShutdownAsync", "SmuxSession.OnSynAsync"];
        var ours = e.Exception.InnerExceptions.Where(x => loops.Any(loop => x.ToString().Contains(loop, StringComparison.Ordinal)));
        lock (_seen)
        {
            _seen.AddRange(ours);
        }
    }
}
