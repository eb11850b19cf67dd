using System.Globalization;
using StandardWebhooks;

namespace Permanence.Infrastructure.Webhooks;

/// <summary>The Standard Webhooks headers of one delivery: <c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>.</summary>
public sealed record WebhookSignatureHeaders(string Id, string Timestamp, string Signature);

/// <summary>
/// Signs outbound webhooks as Standard Webhooks v1 (HMAC-SHA256 over "id.timestamp.body" with the contact's
/// <c>whsec_</c> secret), with the StandardWebhooks library; how a receiver verifies them: docs/guides/webhooks.md.
/// </summary>
public static class WebhookSigner
{
    public static WebhookSignatureHeaders Sign(string secret, string messageId, DateTimeOffset sentAt, string body) =>
        new(messageId,
            sentAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            new StandardWebhook(secret).Sign(messageId, sentAt, body));
}
