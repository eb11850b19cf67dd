using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Permanence.Core.Common;
using Permanence.Core.Offboarding;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Offboarding;

/// <summary>
/// Table "Offboardings": one partition, a row per client (RK = client id) holding the offboarding as JSON. Once
/// closed, the row is the client's tombstone: ids, instants, counts and hashes, no personal data.
/// </summary>
public sealed class TableOffboardingStore(Tables tables) : IOffboardingStore
{
    private const string Partition = "clients";

    public async Task<StoredOffboarding?> GetAsync(string clientId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.OffboardingsTable, cancellationToken);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, clientId, cancellationToken: cancellationToken);
        return row.HasValue ? new StoredOffboarding(ToRecord(row.Value!), row.Value!.ETag.ToString()) : null;
    }

    public async Task<bool> TryAddAsync(OffboardingRecord record, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.OffboardingsTable, cancellationToken);
        try
        {
            await table.AddEntityAsync(ToEntity(record), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(OffboardingRecord record, string etag, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.OffboardingsTable, cancellationToken);
        try
        {
            await table.UpdateEntityAsync(ToEntity(record), new ETag(etag), TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async IAsyncEnumerable<OffboardingRecord> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.OffboardingsTable, cancellationToken);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: cancellationToken))
        {
            yield return ToRecord(row);
        }
    }

    private static TableEntity ToEntity(OffboardingRecord record) => new(Partition, record.ClientId)
    {
        ["Status"] = record.Status.ToString(),
        ["Json"] = JsonSerializer.Serialize(record, StorageJson.Options),
    };

    private static OffboardingRecord ToRecord(TableEntity row) =>
        JsonSerializer.Deserialize<OffboardingRecord>(row.GetString("Json")!, StorageJson.Options)!;
}
