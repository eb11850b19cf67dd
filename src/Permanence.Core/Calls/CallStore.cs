namespace Permanence.Core.Calls;

/// <summary>What a merge did: <see cref="Admitted"/> false when the admission check refused the event (nothing written).</summary>
public sealed record CallMergeOutcome(CallRecord? Record, bool Admitted);

/// <summary>Port: merged call records.</summary>
public interface ICallStore
{
    Task<CallRecord?> GetAsync(string provider, string callId, CancellationToken cancellationToken);

    /// <summary>Every call record of a client (a scan of the whole store: repairs only, never on a request's path).</summary>
    IAsyncEnumerable<CallRecord> ListByClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>
    /// Applies <see cref="CallRecord.Merge"/> under optimistic concurrency. <paramref name="admit"/> is called with
    /// the record as it is at each attempt and returns the observation to merge, or null to refuse the event: the
    /// decision is always taken on the record actually overwritten.
    /// </summary>
    Task<CallMergeOutcome> MergeAsync(string provider, string callId, Func<CallRecord?, CallObservation?> admit, CancellationToken cancellationToken);
}

/// <summary>
/// Port: raw bodies of accepted webhooks, kept as proof, filed under the clients they concern (none: unmatched),
/// so that a client's offboarding or retention finds and deletes its own (README, "Offboarding and retention").
/// </summary>
public interface IRawArchive
{
    Task ArchiveAsync(string source, ReadOnlyMemory<byte> body, string contentType, NodaTime.Instant receivedAt, IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken);
}
