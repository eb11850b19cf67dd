using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using NodaTime;
using Permanence.Core.Common;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Routing;

/// <summary>
/// Acknowledgements in table "Acknowledgements" (PK = message id, RK = contact id: one per contact); SMS reply
/// codes in table "SmsReplyCodes" (PK = the recipient's number, RK = newest first), so an inbound reply reads
/// one partition.
/// </summary>
public sealed class TableAcknowledgementStore(Tables tables) : IAcknowledgementStore
{
    public async Task<bool> AddAsync(Acknowledgement acknowledgement, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.AcknowledgementsTable, cancellationToken);
        try
        {
            await table.AddEntityAsync(new TableEntity(acknowledgement.MessageId, acknowledgement.ContactId)
            {
                ["ClientId"] = acknowledgement.ClientId,
                ["Json"] = JsonSerializer.Serialize(acknowledgement, StorageJson.Options),
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<Acknowledgement>> ListAsync(string messageId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.AcknowledgementsTable, cancellationToken);
        var result = new List<Acknowledgement>();
        await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {messageId}"), cancellationToken: cancellationToken))
        {
            result.Add(JsonSerializer.Deserialize<Acknowledgement>(entity.GetString("Json"), StorageJson.Options)!);
        }
        return result.OrderBy(a => a.At).ToList();
    }

    public async Task AddReplyCodeAsync(SmsReplyCode code, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.SmsReplyCodesTable, cancellationToken);
        var newestFirst = (DateTimeOffset.MaxValue.UtcTicks - code.SentAt.ToDateTimeOffset().UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
        // Keyed by code first: a reply reads only the rows of the code it carries.
        await table.UpsertEntityAsync(new TableEntity(code.Phone, $"{CodePrefix(code.Code)}{newestFirst}-{code.MessageId}-{code.ContactId}")
        {
            ["ClientId"] = code.ClientId,
            ["SentAt"] = code.SentAt.ToDateTimeOffset(),
            ["Json"] = JsonSerializer.Serialize(code, StorageJson.Options),
        }, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<IReadOnlyList<SmsReplyCode>> FindReplyCodesAsync(string phone, string code, Instant since, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.SmsReplyCodesTable, cancellationToken);
        var prefix = CodePrefix(code);
        // Row keys of one code sort newest first; the prefix range ends just before the next character ('.' follows '-').
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {phone} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "."} and SentAt ge {since.ToDateTimeOffset()}");
        var result = new List<SmsReplyCode>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: 20, cancellationToken: cancellationToken))
        {
            result.Add(JsonSerializer.Deserialize<SmsReplyCode>(entity.GetString("Json"), StorageJson.Options)!);
            if (result.Count >= 20)
            {
                break;
            }
        }
        return result.OrderByDescending(c => c.SentAt).ToList();
    }

    public async Task<int> CountReplyFailuresAsync(string phone, LocalDate day, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.SmsReplyCodesTable, cancellationToken);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(phone, FailuresKey(day), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value!.GetInt32("Count") ?? 0 : 0;
    }

    public async Task RecordReplyFailureAsync(string phone, LocalDate day, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.SmsReplyCodesTable, cancellationToken);
        var key = FailuresKey(day);
        // Read, add one, write under the ETag; a lost race costs one count, which only delays the lock by a guess.
        var row = await table.GetEntityIfExistsAsync<TableEntity>(phone, key, cancellationToken: cancellationToken);
        try
        {
            if (row.HasValue)
            {
                row.Value!["Count"] = (row.Value.GetInt32("Count") ?? 0) + 1;
                await table.UpdateEntityAsync(row.Value, row.Value.ETag, TableUpdateMode.Replace, cancellationToken);
            }
            else
            {
                await table.AddEntityAsync(new TableEntity(phone, key) { ["Count"] = 1 }, cancellationToken);
            }
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // counted by the concurrent reply instead
        }
    }

    private static string CodePrefix(string code) => $"code-{code}-";

    private static string FailuresKey(LocalDate day) => $"failures-{day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";
}
