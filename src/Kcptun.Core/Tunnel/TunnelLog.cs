using System.Globalization;
using System.Text;

namespace Kcptun.Tunnel;

/// <summary>
/// The programs' log in the format of Go's standard logger as an official kcptun release writes it
/// (docs/protocol/programs.md §10.6): <c>2006/01/02 15:04:05 message</c> in local time, one line a call, to stderr or the
/// <c>--log</c> file (appended). Thread-safe.
/// </summary>
public sealed class TunnelLog : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    /// <summary>Logs to <paramref name="writer"/>; <paramref name="ownsWriter"/> disposes it with the log.</summary>
    public TunnelLog(TextWriter writer, TimeProvider? time = null, bool ownsWriter = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _ownsWriter = ownsWriter;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Whether the stream opened/closed lines are suppressed (<c>--quiet</c>).</summary>
    public bool Quiet { get; init; }

    /// <summary>Opens <paramref name="path"/> for appending (created if missing), as <c>--log</c> does.</summary>
    /// <exception cref="TunnelConfigurationException">The file cannot be opened.</exception>
    public static TunnelLog OpenFile(string path, bool quiet = false, TimeProvider? time = null)
    {
        try
        {
            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
            return new TunnelLog(writer, time, ownsWriter: true) { Quiet = quiet };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TunnelConfigurationException($"--log {path}: cannot open the log file: {e.Message}", e);
        }
    }

    /// <summary>The line prefix for <paramref name="time"/>: <c>yyyy/MM/dd HH:mm:ss </c>.</summary>
    public static string Prefix(DateTimeOffset time) => time.ToString("yyyy'/'MM'/'dd HH':'mm':'ss ", CultureInfo.InvariantCulture);

    /// <summary>Go <c>log.Println(parts...)</c>: operands separated by one space, Go's spelling of values.</summary>
    public void Println(params object?[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var text = new StringBuilder();
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            text.Append(GoText(parts[i]));
        }

        Write(text.ToString());
    }

    /// <summary>Logs one message as is.</summary>
    public void Write(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var line = Prefix(_time.GetLocalNow()) + message.TrimEnd('\n') + "\n";
        lock (_gate)
        {
            try
            {
                _writer.Write(line);
                _writer.Flush();
            }
            catch (ObjectDisposedException)
            {
                // Shutting down: a late line from a closing stream has nowhere to go.
            }
            catch (IOException)
            {
                // The log target went away (closed pipe, full disk): the tunnel keeps running.
            }
        }
    }

    /// <summary>A stream line (<c>stream opened ...</c>), suppressed by <see cref="Quiet"/>.</summary>
    public void Stream(string message)
    {
        if (!Quiet)
        {
            Write(message);
        }
    }

    /// <summary>Go's <c>%v</c> spelling of a value: booleans in lower case, null as <c>&lt;nil&gt;</c>.</summary>
    public static string GoText(object? value) => value switch
    {
        null => "<nil>",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsWriter)
        {
            lock (_gate)
            {
                _writer.Dispose();
            }
        }
    }
}
