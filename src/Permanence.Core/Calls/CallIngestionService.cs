using NodaTime;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Security;

namespace Permanence.Core.Calls;

public abstract record CallIngestResult
{
    public sealed record Stored(CallRecord Record) : CallIngestResult
    {
        public bool Matched => Record.ClientId is not null;
    }

    public sealed record Invalid(ValidationErrors Errors) : CallIngestResult;

    /// <summary>The caller may not reach the call's client (or, for an unmatched call, is not scoped to every client).</summary>
    public sealed record Forbidden : CallIngestResult;

    /// <summary>The event names another client than the one the call already belongs to; the caller can see both.</summary>
    public sealed record ClientConflict(string StoredClientId) : CallIngestResult;
}

/// <summary>
/// Finds each call's client, normalises its numbers and merges the event into the call record. A call's client,
/// once set, never changes: an event naming another client is refused and writes nothing.
/// </summary>
public sealed class CallIngestionService(ICallStore calls, ICallIndex index, ClientDirectory clients, TimeProvider time)
{
    /// <summary>Providers whose calls arrive through their own signed webhook: their call ids are theirs to give.</summary>
    public static readonly IReadOnlySet<string> WebhookProviders = new HashSet<string>(StringComparer.Ordinal)
    {
        TwilioVoicePayload.Provider, AircallPayload.Provider,
    };

    public async Task<CallIngestResult> IngestAsync(CallObservation observation, IClientScope scope, CancellationToken cancellationToken)
    {
        // A key scoped to some clients cannot create records under a webhook provider's ids: it could otherwise
        // take a call id before the provider sends the real call.
        if (!scope.AllClients && WebhookProviders.Contains(observation.Provider))
        {
            return new CallIngestResult.Forbidden();
        }
        var existing = await calls.GetAsync(observation.Provider, observation.CallId, cancellationToken);
        // Refused early on what is stored (the same decision is taken again on the record the merge overwrites).
        if (existing is not null && Admit(existing, observation.ClientId, derivedClientId: null, scope) is { Refusal: { } early })
        {
            return early;
        }

        var explicitClientId = observation.ClientId;
        if (explicitClientId is not null)
        {
            if (!scope.CanAccess(explicitClientId))
            {
                return new CallIngestResult.Forbidden();
            }
            if (await clients.GetHistoryAsync(explicitClientId, cancellationToken) is null)
            {
                var errors = new ValidationErrors();
                errors.Add("clientId", "is not a known client");
                return new CallIngestResult.Invalid(errors);
            }
        }

        // A call is matched by the owner of its number at the call's start.
        var at = Earliest(existing?.StartedAt, observation.StartedAt)
            ?? observation.AnsweredAt ?? observation.EndedAt ?? existing?.AnsweredAt ?? existing?.EndedAt
            ?? Instant.FromDateTimeOffset(time.GetUtcNow());
        string? derivedClientId = null;
        var line = observation.Direction == CallDirections.Outbound ? observation.From : observation.To;
        if (line is null && observation.Direction is null)
        {
            line = observation.From;
        }
        var lineE164 = PhoneNumberNormalizer.TryNormalize(line, null);
        if (lineE164 is not null)
        {
            derivedClientId = await clients.FindNumberOwnerAsync(lineE164, at, cancellationToken);
        }
        // The number says who the call belongs to. A key scoped to some clients must name the number's owner (a
        // free number included, so the answer says nothing about whose number it is); a key scoped to every client
        // may name a client for a number nobody owns.
        if (explicitClientId is not null && lineE164 is not null && derivedClientId != explicitClientId &&
            (derivedClientId is not null || !scope.AllClients))
        {
            var errors = new ValidationErrors();
            errors.Add("clientId", "does not own the call's number at the call's start");
            return new CallIngestResult.Invalid(errors);
        }
        // Provider webhooks (signed, not scoped): when a number changed owner during a call whose events arrive out
        // of order, the call keeps the client it was first stored under rather than losing the event.
        var ownerForConflict = ReferenceEquals(scope, ClientScope.Everyone) ? null : derivedClientId;

        string? region = null;
        if ((existing?.ClientId ?? explicitClientId ?? derivedClientId) is { } regionClient &&
            await clients.GetHistoryAsync(regionClient, cancellationToken) is { } history)
        {
            region = (history.VersionAt(at) ?? history.Latest)?.Region;
        }
        // A caller number that cannot be parsed (withheld, short code) is kept as received.
        var normalized = observation with
        {
            From = PhoneNumberNormalizer.TryNormalize(observation.From, region) ?? observation.From,
            To = PhoneNumberNormalizer.TryNormalize(observation.To, region) ?? observation.To,
        };

        CallIngestResult? refusal = null;
        CallRecord? before = null;
        var outcome = await calls.MergeAsync(observation.Provider, observation.CallId, current =>
        {
            before = current;
            var (clientId, refused) = current?.ClientId is null
                ? Admit(current, explicitClientId, derivedClientId, scope)
                : Admit(current, explicitClientId, ownerForConflict, scope);
            refusal = refused;
            return refused is null ? normalized with { ClientId = clientId } : null;
        }, cancellationToken);
        if (!outcome.Admitted)
        {
            return refusal!;
        }
        if (outcome.Record != before)
        {
            await IndexAsync(before, outcome.Record!, cancellationToken);
        }
        else if (outcome.Record is { ClientId: { } clientId, StartedAt: { } startedAt } unchanged &&
            await MonthOfAsync(clientId, startedAt, cancellationToken) is var month &&
            !await index.ContainsAsync(clientId, month, unchanged.Provider, unchanged.CallId, cancellationToken))
        {
            // A retry after a failed index write: the call did not change, its entry is written now.
            await index.UpsertAsync(clientId, month, unchanged, cancellationToken);
        }
        return new CallIngestResult.Stored(outcome.Record!);
    }

    /// <summary>
    /// Keeps the client-and-month index in step with the merged call: a merge that moves <c>startedAt</c> into
    /// another month moves the entry. Written after the call: if this fails the request fails, and the provider's
    /// retry (idempotent for the call) writes it again.
    /// </summary>
    private async Task IndexAsync(CallRecord? before, CallRecord after, CancellationToken cancellationToken)
    {
        if (after is not { ClientId: { } clientId, StartedAt: { } startedAt })
        {
            return;
        }
        var month = await MonthOfAsync(clientId, startedAt, cancellationToken);
        await index.UpsertAsync(clientId, month, after, cancellationToken);
        if (before is { StartedAt: { } earlier } && before.ClientId == clientId &&
            await MonthOfAsync(clientId, earlier, cancellationToken) is var previous && previous != month)
        {
            await index.RemoveAsync(clientId, previous, after.Provider, after.CallId, cancellationToken);
        }
    }

    /// <summary>The month of an instant in the client's zone (the version in force then), which is the report's period.</summary>
    public async Task<YearMonth> MonthOfAsync(string clientId, Instant at, CancellationToken cancellationToken)
    {
        var history = await clients.GetHistoryAsync(clientId, cancellationToken);
        return history?.MonthOf(at) ?? at.InUtc().Date.ToYearMonth();
    }

    /// <summary>
    /// Whether the event may touch the call as stored (<paramref name="current"/>), and under which client. The
    /// scope is checked against the stored client; unmatched calls belong to no client and need a key scoped to
    /// all. An event whose explicit client, or whose number's owner, is another client than the stored one is
    /// refused: it is never merged into that record.
    /// </summary>
    internal static (string? ClientId, CallIngestResult? Refusal) Admit(CallRecord? current, string? explicitClientId, string? derivedClientId, IClientScope scope)
    {
        if (current?.ClientId is { } stored)
        {
            if (!scope.CanAccess(stored))
            {
                return (null, new CallIngestResult.Forbidden());
            }
            var named = explicitClientId ?? derivedClientId;
            return named is not null && named != stored
                ? (null, new CallIngestResult.ClientConflict(stored))
                : (stored, null);
        }
        if (current is not null && !scope.AllClients)
        {
            return (null, new CallIngestResult.Forbidden());
        }
        var clientId = explicitClientId ?? derivedClientId;
        if (clientId is null)
        {
            return scope.AllClients ? (null, null) : (null, new CallIngestResult.Forbidden());
        }
        return scope.CanAccess(clientId) ? (clientId, null) : (null, new CallIngestResult.Forbidden());
    }

    /// <summary>
    /// The record with its client's band at its start, or null for an unknown call or one the scope does not reach
    /// (unmatched calls need a scope over every client); decided before any other read, so both take as long.
    /// </summary>
    public async Task<(CallRecord Record, string? Band)?> GetAsync(string provider, string callId, IClientScope scope, CancellationToken cancellationToken)
    {
        var record = await calls.GetAsync(provider, callId, cancellationToken);
        if (record is null || !(record.ClientId is null ? scope.AllClients : scope.CanAccess(record.ClientId)))
        {
            return null;
        }
        string? band = null;
        if (record.ClientId is not null && record.StartedAt is { } started &&
            await clients.GetHistoryAsync(record.ClientId, cancellationToken) is { } history &&
            history.VersionAt(started) is { } version)
        {
            band = version.Calendar.BandAt(started);
        }
        return (record, band);
    }

    private static Instant? Earliest(Instant? x, Instant? y) => x is null ? y : y is null ? x : x < y ? x : y;
}
