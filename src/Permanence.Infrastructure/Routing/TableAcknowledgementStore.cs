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
        await table.UpsertEntityAsync(new TableEntity(code.Phone, $"{newestFirst}-{code.MessageId}-{code.ContactId}")
        {
            ["ClientId"] = code.ClientId,
            ["SentAt"] = code.SentAt.ToDateTimeOffset(),
            ["Json"] = JsonSerializer.Serialize(code, StorageJson.Options),
        }, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<IReadOnlyList<SmsReplyCode>> ListReplyCodesAsync(string phone, Instant since, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.SmsReplyCodesTable, cancellationToken);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {phone} and SentAt ge {since.ToDateTimeOffset()}");
        var result = new List<SmsReplyCode>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: 100, cancellationToken: cancellationToken))
        {
            result.Add(JsonSerializer.Deserialize<SmsReplyCode>(entity.GetString("Json"), StorageJson.Options)!);
            if (result.Count >= 100)
            {
                break;
            }
        }
        return result.OrderByDescending(c => c.SentAt).ToList();
    }
}
