namespace Kcptun.Tests.Smux;

/// <summary>Collects unobserved task exceptions raised by smux or compression code while it is alive.</summary>
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
        var ours = e.Exception.InnerExceptions.Where(x => x.ToString().Contains("Kcptun.Smux", StringComparison.Ordinal) || x.ToString().Contains("Kcptun.Compression", StringComparison.Ordinal));
        lock (_seen)
        {
            _seen.AddRange(ours);
        }
    }
}
