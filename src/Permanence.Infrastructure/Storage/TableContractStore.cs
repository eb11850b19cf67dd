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
/// The number index lives in "PhoneNumbers" (PK = E.164 number, RK = client id, the client's ownership intervals);
/// a row with an empty RK is the earlier form (one owner per number), still read.
/// </summary>
public sealed class TableContractStore(Tables tables) : IContractStore
{
    private const string HeadRowKey = "head";
    private const string LegacyRowKey = "";
    private const string LockRowKey = "lock";

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

    public async Task<IReadOnlyList<NumberClaim>> GetNumberClaimsAsync(string number, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.NumbersTable, cancellationToken);
        var claims = new List<NumberClaim>();
        await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {number}"), cancellationToken: cancellationToken))
        {
            claims.Add(entity.RowKey == LegacyRowKey
                // Written before numbers had periods: one row per number, the owner in a property.
                ? new NumberClaim(number, entity.GetString("ClientId"), null, 0, null)
                : new NumberClaim(number, entity.RowKey, NumberOwnership.Parse(entity.GetString("Intervals")),
                    entity.GetInt32("ContractVersion") ?? 0, entity.GetInstant("WrittenAt")));
        }
        return claims;
    }

    public async Task WriteNumberClaimAsync(NumberClaim claim, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.NumbersTable, cancellationToken);
        if (claim.Intervals is null)
        {
            await table.UpsertEntityAsync(new TableEntity(claim.Number, LegacyRowKey) { ["ClientId"] = claim.ClientId }, TableUpdateMode.Replace, cancellationToken);
            return;
        }
        await table.UpsertEntityAsync(new TableEntity(claim.Number, claim.ClientId)
        {
            ["Intervals"] = NumberOwnership.Format(claim.Intervals),
            ["ContractVersion"] = claim.ContractVersion,
            ["WrittenAt"] = claim.WrittenAt.ToStored(),
        }, TableUpdateMode.Replace, cancellationToken);
        await RemoveLegacyAsync(table, claim.Number, claim.ClientId, cancellationToken);
    }

    public async Task RemoveNumberClaimAsync(string number, string clientId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.NumbersTable, cancellationToken);
        await table.DeleteEntityAsync(number, clientId, ETag.All, cancellationToken); // no error when absent
        await RemoveLegacyAsync(table, number, clientId, cancellationToken);
    }

    private static async Task RemoveLegacyAsync(TableClient table, string number, string clientId, CancellationToken cancellationToken)
    {
        var legacy = await table.GetEntityIfExistsAsync<TableEntity>(number, LegacyRowKey, cancellationToken: cancellationToken);
        if (legacy.HasValue && legacy.Value!.GetString("ClientId") == clientId)
        {
            try
            {
                await table.DeleteEntityAsync(number, LegacyRowKey, legacy.Value.ETag, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Changed meanwhile: no longer this client's row.
            }
        }
    }

    public async Task<string?> TryLockAsync(string clientId, Instant now, Duration staleAfter, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.ContractsTable, cancellationToken);
        var entity = new TableEntity(clientId, LockRowKey) { ["Since"] = now.ToDateTimeOffset() };
        try
        {
            return (await table.AddEntityAsync(entity, cancellationToken)).Headers.ETag?.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var held = await table.GetEntityIfExistsAsync<TableEntity>(clientId, LockRowKey, cancellationToken: cancellationToken);
            if (held.HasValue && held.Value!.GetInstant("Since") is { } since && now - since < staleAfter)
            {
                return null;
            }
            try
            {
                // Taken over from a save that died, only if nobody else did first.
                var response = held.HasValue
                    ? await table.UpdateEntityAsync(entity, held.Value!.ETag, TableUpdateMode.Replace, cancellationToken)
                    : await table.AddEntityAsync(entity, cancellationToken);
                return response.Headers.ETag?.ToString();
            }
            catch (RequestFailedException again) when (again.Status is 409 or 412)
            {
                return null;
            }
        }
    }

    public async Task UnlockAsync(string clientId, string lockToken, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.ContractsTable, cancellationToken);
        try
        {
            await table.DeleteEntityAsync(clientId, LockRowKey, new ETag(lockToken), cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Taken over meanwhile: it is someone else's now.
        }
    }

    public bool CanStore(string clientId, StoredContractVersion version) => EntitySize.Fits(ToEntity(clientId, version));

    public async Task<SaveVersionResult> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, string lockToken, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(StorageNames.ContractsTable, cancellationToken);
        var head = await table.GetEntityIfExistsAsync<TableEntity>(clientId, HeadRowKey, cancellationToken: cancellationToken);
        var currentLatest = head.HasValue ? head.Value!.GetInt32("LatestVersion") ?? 0 : 0;
        if (currentLatest != expectedLatestVersion)
        {
            return new SaveVersionResult(SaveOutcome.Conflict, lockToken);
        }

        var row = ToEntity(clientId, version);
        if (!EntitySize.Fits(row))
        {
            throw new InvalidOperationException($"Configuration {clientId} v{version.Version} is too large to store; CanStore must be checked first.");
        }
        var newHead = new TableEntity(clientId, HeadRowKey) { ["LatestVersion"] = version.Version };
        var actions = new List<TableTransactionAction>
        {
            head.HasValue
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, newHead, head.Value!.ETag)
                : new TableTransactionAction(TableTransactionActionType.Add, newHead),
            new(TableTransactionActionType.Add, row),
            // Proves, in the same transaction, that this save still holds the client's lock.
            new(TableTransactionActionType.UpdateMerge, new TableEntity(clientId, LockRowKey) { ["SavedVersion"] = version.Version }, new ETag(lockToken)),
        };
        try
        {
            var responses = await table.SubmitTransactionAsync(actions, cancellationToken);
            return new SaveVersionResult(SaveOutcome.Saved, responses.Value[2].Headers.ETag?.ToString() ?? lockToken);
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412 or 404)
        {
            return new SaveVersionResult(e.FailedTransactionActionIndex == 2 ? SaveOutcome.LockLost : SaveOutcome.Conflict, lockToken);
        }
    }

    private static TableEntity ToEntity(string clientId, StoredContractVersion version)
    {
        var row = new TableEntity(clientId, $"v{version.Version.ToString("D6", CultureInfo.InvariantCulture)}")
        {
            ["Version"] = version.Version,
            ["EffectiveFrom"] = LocalDatePattern.Iso.Format(version.EffectiveFrom),
            ["StoredAt"] = version.StoredAt.ToDateTimeOffset(),
        };
        ChunkedText.Write(row, "Json", version.Json);
        return row;
    }
}
