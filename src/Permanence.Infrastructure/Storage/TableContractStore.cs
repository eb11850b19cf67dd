using System.Globalization;
using Azure;
using Azure.Data.Tables;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Clients;

namespace Permanence.Infrastructure.Storage;

/// <summary>
/// Contract versions in table "Contracts" (PK = client id, RK = "v000001"…) beside a "head" row holding the
/// latest version number: a save is one entity-group transaction conditioned on the head's ETag.
/// Number ownership lives in "PhoneNumbers" (PK = E.164 number).
/// </summary>
public sealed class TableContractStore(Tables tables) : IContractStore
{
    private const string HeadRowKey = "head";

    public async Task<IReadOnlyList<StoredContractVersion>> GetVersionsAsync(string clientId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.ContractsTable, cancellationToken);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {clientId} and RowKey ge {"v"} and RowKey lt {"w"}");
        var versions = new List<StoredContractVersion>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            versions.Add(new StoredContractVersion(
                entity.GetInt32("Version") ?? 0,
                LocalDatePattern.Iso.Parse(entity.GetString("EffectiveFrom")).Value,
                Instant.FromDateTimeOffset(entity.GetDateTimeOffset("StoredAt") ?? DateTimeOffset.MinValue),
                ChunkedText.Read(entity, "Json")));
        }
        return versions;
    }

    public async Task<string?> GetNumberOwnerAsync(string number, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.NumbersTable, cancellationToken);
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(number, "", cancellationToken: cancellationToken);
        return entity.HasValue ? entity.Value!.GetString("ClientId") : null;
    }

    public async Task<IReadOnlyList<string>> ClaimNumbersAsync(string clientId, IReadOnlyList<string> numbers, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.NumbersTable, cancellationToken);
        var claimed = new List<string>();
        var taken = new List<string>();
        foreach (var number in numbers)
        {
            try
            {
                await table.AddEntityAsync(new TableEntity(number, "") { ["ClientId"] = clientId }, cancellationToken);
                claimed.Add(number);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                if (await GetNumberOwnerAsync(number, cancellationToken) != clientId)
                {
                    taken.Add(number);
                }
            }
        }
        if (taken.Count > 0)
        {
            // Another client won a race for one of the numbers: give back what this call took.
            foreach (var number in claimed)
            {
                await table.DeleteEntityAsync(number, "", ETag.All, cancellationToken);
            }
        }
        return taken;
    }

    public async Task<SaveOutcome> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.ContractsTable, cancellationToken);
        var head = await table.GetEntityIfExistsAsync<TableEntity>(clientId, HeadRowKey, cancellationToken: cancellationToken);
        var currentLatest = head.HasValue ? head.Value!.GetInt32("LatestVersion") ?? 0 : 0;
        if (currentLatest != expectedLatestVersion)
        {
            return SaveOutcome.Conflict;
        }

        var row = new TableEntity(clientId, $"v{version.Version.ToString("D6", CultureInfo.InvariantCulture)}")
        {
            ["Version"] = version.Version,
            ["EffectiveFrom"] = LocalDatePattern.Iso.Format(version.EffectiveFrom),
            ["StoredAt"] = version.StoredAt.ToDateTimeOffset(),
        };
        ChunkedText.Write(row, "Json", version.Json);
        var newHead = new TableEntity(clientId, HeadRowKey) { ["LatestVersion"] = version.Version };

        var actions = new List<TableTransactionAction>
        {
            head.HasValue
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, newHead, head.Value!.ETag)
                : new TableTransactionAction(TableTransactionActionType.Add, newHead),
            new(TableTransactionActionType.Add, row),
        };
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken);
            return SaveOutcome.Saved;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            return SaveOutcome.Conflict;
        }
    }
}
