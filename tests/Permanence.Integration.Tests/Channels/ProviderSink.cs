using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Permanence.Integration.Tests.Channels;

/// <summary>Which provider API a request to the sink was for.</summary>
public enum ProviderKind
{
    /// <summary><c>POST /v3/mail/send</c>.</summary>
    SendGrid,

    /// <summary><c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>.</summary>
    Twilio,

    /// <summary>Anything else: recorded, answered 404.</summary>
    Unknown,
}

/// <summary>
/// One answer of the sink. By default it accepts (SendGrid: 202 with <c>X-Message-Id</c>; Twilio: 201 with the
/// message's JSON and a new <c>SM…</c> sid); <see cref="ProviderSink.Script"/> queues other answers first.
/// </summary>
public sealed record SinkAnswer
{
    private SinkAnswer()
    {
    }

    /// <summary>0 for <see cref="Hang"/>.</summary>
    public int Status { get; private init; }

    /// <summary>Twilio's error code in the body of an error (SendGrid's errors have none).</summary>
    public int TwilioCode { get; private init; }

    /// <summary>The error message in the provider's shape, or the raw body of <see cref="Raw"/>.</summary>
    public string? Message { get; private init; }

    /// <summary>The value of the Retry-After header, as sent.</summary>
    public string? RetryAfter { get; private init; }

    /// <summary>How long a hang lasts at most.</summary>
    public TimeSpan? HangFor { get; private init; }

    /// <summary>Set by <see cref="Raw"/>: the body is sent as is, with this content type.</summary>
    public string? RawContentType { get; private init; }

    public bool IsAccepted => Status is >= 200 and < 300 && RawContentType is null;

    /// <summary>The provider takes it.</summary>
    public static SinkAnswer Accept { get; } = new() { Status = 202 };

    /// <summary>An error in the provider's JSON shape (Twilio: <c>{code, message, more_info, status}</c>; SendGrid: <c>{errors:[{message, field}]}</c>).</summary>
    public static SinkAnswer Error(int status, int twilioCode = 0, string? message = null) =>
        new() { Status = status, TwilioCode = twilioCode, Message = message };

    /// <summary>429 with <c>Retry-After: {seconds}</c>.</summary>
    public static SinkAnswer TooManyRequests(TimeSpan retryAfter) =>
        new() { Status = 429, TwilioCode = 20429, Message = "Too Many Requests", RetryAfter = ((long)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture) };

    /// <summary>429 with <c>Retry-After</c> as an HTTP date.</summary>
    public static SinkAnswer TooManyRequestsUntil(DateTimeOffset until) =>
        new() { Status = 429, TwilioCode = 20429, Message = "Too Many Requests", RetryAfter = until.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture) };

    /// <summary>
    /// No answer at all: the request is held until the client gives up (it closes the connection) or
    /// <paramref name="atMost"/> has passed, then the connection is dropped. A hung request is never accepted.
    /// </summary>
    public static SinkAnswer Hang(TimeSpan atMost) => new() { HangFor = atMost };

    /// <summary>Any status and body, sent as is (a proxy's error page, a reply the SDK cannot read).</summary>
    public static SinkAnswer Raw(int status, string body, string contentType = "text/plain; charset=utf-8") =>
        new() { Status = status, Message = body, RawContentType = contentType };

    public override string ToString() => HangFor is { } hang ? $"hang {hang.TotalSeconds:0.#} s" : $"HTTP {(IsAccepted ? "2xx" : Status)}";
}

/// <summary>One request the sink received, with the answer it was given.</summary>
public sealed class SinkRequest
{
    internal SinkRequest(ProviderKind kind, string method, string path, string query, Dictionary<string, string> headers, byte[] body, SinkAnswer answer, DateTimeOffset receivedAt)
    {
        Kind = kind;
        Method = method;
        Path = path;
        Query = query;
        Headers = headers;
        Body = body;
        Answer = answer;
        ReceivedAt = receivedAt;
    }

    public ProviderKind Kind { get; }
    public string Method { get; }
    public string Path { get; }
    public string Query { get; }

    /// <summary>Case-insensitive; a header sent several times has its values joined with ", ".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    public byte[] Body { get; }
    public SinkAnswer Answer { get; }
    public DateTimeOffset ReceivedAt { get; }

    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The body as JSON (SendGrid).</summary>
    public JsonNode? Json => JsonNode.Parse(Body);

    /// <summary>The body as a form, UTF-8 decoded (Twilio); a field sent several times has its last value.</summary>
    public IReadOnlyDictionary<string, string> Form =>
        QueryHelpers.ParseQuery(BodyText).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    /// <summary>The token of <c>Authorization: Bearer …</c>, or null.</summary>
    public string? BearerToken =>
        Header("Authorization") is { } value && value.StartsWith("Bearer ", StringComparison.Ordinal) ? value["Bearer ".Length..] : null;

    /// <summary>The user and password of <c>Authorization: Basic …</c>, or null.</summary>
    public (string User, string Password)? BasicCredentials
    {
        get
        {
            if (Header("Authorization") is not { } value || !value.StartsWith("Basic ", StringComparison.Ordinal))
            {
                return null;
            }
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value["Basic ".Length..]));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
        }
    }
}

/// <summary>An email SendGrid accepted, read from the request.</summary>
public sealed record SinkEmail(
    string ProviderId, string From, string? FromName, string To, string? ToName, string Subject, string? Text, string? Html,
    IReadOnlyDictionary<string, string> CustomArgs, SinkRequest Request);

/// <summary>An SMS Twilio accepted, read from the request.</summary>
public sealed record SinkSms(string Sid, string AccountSid, string To, string From, string Body, SinkRequest Request);

/// <summary>
/// A loopback stand-in for the parts of SendGrid and Twilio the channel adapters call, for tests: point
/// <c>Permanence:SendGrid:BaseUrl</c> and <c>Permanence:Twilio:BaseUrl</c> at <see cref="BaseUrl"/>. Every request
/// is recorded with its headers, body and answer; answers are accepted unless <see cref="Script"/> queued others.
/// Kestrel on 127.0.0.1, a free port; nothing leaves the machine.
/// </summary>
public sealed partial class ProviderSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly List<SinkRequest> _requests = [];
    private readonly List<SinkEmail> _emails = [];
    private readonly List<SinkSms> _sms = [];
    private readonly Dictionary<ProviderKind, Queue<SinkAnswer>> _scripts = [];
    private readonly Dictionary<ProviderKind, SinkAnswer> _defaults = [];
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProviderSink(WebApplication app)
    {
        _app = app;
        _app.Run(HandleAsync);
    }

    /// <summary>Starts a sink on a free loopback port.</summary>
    public static async Task<ProviderSink> StartAsync(CancellationToken cancellationToken = default)
    {
        // The empty builder reads no appsettings.json and no environment: nothing from the test directory can add endpoints.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var sink = new ProviderSink(builder.Build());
        await sink._app.StartAsync(cancellationToken);
        sink.BaseUrl = sink._app.Urls.Single().TrimEnd('/');
        return sink;
    }

    /// <summary><c>http://127.0.0.1:{port}</c>, without a trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request so far, in arrival order (a copy).</summary>
    public IReadOnlyList<SinkRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<SinkRequest> RequestsFor(ProviderKind kind) => Requests.Where(r => r.Kind == kind).ToList();

    /// <summary>The emails accepted so far (answered 2xx), in order (a copy).</summary>
    public IReadOnlyList<SinkEmail> Emails
    {
        get
        {
            lock (_gate)
            {
                return [.. _emails];
            }
        }
    }

    /// <summary>The SMS accepted so far (answered 2xx), in order (a copy).</summary>
    public IReadOnlyList<SinkSms> Sms
    {
        get
        {
            lock (_gate)
            {
                return [.. _sms];
            }
        }
    }

    public int AcceptedEmails
    {
        get
        {
            lock (_gate)
            {
                return _emails.Count;
            }
        }
    }

    public int AcceptedSms
    {
        get
        {
            lock (_gate)
            {
                return _sms.Count;
            }
        }
    }

    /// <summary>
    /// Queues answers for the next requests of <paramref name="kind"/>, one each, in order, after any still queued;
    /// once they are used up, requests get the default answer (<see cref="AnswerByDefault"/>, else accepted).
    /// </summary>
    public void Script(ProviderKind kind, params SinkAnswer[] answers)
    {
        lock (_gate)
        {
            if (!_scripts.TryGetValue(kind, out var queue))
            {
                _scripts[kind] = queue = new Queue<SinkAnswer>();
            }
            foreach (var answer in answers)
            {
                queue.Enqueue(answer);
            }
        }
    }

    /// <summary>The answer once the script of <paramref name="kind"/> is used up (a provider down for good, say); null restores acceptance.</summary>
    public void AnswerByDefault(ProviderKind kind, SinkAnswer? answer)
    {
        lock (_gate)
        {
            if (answer is null)
            {
                _defaults.Remove(kind);
            }
            else
            {
                _defaults[kind] = answer;
            }
        }
    }

    /// <summary>Forgets the requests, the accepted messages, the scripts and the default answers.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _requests.Clear();
            _emails.Clear();
            _sms.Clear();
            _scripts.Clear();
            _defaults.Clear();
        }
    }

    /// <summary>Waits, without polling, until <paramref name="condition"/> holds of the sink; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<ProviderSink, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            if (condition(this))
            {
                return;
            }
            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"The provider sink did not reach the expected state within {timeout.TotalSeconds:0.#} s ({Requests.Count} requests).");
            }
        }
    }

    /// <summary>A loopback URL nothing listens on (a port just released): connections to it are refused.</summary>
    public static string UnusedLoopbackUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync(); // ends hangs at once
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    [GeneratedRegex("^/2010-04-01/Accounts/(?<sid>[^/]+)/Messages\\.json$")]
    private static partial Regex TwilioMessages();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var twilio = TwilioMessages().Match(request.Path.Value ?? "");
        var kind = request.Method != HttpMethods.Post ? ProviderKind.Unknown
            : request.Path == "/v3/mail/send" ? ProviderKind.SendGrid
            : twilio.Success ? ProviderKind.Twilio
            : ProviderKind.Unknown;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

        SinkAnswer answer;
        SinkRequest recorded;
        string? providerId = null;
        lock (_gate)
        {
            answer = kind == ProviderKind.Unknown ? SinkAnswer.Error(404, message: "not a route of the provider sink")
                : _scripts.TryGetValue(kind, out var queue) && queue.TryDequeue(out var scripted) ? scripted
                : _defaults.GetValueOrDefault(kind, SinkAnswer.Accept);
            recorded = new SinkRequest(kind, request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", headers, buffer.ToArray(), answer, DateTimeOffset.UtcNow);
            _requests.Add(recorded);
            if (answer.IsAccepted)
            {
                if (kind == ProviderKind.SendGrid)
                {
                    providerId = $"sink-{Guid.NewGuid():N}";
                    _emails.Add(ReadEmail(providerId, recorded));
                }
                else
                {
                    providerId = $"SM{Guid.NewGuid():N}";
                    _sms.Add(ReadSms(providerId, twilio.Groups["sid"].Value, recorded));
                }
            }
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var response = context.Response;
        if (answer.HangFor is { } hang)
        {
            using var hung = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(hang, hung.Token);
            }
            catch (OperationCanceledException)
            {
                // The client gave up, or the sink stops.
            }
            context.Abort();
            return;
        }
        if (answer.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter;
        }
        if (answer.RawContentType is { } contentType)
        {
            response.StatusCode = answer.Status;
            response.ContentType = contentType;
            await response.WriteAsync(answer.Message ?? "", Encoding.UTF8, context.RequestAborted);
            return;
        }
        if (answer.IsAccepted && kind == ProviderKind.SendGrid)
        {
            response.StatusCode = StatusCodes.Status202Accepted;
            response.Headers["X-Message-Id"] = providerId;
            return;
        }
        if (answer.IsAccepted)
        {
            var form = recorded.Form;
            var sid = twilio.Groups["sid"].Value;
            response.StatusCode = StatusCodes.Status201Created;
            await response.WriteAsJsonAsync(new Dictionary<string, object?>
            {
                ["sid"] = providerId,
                ["account_sid"] = sid,
                ["to"] = form.GetValueOrDefault("To"),
                ["from"] = form.GetValueOrDefault("From"),
                ["body"] = form.GetValueOrDefault("Body"),
                ["status"] = "queued",
                ["direction"] = "outbound-api",
                ["num_segments"] = "1",
                ["api_version"] = "2010-04-01",
                ["uri"] = $"/2010-04-01/Accounts/{sid}/Messages/{providerId}.json",
            }, context.RequestAborted);
            return;
        }
        response.StatusCode = answer.Status;
        await response.WriteAsJsonAsync<object>(kind == ProviderKind.Twilio
            ? new Dictionary<string, object?>
            {
                ["code"] = answer.TwilioCode != 0 ? answer.TwilioCode : 20000 + answer.Status,
                ["message"] = answer.Message ?? $"HTTP {answer.Status} from the provider sink",
                ["more_info"] = $"https://www.twilio.com/docs/errors/{answer.TwilioCode}",
                ["status"] = answer.Status,
            }
            : new Dictionary<string, object?>
            {
                ["errors"] = new[] { new Dictionary<string, object?> { ["message"] = answer.Message ?? $"HTTP {answer.Status} from the provider sink", ["field"] = null, ["help"] = null } },
            }, context.RequestAborted);
    }

    private static SinkEmail ReadEmail(string providerId, SinkRequest request)
    {
        var json = request.Json ?? throw new InvalidDataException("SendGrid request without a body.");
        var to = json["personalizations"]![0]!["to"]![0]!;
        var contents = json["content"]?.AsArray() ?? [];
        string? Content(string type) => contents.FirstOrDefault(c => (string?)c!["type"] == type)?["value"]?.GetValue<string>();
        // Custom args may be global or per recipient (personalization); the recipient's win, as at SendGrid.
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var scope in new[] { json["custom_args"], json["personalizations"]![0]!["custom_args"] })
        {
            foreach (var (key, value) in scope?.AsObject() ?? [])
            {
                args[key] = value!.GetValue<string>();
            }
        }
        return new SinkEmail(
            providerId,
            (string)json["from"]!["email"]!,
            (string?)json["from"]!["name"],
            (string)to["email"]!,
            (string?)to["name"],
            (string?)json["personalizations"]![0]!["subject"] ?? (string)json["subject"]!,
            Content("text/plain"),
            Content("text/html"),
            args,
            request);
    }

    private static SinkSms ReadSms(string sid, string accountSid, SinkRequest request)
    {
        var form = request.Form;
        return new SinkSms(sid, accountSid, form.GetValueOrDefault("To", ""), form.GetValueOrDefault("From", ""), form.GetValueOrDefault("Body", ""), request);
    }
}
