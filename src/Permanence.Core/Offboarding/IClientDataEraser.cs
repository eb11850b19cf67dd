using NodaTime;

namespace Permanence.Core.Offboarding;

/// <summary>What there is of a client in every store, or what a deletion removed, and from which months.</summary>
public sealed record ErasureSummary(IReadOnlyList<ErasedStore> Stores, IReadOnlyList<YearMonth> Months)
{
    public long Total => Stores.Sum(s => s.Count);
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

    /// <summary>Deletes everything of the client, the contract and number claims first (the client is then closed).</summary>
    Task EraseClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Deletes the client's records of one month of its calendar (retention) and says what went.</summary>
    Task<ErasureSummary> EraseMonthAsync(string clientId, YearMonth month, DateInterval utcDays, CancellationToken cancellationToken);
}
