namespace Permanence.Core.Routing;

/// <summary>
/// Port: the one email to the agency's fallback address when a message reached no one (README, "Routing"):
/// the configured supervisor's address through the email channel, or the outbox when none is configured.
/// </summary>
public interface IFallbackEmailSender
{
    /// <summary><see cref="EmailNotification.To"/> is ignored: the adapter knows the address.</summary>
    Task<DeliveryOutcome> SendAsync(EmailNotification email, CancellationToken cancellationToken);
}
