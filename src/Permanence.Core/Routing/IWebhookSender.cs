namespace Permanence.Core.Routing;

/// <summary>Port: outbound webhooks signed per Standard Webhooks, never to private networks unless allowed.</summary>
public interface IWebhookSender
{
    /// <summary>Never throws for a delivery problem: says it with a <see cref="DeliveryOutcome"/>.</summary>
    Task<DeliveryOutcome> SendAsync(WebhookNotification webhook, CancellationToken cancellationToken);
}
