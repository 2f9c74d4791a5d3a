using System.Net.Sockets;

namespace Kcptun.Transport;

/// <summary>
/// How a single datagram send fails, in one place for every transport: a <see cref="SocketException"/> is its code,
/// a socket disposed under the sender is <see cref="SocketError.OperationAborted"/>. Anything else is a bug and is
/// not caught. Used as <c>catch (Exception e) when (SendErrors.TryClassify(e, out error))</c>.
/// </summary>
internal static class SendErrors
{
    public static bool TryClassify(Exception exception, out SocketError error)
    {
        switch (exception)
        {
            case SocketException socketException:
                error = socketException.SocketErrorCode;
                return true;
            case ObjectDisposedException:
                error = SocketError.OperationAborted;
                return true;
            default:
                error = SocketError.Success;
                return false;
        }
    }
}
