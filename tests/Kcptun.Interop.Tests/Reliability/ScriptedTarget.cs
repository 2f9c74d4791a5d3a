using System.Net.Sockets;
using Kcptun.Tests.Support;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>What a <see cref="ScriptedTarget"/> does with one connection.</summary>
internal enum TargetBehaviour
{
    /// <summary>Echoes until end of stream.</summary>
    Echo,

    /// <summary>Accepts, then never reads nor writes (a hung service).</summary>
    Stall,

    /// <summary>Accepts and resets the connection at once (SO_LINGER 0).</summary>
    Reset,
}

/// <summary>A loopback target whose n-th connection (from 0) behaves as <c>script(n)</c>.</summary>
internal sealed class ScriptedTarget : LoopbackTarget
{
    private readonly Func<int, TargetBehaviour> _script;
    private int _next = -1;

    public ScriptedTarget(Func<int, TargetBehaviour> script)
    {
        _script = script;
        Start();
    }

    protected override async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        var behaviour = _script(Interlocked.Increment(ref _next));
        try
        {
            switch (behaviour)
            {
                case TargetBehaviour.Reset:
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Dispose();
                    return;
                case TargetBehaviour.Stall:
                    await Task.Delay(Timeout.Infinite, stop);
                    return;
                default:
                    var buffer = new byte[16384];
                    while (true)
                    {
                        var n = await socket.ReceiveAsync(buffer, stop);
                        if (n == 0)
                        {
                            socket.Shutdown(SocketShutdown.Send);
                            return;
                        }

                        await socket.SendAsync(buffer.AsMemory(0, n), stop);
                    }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
