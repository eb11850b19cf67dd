namespace Permanence.Core.Routing;

/// <summary>Port: SMS (Twilio in production, the outbox container when no account is configured).</summary>
public interface ISmsSender
{
    /// <summary>Never throws for a delivery problem: says it with a <see cref="DeliveryOutcome"/>.</summary>
    Task<DeliveryOutcome> SendAsync(SmsNotification sms, CancellationToken cancellationToken);
}
