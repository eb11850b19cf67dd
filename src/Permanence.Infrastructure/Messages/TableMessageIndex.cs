using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Messages;

/// <summary>Table "MessagesByMonth": PK = "{clientId}|{yyyy-MM}" (the client's local month of takenAt), RK = message id.</summary>
public sealed class TableMessageIndex(Tables tables) : IMessageIndex
{
    private static string PartitionKey(string clientId, YearMonth month) => $"{clientId}|{YearMonthPattern.Iso.Format(month)}";

    public async Task UpsertAsync(string clientId, YearMonth month, MessageIndexEntry entry, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MessagesByMonthTable, cancellationToken);
        await table.UpsertEntityAsync(new TableEntity(PartitionKey(clientId, month), entry.Id)
        {
            ["TakenAt"] = entry.TakenAt.ToDateTimeOffset(),
            ["Priority"] = entry.Priority.ToWire(),
            ["Scenario"] = entry.Scenario,
            ["Complete"] = entry.Complete,
        }, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<bool> ContainsAsync(string clientId, YearMonth month, string messageId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MessagesByMonthTable, cancellationToken);
        return (await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(clientId, month), messageId, ["PartitionKey"], cancellationToken)).HasValue;
    }

    public async IAsyncEnumerable<MessageIndexEntry> ListAsync(string clientId, YearMonth month, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MessagesByMonthTable, cancellationToken);
        await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(clientId, month)}"), cancellationToken: cancellationToken))
        {
            Priorities.TryParse(entity.GetString("Priority"), out var priority);
            yield return new MessageIndexEntry(entity.RowKey, Instant.FromDateTimeOffset(entity.GetDateTimeOffset("TakenAt")!.Value), priority,
                entity.GetString("Scenario"), entity.GetBoolean("Complete") ?? false);
        }
    }
}
