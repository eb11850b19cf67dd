using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Clients;
using Permanence.Core.Exports;
using Permanence.Core.Jobs;
using Permanence.Core.Sla;

namespace Permanence.Core.Offboarding;

/// <summary>What one client's retention run deleted (nothing: no certificate).</summary>
public sealed record RetentionOutcome(string ClientId, IReadOnlyList<YearMonth> Months, long Deleted, string? Certificate);

/// <summary>
/// The daily retention run (README, "Offboarding and retention"): for every active client, the months older than
/// its contract's <c>retention.months</c> (24 by default), counted in the client's own calendar, are deleted as an
/// offboarding deletes, except the exports and reports the contract keeps. A month is only deleted once its
/// export exists. Each run that deletes something writes a signed retention certificate. Progress is kept in the
/// monthly jobs index, so a run with nothing to do reads that index only.
/// </summary>
public sealed class RetentionJob(
    IMonthlyJobIndex index,
    ClientDirectory clients,
    IClientDataEraser eraser,
    IOffboardingFiles files,
    CertificateSigner signer,
    TimeProvider time,
    ILogger<RetentionJob> logger)
{
    public const int DefaultMonths = 24;

    public async Task<IReadOnlyList<RetentionOutcome>> RunAsync(CancellationToken cancellationToken)
    {
        var outcomes = new List<RetentionOutcome>();
        await foreach (var entry in index.ListAsync(cancellationToken))
        {
            try
            {
                if (await RunAsync(entry, cancellationToken) is { } outcome)
                {
                    outcomes.Add(outcome);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One client's failure does not hold the others back; its months are tried again tomorrow.
                logger.LogWarning(e, "Retention of client {ClientId} failed", entry.ClientId);
            }
        }
        return outcomes;
    }

    /// <summary>One client's run (the daily run does every client): null when nothing was due.</summary>
    public async Task<RetentionOutcome?> RunAsync(string clientId, CancellationToken cancellationToken)
    {
        await foreach (var entry in index.ListAsync(cancellationToken))
        {
            if (entry.ClientId == clientId)
            {
                return await RunAsync(entry, cancellationToken);
            }
        }
        return null;
    }

    private async Task<RetentionOutcome?> RunAsync(MonthlyJobEntry entry, CancellationToken cancellationToken)
    {
        // Nothing exported beyond what was erased: nothing can be due, and nothing more is read.
        if (entry.ExportedThrough is not { } exportedThrough || entry.ErasedThrough >= exportedThrough)
        {
            return null;
        }
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        if (await clients.GetHistoryAsync(entry.ClientId, cancellationToken) is not { Latest: { } latest } history)
        {
            return null;
        }
        var keep = Math.Max(1, latest.Configuration.Retention?.Months ?? DefaultMonths);
        var current = now.InZone((history.VersionAt(now) ?? latest).Zone).Date.ToYearMonth();
        // Kept: the current month and the `keep` months before it. Deleted: older months whose export exists.
        var lastPastRetention = current.PlusMonths(-(keep + 1));
        var through = lastPastRetention < exportedThrough ? lastPastRetention : exportedThrough;
        var from = entry.ErasedThrough is { } erased ? erased.PlusMonths(1) : entry.FirstMonth;
        if (from > through)
        {
            return null;
        }

        var months = new List<YearMonth>();
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var month = from; month <= through; month = month.PlusMonths(1))
        {
            var (start, end, _) = history.MonthBounds(month);
            var summary = await eraser.EraseMonthAsync(entry.ClientId, month, new Interval(start, end), cancellationToken);
            if (summary.Total > 0)
            {
                months.Add(month);
            }
            foreach (var store in summary.Stores)
            {
                totals[store.Store] = totals.GetValueOrDefault(store.Store) + store.Count;
            }
        }
        var deleted = ErasureSummary.Deleted(totals.Select(t => new ErasedStore(t.Key, t.Value)));
        string? certificate = null;
        if (deleted > 0)
        {
            var body = new CertificateBody("retention", entry.ClientId, ExportFiles.Time(now)!, [.. months.Select(SlaPeriod.Format)],
                [.. totals.Select(t => new ErasedStore(t.Key, t.Value))], deleted, OffboardingService.Kept)
            {
                RetainedFrom = SlaPeriod.Format(through.PlusMonths(1)),
            };
            certificate = $"retention-{LocalDatePattern.Iso.Format(now.InUtc().Date)}.json";
            if (!await files.WriteOnceAsync(OffboardingArea.Certificates, entry.ClientId, certificate, signer.Sign(body), cancellationToken))
            {
                // A second run the same day that deleted more: its own certificate.
                certificate = $"retention-{InstantPattern.Create("uuuu-MM-dd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture).Format(now)}.json";
                await files.WriteOnceAsync(OffboardingArea.Certificates, entry.ClientId, certificate, signer.Sign(body), cancellationToken);
            }
        }
        await index.MarkErasedAsync(entry.ClientId, through, cancellationToken);
        logger.LogInformation("Retention of client {ClientId}: months up to {Through} erased, {Deleted} records deleted", entry.ClientId, SlaPeriod.Format(through), deleted);
        return new RetentionOutcome(entry.ClientId, months, deleted, certificate);
    }
}
