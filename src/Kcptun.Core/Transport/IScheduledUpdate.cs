namespace Kcptun.Transport;

/// <summary>Something the <see cref="KcpScheduler"/> runs when it is due.</summary>
internal interface IScheduledUpdate
{
    /// <summary>Runs one update; returns milliseconds until the next one, or a negative value to stop.</summary>
    long RunUpdate();
}
