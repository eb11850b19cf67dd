using NodaTime;

namespace Permanence.Core.Routing;

public static class DeliveryStatus
{
    /// <summary>Intent written, result not yet: the attempt is in flight (or its sender died).</summary>
    public const string Sending = "sending";
    public const string Sent = "sent";

    /// <summary>A transient failure: another attempt is scheduled for <see cref="DeliveryAttempt.RetryAt"/>.</summary>
    public const string Retrying = "retrying";

    /// <summary>A permanent failure, or transient failures until retries ran out.</summary>
    public const string Failed = "failed";

    /// <summary>Nothing was sent: the contact has no address for the channel.</summary>
    public const string Skipped = "skipped";
}

/// <summary>One attempt to reach one contact on one channel at one step (README, "Routing").</summary>
public sealed record DeliveryAttempt
{
    public required string MessageId { get; init; }
    public required string ClientId { get; init; }
    public required int Step { get; init; }
    public required string ContactId { get; init; }
    public required string Channel { get; init; }

    /// <summary>0 for the first attempt of this contact and channel at this step.</summary>
    public required int Attempt { get; init; }

    /// <summary>Where it went: an email address, an E.164 number, or a webhook URL without its query.</summary>
    public string? Target { get; init; }
    public required string Status { get; init; }
    public string? ProviderId { get; init; }
    public string? Error { get; init; }
    public required Instant CreatedAt { get; init; }
    public Instant? SentAt { get; init; }
    public Instant? RetryAt { get; init; }

    public bool IsFinished => Status is DeliveryStatus.Sent or DeliveryStatus.Failed or DeliveryStatus.Skipped;

    public bool SameTarget(DeliveryAttempt other) =>
        Step == other.Step && ContactId == other.ContactId && Channel == other.Channel;
}

public static class DeliveryAttempts
{
    /// <summary>The last attempt of each (step, contact, channel): what that delivery stands at now.</summary>
    public static List<DeliveryAttempt> LatestPerTarget(this IEnumerable<DeliveryAttempt> attempts) =>
        attempts.GroupBy(a => (a.Step, a.ContactId, a.Channel)).Select(g => g.MaxBy(a => a.Attempt)!).ToList();
}

public static class StepStatus
{
    /// <summary>The step's contacts were resolved and notified.</summary>
    public const string Ran = "ran";

    /// <summary>Nobody to notify (no one on call): the next step ran at once.</summary>
    public const string Skipped = "skipped";

    /// <summary>An acknowledgement arrived before the step's time: nothing sent.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>
/// A step of a message's escalation, written once when it first runs: the contacts resolved then (on call at
/// that moment) stay the step's contacts through retries and redeliveries.
/// </summary>
public sealed record StepRecord
{
    public required string MessageId { get; init; }
    public required string ClientId { get; init; }
    public required int Step { get; init; }
    public required string Status { get; init; }
    public required IReadOnlyList<string> Contacts { get; init; }
    public required Instant StartedAt { get; init; }
    public string? Reason { get; init; }

    /// <summary>The next step's command is on the queue.</summary>
    public bool NextScheduled { get; init; }
}

/// <summary>A contact's acknowledgement of a message, by link or SMS reply.</summary>
public sealed record Acknowledgement(string MessageId, string ClientId, string ContactId, string Channel, Instant At);

public static class AcknowledgementChannels
{
    public const string Link = "link";
    public const string Sms = "sms";
}

/// <summary>The code an SMS recipient may reply with to acknowledge, indexed by the recipient's number.</summary>
public sealed record SmsReplyCode(string Phone, string MessageId, string ClientId, string ContactId, string Code, Instant SentAt);
