using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Jobs;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Jobs;

/// <summary>
/// Table "MonthlyJobs": one partition, a row per client (RK = client id) with its first month, zone and report
/// progress. Updates are conditional on the row's ETag, so a save and a job run never undo each other's change.
/// </summary>
public sealed class TableMonthlyJobIndex(Tables tables) : IMonthlyJobIndex
{
    private const string Partition = "clients";
    private const int MaxAttempts = 5;
    private static readonly YearMonthPattern MonthPattern = YearMonthPattern.Iso;

    public async Task RegisterAsync(string clientId, YearMonth firstMonth, string zoneId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MonthlyJobsTable, cancellationToken);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, clientId, cancellationToken: cancellationToken);
            try
            {
                if (!row.HasValue)
                {
                    await table.AddEntityAsync(new TableEntity(Partition, clientId)
                    {
                        ["FirstMonth"] = MonthPattern.Format(firstMonth),
                        ["ZoneId"] = zoneId,
                        ["ReportedThrough"] = "",
                    }, cancellationToken);
                    return;
                }
                var stored = ToEntry(row.Value!);
                if (stored.FirstMonth == firstMonth && stored.ZoneId == zoneId)
                {
                    return;
                }
                var update = new TableEntity(Partition, clientId) { ["FirstMonth"] = MonthPattern.Format(firstMonth), ["ZoneId"] = zoneId };
                if (firstMonth < stored.FirstMonth)
                {
                    update["ReportedThrough"] = ""; // months were added before the first: look at every month again
                }
                await table.UpdateEntityAsync(update, row.Value!.ETag, TableUpdateMode.Merge, cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Changed in between (a job run, another save): read again.
            }
        }
        throw new InvalidOperationException($"The monthly jobs row of client '{clientId}' kept changing.");
    }

    public async IAsyncEnumerable<MonthlyJobEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MonthlyJobsTable, cancellationToken);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: cancellationToken))
        {
            yield return ToEntry(row);
        }
    }

    public async Task MarkReportedAsync(string clientId, YearMonth month, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MonthlyJobsTable, cancellationToken);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, clientId, cancellationToken: cancellationToken);
            if (!row.HasValue || ToEntry(row.Value!).ReportedThrough >= month)
            {
                return;
            }
            try
            {
                await table.UpdateEntityAsync(new TableEntity(Partition, clientId) { ["ReportedThrough"] = MonthPattern.Format(month) },
                    row.Value!.ETag, TableUpdateMode.Merge, cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed in between: read again.
            }
        }
        throw new InvalidOperationException($"The monthly jobs row of client '{clientId}' kept changing.");
    }

    private static MonthlyJobEntry ToEntry(TableEntity row) => new(
        row.RowKey,
        MonthPattern.Parse(row.GetString("FirstMonth") ?? "").GetValueOrThrow(),
        row.GetString("ZoneId") ?? "",
        MonthPattern.Parse(row.GetString("ReportedThrough") ?? "") is { Success: true } done ? done.Value : null);
}
