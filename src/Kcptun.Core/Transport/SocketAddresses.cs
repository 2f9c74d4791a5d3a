using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport;

/// <summary>Helpers for the allocation-free <see cref="SocketAddress"/> keys of the receive path.</summary>
internal static class SocketAddresses
{
    /// <summary>A private copy of a (reused) receive address, for storing as a key.</summary>
    public static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    /// <summary>The <see cref="IPEndPoint"/> of an address; IPv4-mapped IPv6 addresses come back as IPv4.</summary>
    public static IPEndPoint ToEndPoint(SocketAddress address)
    {
        EndPoint template = address.Family == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);
        var endPoint = (IPEndPoint)template.Create(address);
        return endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
    }
}
