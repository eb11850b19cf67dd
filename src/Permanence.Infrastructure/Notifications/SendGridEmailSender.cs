using System.Net.Mail;
using System.Text.Json;
using Permanence.Core.Routing;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace Permanence.Infrastructure.Notifications;

/// <summary>
/// Email through SendGrid's v3 mail send API, used when <c>Permanence:SendGrid:ApiKey</c> is set (README,
/// "Configuration"). One attempt per call: the SDK's own retries are off (they only exist on clients it builds
/// itself), because retries and their delays belong to the routing steps, which record each attempt.
/// </summary>
public sealed class SendGridEmailSender : IEmailSender
{
    public const string DefaultBaseUrl = "https://api.sendgrid.com";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The custom arg that ties SendGrid's events back to the message: an id, no personal data.</summary>
    public const string MessageIdArg = "permanence_message_id";

    private const int MaxReasonLength = 200;

    private readonly SendGridClient _client;
    private readonly string _apiKey;
    private readonly EmailAddress _from;
    private readonly TimeProvider _time;

    /// <summary>With a client of its own (<see cref="CreateClient"/>); <paramref name="timeout"/> defaults to 10 s.</summary>
    public SendGridEmailSender(SendGridOptions options, TimeProvider time, TimeSpan? timeout = null)
        : this(CreateClient(timeout), options, time)
    {
    }

    public SendGridEmailSender(HttpClient http, SendGridOptions options, TimeProvider time)
    {
        _apiKey = options.ApiKey is { Length: > 0 } key ? key : throw new ArgumentException("Permanence:SendGrid:ApiKey is not set.", nameof(options));
        // "name <address>" or a bare address, as validated on start.
        _from = MailAddress.TryCreate(options.FromEmail, out var from)
            ? new EmailAddress(from.Address, from.DisplayName is { Length: > 0 } display ? display : null)
            : throw new ArgumentException("Permanence:SendGrid:FromEmail is not an email address.", nameof(options));
        _time = time;
        _client = new SendGridClient(http, new SendGridClientOptions
        {
            ApiKey = _apiKey,
            Host = options.BaseUrl is { Length: > 0 } baseUrl ? baseUrl : DefaultBaseUrl,
        });
    }

    /// <summary>No redirects (an API call is never redirected legitimately), bounded connect and overall time.</summary>
    public static HttpClient CreateClient(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        return new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = limit,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        { Timeout = limit };
    }

    public async Task<DeliveryOutcome> SendAsync(EmailNotification email, CancellationToken cancellationToken)
    {
        var message = new SendGridMessage
        {
            From = _from,
            Subject = email.Subject,
            PlainTextContent = email.Text,
            HtmlContent = email.Html,
        };
        message.AddTo(new EmailAddress(email.To, email.ToName is { Length: > 0 } name ? name : null));
        message.AddCustomArg(MessageIdArg, email.MessageId);
        foreach (var attachment in email.Attachments ?? [])
        {
            message.AddAttachment(attachment.FileName, Convert.ToBase64String(attachment.Content.Span), attachment.ContentType);
        }
        try
        {
            var response = await _client.SendEmailAsync(message, cancellationToken);
            using var body = response.Body;
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return new DeliveryOutcome.Sent(response.Headers.TryGetValues("X-Message-Id", out var ids) ? ids.FirstOrDefault() : null);
            }
            var retryAfter = ProviderReplies.RetryAfter(response.Headers.RetryAfter, _time);
            return status switch
            {
                429 => new DeliveryOutcome.Transient("HTTP 429: rate limited", retryAfter),
                408 or >= 500 => new DeliveryOutcome.Transient($"HTTP {status}", retryAfter),
                _ => new DeliveryOutcome.Permanent($"HTTP {status}: {await ReasonAsync(body, email, cancellationToken)}"),
            };
        }
        catch (HttpRequestException e)
        {
            return new DeliveryOutcome.Transient($"connection failed: {e.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryOutcome.Transient("timeout");
        }
    }

    /// <summary>
    /// The first of SendGrid's errors (<c>{"errors":[{"message","field"}]}</c>), short, without the key or the
    /// recipient: the reason is stored with the delivery, which must not become a copy of personal data.
    /// </summary>
    private async Task<string> ReasonAsync(HttpContent? body, EmailNotification email, CancellationToken cancellationToken)
    {
        var reason = "rejected";
        if (body is not null)
        {
            try
            {
                using var json = JsonDocument.Parse(await body.ReadAsStringAsync(cancellationToken));
                if (json.RootElement.ValueKind == JsonValueKind.Object
                    && json.RootElement.TryGetProperty("errors", out var errors)
                    && errors.ValueKind == JsonValueKind.Array
                    && errors.GetArrayLength() > 0
                    && errors[0].ValueKind == JsonValueKind.Object)
                {
                    var first = errors[0];
                    var message = first.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    var field = first.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                    if (message is { Length: > 0 })
                    {
                        reason = field is { Length: > 0 } ? $"{message} ({field})" : message;
                    }
                }
            }
            catch (JsonException)
            {
                // Not SendGrid's error shape (a proxy's page, say): the status alone says enough.
            }
            catch (HttpRequestException)
            {
                // The body broke off: the status alone says enough.
            }
        }
        return ProviderReplies.Redact(reason, MaxReasonLength, _apiKey, email.To, email.ToName);
    }
}
