using System.Globalization;
using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Exports;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Exports;

/// <summary>
/// Table "ExportAccessLog": PK = "{clientId}|{yyyy-MM}" (the client's month of the access), RK = the access time's
/// ticks and a random suffix, so that a month's log is one partition read in time order.
/// </summary>
public sealed class TableExportAccessLog(Tables tables) : IExportAccessLog
{
    private const int MaxBatch = 100;

    private static string PartitionKey(string clientId, YearMonth month) => $"{clientId}|{YearMonthPattern.Iso.Format(month)}";

    public async Task AddAsync(string clientId, YearMonth month, IReadOnlyList<ExportAccess> entries, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.ExportAccessLogTable, cancellationToken);
        foreach (var batch in entries.Chunk(MaxBatch))
        {
            await table.SubmitTransactionAsync(batch.Select(entry => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(
                PartitionKey(clientId, month),
                $"{entry.At.ToUnixTimeTicks().ToString("D19", CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}")
            {
                ["At"] = entry.At.ToDateTimeOffset(),
                ["KeyId"] = entry.KeyId,
                ["Role"] = entry.Role,
                ["Action"] = entry.Action,
                ["Period"] = entry.Period,
                ["File"] = entry.File,
            })), cancellationToken);
        }
    }

    public async IAsyncEnumerable<ExportAccess> ListAsync(string clientId, YearMonth month, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.ExportAccessLogTable, cancellationToken);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(clientId, month)}"), cancellationToken: cancellationToken))
        {
            yield return new ExportAccess(
                Instant.FromDateTimeOffset(row.GetDateTimeOffset("At")!.Value), clientId, row.GetString("KeyId") ?? "", row.GetString("Role") ?? "",
                row.GetString("Action") ?? "", row.GetString("Period"), row.GetString("File"));
        }
    }
}
