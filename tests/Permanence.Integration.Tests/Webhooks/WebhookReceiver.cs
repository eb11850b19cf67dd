using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace Permanence.Integration.Tests.Webhooks;

/// <summary>One request the receiver got, with what the StandardWebhooks library said of its signature (null: valid).</summary>
public sealed record ReceivedRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body,
    string? VerificationError);

/// <summary>What the receiver answers to one request: a status with headers, or no answer at all (it hangs).</summary>
public sealed record ScriptedResponse(int Status, IReadOnlyDictionary<string, string>? Headers = null, bool Hang = false)
{
    public static ScriptedResponse Hangs { get; } = new(0, Hang: true);

    public static ScriptedResponse With(int status, string header, string value) => new(status, new Dictionary<string, string> { [header] = value });
}

/// <summary>
/// A client's system receiving webhooks (docs/guides/webhooks.md), on loopback only: Kestrel on a port the OS
/// picks. Every request is verified with the StandardWebhooks library, as the guide tells receivers to, on the raw
/// body as received; a request that does not verify is recorded and answered 401 whatever the script says, so a
/// signing fault shows in the outcome too. Answers follow a per-path script, then 200.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _secret;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ScriptedResponse>> _scripts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookReceiver(WebApplication app, string secret)
    {
        _app = app;
        _secret = secret;
        app.Run(HandleAsync);
    }

    /// <summary>The port the receiver listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Whether it also listens on [::1] (the same port), IPv6 being available on this machine.</summary>
    public bool ListensOnIPv6Loopback { get; private set; }

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>Completes when the first request has been recorded.</summary>
    public Task FirstRequest => _firstRequest.Task;

    public IReadOnlyList<ReceivedRequest> RequestsTo(string path) => [.. _requests.Where(r => r.Path == path)];

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>The next answers to requests on <paramref name="path"/>, in order; 200 once they are used up.</summary>
    public void Script(string path, params ScriptedResponse[] responses)
    {
        var queue = _scripts.GetOrAdd(path, _ => new ConcurrentQueue<ScriptedResponse>());
        foreach (var response in responses)
        {
            queue.Enqueue(response);
        }
    }

    /// <summary>On 127.0.0.1 with a port the OS picks.</summary>
    public static async Task<WebhookReceiver> StartAsync(string secret)
    {
        var receiver = new WebhookReceiver(Build(k => k.Listen(IPAddress.Loopback, 0)), secret);
        await receiver.StartAppAsync();
        return receiver;
    }

    /// <summary>
    /// On 127.0.0.1 and, when the machine has IPv6, [::1], on one port: a free port is picked, then bound on both
    /// (another process may take it in between, hence a few tries).
    /// </summary>
    public static async Task<WebhookReceiver> StartOnBothLoopbacksAsync(string secret)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var ipv6 = CanBindIPv6Loopback();
            var receiver = new WebhookReceiver(Build(k =>
            {
                k.Listen(IPAddress.Loopback, port);
                if (ipv6)
                {
                    k.Listen(IPAddress.IPv6Loopback, port);
                }
            }), secret);
            try
            {
                await receiver.StartAppAsync();
                receiver.ListensOnIPv6Loopback = ipv6;
                return receiver;
            }
            catch (IOException) when (attempt < 5)
            {
                await receiver.DisposeAsync();
            }
        }
    }

    /// <summary>A port nothing listens on at the time of the call.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool CanBindIPv6Loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return false;
        }
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static WebApplication Build(Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions> listen)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(listen);
        return builder.Build();
    }

    private async Task StartAppAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StartAsync(timeout.Token);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        string? error = null;
        try
        {
            new StandardWebhook(_secret).Verify(Encoding.UTF8.GetString(body), context.Request.Headers);
        }
        catch (Exception e)
        {
            error = $"{e.GetType().Name}: {e.Message}";
        }
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path.Value ?? "", headers, body, error));
        _firstRequest.TrySetResult();

        var response = _scripts.TryGetValue(context.Request.Path.Value ?? "", out var queue) && queue.TryDequeue(out var next)
            ? next
            : new ScriptedResponse(200);
        if (error is not null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        if (response.Hang)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, either.Token);
            }
            catch (OperationCanceledException)
            {
                // The sender gave up (or the receiver stops): nothing to answer.
            }
            return;
        }
        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Bounded: a connection that would not close is not worth waiting for.
        }
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
