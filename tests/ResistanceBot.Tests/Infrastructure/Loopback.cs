using System.Net;
using System.Net.Sockets;

namespace ResistanceBot.Tests.Infrastructure;

internal static class Loopback
{
    /// <summary>A port free on 127.0.0.1 right now, for a server whose address must be known before it starts.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
