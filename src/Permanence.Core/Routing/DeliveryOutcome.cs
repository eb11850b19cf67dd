namespace Permanence.Core.Routing;

/// <summary>What a channel adapter says about one attempt.</summary>
public abstract record DeliveryOutcome
{
    /// <summary>The provider took it; <paramref name="ProviderId"/> is its id when it gives one.</summary>
    public sealed record Sent(string? ProviderId) : DeliveryOutcome;

    /// <summary>Timeout, refused connection, 429 or 5xx: worth another attempt, after <paramref name="RetryAfter"/> when the provider said so.</summary>
    public sealed record Transient(string Error, TimeSpan? RetryAfter = null) : DeliveryOutcome;

    /// <summary>Another 4xx, an invalid address, a refused target: another attempt would fail the same way.</summary>
    public sealed record Permanent(string Error) : DeliveryOutcome;
}

/// <summary>An email to send. <paramref name="DeliveryId"/> is stable across the attempts of one delivery.</summary>
public sealed record EmailNotification(
    string DeliveryId,
    string ClientId,
    string MessageId,
    string To,
    string? ToName,
    string Subject,
    string Html,
    string Text,
    string Locale,
    IReadOnlyList<EmailAttachment>? Attachments = null);

/// <summary>A file sent with an email (the monthly report's CSV).</summary>
public sealed record EmailAttachment(string FileName, string ContentType, ReadOnlyMemory<byte> Content);

/// <summary>An SMS to send (at most two segments, see <see cref="SmsText"/>).</summary>
public sealed record SmsNotification(string DeliveryId, string ClientId, string MessageId, string To, string Body);

/// <summary>A signed webhook POST. <paramref name="WebhookId"/> is the <c>webhook-id</c>, stable across retries.</summary>
public sealed record WebhookNotification(string WebhookId, string ClientId, string MessageId, Uri Url, string Secret, string Body);
