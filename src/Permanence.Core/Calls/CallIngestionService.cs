using NodaTime;
using Permanence.Core.Clients;
using Permanence.Core.Common;

namespace Permanence.Core.Calls;

/// <summary>Port: merged call records. <see cref="MergeAsync"/> applies <see cref="CallRecord.Merge"/> under optimistic concurrency.</summary>
public interface ICallStore
{
    Task<CallRecord?> GetAsync(string provider, string callId, CancellationToken cancellationToken);

    Task<CallRecord> MergeAsync(CallObservation observation, CancellationToken cancellationToken);
}

/// <summary>Port: raw bodies of accepted webhooks, kept as proof.</summary>
public interface IRawArchive
{
    Task ArchiveAsync(string source, ReadOnlyMemory<byte> body, string contentType, Instant receivedAt, CancellationToken cancellationToken);
}

public abstract record CallIngestResult
{
    public sealed record Stored(CallRecord Record) : CallIngestResult
    {
        public bool Matched => Record.ClientId is not null;
    }

    public sealed record Invalid(ValidationErrors Errors) : CallIngestResult;

    public sealed record Forbidden(string ClientId) : CallIngestResult;
}

/// <summary>Finds each call's client, normalises its numbers and merges the event into the call record.</summary>
public sealed class CallIngestionService(ICallStore calls, ClientDirectory clients, TimeProvider time)
{
    public async Task<CallIngestResult> IngestAsync(CallObservation observation, Func<string, bool> canAccessClient, CancellationToken cancellationToken)
    {
        var clientId = observation.ClientId;
        if (clientId is null)
        {
            var line = observation.Direction == CallDirections.Outbound ? observation.From : observation.To;
            if (line is null && observation.Direction is null)
            {
                line = observation.From;
            }
            if (PhoneNumberNormalizer.TryNormalize(line, null) is { } e164)
            {
                clientId = await clients.FindNumberOwnerAsync(e164, cancellationToken);
            }
        }

        string? region = null;
        if (clientId is not null)
        {
            if (!canAccessClient(clientId))
            {
                return new CallIngestResult.Forbidden(clientId);
            }
            var history = await clients.GetHistoryAsync(clientId, cancellationToken);
            if (history is null)
            {
                // Only an explicit clientId can name a client that does not exist: owners come from stored contracts.
                var errors = new ValidationErrors();
                errors.Add("clientId", "is not a known client");
                return new CallIngestResult.Invalid(errors);
            }
            var at = observation.StartedAt ?? observation.AnsweredAt ?? observation.EndedAt ?? Instant.FromDateTimeOffset(time.GetUtcNow());
            region = (history.VersionAt(at) ?? history.Latest)?.Region;
        }

        // A caller number that cannot be parsed (withheld, short code) is kept as received.
        var normalized = observation with
        {
            ClientId = clientId,
            From = PhoneNumberNormalizer.TryNormalize(observation.From, region) ?? observation.From,
            To = PhoneNumberNormalizer.TryNormalize(observation.To, region) ?? observation.To,
        };
        return new CallIngestResult.Stored(await calls.MergeAsync(normalized, cancellationToken));
    }

    /// <summary>The record with its client's band at its start, or null for an unknown call.</summary>
    public async Task<(CallRecord Record, string? Band)?> GetAsync(string provider, string callId, CancellationToken cancellationToken)
    {
        var record = await calls.GetAsync(provider, callId, cancellationToken);
        if (record is null)
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
}
