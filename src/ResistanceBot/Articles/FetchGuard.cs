using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace ResistanceBot.Articles;

/// <summary>Turns a host name into addresses. The system's DNS in production; tests add names of their own (<c>Articles:TestHosts</c>).</summary>
internal interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

internal sealed class SystemResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}

/// <summary>A fetch the guard will not make, with a reason an editor can read.</summary>
internal sealed class FetchRefusedException(string reason) : Exception(reason);

/// <summary>
/// What the bot may fetch when an editor names a URL (feeds, pages, full text): public addresses only, over http or https.
/// Each connection resolves its host once, refuses the host if any of its addresses is not public (so a name that resolves to
/// both a public and an internal address is refused), and connects to an address it checked: a DNS answer that changes
/// between check and connection (rebinding) cannot reach inside. Redirects are followed by <see cref="WebFetcher"/> one at a
/// time, each through this same check. The bot's own web server (<c>/metrics</c>, <c>/healthz</c>) is refused on any address.
/// </summary>
internal sealed class FetchGuard(IHostResolver resolver, IOptions<ArticlesOptions> options, IServiceProvider services)
{
    /// <summary>The reason for a URL whose scheme is not http or https, or null when it is one.</summary>
    public static string? SchemeProblem(Uri url) =>
        url.Scheme is "http" or "https" ? null : $"only http and https links can be fetched, not {url.Scheme}:";

    /// <summary>The addresses to connect to for <paramref name="host"/>, every one of them checked; throws <see cref="FetchRefusedException"/>.</summary>
    public async Task<IPAddress[]> AddressesAsync(string host, int port, CancellationToken ct)
    {
        var testHosts = options.Value.TestHosts;
        IPAddress[] addresses;
        var fromTest = false;
        if (testHosts.TryGetValue(host, out var mapped) && IPAddress.TryParse(mapped, out var testAddress))
        {
            (addresses, fromTest) = ([testAddress], true);
        }
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await resolver.ResolveAsync(host, ct);
            }
            catch (SocketException)
            {
                throw new FetchRefusedException("the host name does not resolve");
            }
        }

        if (addresses.Length == 0)
        {
            throw new FetchRefusedException("the host name does not resolve");
        }

        foreach (var address in addresses)
        {
            // A test's stand-in for a public site lives on loopback; nothing else of loopback, private or local is let through.
            if (!(fromTest && IPAddress.IsLoopback(address)) && NonPublic(address) is { } kind)
            {
                throw new FetchRefusedException($"{host} is {kind}, not a public address");
            }

            if (IsOwnServer(address, port))
            {
                throw new FetchRefusedException("that is this bot's own web server");
            }
        }

        return addresses;
    }

    /// <summary>Opens the connection for the HTTP client: to a checked address only (SocketsHttpHandler.ConnectCallback).</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await AddressesAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostUnreachable);
    }

    /// <summary>What kind of non-public address this is, or null for a public one (IANA special-purpose registries).</summary>
    public static string? NonPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return NonPublic(address.MapToIPv4());
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return (b[0], b[1], b[2]) switch
            {
                (127, _, _) => "a loopback address",
                (10, _, _) or (172, >= 16 and <= 31, _) or (192, 168, _) => "a private network address",
                (169, 254, _) => "a link-local address",
                (100, >= 64 and <= 127, _) => "a carrier-grade NAT address",
                (0, _, _) => "an unspecified address",
                ( >= 224 and <= 239, _, _) => "a multicast address",
                ( >= 240, _, _) => "a reserved address",
                (192, 0, 0) or (192, 0, 2) or (198, 51, 100) or (203, 0, 113) or (198, 18 or 19, _) or (192, 88, 99) => "a reserved address",
                _ => null,
            };
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an internet address";
        }

        if (IPAddress.IPv6Loopback.Equals(address))
        {
            return "a loopback address";
        }

        if (IPAddress.IPv6Any.Equals(address))
        {
            return "an unspecified address";
        }

        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal)
        {
            return "a link-local address";
        }

        if (address.IsIPv6UniqueLocal)
        {
            return "a private network address";
        }

        if (address.IsIPv6Multicast)
        {
            return "a multicast address";
        }

        // Addresses that carry an IPv4 address inside (NAT64, 6to4): judged by that address.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4..12].All(x => x == 0))
        {
            return NonPublic(new IPAddress(b[12..16]));
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return NonPublic(new IPAddress(b[2..6]));
        }

        if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) || (b[0] == 0x01 && b[1..8].All(x => x == 0)) || b[0..12].All(x => x == 0))
        {
            return "a reserved address";
        }

        return null;
    }

    /// <summary>An address of this machine, on a port the bot's own web server listens on.</summary>
    private bool IsOwnServer(IPAddress address, int port)
    {
        if (!OwnPorts().Contains(port))
        {
            return false;
        }

        if (IPAddress.IsLoopback(address) || IPAddress.Any.Equals(address) || IPAddress.IPv6Any.Equals(address))
        {
            return true;
        }

        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Any(u => u.Address.Equals(address));
        }
        catch (NetworkInformationException)
        {
            return true; // cannot tell: refuse rather than risk reaching ourselves
        }
    }

    private HashSet<int> OwnPorts()
    {
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return addresses.Select(a => Uri.TryCreate(a.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri.Port : -1)
            .Where(p => p > 0).ToHashSet();
    }
}

/// <summary>
/// <c>Articles:TestHosts</c> makes names resolve to loopback, so that tests can stand in for public sites. It would open the
/// server's inside to any editor, so the bot refuses to start with it outside a test or sandbox environment.
/// </summary>
internal sealed class ArticlesOptionsValidator(IHostEnvironment environment) : IValidateOptions<ArticlesOptions>
{
    public const string TestEnvironment = "Testing";
    public const string SandboxEnvironment = "Sandbox";

    public ValidateOptionsResult Validate(string? name, ArticlesOptions options) =>
        options.TestHosts.Count > 0 && !environment.IsEnvironment(TestEnvironment) && !environment.IsEnvironment(SandboxEnvironment)
            ? ValidateOptionsResult.Fail($"Articles:TestHosts is for tests only and is refused in the {environment.EnvironmentName} environment: remove it.")
            : ValidateOptionsResult.Success;
}
