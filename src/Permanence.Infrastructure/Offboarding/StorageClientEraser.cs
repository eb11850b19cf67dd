using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Offboarding;
using Permanence.Infrastructure.Calls;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Offboarding;

/// <summary>
/// Where a client's data lives, in one place (README, "Offboarding and retention"). A client's whole data is found
/// by its keys and by its client id (the tables keyed by call or message carry a <c>ClientId</c> column); a month
/// is found through the month indexes. Rows are deleted in transactions of up to 100 per partition; what is
/// already gone is skipped, so a deletion that stopped is simply run again.
/// </summary>
public sealed partial class StorageClientEraser(Tables tables, BlobServiceClient blobs) : IClientDataEraser
{
    private const int MaxBatch = 100;
    private const int Parallelism = 8;
    private const int MaxAttempts = 10;
    private const string MessageRow = "message";
    private const string CallRow = "call";
    private const string OutboxPartition = "pending";
    private static readonly string[] Keys = ["PartitionKey", "RowKey"];

    public async Task<ErasureSummary> InventoryAsync(string clientId, CancellationToken cancellationToken)
    {
        var messageIds = await ClientMessageIdsAsync(clientId, cancellationToken);
        var stores = new List<ErasedStore>
        {
            new("contracts", await CountAsync(StorageNames.ContractsTable, ContractRows(clientId), cancellationToken)),
            new("phoneNumbers", await CountAsync(StorageNames.NumbersTable, NumberRows(clientId), cancellationToken)),
            new("monthlyJobs", await CountAsync(StorageNames.MonthlyJobsTable, JobRows(clientId), cancellationToken)),
            new("calls", await CountAsync(StorageNames.CallsTable, CallRows(clientId), cancellationToken)),
            new("callIndex", await CountAsync(StorageNames.CallsByMonthTable, ClientPartitions(clientId), cancellationToken)),
            new("messages", messageIds.Count),
            new("messageIndex", await CountAsync(StorageNames.MessagesByMonthTable, ClientPartitions(clientId), cancellationToken)),
            new("deliveries", await CountPerMessageAsync(StorageNames.DeliveriesTable, messageIds, cancellationToken)),
            new("acknowledgements", await CountPerMessageAsync(StorageNames.AcknowledgementsTable, messageIds, cancellationToken)),
            new("smsReplyCodes", await CountAsync(StorageNames.SmsReplyCodesTable, TableClient.CreateQueryFilter($"ClientId eq {clientId}"), cancellationToken)),
            new("routingOutbox", (await PendingRoutingAsync(messageIds, cancellationToken)).Count),
            new("exportAccessLog", await CountAsync(StorageNames.ExportAccessLogTable, ClientPartitions(clientId), cancellationToken)),
            new("outboxFiles", await CountOutboxAsync(clientId, cancellationToken)),
        };
        var (raw, sharedRaw) = await CountRawAsync(clientId, cancellationToken);
        stores.Add(new("rawArchive", raw));
        stores.Add(new(ErasureSummary.SharedRawKept, sharedRaw));
        var months = new SortedSet<YearMonth>();
        foreach (var table in new[] { StorageNames.CallsByMonthTable, StorageNames.MessagesByMonthTable })
        {
            await foreach (var row in QueryKeysAsync(table, ClientPartitions(clientId), cancellationToken))
            {
                if (MonthOfPartition(row.PartitionKey) is { } month)
                {
                    months.Add(month);
                }
            }
        }
        return new ErasureSummary(stores, [.. months]);
    }

    public async Task CloseClientAsync(string clientId, CancellationToken cancellationToken)
    {
        await DeleteRowsAsync(StorageNames.ContractsTable, ContractRows(clientId), cancellationToken);
        await DeleteRowsAsync(StorageNames.NumbersTable, NumberRows(clientId), cancellationToken);
        await DeleteRowsAsync(StorageNames.MonthlyJobsTable, JobRows(clientId), cancellationToken);
    }

    public async Task EraseClientAsync(string clientId, CancellationToken cancellationToken)
    {
        // The contract and the number claims first: the client is closed, its numbers free, before the rest goes.
        await CloseClientAsync(clientId, cancellationToken);

        var messageIds = await ClientMessageIdsAsync(clientId, cancellationToken);
        await EraseMessagesAsync(clientId, messageIds, cancellationToken);
        // The per-number, per-day counters of wrong reply codes are no client's: they guard every client's codes.
        await DeleteRowsAsync(StorageNames.SmsReplyCodesTable, TableClient.CreateQueryFilter($"ClientId eq {clientId}"), cancellationToken);
        await DeleteRowsAsync(StorageNames.MessagesByMonthTable, ClientPartitions(clientId), cancellationToken);
        await DeleteRowsAsync(StorageNames.CallsTable, CallRows(clientId), cancellationToken);
        await DeleteRowsAsync(StorageNames.CallsByMonthTable, ClientPartitions(clientId), cancellationToken);
        await DeleteRowsAsync(StorageNames.ExportAccessLogTable, ClientPartitions(clientId), cancellationToken);
        await DeleteOutboxAsync(clientId, cancellationToken);
        await DeleteRawAsync(clientId, null, cancellationToken);
    }

    public async Task<ErasureSummary> EraseMonthAsync(string clientId, YearMonth month, Interval received, CancellationToken cancellationToken)
    {
        var partition = $"{clientId}|{YearMonthPattern.Iso.Format(month)}";
        var inPartition = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");

        // Calls: the index names them; each is deleted if it is still this client's.
        var calls = await QueryKeysAsync(StorageNames.CallsByMonthTable, inPartition, cancellationToken).Select(r => r.RowKey).ToListAsync(cancellationToken);
        var callsTable = await tables.GetAsync(StorageNames.CallsTable, cancellationToken);
        long callsDeleted = 0;
        await Parallel.ForEachAsync(calls, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (key, token) =>
        {
            var row = await callsTable.GetEntityIfExistsAsync<TableEntity>(key, CallRow, ["ClientId"], token);
            if (row.HasValue && row.Value!.GetString("ClientId") == clientId)
            {
                await DeleteEntityAsync(callsTable, key, CallRow, token);
                Interlocked.Increment(ref callsDeleted);
            }
        });
        var callIndex = await DeleteRowsAsync(StorageNames.CallsByMonthTable, inPartition, cancellationToken);

        var messageIds = await QueryKeysAsync(StorageNames.MessagesByMonthTable, inPartition, cancellationToken).Select(r => r.RowKey).ToListAsync(cancellationToken);
        var counts = await EraseMessagesAsync(clientId, messageIds, cancellationToken);
        var wanted = messageIds.ToHashSet(StringComparer.Ordinal);
        var smsCodes = await DeleteRowsAsync(StorageNames.SmsReplyCodesTable, TableClient.CreateQueryFilter($"ClientId eq {clientId}"), cancellationToken,
            row => ReplyCodeMessage(row.RowKey) is { } id && wanted.Contains(id));
        var messageIndex = await DeleteRowsAsync(StorageNames.MessagesByMonthTable, inPartition, cancellationToken);
        var accessLog = await DeleteRowsAsync(StorageNames.ExportAccessLogTable, inPartition, cancellationToken);
        var (raw, sharedRaw) = await DeleteRawAsync(clientId, received, cancellationToken);

        ErasedStore[] stores =
        [
            new("calls", callsDeleted), new("callIndex", callIndex),
            new("messages", counts.Messages), new("messageIndex", messageIndex),
            new("deliveries", counts.Deliveries), new("acknowledgements", counts.Acknowledgements),
            new("smsReplyCodes", smsCodes), new("routingOutbox", counts.Routing),
            new("exportAccessLog", accessLog), new("outboxFiles", counts.OutboxFiles), new("rawArchive", raw), new(ErasureSummary.SharedRawKept, sharedRaw),
        ];
        return new ErasureSummary(stores, [month]);
    }

    private sealed record MessageCounts(long Messages, long Deliveries, long Acknowledgements, long Routing, long OutboxFiles);

    /// <summary>Each message's deliveries, acknowledgements, pending routing and outbox files, then the message itself.</summary>
    private async Task<MessageCounts> EraseMessagesAsync(string clientId, IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken)
    {
        var messages = await tables.GetAsync(StorageNames.MessagesTable, cancellationToken);
        var pending = await PendingRoutingAsync(messageIds, cancellationToken);
        var routing = await tables.GetAsync(StorageNames.RoutingOutboxTable, cancellationToken);
        long deleted = 0, deliveries = 0, acknowledgements = 0, routed = 0, files = 0;
        await Parallel.ForEachAsync(messageIds, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (id, token) =>
        {
            var row = await messages.GetEntityIfExistsAsync<TableEntity>(id, MessageRow, ["ClientId"], token);
            if (row.HasValue && row.Value!.GetString("ClientId") != clientId)
            {
                return; // Not this client's (an index entry pointing elsewhere): left alone.
            }
            var inMessage = TableClient.CreateQueryFilter($"PartitionKey eq {id}");
            Interlocked.Add(ref deliveries, await DeleteRowsAsync(StorageNames.DeliveriesTable, inMessage, token));
            Interlocked.Add(ref acknowledgements, await DeleteRowsAsync(StorageNames.AcknowledgementsTable, inMessage, token));
            if (pending.Contains(id))
            {
                await DeleteEntityAsync(routing, OutboxPartition, id, token);
                Interlocked.Increment(ref routed);
            }
            Interlocked.Add(ref files, await DeleteOutboxAsync($"{clientId}/{id}", token));
            if (row.HasValue)
            {
                await DeleteEntityAsync(messages, id, MessageRow, token);
                Interlocked.Increment(ref deleted);
            }
        });
        return new MessageCounts(deleted, deliveries, acknowledgements, routed, files);
    }

    /// <summary>The message of an SMS reply code's row key, "{code}-{ticks:D19}-{messageId}-{contactId}".</summary>
    private static string? ReplyCodeMessage(string rowKey) => ReplyCodeKey().Match(rowKey) is { Success: true } match ? match.Groups[1].Value : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"-\d{19}-(msg-[0-9a-f]{32})-")]
    private static partial System.Text.RegularExpressions.Regex ReplyCodeKey();

    private static string ContractRows(string clientId) => TableClient.CreateQueryFilter($"PartitionKey eq {clientId}");

    // A claim's row key is the client; a legacy single-owner row holds it in a column.
    private static string NumberRows(string clientId) => TableClient.CreateQueryFilter($"RowKey eq {clientId} or ClientId eq {clientId}");

    private static string JobRows(string clientId) =>
        TableClient.CreateQueryFilter($"(PartitionKey eq {"clients"} and RowKey eq {clientId}) or PartitionKey eq {"emails|" + clientId}");

    private static string CallRows(string clientId) => TableClient.CreateQueryFilter($"ClientId eq {clientId} and RowKey eq {CallRow}");

    // Partitions "{clientId}|…": client ids hold no '|', and '}' is the character after it.
    private static string ClientPartitions(string clientId) =>
        TableClient.CreateQueryFilter($"PartitionKey ge {clientId + "|"} and PartitionKey lt {clientId + "}"}");

    private static YearMonth? MonthOfPartition(string partitionKey) =>
        YearMonthPattern.Iso.Parse(partitionKey[(partitionKey.IndexOf('|') + 1)..]) is { Success: true } parsed ? parsed.Value : null;

    private async Task<List<string>> ClientMessageIdsAsync(string clientId, CancellationToken cancellationToken) =>
        await QueryKeysAsync(StorageNames.MessagesTable, TableClient.CreateQueryFilter($"ClientId eq {clientId} and RowKey eq {MessageRow}"), cancellationToken)
            .Select(r => r.PartitionKey).ToListAsync(cancellationToken);

    private async Task<HashSet<string>> PendingRoutingAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken)
    {
        var wanted = messageIds.ToHashSet(StringComparer.Ordinal);
        var pending = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in QueryKeysAsync(StorageNames.RoutingOutboxTable, TableClient.CreateQueryFilter($"PartitionKey eq {OutboxPartition}"), cancellationToken))
        {
            if (wanted.Contains(row.RowKey))
            {
                pending.Add(row.RowKey);
            }
        }
        return pending;
    }

    private async IAsyncEnumerable<TableEntity> QueryKeysAsync(string tableName, string filter, [EnumeratorCancellation] CancellationToken cancellationToken, IEnumerable<string>? columns = null)
    {
        var table = await tables.GetAsync(tableName, cancellationToken);
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: [.. Keys, .. columns ?? []], cancellationToken: cancellationToken))
        {
            yield return row;
        }
    }

    private async Task<long> CountAsync(string tableName, string filter, CancellationToken cancellationToken) =>
        await QueryKeysAsync(tableName, filter, cancellationToken).LongCountAsync(cancellationToken);

    private async Task<long> CountPerMessageAsync(string tableName, IEnumerable<string> messageIds, CancellationToken cancellationToken)
    {
        long count = 0;
        foreach (var id in messageIds)
        {
            count += await CountAsync(tableName, TableClient.CreateQueryFilter($"PartitionKey eq {id}"), cancellationToken);
        }
        return count;
    }

    /// <summary>Deletes the rows the filter finds (and <paramref name="accept"/> accepts), by transactions within a partition.</summary>
    private async Task<long> DeleteRowsAsync(string tableName, string filter, CancellationToken cancellationToken,
        Func<TableEntity, bool>? accept = null, IEnumerable<string>? columns = null)
    {
        var table = await tables.GetAsync(tableName, cancellationToken);
        var rows = await QueryKeysAsync(tableName, filter, cancellationToken, columns).Where(r => accept?.Invoke(r) ?? true).ToListAsync(cancellationToken);
        foreach (var partition in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var batch in partition.Chunk(MaxBatch))
            {
                if (batch.Length == 1)
                {
                    await DeleteEntityAsync(table, batch[0].PartitionKey, batch[0].RowKey, cancellationToken);
                    continue;
                }
                try
                {
                    await table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
                }
                catch (TableTransactionFailedException)
                {
                    // One row went in between (a concurrent run): the others one by one.
                    foreach (var row in batch)
                    {
                        await DeleteEntityAsync(table, row.PartitionKey, row.RowKey, cancellationToken);
                    }
                }
            }
        }
        return rows.Count;
    }

    private static async Task DeleteEntityAsync(TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already gone.
        }
    }

    /// <summary>Blobs under <c>{prefix}/</c> of a container (nothing when the container does not exist yet).</summary>
    private async IAsyncEnumerable<BlobItem> BlobsAsync(string containerName, string prefix, BlobTraits traits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(containerName);
        if (!(await container.ExistsAsync(cancellationToken)).Value)
        {
            yield break;
        }
        await foreach (var blob in container.GetBlobsAsync(traits, BlobStates.None, prefix, cancellationToken))
        {
            yield return blob;
        }
    }

    private async Task<long> CountOutboxAsync(string prefix, CancellationToken cancellationToken) =>
        await BlobsAsync(StorageNames.OutboxContainer, $"{prefix}/", BlobTraits.None, cancellationToken).LongCountAsync(cancellationToken);

    private async Task<long> DeleteOutboxAsync(string prefix, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(StorageNames.OutboxContainer);
        long deleted = 0;
        await foreach (var blob in BlobsAsync(StorageNames.OutboxContainer, $"{prefix}/", BlobTraits.None, cancellationToken))
        {
            await container.GetBlobClient(blob.Name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
            deleted++;
        }
        return deleted;
    }

    /// <summary>
    /// The client's raw bodies (received within <paramref name="received"/> when given, by their receivedAt), and
    /// the shared batch bodies that name it (<c>Shared</c>).
    /// </summary>
    private async IAsyncEnumerable<(BlobItem Blob, bool Shared)> RawBodiesAsync(string clientId, Interval? received, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (prefix, shared) in new[] { (BlobRawArchive.ClientsPrefix + clientId + "/", false), (BlobRawArchive.SharedOwner + "/", true) })
        {
            await foreach (var blob in BlobsAsync(StorageNames.RawContainer, prefix, BlobTraits.Metadata, cancellationToken))
            {
                if (shared && !ClientsOf(blob).Contains(clientId))
                {
                    continue;
                }
                if (received is { } window && !(ReceivedAt(blob) is { } at && window.Contains(at)))
                {
                    continue;
                }
                yield return (blob, shared);
            }
        }
    }

    private static string[] ClientsOf(BlobItem blob) =>
        blob.Metadata.TryGetValue(BlobRawArchive.ClientsMetadata, out var clients) ? clients.Split(',', StringSplitOptions.RemoveEmptyEntries) : [];

    private static Instant? ReceivedAt(BlobItem blob) =>
        blob.Metadata.TryGetValue(BlobRawArchive.ReceivedAtMetadata, out var value) && InstantPattern.ExtendedIso.Parse(value) is { Success: true } parsed
            ? parsed.Value
            : null;

    private async Task<(long Deleted, long SharedKept)> CountRawAsync(string clientId, CancellationToken cancellationToken)
    {
        long deleted = 0, kept = 0;
        await foreach (var (blob, shared) in RawBodiesAsync(clientId, null, cancellationToken))
        {
            _ = shared && ClientsOf(blob).Any(c => c != clientId) ? kept++ : deleted++;
        }
        return (deleted, kept);
    }

    /// <summary>
    /// Deletes the client's raw bodies. A shared batch body is also another client's proof: it is kept while another
    /// client it names keeps it, with this client taken off its list (so it is never found for this client again),
    /// and deleted with the last one.
    /// </summary>
    private async Task<(long Deleted, long SharedKept)> DeleteRawAsync(string clientId, Interval? received, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(StorageNames.RawContainer);
        long deleted = 0, kept = 0;
        await foreach (var (blob, shared) in RawBodiesAsync(clientId, received, cancellationToken))
        {
            var client = container.GetBlobClient(blob.Name);
            if (!shared)
            {
                await client.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
                deleted++;
                continue;
            }
            // Another client's deletion may change the list in between: read again until this change holds.
            var (metadata, etag) = (blob.Metadata, blob.Properties.ETag);
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var others = (metadata.TryGetValue(BlobRawArchive.ClientsMetadata, out var listed) ? listed.Split(',') : []).Where(c => c != clientId).ToArray();
                try
                {
                    if (others.Length == 0)
                    {
                        await client.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = etag }, cancellationToken);
                        deleted++;
                    }
                    else
                    {
                        await client.SetMetadataAsync(new Dictionary<string, string>(metadata) { [BlobRawArchive.ClientsMetadata] = string.Join(',', others) },
                            new BlobRequestConditions { IfMatch = etag }, cancellationToken);
                        kept++;
                    }
                    break;
                }
                catch (RequestFailedException e) when (e.Status == 412)
                {
                    var properties = (await client.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
                    (metadata, etag) = (properties.Metadata, properties.ETag);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    break; // deleted meanwhile by the last other client
                }
            }
        }
        return (deleted, kept);
    }
}
