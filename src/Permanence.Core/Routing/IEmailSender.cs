namespace Permanence.Core.Routing;

/// <summary>Port: email (SendGrid in production, the outbox container when no API key is configured).</summary>
public interface IEmailSender
{
    /// <summary>Never throws for a delivery problem: says it with a <see cref="DeliveryOutcome"/>.</summary>
    Task<DeliveryOutcome> SendAsync(EmailNotification email, CancellationToken cancellationToken);
}
