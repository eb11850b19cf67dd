using NodaTime;

namespace Permanence.Core.Offboarding;

/// <summary>What there is of a client in every store, or what a deletion removed, and from which months.</summary>
public sealed record ErasureSummary(IReadOnlyList<ErasedStore> Stores, IReadOnlyList<YearMonth> Months)
{
    /// <summary>
    /// Not a deletion: the shared batch bodies (raw archive) that name the client and another one, kept as the
    /// other's proof with the client taken off their list.
    /// </summary>
    public const string SharedRawKept = "rawArchiveSharedKept";

    /// <summary>How many records were (or are to be) deleted.</summary>
    public long Total => Deleted(Stores);

    public static long Deleted(IEnumerable<ErasedStore> stores) => stores.Where(s => s.Store != SharedRawKept).Sum(s => s.Count);
}

/// <summary>
/// Port: everything stored about a client outside its exports, reports and certificates (README, "Offboarding
/// and retention"): contracts, number claims, calls, messages (and with them the idempotency records),
/// deliveries, acknowledgements, SMS reply codes, the routing outbox, the jobs index, the access log, outbox
/// files and raw archive, with their month indexes. Every deletion is idempotent: a run that stopped is redone.
/// </summary>
public interface IClientDataEraser
{
    /// <summary>Counts, per store, what <see cref="EraseClientAsync"/> would delete.</summary>
    Task<ErasureSummary> InventoryAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Closes the client: deletes its contract versions, number claims (the numbers are free) and jobs row.</summary>
    Task CloseClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Deletes everything of the client, <see cref="CloseClientAsync"/> included.</summary>
    Task EraseClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the client's records of one month of its calendar (retention), the raw bodies received within
    /// <paramref name="received"/> (the month's instants), and says what went.
    /// </summary>
    Task<ErasureSummary> EraseMonthAsync(string clientId, YearMonth month, Interval received, CancellationToken cancellationToken);
}
