using Permanence.Core.Routing;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace Permanence.Infrastructure.Notifications;

/// <summary>
/// SMS through Twilio's Messages API, used when <c>Permanence:Twilio:AccountSid</c> is set (README,
/// "Configuration"). The REST client is this sender's own, never the static <c>TwilioClient.Init</c>: several
/// hosts with different accounts can live in one process. One attempt per call, as for email.
/// </summary>
public sealed class TwilioSmsSender : ISmsSender
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const int MaxReasonLength = 200;

    /// <summary>
    /// The attempt in progress, seen by <see cref="CallHandler"/> below the SDK: the SDK's async calls take no
    /// cancellation token and its errors carry neither Retry-After nor, for non-Twilio bodies, the status.
    /// </summary>
    private static readonly AsyncLocal<Attempt?> Current = new();

    private readonly TwilioRestClient _client;
    private readonly TwilioOptions _options;
    private readonly PhoneNumber _from;

    /// <param name="timeout">Connect and overall time of one request; 10 s by default.</param>
    public TwilioSmsSender(TwilioOptions options, TimeProvider time, TimeSpan? timeout = null)
    {
        _options = options;
        var sid = options.AccountSid is { Length: > 0 } s ? s : throw new ArgumentException("Permanence:Twilio:AccountSid is not set.", nameof(options));
        var token = options.AuthToken is { Length: > 0 } t ? t : throw new ArgumentException("Permanence:Twilio:AuthToken is not set.", nameof(options));
        _from = new PhoneNumber(options.FromNumber is { Length: > 0 } f ? f : throw new ArgumentException("Permanence:Twilio:FromNumber is not set.", nameof(options)));
        _client = new TwilioRestClient(sid, token, httpClient: new Twilio.Http.SystemNetHttpClient(CreateClient(options.BaseUrl, time, timeout)));
    }

    /// <summary>
    /// The HTTP client under the SDK: the attempt's handler, then the base-URL rewrite when one is configured
    /// (the SDK always builds https://api.twilio.com URLs), no redirects, bounded connect and overall time.
    /// </summary>
    private static HttpClient CreateClient(string? baseUrl, TimeProvider time, TimeSpan? timeout)
    {
        var limit = timeout ?? DefaultTimeout;
        HttpMessageHandler handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = limit,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        if (baseUrl is { Length: > 0 })
        {
            handler = new BaseUrlRewriteHandler(new Uri(baseUrl, UriKind.Absolute)) { InnerHandler = handler };
        }
        return new HttpClient(new CallHandler(time) { InnerHandler = handler }) { Timeout = limit };
    }

    public async Task<DeliveryOutcome> SendAsync(SmsNotification sms, CancellationToken cancellationToken)
    {
        var attempt = new Attempt(cancellationToken);
        Current.Value = attempt; // flows into the SDK's call below; this async method restores it on return
        try
        {
            var message = await MessageResource.CreateAsync(to: new PhoneNumber(sms.To), from: _from, body: sms.Body, client: _client);
            return new DeliveryOutcome.Sent(message?.Sid);
        }
        catch (ApiException e)
        {
            return Classify(e.Status, e.Code, e.Message, attempt, sms);
        }
        catch (ApiStandardException e)
        {
            return Classify(e.Status, e.Code, e.Message, attempt, sms);
        }
        catch (ApiConnectionException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (ApiConnectionException e)
        {
            return e.InnerException switch
            {
                OperationCanceledException or TimeoutException => new DeliveryOutcome.Transient("timeout"),
                HttpRequestException http => new DeliveryOutcome.Transient($"connection failed: {http.HttpRequestError}"),
                _ => new DeliveryOutcome.Transient("connection failed"),
            };
        }
    }

    private DeliveryOutcome Classify(int reportedStatus, int code, string? message, Attempt attempt, SmsNotification sms)
    {
        var status = reportedStatus != 0 ? reportedStatus : attempt.Status ?? 0;
        var twilio = code != 0 ? $" (Twilio error {code})" : "";
        return status switch
        {
            // Twilio took the message but its reply did not read as one: it is sent, only its SID is unknown.
            >= 200 and < 300 => new DeliveryOutcome.Sent(null),
            429 => new DeliveryOutcome.Transient($"HTTP 429: rate limited{twilio}", attempt.RetryAfter),
            408 or >= 500 => new DeliveryOutcome.Transient($"HTTP {status}{twilio}", attempt.RetryAfter),
            0 => new DeliveryOutcome.Transient("no answer from Twilio"),
            _ => new DeliveryOutcome.Permanent($"HTTP {status}{twilio}: {Reason(code, message, sms)}"),
        };
    }

    /// <summary>
    /// A short reason; Twilio's own message often quotes the number (21211: "The 'To' number +33… is not
    /// valid"), so the known codes get a fixed text and any other message is stored with the secrets and numbers
    /// masked. Codes: https://www.twilio.com/docs/api/errors.
    /// </summary>
    private string Reason(int code, string? message, SmsNotification sms) => code switch
    {
        21211 => "invalid 'To' number",
        21614 => "'To' is not a mobile number",
        21610 => "the recipient replied STOP",
        21408 => "sending to this region is not enabled",
        20003 => "authentication failed",
        _ => ProviderReplies.Redact(message is { Length: > 0 } ? message : "rejected", MaxReasonLength,
            _options.AuthToken, _options.AccountSid, sms.To, _options.FromNumber),
    };

    /// <summary>What the handler learns of the attempt's HTTP exchange.</summary>
    private sealed class Attempt(CancellationToken cancellationToken)
    {
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public int? Status { get; set; }
        public TimeSpan? RetryAfter { get; set; }
    }

    /// <summary>Cancels with the caller's token, and keeps the status and Retry-After of the reply.</summary>
    private sealed class CallHandler(TimeProvider time) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Current.Value is not { } attempt)
            {
                return await base.SendAsync(request, cancellationToken);
            }
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.CancellationToken);
            var response = await base.SendAsync(request, linked.Token);
            attempt.Status = (int)response.StatusCode;
            attempt.RetryAfter = ProviderReplies.RetryAfter(response.Headers.RetryAfter, time);
            return response;
        }
    }
}

/// <summary>
/// Sends each request to <paramref name="baseUrl"/> instead of the host the SDK chose: scheme, host and port
/// replaced, the base URL's path (if any) put before the request's path, the query kept. For
/// <c>Permanence:Twilio:BaseUrl</c> (a test sink or a relay).
/// </summary>
public sealed class BaseUrlRewriteHandler(Uri baseUrl) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { IsAbsoluteUri: true } original)
        {
            request.RequestUri = new UriBuilder(original)
            {
                Scheme = baseUrl.Scheme,
                Host = baseUrl.Host,
                Port = baseUrl.Port,
                Path = baseUrl.AbsolutePath.TrimEnd('/') + original.AbsolutePath,
            }.Uri;
        }
        return base.SendAsync(request, cancellationToken);
    }
}
