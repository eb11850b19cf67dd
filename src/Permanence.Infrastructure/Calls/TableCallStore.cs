using Azure;
using Azure.Data.Tables;
using Permanence.Core.Calls;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Calls;

/// <summary>
/// One row per call in table "Calls" (PK = "provider:callId"). Each event is merged with
/// <see cref="CallRecord.Merge"/> under the row's ETag; an event that changes nothing writes nothing.
/// </summary>
public sealed class TableCallStore(Tables tables) : ICallStore
{
    private const string RowKey = "call";
    private const int MaxAttempts = 10;

    public async Task<CallRecord?> GetAsync(string provider, string callId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.CallsTable, cancellationToken);
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(provider, callId), RowKey, cancellationToken: cancellationToken);
        return entity.HasValue ? ToRecord(entity.Value!) : null;
    }

    public async IAsyncEnumerable<CallRecord> ListByClientAsync(string clientId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.CallsTable, cancellationToken);
        await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ClientId eq {clientId} and RowKey eq {RowKey}"), cancellationToken: cancellationToken))
        {
            yield return ToRecord(entity);
        }
    }

    public async Task<CallMergeOutcome> MergeAsync(string provider, string callId, Func<CallRecord?, CallObservation?> admit, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.CallsTable, cancellationToken);
        var key = PartitionKey(provider, callId);
        for (var attempt = 1; ; attempt++)
        {
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(key, RowKey, cancellationToken: cancellationToken);
            var current = existing.HasValue ? ToRecord(existing.Value!) : null;
            if (admit(current) is not { } observation)
            {
                return new CallMergeOutcome(current, Admitted: false);
            }
            var merged = CallRecord.Merge(current, observation);
            if (merged == current)
            {
                return new CallMergeOutcome(merged, Admitted: true); // redelivered or already-known event: nothing changes
            }
            try
            {
                if (existing.HasValue)
                {
                    await table.UpdateEntityAsync(ToEntity(key, merged), existing.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                }
                else
                {
                    await table.AddEntityAsync(ToEntity(key, merged), cancellationToken);
                }
                return new CallMergeOutcome(merged, Admitted: true);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another event of the same call won the race: decide and merge again on top of it.
            }
        }
    }

    private static string PartitionKey(string provider, string callId) => $"{provider}:{callId}";

    internal static TableEntity ToEntity(string key, CallRecord record, string rowKey = RowKey) => new(key, rowKey)
    {
        ["Provider"] = record.Provider,
        ["CallId"] = record.CallId,
        ["Direction"] = record.Direction,
        ["From"] = record.From,
        ["To"] = record.To,
        ["StartedAt"] = record.StartedAt.ToStored(),
        ["AnsweredAt"] = record.AnsweredAt.ToStored(),
        ["EndedAt"] = record.EndedAt.ToStored(),
        ["ReportedOutcome"] = record.ReportedOutcome,
        ["AgentId"] = record.AgentId,
        ["AgentObservedAt"] = record.AgentObservedAt.ToStored(),
        ["ClientId"] = record.ClientId,
    };

    internal static CallRecord ToRecord(TableEntity entity) => new()
    {
        Provider = entity.GetString("Provider"),
        CallId = entity.GetString("CallId"),
        Direction = entity.GetString("Direction"),
        From = entity.GetString("From"),
        To = entity.GetString("To"),
        StartedAt = entity.GetInstant("StartedAt"),
        AnsweredAt = entity.GetInstant("AnsweredAt"),
        EndedAt = entity.GetInstant("EndedAt"),
        ReportedOutcome = entity.GetString("ReportedOutcome"),
        AgentId = entity.GetString("AgentId"),
        AgentObservedAt = entity.GetInstant("AgentObservedAt"),
        ClientId = entity.GetString("ClientId"),
    };
}
