using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Permanence.Core.Common;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Routing;

/// <summary>
/// Steps and delivery attempts in table "Deliveries", one partition per message: a message's whole routing
/// history is one single-partition query. Rows hold the record as JSON plus the columns a person scanning the
/// table wants (client, status).
/// </summary>
public sealed class TableDeliveryStore(Tables tables) : IDeliveryStore
{
    private const string StepPrefix = "step-";
    private const string AttemptPrefix = "attempt-";
    private const int MaxErrorLength = 1_000;

    private static string StepKey(int step) => StepPrefix + step.ToString("D2", CultureInfo.InvariantCulture);

    private static string AttemptKey(DeliveryAttempt attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{AttemptPrefix}{attempt.Step:D2}-{attempt.Channel}-{attempt.Attempt:D3}-{attempt.ContactId}");

    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(StorageNames.DeliveriesTable, cancellationToken);

    public async Task<StepRecord?> GetStepAsync(string messageId, int step, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken);
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(messageId, StepKey(step), cancellationToken: cancellationToken);
        return entity.HasValue ? ReadStep(entity.Value!) : null;
    }

    public async Task<(StepRecord Step, bool Added)> AddStepAsync(StepRecord step, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken);
        try
        {
            await table.AddEntityAsync(ToEntity(step), cancellationToken);
            return (step, true);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return (await GetStepAsync(step.MessageId, step.Step, cancellationToken)
                ?? throw new InvalidOperationException("A step reported as existing could not be read."), false);
        }
    }

    public async Task MarkNextScheduledAsync(StepRecord step, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken);
        await table.UpsertEntityAsync(ToEntity(step with { NextScheduled = true }), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<IReadOnlyList<StepRecord>> ListStepsAsync(string messageId, CancellationToken cancellationToken) =>
        (await ListAsync(messageId, StepPrefix, cancellationToken)).Select(ReadStep).OrderBy(s => s.Step).ToList();

    public async Task<IReadOnlyList<DeliveryAttempt>> ListAttemptsAsync(string messageId, CancellationToken cancellationToken) =>
        (await ListAsync(messageId, AttemptPrefix, cancellationToken)).Select(ReadAttempt)
            .OrderBy(a => a.Step).ThenBy(a => a.CreatedAt).ThenBy(a => a.Attempt).ToList();

    public async Task<bool> TryAddAttemptAsync(DeliveryAttempt attempt, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken);
        try
        {
            await table.AddEntityAsync(ToEntity(attempt), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task UpdateAttemptAsync(DeliveryAttempt attempt, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken);
        await table.UpsertEntityAsync(ToEntity(attempt), TableUpdateMode.Replace, cancellationToken);
    }

    private async Task<List<TableEntity>> ListAsync(string messageId, string prefix, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken);
        // Keys are compared as strings: every key of the prefix sorts between the prefix and the prefix followed by '~'.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {messageId} and RowKey ge {prefix} and RowKey lt {prefix + "~"}");
        var rows = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(entity);
        }
        return rows;
    }

    private static TableEntity ToEntity(StepRecord step) => new(step.MessageId, StepKey(step.Step))
    {
        ["ClientId"] = step.ClientId,
        ["Status"] = step.Status,
        ["Json"] = JsonSerializer.Serialize(step, StorageJson.Options),
    };

    private static TableEntity ToEntity(DeliveryAttempt attempt)
    {
        var bounded = attempt.Error is { Length: > MaxErrorLength } ? attempt with { Error = attempt.Error[..MaxErrorLength] } : attempt;
        return new TableEntity(attempt.MessageId, AttemptKey(attempt))
        {
            ["ClientId"] = attempt.ClientId,
            ["Status"] = attempt.Status,
            ["Json"] = JsonSerializer.Serialize(bounded, StorageJson.Options),
        };
    }

    private static StepRecord ReadStep(TableEntity entity) =>
        JsonSerializer.Deserialize<StepRecord>(entity.GetString("Json"), StorageJson.Options)!;

    private static DeliveryAttempt ReadAttempt(TableEntity entity) =>
        JsonSerializer.Deserialize<DeliveryAttempt>(entity.GetString("Json"), StorageJson.Options)!;
}
