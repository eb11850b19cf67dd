using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;

namespace Permanence.Core.Routing;

/// <summary>
/// Routes a message through its escalation (README, "Routing"): one command = one step of one message, run
/// idempotently. Each (contact, channel) gets attempts whose intent is written before sending and whose result
/// after, so a redelivered or duplicated command never sends what was already sent. Waiting is always a command
/// scheduled on the queue: the next step after <c>ackWithinMinutes</c>, a retry after the backoff.
/// </summary>
public sealed class RoutingService(
    IMessageStore messages,
    ClientDirectory clients,
    IDeliveryStore deliveries,
    IAcknowledgementStore acknowledgements,
    IEmailSender email,
    ISmsSender sms,
    IWebhookSender webhooks,
    IFallbackEmailSender fallback,
    IRoutingQueue queue,
    AckTokens tokens,
    RoutingSettings settings,
    TimeProvider time,
    ILogger<RoutingService> logger) : IRoutingCommandHandler
{
    /// <summary>Delays before the retries of a transient failure: about 30 s, 2 min, 10 min, 30 min, 2 h.</summary>
    public static readonly IReadOnlyList<TimeSpan> Backoff =
        [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2)];

    /// <summary>An intent without a result older than this belongs to a sender that stopped: the outcome is unknown, and it is tried again.</summary>
    public static readonly Duration InFlightTimeout = Duration.FromMinutes(2);

    /// <summary>A retry whose time is this close counts as due (queues deliver a little early or late).</summary>
    private static readonly Duration DueSlack = Duration.FromSeconds(5);

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(2);

    /// <summary>A step this close to its time runs: clocks of instances differ by that much.</summary>
    private static readonly Duration EarlyTolerance = Duration.FromSeconds(1);

    /// <summary>A bound on a step's chain of retry commands, whatever duplicates a queue makes.</summary>
    private const int MaxRetryCommands = 50;

    /// <summary>The step number of the fallback email's delivery record: after every step of any policy.</summary>
    public const int FallbackStep = 99;
    public const string FallbackContact = "$fallback";

    private sealed record TargetState(bool Finished, bool Sent, Instant? RetryAt);

    public async Task HandleAsync(RoutingCommand command, CancellationToken cancellationToken)
    {
        if (command.Kind != RoutingCommand.Route)
        {
            logger.LogWarning("Routing command of unknown kind {Kind} for message {MessageId} dropped", command.Kind, command.MessageId);
            return;
        }
        var message = await messages.GetAsync(command.MessageId, cancellationToken);
        if (message is null || message.ClientId != command.ClientId)
        {
            logger.LogWarning("Routing command for unknown message {MessageId} of client {ClientId} dropped", command.MessageId, command.ClientId);
            return;
        }
        var history = await clients.GetHistoryAsync(message.ClientId, cancellationToken);
        var version = history?.VersionAt(message.TakenAt) ?? history?.Versions.FirstOrDefault();
        if (version is null)
        {
            logger.LogError("Message {MessageId} of client {ClientId} has no configuration to route by", message.Id, message.ClientId);
            return;
        }
        var steps = PolicyOf(version, message.Priority);
        if (command.Step < 0 || command.Step >= steps.Count)
        {
            return;
        }
        var stepConfig = steps[command.Step];
        var step = await deliveries.GetStepAsync(message.Id, command.Step, cancellationToken);
        if (step is null && await EarlyAsync(message, steps, command.Step, cancellationToken) is { } wait)
        {
            // Queues may deliver a scheduled command a little early (Storage queues count whole seconds): the
            // contacts keep their whole delay to acknowledge.
            await EnqueueAsync(message, command.Step, command.Attempt, wait, cancellationToken);
            return;
        }
        // Read once: it cancels a step not started yet, and stops the retries of one that has.
        var acknowledged = (await acknowledgements.ListAsync(message.Id, cancellationToken)).Count > 0;
        var added = false;
        if (step is null)
        {
            (step, added) = await StartStepAsync(message, version, stepConfig, command.Step, acknowledged, cancellationToken);
        }
        if (step.Status == StepStatus.Cancelled || acknowledged)
        {
            return;
        }

        var states = new List<TargetState>();
        if (step.Status == StepStatus.Ran)
        {
            // A step this command has just written has no attempts to read: an attempt is written only after its step.
            IReadOnlyList<DeliveryAttempt> attempts = added ? [] : await deliveries.ListAttemptsAsync(message.Id, cancellationToken);
            var work = new List<Task<TargetState>>();
            foreach (var contactId in step.Contacts)
            {
                foreach (var channel in stepConfig.Channels ?? [])
                {
                    work.Add(RunTargetAsync(message, version, step, stepConfig, contactId, channel, attempts, cancellationToken));
                }
            }
            states.AddRange(await Task.WhenAll(work));
        }
        var finished = states.All(s => s.Finished);
        var anySent = states.Any(s => s.Sent);

        var retries = states.Where(s => s.RetryAt is not null).Select(s => s.RetryAt!.Value).ToList();
        if (retries.Count > 0 && command.Attempt < MaxRetryCommands)
        {
            // Whoever set them: a consumer that died after recording a failure must not leave the retry unscheduled.
            await EnqueueAsync(message, command.Step, command.Attempt + 1, Later(retries.Min()), cancellationToken);
        }
        await ScheduleNextStepAsync(message, step, stepConfig, steps.Count, finished, anySent, cancellationToken);
        // A step that reached someone rules the fallback out: its two history queries are skipped on the common path.
        if (finished && !anySent)
        {
            await FallbackIfNobodyReachedAsync(message, version, steps.Count, cancellationToken);
        }
    }

    /// <summary>How long before step <paramref name="stepNumber"/> is due, when the previous one waits for an acknowledgement and is not due yet.</summary>
    private async Task<TimeSpan?> EarlyAsync(Message message, IReadOnlyList<EscalationStep> steps, int stepNumber, CancellationToken cancellationToken)
    {
        if (stepNumber == 0 || steps[stepNumber - 1].AckWithinMinutes is not { } minutes)
        {
            return null;
        }
        var previous = await deliveries.GetStepAsync(message.Id, stepNumber - 1, cancellationToken);
        if (previous is not { Status: StepStatus.Ran })
        {
            return null;
        }
        var due = previous.StartedAt + Duration.FromTicks((long)(minutes * TimeSpan.TicksPerMinute));
        if (due <= Now() + EarlyTolerance)
        {
            return null;
        }
        // A previous step that reached nobody does not wait (see ScheduleNextStepAsync).
        var latest = (await deliveries.ListAttemptsAsync(message.Id, cancellationToken))
            .Where(a => a.Step == stepNumber - 1)
            .LatestPerTarget();
        var reachedNobody = latest.All(a => a.IsFinished) && latest.All(a => a.Status != DeliveryStatus.Sent);
        return reachedNobody ? null : Later(due);
    }

    private static IReadOnlyList<EscalationStep> PolicyOf(ContractVersion version, Priority priority)
    {
        var escalation = version.Configuration.Escalation;
        var policy = priority switch
        {
            Priority.Critical => escalation?.Critical,
            Priority.Important => escalation?.Important,
            _ => escalation?.Standard,
        };
        return policy?.Steps?.Where(s => s is not null).ToList() ?? [];
    }

    /// <summary>The step as stored, and whether this call wrote it.</summary>
    private async Task<(StepRecord Step, bool Added)> StartStepAsync(Message message, ContractVersion version, EscalationStep stepConfig, int stepNumber, bool acknowledged, CancellationToken cancellationToken)
    {
        var now = Now();
        if (stepNumber > 0 && acknowledged)
        {
            logger.LogInformation("Message {MessageId} of client {ClientId} acknowledged: step {Step} and after cancelled", message.Id, message.ClientId, stepNumber);
            return await deliveries.AddStepAsync(new StepRecord
            {
                MessageId = message.Id,
                ClientId = message.ClientId,
                Step = stepNumber,
                Status = StepStatus.Cancelled,
                Contacts = [],
                StartedAt = now,
                Reason = "acknowledged",
            }, cancellationToken);
        }
        var contacts = new List<string>();
        string? reason = null;
        foreach (var target in stepConfig.Notify ?? [])
        {
            var contactId = target == Channels.OnCallPlaceholder ? version.OnCall.ContactAt(now) : target;
            if (contactId is null)
            {
                reason = "nobody on call";
                continue;
            }
            if (!contacts.Contains(contactId, StringComparer.Ordinal))
            {
                contacts.Add(contactId);
            }
        }
        var status = contacts.Count > 0 ? StepStatus.Ran : StepStatus.Skipped;
        if (status == StepStatus.Skipped)
        {
            logger.LogInformation("Message {MessageId} of client {ClientId}: step {Step} skipped ({Reason})", message.Id, message.ClientId, stepNumber, reason ?? "nobody to notify");
        }
        return await deliveries.AddStepAsync(new StepRecord
        {
            MessageId = message.Id,
            ClientId = message.ClientId,
            Step = stepNumber,
            Status = status,
            Contacts = contacts,
            StartedAt = now,
            Reason = status == StepStatus.Skipped ? reason ?? "nobody to notify" : null,
        }, cancellationToken);
    }

    private async Task<TargetState> RunTargetAsync(
        Message message,
        ContractVersion version,
        StepRecord step,
        EscalationStep stepConfig,
        string contactId,
        string channel,
        IReadOnlyList<DeliveryAttempt> attempts,
        CancellationToken cancellationToken)
    {
        var contact = version.Configuration.Contacts?.FirstOrDefault(c => c?.Id == contactId);
        var address = contact is null ? null : AddressOf(contact, channel, version.Region);
        var last = attempts.Where(a => a.Step == step.Step && a.ContactId == contactId && a.Channel == channel).MaxBy(a => a.Attempt);
        var now = Now();
        var template = new DeliveryAttempt
        {
            MessageId = message.Id,
            ClientId = message.ClientId,
            Step = step.Step,
            ContactId = contactId,
            Channel = channel,
            Attempt = last is null ? 0 : last.Attempt + 1,
            Target = address?.Display,
            Status = DeliveryStatus.Sending,
            CreatedAt = now,
        };
        if (address is null)
        {
            if (last is null)
            {
                await deliveries.TryAddAttemptAsync(template with { Status = DeliveryStatus.Skipped, Error = $"the contact has no {channel}" }, cancellationToken);
            }
            return new TargetState(Finished: true, Sent: false, RetryAt: null);
        }
        switch (last)
        {
            case { IsFinished: true }:
                return new TargetState(Finished: true, Sent: last.Status == DeliveryStatus.Sent, RetryAt: null);
            case { Status: DeliveryStatus.Sending } when now - last.CreatedAt < InFlightTimeout:
                // Another consumer has it, or had it and failed before recording the result: a command comes back
                // once the intent is stale, so the target is never left waiting for nobody.
                return new TargetState(Finished: false, Sent: false, RetryAt: last.CreatedAt + InFlightTimeout);
            case { Status: DeliveryStatus.Sending }:
                // Its sender stopped between intent and result: whether it went out is unknown. Trying again may
                // duplicate it (webhooks carry the same webhook-id, so receivers can tell); not trying may lose it.
                await deliveries.UpdateAttemptAsync(last with { Status = DeliveryStatus.Failed, Error = "interrupted: outcome unknown, tried again" }, cancellationToken);
                break;
            case { Status: DeliveryStatus.Retrying, RetryAt: { } due } when due > now + DueSlack:
                return new TargetState(Finished: false, Sent: false, RetryAt: due);
        }

        if (!await deliveries.TryAddAttemptAsync(template, cancellationToken))
        {
            return new TargetState(Finished: false, Sent: false, RetryAt: null); // a duplicate command got there first
        }
        var requiresAck = stepConfig.AckWithinMinutes is not null;
        var ackUrl = requiresAck ? settings.AckUrl(tokens.Issue(message.Id, contactId, step.StartedAt + AckTokens.Lifetime)) : null;
        var replyCode = requiresAck && channel == Channels.Sms ? tokens.ReplyCode(message.Id, contactId) : null;
        if (replyCode is not null)
        {
            await acknowledgements.AddReplyCodeAsync(new SmsReplyCode(address.Value, message.Id, message.ClientId, contactId, replyCode, now), cancellationToken);
        }
        var content = Content(message, version, ackUrl, replyCode);
        var deliveryId = $"{message.Id}.{step.Step}.{contactId}.{channel}";
        DeliveryOutcome outcome;
        try
        {
            outcome = channel switch
            {
                Channels.Email => await email.SendAsync(new EmailNotification(deliveryId, message.ClientId, message.Id, address.Value, contact!.Name,
                    NotificationTemplates.Subject(content, version.Configuration.Locale),
                    NotificationTemplates.HtmlBody(content, version.Configuration.Locale),
                    NotificationTemplates.TextBody(content, version.Configuration.Locale),
                    NotificationTemplates.CultureOf(version.Configuration.Locale)), cancellationToken),
                Channels.Sms => await sms.SendAsync(new SmsNotification(deliveryId, message.ClientId, message.Id, address.Value,
                    NotificationTemplates.Sms(content, version.Configuration.Locale)), cancellationToken),
                Channels.Webhook => await webhooks.SendAsync(new WebhookNotification(WebhookId(deliveryId), message.ClientId, message.Id,
                    new Uri(address.Value), contact!.Webhook!.Secret!, WebhookBody(message, version, step.Step, ackUrl)), cancellationToken),
                _ => new DeliveryOutcome.Permanent($"unknown channel {channel}"),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = new DeliveryOutcome.Transient($"unexpected {e.GetType().Name}");
        }
        var result = Result(template, outcome);
        await deliveries.UpdateAttemptAsync(result, cancellationToken);
        logger.LogInformation("Message {MessageId} of client {ClientId}: step {Step} {Channel} to contact {ContactId}, attempt {Attempt}: {Status} {Error}",
            message.Id, message.ClientId, step.Step, channel, contactId, result.Attempt, result.Status, result.Error);
        return new TargetState(result.IsFinished, result.Status == DeliveryStatus.Sent, result.RetryAt);
    }

    private DeliveryAttempt Result(DeliveryAttempt intent, DeliveryOutcome outcome)
    {
        var now = Now();
        switch (outcome)
        {
            case DeliveryOutcome.Sent sent:
                return intent with { Status = DeliveryStatus.Sent, ProviderId = sent.ProviderId, SentAt = now };
            case DeliveryOutcome.Transient transient when intent.Attempt < Backoff.Count:
                var delay = transient.RetryAfter is { } after && after > TimeSpan.Zero
                    ? (after > MaxRetryAfter ? MaxRetryAfter : after)
                    : Backoff[intent.Attempt];
                return intent with { Status = DeliveryStatus.Retrying, Error = transient.Error, RetryAt = now + Duration.FromTimeSpan(delay) };
            case DeliveryOutcome.Transient transient:
                return intent with { Status = DeliveryStatus.Failed, Error = $"{transient.Error} (no retry left)" };
            case DeliveryOutcome.Permanent permanent:
                return intent with { Status = DeliveryStatus.Failed, Error = permanent.Error };
            default:
                return intent with { Status = DeliveryStatus.Failed, Error = "unknown outcome" };
        }
    }

    private async Task ScheduleNextStepAsync(Message message, StepRecord step, EscalationStep stepConfig, int stepCount, bool finished, bool anySent, CancellationToken cancellationToken)
    {
        var next = step.Step + 1;
        if (next >= stepCount)
        {
            return;
        }
        var reachedNobody = step.Status == StepStatus.Skipped || (finished && !anySent);
        if (stepConfig.AckWithinMinutes is { } minutes && !reachedNobody)
        {
            if (step.NextScheduled)
            {
                return;
            }
            // From the time the step was sent, not from now: a redelivered command does not push the deadline.
            var due = step.StartedAt + Duration.FromTicks((long)(minutes * TimeSpan.TicksPerMinute));
            await EnqueueAsync(message, next, 0, Later(due), cancellationToken);
            await deliveries.MarkNextScheduledAsync(step, cancellationToken);
            return;
        }
        if (step.NextScheduled && !reachedNobody)
        {
            return;
        }
        // No acknowledgement to wait for (none asked, or nobody was reached): the next step runs at once. A
        // second command for it (the scheduled one firing later) finds it started and sends nothing again.
        await EnqueueAsync(message, next, 0, TimeSpan.Zero, cancellationToken);
        if (!step.NextScheduled)
        {
            await deliveries.MarkNextScheduledAsync(step, cancellationToken);
        }
    }

    private async Task FallbackIfNobodyReachedAsync(Message message, ContractVersion version, int stepCount, CancellationToken cancellationToken)
    {
        var steps = await deliveries.ListStepsAsync(message.Id, cancellationToken);
        if (Enumerable.Range(0, stepCount).Any(n => steps.All(s => s.Step != n)) || steps.Any(s => s.Status == StepStatus.Cancelled) ||
            (await acknowledgements.ListAsync(message.Id, cancellationToken)).Count > 0)
        {
            return; // a step has not run yet, or someone acknowledged (a webhook that timed out may still have arrived)
        }
        var attempts = await deliveries.ListAttemptsAsync(message.Id, cancellationToken);
        var latest = attempts.Where(a => a.Step != FallbackStep).LatestPerTarget();
        if (latest.Any(a => !a.IsFinished) || latest.Any(a => a.Status == DeliveryStatus.Sent) || attempts.Any(a => a.Step == FallbackStep))
        {
            return;
        }
        var intent = new DeliveryAttempt
        {
            MessageId = message.Id,
            ClientId = message.ClientId,
            Step = FallbackStep,
            ContactId = FallbackContact,
            Channel = Channels.Email,
            Attempt = 0,
            Target = settings.FallbackEmail ?? "outbox",
            Status = DeliveryStatus.Sending,
            CreatedAt = Now(),
        };
        if (!await deliveries.TryAddAttemptAsync(intent, cancellationToken))
        {
            return;
        }
        var content = Content(message, version, ackUrl: null, replyCode: null);
        var locale = version.Configuration.Locale;
        DeliveryOutcome outcome;
        try
        {
            outcome = await fallback.SendAsync(new EmailNotification($"{message.Id}.fallback", message.ClientId, message.Id, settings.FallbackEmail ?? "",
                "Permanence", NotificationTemplates.FallbackSubject(content, locale), NotificationTemplates.FallbackHtml(content, locale),
                NotificationTemplates.FallbackText(content, locale), NotificationTemplates.CultureOf(locale)), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = new DeliveryOutcome.Transient($"unexpected {e.GetType().Name}");
        }
        // One try: this is already the last resort, and the record tells the agency what happened.
        var result = Result(intent, outcome is DeliveryOutcome.Transient t ? new DeliveryOutcome.Permanent(t.Error) : outcome);
        await deliveries.UpdateAttemptAsync(result, cancellationToken);
        logger.LogWarning("Message {MessageId} of client {ClientId} reached no one: fallback email {Status}", message.Id, message.ClientId, result.Status);
    }

    private Task EnqueueAsync(Message message, int step, int attempt, TimeSpan delay, CancellationToken cancellationToken) =>
        queue.EnqueueAsync(new RoutingCommand(RoutingCommand.Route, message.ClientId, message.Id, step, attempt), delay, cancellationToken);

    private TimeSpan Later(Instant due)
    {
        var delay = (due - Now()).ToTimeSpan();
        return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
    }

    private Instant Now() => Instant.FromDateTimeOffset(time.GetUtcNow());

    private sealed record Address(string Value, string Display);

    private static Address? AddressOf(ContactConfiguration contact, string channel, string? region)
    {
        switch (channel)
        {
            case Channels.Email when !string.IsNullOrWhiteSpace(contact.Email):
                return new Address(contact.Email, contact.Email);
            case Channels.Sms when PhoneNumberNormalizer.TryNormalize(contact.Phone, region) is { } e164:
                return new Address(e164, e164);
            case Channels.Webhook when contact.Webhook is { Url: { } url, Secret: { } } && Uri.TryCreate(url, UriKind.Absolute, out var uri):
                // Paths and queries carry receivers' tokens (Slack, Teams): only the origin is recorded and shown.
                return new Address(url, uri.GetLeftPart(UriPartial.Authority).Replace(uri.UserInfo + "@", "", StringComparison.Ordinal));
            default:
                return null;
        }
    }

    private static NotificationContent Content(Message message, ContractVersion version, string? ackUrl, string? replyCode)
    {
        var scenario = version.Configuration.Scenarios?.FirstOrDefault(s => s?.Id == message.Scenario);
        return new NotificationContent(
            message.Id,
            version.Configuration.Name ?? version.ClientId,
            scenario?.Label ?? message.Scenario,
            message.Priority,
            message.Caller,
            message.Fields,
            message.Text,
            message.TakenAt.InZone(version.Zone),
            message.Qualification,
            ackUrl,
            replyCode);
    }

    private static string WebhookBody(Message message, ContractVersion version, int step, string? ackUrl)
    {
        var scenario = version.Configuration.Scenarios?.FirstOrDefault(s => s?.Id == message.Scenario);
        return new WebhookMessageBody(
            WebhookMessageBody.MessageRoutedType,
            message.Id,
            message.ClientId,
            message.CallId,
            message.Scenario,
            scenario?.Label ?? message.Scenario,
            message.Priority.ToWire(),
            message.Caller,
            message.Fields,
            message.Text,
            message.OperatorId,
            InstantPattern.ExtendedIso.Format(message.TakenAt),
            message.Qualification,
            step,
            ackUrl).ToJson();
    }

    /// <summary>The Standard Webhooks id of a delivery: the same on every retry, so receivers drop duplicates.</summary>
    private static string WebhookId(string deliveryId)
    {
        var digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(deliveryId));
        return $"msg_{Convert.ToHexStringLower(digest)[..32]}";
    }
}
