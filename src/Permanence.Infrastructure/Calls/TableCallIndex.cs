using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Calls;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Calls;

/// <summary>
/// Table "CallsByMonth": PK = "{clientId}|{yyyy-MM}" (the client's local month), RK = "provider:callId", the
/// same columns as "Calls". A month's report reads exactly one partition.
/// </summary>
public sealed class TableCallIndex(Tables tables) : ICallIndex
{
    private static readonly YearMonthPattern MonthPattern = YearMonthPattern.Iso;

    private static string PartitionKey(string clientId, YearMonth month) => $"{clientId}|{MonthPattern.Format(month)}";

    public async Task UpsertAsync(string clientId, YearMonth month, CallRecord record, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.CallsByMonthTable, cancellationToken);
        await table.UpsertEntityAsync(TableCallStore.ToEntity(PartitionKey(clientId, month), record, record.Key), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<bool> ContainsAsync(string clientId, YearMonth month, string provider, string callId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.CallsByMonthTable, cancellationToken);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(clientId, month), $"{provider}:{callId}", ["PartitionKey"], cancellationToken);
        return row.HasValue;
    }

    public async Task RemoveAsync(string clientId, YearMonth month, string provider, string callId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.CallsByMonthTable, cancellationToken);
        await table.DeleteEntityAsync(PartitionKey(clientId, month), $"{provider}:{callId}", ETag.All, cancellationToken);
    }

    public async IAsyncEnumerable<CallRecord> ListAsync(string clientId, YearMonth month, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.CallsByMonthTable, cancellationToken);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(clientId, month)}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return TableCallStore.ToRecord(entity);
        }
    }
}
