using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Permanence.Core.Routing;

namespace Permanence.Infrastructure.Webhooks;

/// <summary>
/// Outbound webhooks (docs/guides/webhooks.md): POST of the message JSON signed per Standard Webhooks, 10 s timeout,
/// redirects not followed, no proxy. Unless private networks are allowed, the address actually connected to is
/// checked in the connect callback — after DNS, so a public name resolving to a private address is refused too.
/// </summary>
public sealed class WebhookSender(HttpClient http, TimeProvider time) : IWebhookSender
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The client webhooks are sent with; <paramref name="allowPrivateNetworks"/> is for local setups and tests.</summary>
    public static HttpClient CreateClient(bool allowPrivateNetworks, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = timeout ?? Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowPrivateNetworks, cancellationToken),
        };
        var client = new HttpClient(handler) { Timeout = timeout ?? Timeout };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Permanence-Webhooks", "1.0"));
        return client;
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = allowPrivateNetworks ? addresses : addresses.Where(NetworkGuard.IsPublic).ToArray();
        if (allowed.Length == 0)
        {
            throw new WebhookTargetRefusedException(addresses.Length == 0
                ? "the webhook host has no address"
                : "the webhook host resolves to a loopback, private, link-local or reserved address");
        }
        SocketException? last = null;
        foreach (var candidate in allowed)
        {
            // An IPv4-mapped literal ([::ffff:a.b.c.d]) is dialled as the IPv4 address: an IPv6 socket is not dual-mode.
            var address = candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
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
        throw last!;
    }

    public async Task<DeliveryOutcome> SendAsync(WebhookNotification webhook, CancellationToken cancellationToken)
    {
        var headers = WebhookSigner.Sign(webhook.Secret, webhook.WebhookId, time.GetUtcNow(), webhook.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url)
        {
            Content = new StringContent(webhook.Body, Encoding.UTF8, "application/json"),
            // HTTP/1.1 exactly: HTTP/3 runs over QUIC, which never goes through the connect callback that guards addresses.
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Add("webhook-id", headers.Id);
        request.Headers.Add("webhook-timestamp", headers.Timestamp);
        request.Headers.Add("webhook-signature", headers.Signature);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => new DeliveryOutcome.Sent($"HTTP {status}"),
                408 or 429 => new DeliveryOutcome.Transient($"HTTP {status}", RetryAfter(response, time)),
                >= 500 => new DeliveryOutcome.Transient($"HTTP {status}", RetryAfter(response, time)),
                >= 300 and < 400 => new DeliveryOutcome.Permanent($"HTTP {status}: redirects are not followed"),
                _ => new DeliveryOutcome.Permanent($"HTTP {status}"),
            };
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookTargetRefusedException refused)
        {
            return new DeliveryOutcome.Permanent($"target refused: {refused.Message}");
        }
        catch (HttpRequestException e)
        {
            return new DeliveryOutcome.Transient($"connection failed: {e.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryOutcome.Transient($"timeout after {http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Retry-After as seconds or as an HTTP date.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
}
