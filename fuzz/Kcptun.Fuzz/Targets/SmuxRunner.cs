using Kcptun.Smux;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// Runs an <see cref="SmuxSession"/> over a connection that delivers the fuzz input and then ends, with an application
/// that accepts every stream the peer opens and reads it to its end (echoing what it reads when asked), until the
/// session has closed. The end of the input must close the session within the time budget, every stream must end,
/// and the session's close reason must be a clean one: a protocol error, the peer's end of stream, or a failure of
/// the connection's own reader that <paramref name="connectionErrors"/> allows (snappy's InvalidDataException).
/// </summary>
internal static class SmuxRunner
{
    public static void Run(Stream connection, SmuxConfig config, bool isClient, bool openLocal, bool echo, Func<Exception, bool>? connectionErrors = null)
    {
        var session = new SmuxSession(connection, config, isClient);
        try
        {
            var application = RunApplicationAsync(session, openLocal, echo);
            FuzzBudget.Wait(session.Closed, "the session's close after the end of the input");
            FuzzBudget.Wait(application, "the application's streams after the session closed");
            var reason = session.CloseReason;
            if (reason is SmuxException { InnerException: { } inner } && !(connectionErrors?.Invoke(inner) ?? false))
            {
                throw new FuzzFindingException($"smux: the session failed with an unexpected {inner.GetType().Name}: {inner.Message}", inner);
            }
        }
        finally
        {
            FuzzBudget.Wait(session.DisposeAsync().AsTask(), "the session's dispose");
        }
    }

    private static async Task RunApplicationAsync(SmuxSession session, bool openLocal, bool echo)
    {
        var streams = new List<Task>();
        if (openLocal)
        {
            try
            {
                var local = await session.OpenStreamAsync().ConfigureAwait(false);
                streams.Add(ServeAsync(local, echo: false, greeting: true));
            }
            catch (SmuxException)
            {
            }
        }

        try
        {
            while (true)
            {
                var stream = await session.AcceptStreamAsync().ConfigureAwait(false);
                streams.Add(ServeAsync(stream, echo, greeting: false));
            }
        }
        catch (SmuxException)
        {
            // The session closed.
        }

        await Task.WhenAll(streams).ConfigureAwait(false);
    }

    private static async Task ServeAsync(SmuxStream stream, bool echo, bool greeting)
    {
        var buffer = new byte[4096];
        try
        {
            if (greeting)
            {
                await stream.WriteAsync(buffer.AsMemory(0, 100)).ConfigureAwait(false);
            }

            while (true)
            {
                int read = await stream.ReadAsync(buffer).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if (echo)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                }
            }
        }
        catch (IOException)
        {
            // SmuxException: the stream or the session closed under us.
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
