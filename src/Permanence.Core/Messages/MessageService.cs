using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Routing;
using Permanence.Core.Security;

namespace Permanence.Core.Messages;

public abstract record AcceptMessageResult
{
    public sealed record Accepted(Message Message, bool Replayed) : AcceptMessageResult;

    public sealed record Invalid(ValidationErrors Errors) : AcceptMessageResult;

    public sealed record Forbidden : AcceptMessageResult;

    public sealed record IdempotencyConflict : AcceptMessageResult;
}

/// <summary>
/// Accepts operators' messages (README, "Messages") and hands each to routing exactly once in effect: an outbox
/// marker, then the message, then the routing command; a crash or a failed enqueue in between leaves the
/// marker, and <see cref="SweepAsync"/> enqueues later.
/// </summary>
public sealed class MessageService(
    IMessageStore messages,
    IMessageIndex index,
    ICallStore calls,
    IRoutingQueue queue,
    ClientDirectory clients,
    TimeProvider time,
    ILogger<MessageService> logger)
{
    /// <summary>How long a marker may wait before the sweeper takes over (the request that wrote it is done by then).</summary>
    public static readonly Duration SweepGrace = Duration.FromMinutes(1);

    /// <summary>A marker without a message this old belongs to a write that never happened.</summary>
    public static readonly Duration AbandonedAfter = Duration.FromMinutes(15);

    // Bounds of free text (README, "Limits"): generous for what an operator types, far below storage limits.
    public const int MaxNameLength = 200;
    public const int MaxEmailLength = 254;
    public const int MaxTextLength = 20_000;
    public const int MaxFields = 100;
    public const int MaxFieldValueLength = 4_000;

    public async Task<AcceptMessageResult> AcceptAsync(MessageInput input, ApiPrincipal principal, string? idempotencyKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (!Identifiers.IsValidClientId(input.ClientId))
        {
            errors.Add("clientId", "is required: 1-64 lowercase letters, digits or inner hyphens");
        }
        else if (!principal.CanAccess(input.ClientId!))
        {
            return new AcceptMessageResult.Forbidden();
        }
        // A replay is answered from what was stored the first time, before anything else is judged again: a
        // faithful retry gets the first answer even if the world changed since (a call arrived, a version began).
        var replayId = idempotencyKey is { Length: > 0 and <= 200 } ? IdempotentId(principal, idempotencyKey) : null;
        if (replayId is not null && await messages.GetAsync(replayId, cancellationToken) is { } earlier && principal.CanAccess(earlier.ClientId))
        {
            if (earlier.RequestHash != Digest(body.Span))
            {
                return new AcceptMessageResult.IdempotencyConflict();
            }
            await EnsureIndexedAsync(earlier, cancellationToken); // a retry after a failed index write writes it
            return new AcceptMessageResult.Accepted(earlier, Replayed: true);
        }
        if (string.IsNullOrWhiteSpace(input.Scenario))
        {
            errors.Add("scenario", "is required");
        }
        else if (!Identifiers.IsValidExternalId(input.Scenario))
        {
            errors.Add("scenario", "must be letters, digits, '.', '_', ':' or '-'");
        }
        if (input.CallId is not null && !IsCallReference(input.CallId))
        {
            errors.Add("callId", "must be provider:callId, such as aircall:1234567");
        }
        if (input.OperatorId is not null && !Identifiers.IsValidExternalId(input.OperatorId))
        {
            errors.Add("operatorId", "must be letters, digits, '.', '_', ':' or '-'");
        }
        if (input.Fields is { Count: > MaxFields })
        {
            errors.Add("fields", $"must hold at most {MaxFields} fields");
        }
        foreach (var (name, value) in input.Fields ?? [])
        {
            if (!Identifiers.IsValidExternalId(name))
            {
                errors.Add("fields", $"field names must be letters, digits, '.', '_', ':' or '-'");
            }
            else
            {
                CheckText(value, MaxFieldValueLength, $"fields.{name}", errors);
            }
        }
        Limits.CheckShortText(input.Caller?.Name, MaxNameLength, "caller.name", errors);
        Limits.CheckShortText(input.Caller?.Phone, Limits.MaxPhoneTextLength, "caller.phone", errors);
        Limits.CheckShortText(input.Caller?.Email, MaxEmailLength, "caller.email", errors);
        CheckText(input.Text, MaxTextLength, "text", errors);
        Instant takenAt = default;
        var parsed = InstantPattern.ExtendedIso.Parse(input.TakenAt ?? "");
        if (!parsed.Success)
        {
            errors.Add("takenAt", "is required: an ISO-8601 UTC timestamp such as 2026-10-05T19:42:10Z");
        }
        else if (!Limits.IsInRange(parsed.Value))
        {
            errors.Add("takenAt", Limits.TimestampRangeMessage);
        }
        else
        {
            takenAt = parsed.Value;
        }
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 200))
        {
            errors.Add("Idempotency-Key", "must be 1 to 200 characters");
        }
        var history = errors.Contains("clientId") ? null : await clients.GetHistoryAsync(input.ClientId!, cancellationToken);
        if (history is null && !errors.Contains("clientId"))
        {
            errors.Add("clientId", "is not a known client");
        }
        if (history is not null && input.CallId is not null && !errors.Contains("callId") &&
            await CallOfAnotherClientAsync(input.CallId, input.ClientId!, cancellationToken))
        {
            // Said the same way whether the call is another client's or unmatched: nothing about others leaks.
            errors.Add("callId", "is not a call of this client");
        }
        if (!errors.IsEmpty)
        {
            return new AcceptMessageResult.Invalid(errors);
        }

        var version = history!.VersionAt(takenAt) ?? history.Versions[0];
        var qualified = MessageQualifier.Qualify(version, input);
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        var message = new Message
        {
            Id = idempotencyKey is null ? $"msg-{Guid.CreateVersion7():N}" : IdempotentId(principal, idempotencyKey),
            ClientId = input.ClientId!,
            CallId = input.CallId,
            Scenario = input.Scenario!,
            Caller = input.Caller is null ? null : input.Caller with { Phone = qualified.CallerPhoneE164 ?? input.Caller.Phone },
            Fields = input.Fields ?? [],
            Text = input.Text,
            OperatorId = input.OperatorId,
            TakenAt = takenAt,
            ReceivedAt = now,
            Priority = qualified.Priority,
            Qualification = qualified.Qualification,
            ConfigurationVersion = version.Version,
            RequestHash = Digest(body.Span),
            SubmittedBy = principal.KeyId,
            RoutingState = RoutingState.Pending,
        };

        if (!messages.CanStore(message))
        {
            errors.Add("body", "is too large to store: shorten the text or the fields");
            return new AcceptMessageResult.Invalid(errors);
        }

        // A retried request keeps the marker's first time: a retry must not keep the sweeper away.
        await messages.AddPendingRoutingAsync(message.Id, message.ClientId, now, cancellationToken);
        if (await messages.AddAsync(message, cancellationToken) == AddOutcome.AlreadyExists)
        {
            // Two requests with the same key raced: the other one stored it first.
            var first = await messages.GetAsync(message.Id, cancellationToken)
                ?? throw new InvalidOperationException("A message reported as existing could not be read.");
            if (first.RoutingState == RoutingState.Enqueued)
            {
                await TryRemoveMarkerAsync(message.Id, cancellationToken);
            }
            return Replay(first, message);
        }

        // A failed index write leaves the routing marker in place: the sweeper writes the entry, then removes it.
        var indexed = await TryIndexAsync(message, cancellationToken);
        logger.LogInformation("Message {MessageId} accepted for client {ClientId}: priority {Priority}, complete {Complete}",
            message.Id, message.ClientId, message.Priority, message.Qualification.Complete);
        await TryEnqueueAsync(message.Id, message.ClientId, cancellationToken, removeMarker: indexed);
        return new AcceptMessageResult.Accepted(message with { RoutingState = RoutingState.Enqueued }, Replayed: false);
    }

    /// <summary>
    /// The client-and-month index of messages (docs/architecture.md, "Calls by client and month"), written after the
    /// message: if it fails the request fails, and its retry with the same Idempotency-Key writes it.
    /// </summary>
    private async Task IndexAsync(Message message, CancellationToken cancellationToken) =>
        await index.UpsertAsync(message.ClientId, await MonthOfAsync(message, cancellationToken),
            new MessageIndexEntry(message.Id, message.TakenAt, message.Priority, message.Scenario, message.Qualification.Complete), cancellationToken);

    private async Task<bool> TryIndexAsync(Message message, CancellationToken cancellationToken)
    {
        try
        {
            await IndexAsync(message, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Indexing message {MessageId} by month failed; the sweeper will index it", message.Id);
            return false;
        }
    }

    private async Task EnsureIndexedAsync(Message message, CancellationToken cancellationToken)
    {
        if (!await index.ContainsAsync(message.ClientId, await MonthOfAsync(message, cancellationToken), message.Id, cancellationToken))
        {
            await IndexAsync(message, cancellationToken);
        }
    }

    private async Task<YearMonth> MonthOfAsync(Message message, CancellationToken cancellationToken)
    {
        var history = await clients.GetHistoryAsync(message.ClientId, cancellationToken);
        return history?.MonthOf(message.TakenAt) ?? message.TakenAt.InUtc().Date.ToYearMonth();
    }

    /// <summary>The id of a message sent with an Idempotency-Key: the same key from another API key is another message.</summary>
    private static string IdempotentId(ApiPrincipal principal, string idempotencyKey) => $"msg-{Digest($"{principal.KeyId}\n{idempotencyKey}")[..32]}";

    private static AcceptMessageResult Replay(Message first, Message again) =>
        first.RequestHash == again.RequestHash
            ? new AcceptMessageResult.Accepted(first, Replayed: true)
            : new AcceptMessageResult.IdempotencyConflict();

    public Task<Message?> GetAsync(string id, CancellationToken cancellationToken) =>
        Identifiers.IsValidExternalId(id) ? messages.GetAsync(id, cancellationToken) : Task.FromResult<Message?>(null);

    /// <summary>Enqueues the routing of every message whose marker outlived <see cref="SweepGrace"/>; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        var enqueued = 0;
        foreach (var pending in await messages.ListPendingRoutingAsync(now - SweepGrace, 500, cancellationToken))
        {
            var message = await messages.GetAsync(pending.MessageId, cancellationToken);
            if (message is null)
            {
                if (now - pending.Since > AbandonedAfter)
                {
                    await messages.RemovePendingRoutingAsync(pending.MessageId, cancellationToken);
                }
                continue;
            }
            await EnsureIndexedAsync(message, cancellationToken);
            if (message.RoutingState == RoutingState.Enqueued)
            {
                await messages.RemovePendingRoutingAsync(pending.MessageId, cancellationToken);
                continue;
            }
            if (!await messages.TryClaimPendingRoutingAsync(pending, now, cancellationToken))
            {
                continue; // another sweeper (instance) took it
            }
            if (await TryEnqueueAsync(message.Id, message.ClientId, cancellationToken))
            {
                logger.LogInformation("Sweeper enqueued routing of message {MessageId} pending since {Since}", message.Id, pending.Since);
                enqueued++;
            }
        }
        return enqueued;
    }

    private async Task<bool> TryEnqueueAsync(string messageId, string clientId, CancellationToken cancellationToken, bool removeMarker = true)
    {
        try
        {
            await queue.EnqueueAsync(new RoutingCommand(RoutingCommand.Route, clientId, messageId, Step: 0, Attempt: 0), TimeSpan.Zero, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The message is stored and its marker stays: the sweeper enqueues it later. Nothing is lost.
            logger.LogWarning(e, "Enqueueing routing of message {MessageId} failed; the sweeper will retry", messageId);
            return false;
        }
        try
        {
            await messages.SetRoutingStateAsync(messageId, RoutingState.Enqueued, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The command is on the queue: the message is accepted. The marker stays, and routing ignores a
            // command enqueued twice, so a later sweep costs nothing.
            logger.LogWarning(e, "Recording the routing state of message {MessageId} failed after it was enqueued", messageId);
            return true;
        }
        if (removeMarker)
        {
            await TryRemoveMarkerAsync(messageId, cancellationToken);
        }
        return true;
    }

    private async Task TryRemoveMarkerAsync(string messageId, CancellationToken cancellationToken)
    {
        try
        {
            await messages.RemovePendingRoutingAsync(messageId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A marker left behind is removed by the sweeper once it sees the message enqueued.
            logger.LogWarning(e, "Removing the routing marker of message {MessageId} failed; the sweeper will remove it", messageId);
        }
    }

    private async Task<bool> CallOfAnotherClientAsync(string callReference, string clientId, CancellationToken cancellationToken)
    {
        var colon = callReference.IndexOf(':', StringComparison.Ordinal);
        var call = await calls.GetAsync(callReference[..colon], callReference[(colon + 1)..], cancellationToken);
        // A call not received yet is fine (the message is often taken before the call's last event arrives).
        return call is not null && call.ClientId != clientId;
    }

    /// <summary>Free text: bounded; line breaks and tabs allowed, other control characters refused.</summary>
    private static void CheckText(string? value, int maxLength, string path, ValidationErrors errors)
    {
        if (value is null)
        {
            return;
        }
        if (value.Length > maxLength)
        {
            errors.Add(path, $"must be at most {maxLength} characters");
        }
        else if (value.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
        {
            errors.Add(path, "must not contain control characters other than line breaks and tabs");
        }
    }

    private static bool IsCallReference(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && Identifiers.IsValidClientId(value[..colon]) && Identifiers.IsValidExternalId(value[(colon + 1)..]);
    }

    private static string Digest(string value) => Digest(Encoding.UTF8.GetBytes(value));

    private static string Digest(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
