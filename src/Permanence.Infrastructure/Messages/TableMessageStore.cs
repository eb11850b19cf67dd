using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using NodaTime;
using Permanence.Core.Common;
using Permanence.Core.Messages;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Messages;

/// <summary>
/// Messages in table "Messages" (PK = message id) with the document as JSON; the routing outbox in table
/// "RoutingOutbox" (one partition, so the sweeper's scan is a single-partition query).
/// </summary>
public sealed class TableMessageStore(Tables tables) : IMessageStore
{
    private const string MessageRow = "message";
    private const string OutboxPartition = "pending";

    public bool CanStore(Message message) => EntitySize.Fits(ToEntity(message));

    private static TableEntity ToEntity(Message message)
    {
        var entity = new TableEntity(message.Id, MessageRow)
        {
            ["ClientId"] = message.ClientId,
            ["TakenAt"] = message.TakenAt.ToDateTimeOffset(),
            ["Priority"] = message.Priority.ToString(),
            ["Complete"] = message.Qualification.Complete,
            ["RoutingState"] = message.RoutingState.ToString(),
        };
        ChunkedText.Write(entity, "Json", JsonSerializer.Serialize(message with { RoutingState = RoutingState.Pending }, StorageJson.Options));
        return entity;
    }

    public async Task<AddOutcome> AddAsync(Message message, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MessagesTable, cancellationToken);
        var entity = ToEntity(message);
        if (!EntitySize.Fits(entity))
        {
            throw new InvalidOperationException($"Message {message.Id} is too large to store; CanStore must be checked first.");
        }
        try
        {
            await table.AddEntityAsync(entity, cancellationToken);
            return AddOutcome.Added;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return AddOutcome.AlreadyExists;
        }
    }

    public async Task<Message?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MessagesTable, cancellationToken);
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(id, MessageRow, cancellationToken: cancellationToken);
        if (!entity.HasValue)
        {
            return null;
        }
        return ToMessage(entity.Value!);
    }

    private static Message ToMessage(TableEntity entity) =>
        JsonSerializer.Deserialize<Message>(ChunkedText.Read(entity, "Json"), StorageJson.Options)! with
        {
            RoutingState = Enum.TryParse<RoutingState>(entity.GetString("RoutingState"), out var state) ? state : RoutingState.Pending,
        };

    public async IAsyncEnumerable<Message> ListByClientAsync(string clientId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MessagesTable, cancellationToken);
        await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ClientId eq {clientId} and RowKey eq {MessageRow}"), cancellationToken: cancellationToken))
        {
            yield return ToMessage(entity);
        }
    }

    public async Task SetRoutingStateAsync(string id, RoutingState state, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.MessagesTable, cancellationToken);
        await table.UpdateEntityAsync(new TableEntity(id, MessageRow) { ["RoutingState"] = state.ToString() }, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task AddPendingRoutingAsync(string id, string clientId, Instant at, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.RoutingOutboxTable, cancellationToken);
        try
        {
            await table.AddEntityAsync(new TableEntity(OutboxPartition, id)
            {
                ["ClientId"] = clientId,
                ["Since"] = at.ToDateTimeOffset(),
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Already owed (a retried request): the first time stays, so retries cannot keep the sweeper away.
        }
    }

    public async Task RemovePendingRoutingAsync(string id, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.RoutingOutboxTable, cancellationToken);
        await table.DeleteEntityAsync(OutboxPartition, id, ETag.All, cancellationToken);
    }

    public async Task<IReadOnlyList<PendingRouting>> ListPendingRoutingAsync(Instant olderThan, int max, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.RoutingOutboxTable, cancellationToken);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {OutboxPartition} and Since le {olderThan.ToDateTimeOffset()}");
        var pending = new List<PendingRouting>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken))
        {
            pending.Add(new PendingRouting(entity.RowKey, entity.GetString("ClientId"), entity.GetInstant("Since") ?? olderThan, entity.ETag.ToString()));
            if (pending.Count >= max)
            {
                break;
            }
        }
        return pending;
    }

    public async Task<bool> TryClaimPendingRoutingAsync(PendingRouting pending, Instant now, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.RoutingOutboxTable, cancellationToken);
        try
        {
            await table.UpdateEntityAsync(new TableEntity(OutboxPartition, pending.MessageId) { ["Since"] = now.ToDateTimeOffset() },
                new ETag(pending.Version), TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }
}
