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
                    // Months were added before the first: look at every month again.
                    update["ReportedThrough"] = "";
                    update["ExportedThrough"] = "";
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
            if (TryEntry(row) is { } entry)
            {
                yield return entry;
            }
        }
    }

    public Task MarkReportedAsync(string clientId, YearMonth month, CancellationToken cancellationToken) =>
        MarkAsync(clientId, "ReportedThrough", month, entry => entry.ReportedThrough, cancellationToken);

    public Task MarkExportedAsync(string clientId, YearMonth month, CancellationToken cancellationToken) =>
        MarkAsync(clientId, "ExportedThrough", month, entry => entry.ExportedThrough, cancellationToken);

    public Task MarkErasedAsync(string clientId, YearMonth month, CancellationToken cancellationToken) =>
        MarkAsync(clientId, "ErasedThrough", month, entry => entry.ErasedThrough, cancellationToken);

    private async Task MarkAsync(string clientId, string column, YearMonth month, Func<MonthlyJobEntry, YearMonth?> current, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MonthlyJobsTable, cancellationToken);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, clientId, cancellationToken: cancellationToken);
            if (!row.HasValue || current(ToEntry(row.Value!)) >= month)
            {
                return;
            }
            try
            {
                await table.UpdateEntityAsync(new TableEntity(Partition, clientId) { [column] = MonthPattern.Format(month) },
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

    // Another partition than the clients' rows: the hourly run's listing stays one small partition.
    private static string EmailPartition(string clientId) => $"emails|{clientId}";

    private static string EmailRow(YearMonth month, string contactId) => $"{MonthPattern.Format(month)}|{contactId}";

    public async Task<bool> WasEmailedAsync(string clientId, YearMonth month, string contactId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MonthlyJobsTable, cancellationToken);
        return (await table.GetEntityIfExistsAsync<TableEntity>(EmailPartition(clientId), EmailRow(month, contactId), ["PartitionKey"], cancellationToken)).HasValue;
    }

    public async Task MarkEmailedAsync(string clientId, YearMonth month, string contactId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MonthlyJobsTable, cancellationToken);
        await table.UpsertEntityAsync(new TableEntity(EmailPartition(clientId), EmailRow(month, contactId)), TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>A row this code did not write (or damaged) is skipped, so that it cannot stop the run for every client.</summary>
    private static MonthlyJobEntry? TryEntry(TableEntity row) =>
        MonthPattern.Parse(row.GetString("FirstMonth") ?? "").Success ? ToEntry(row) : null;

    private static MonthlyJobEntry ToEntry(TableEntity row) => new(
        row.RowKey,
        MonthPattern.Parse(row.GetString("FirstMonth") ?? "").GetValueOrThrow(),
        row.GetString("ZoneId") ?? "",
        Month(row, "ReportedThrough"),
        Month(row, "ExportedThrough"),
        Month(row, "ErasedThrough"));

    private static YearMonth? Month(TableEntity row, string column) =>
        MonthPattern.Parse(row.GetString(column) ?? "") is { Success: true } done ? done.Value : null;
}
