using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Messages;
using Permanence.Core.Configuration;
using Permanence.Core.Exports;
using Permanence.Core.Sla;

namespace Permanence.Core.Offboarding;

public abstract record OffboardRequestResult
{
    public sealed record UnknownClient : OffboardRequestResult;

    /// <summary>The client was offboarded (or its deletion is under way): nothing more to return.</summary>
    public sealed record AlreadyOffboarded : OffboardRequestResult;

    /// <summary>Accepted (or accepted earlier and still in progress or ready): the preparation runs in the background.</summary>
    public sealed record Accepted(OffboardingRecord Record, bool Created) : OffboardRequestResult;
}

public abstract record ConfirmResult
{
    /// <summary>No offboarding was asked for this client.</summary>
    public sealed record NotRequested : ConfirmResult;

    /// <summary>The package is still being made: nothing can be confirmed yet.</summary>
    public sealed record NotReady : ConfirmResult;

    /// <summary>The hash is not that of the package's manifest: nothing was deleted.</summary>
    public sealed record WrongHash : ConfirmResult;

    /// <summary>A configuration save of the client is in progress: nothing was deleted; retry in a moment.</summary>
    public sealed record Busy : ConfirmResult;

    /// <summary>
    /// Data arrived after the package was cut: deleting now would delete it unreturned. Nothing was deleted; asking
    /// for the offboarding again makes a new cut.
    /// </summary>
    public sealed record NewDataSinceCut(Instant CutAt) : ConfirmResult;

    /// <summary>Deleted and certified (now, or by an earlier confirmation).</summary>
    public sealed record Certified(OffboardingRecord Record, string CertificateName, ReadOnlyMemory<byte> Certificate) : ConfirmResult;
}

/// <summary>
/// A client's offboarding (README, "Offboarding and retention"). Asked for, it returns everything: the export of
/// every month that lacks one, the month in progress closed at the request, every configuration version with
/// its scenario scripts, and a top-level manifest listing each export manifest's SHA-256. Confirmed with that
/// manifest's hash, it closes the client, deletes its data and writes a signed certificate once. Every step can
/// be redone: a preparation or a confirmation that stopped resumes where it was.
/// </summary>
public sealed class OffboardingService(
    ClientDirectory clients,
    IContractStore contracts,
    IOffboardingStore offboardings,
    IOffboardingFiles files,
    IExportStore exports,
    ExportJob exportJob,
    IClientDataEraser eraser,
    ICallIndex callIndex,
    IMessageIndex messageIndex,
    CertificateSigner signer,
    TimeProvider time,
    ILogger<OffboardingService> logger)
{
    public const string ManifestFile = "manifest.json";
    public const string ConfigurationFile = "configuration.json";

    /// <summary>The package's manifest of the n-th cut: manifest.json, then manifest-2.json… (files are written once).</summary>
    public static string ManifestName(int cut) => cut > 1 ? $"manifest-{cut}.json" : ManifestFile;

    public static string ConfigurationName(int cut) => cut > 1 ? $"configuration-{cut}.json" : ConfigurationFile;
    public const int SchemaVersion = 1;

    /// <summary>What a certificate says is kept: the contract keeps these past the deletion.</summary>
    public const string Kept = "exports (the offboarding package included), reports and certificates";

    private const int MaxAttempts = 10;

    // Readable UTF-8 ("É", "+", "&" as themselves), indented.
    private static readonly JsonSerializerOptions Json = Common.StorageJson.Readable;

    private Instant Now => Instant.FromDateTimeOffset(time.GetUtcNow());

    public Task<StoredOffboarding?> GetAsync(string clientId, CancellationToken cancellationToken) => offboardings.GetAsync(clientId, cancellationToken);

    public async Task<OffboardRequestResult> RequestAsync(string clientId, string keyId, CancellationToken cancellationToken)
    {
        var stored = await offboardings.GetAsync(clientId, cancellationToken);
        if (stored?.Record.ClientClosed == true)
        {
            return new OffboardRequestResult.AlreadyOffboarded();
        }
        if (stored is { Record.Status: OffboardingStatus.Ready } ready && await HasDataSinceCutAsync(ready.Record, cancellationToken))
        {
            // Asked again after new data: a new cut, so that the package returns it too.
            var again = new OffboardingRecord(clientId, OffboardingStatus.Preparing, Now, keyId) { Cut = ready.Record.Cut + 1, IssuedTo = ready.Record.IssuedTo };
            if (!await offboardings.TryReplaceAsync(again, ready.ETag, cancellationToken))
            {
                return await RequestAsync(clientId, keyId, cancellationToken);
            }
            logger.LogInformation("Offboarding of client {ClientId} asked again by key {KeyId}: cut {Cut}", clientId, keyId, again.Cut);
            return new OffboardRequestResult.Accepted(again, Created: true);
        }
        if (stored is not null)
        {
            return new OffboardRequestResult.Accepted(stored.Record, Created: false);
        }
        if (await clients.GetHistoryAsync(clientId, cancellationToken) is not { Latest: not null })
        {
            return new OffboardRequestResult.UnknownClient();
        }
        var record = new OffboardingRecord(clientId, OffboardingStatus.Preparing, Now, keyId);
        if (!await offboardings.TryAddAsync(record, cancellationToken))
        {
            // A concurrent request added it first: that one stands.
            return await RequestAsync(clientId, keyId, cancellationToken);
        }
        logger.LogInformation("Offboarding of client {ClientId} requested by key {KeyId}", clientId, keyId);
        return new OffboardRequestResult.Accepted(record, Created: true);
    }

    /// <summary>Makes what is missing of the package, then marks it ready; does nothing once it is.</summary>
    public async Task PrepareAsync(string clientId, CancellationToken cancellationToken)
    {
        if (await offboardings.GetAsync(clientId, cancellationToken) is not { Record.Status: OffboardingStatus.Preparing } stored
            || await clients.GetHistoryAsync(clientId, cancellationToken) is not { Latest: { } latest } history)
        {
            return;
        }
        var closedAt = stored.Record.RequestedAt;
        var cut = stored.Record.Cut;
        var months = ClosedMonths(history, closedAt);
        // Every change below is for this cut only: a preparation of an earlier cut, late on another instance, changes nothing.
        bool Mine(OffboardingRecord r) => r.Status == OffboardingStatus.Preparing && r.Cut == cut;
        stored = await UpdateAsync(clientId, r => Mine(r) ? r with { MonthsTotal = months.Count + 1 } : r, cancellationToken);

        var folders = new List<ExportFolder>();
        foreach (var month in months)
        {
            var outcome = await exportJob.RunAsync(clientId, month, cancellationToken);
            if (outcome is ExportJobOutcome.Written or ExportJobOutcome.AlreadyComplete)
            {
                folders.Add(new ExportFolder(clientId, month));
            }
            stored = await UpdateAsync(clientId, r => Mine(r) ? r with { MonthsDone = Math.Max(r.MonthsDone, folders.Count) } : r, cancellationToken);
        }
        if (await exportJob.RunPartialAsync(clientId, closedAt, cut, cancellationToken) is { } partial)
        {
            folders.Add(partial);
        }

        // configuration.json: every version, scenario scripts included, webhook secrets masked.
        var configuration = JsonSerializer.SerializeToUtf8Bytes(new PackageConfiguration(
            clientId,
            history.Versions.OrderBy(v => v.Version)
                .Select(v => new ExportFiles.ConfigurationFileVersion(v.Version, LocalDatePattern.Iso.Format(v.EffectiveFrom), ExportFiles.Time(v.StoredAt), v.Configuration.WithSecretsMasked()))
                .ToList()), Json);
        await files.WriteOnceAsync(OffboardingArea.Package, clientId, ConfigurationName(cut), configuration, cancellationToken);
        configuration = (await files.ReadAsync(OffboardingArea.Package, clientId, ConfigurationName(cut), cancellationToken))!.Value.ToArray();

        var listed = new List<PackageExport>();
        foreach (var folder in folders)
        {
            var manifest = await exports.ReadAsync(folder, ExportFiles.ManifestFile, cancellationToken)
                ?? throw new InvalidOperationException($"The export {folder.Prefix} has no manifest.");
            listed.Add(new PackageExport(SlaPeriod.Format(folder.Period), folder.Partial, $"exports/{folder.Prefix}", Sha256(manifest.Span)));
        }
        var package = new PackageManifest(clientId, ExportFiles.Time(closedAt)!, ExportFiles.Time(Now)!, SchemaVersion, listed,
            [new PackageFile(ConfigurationName(cut), configuration.Length, Sha256(configuration))]);
        // Written once: a preparation that stopped after it keeps the manifest (and the hash) it wrote.
        await files.WriteOnceAsync(OffboardingArea.Package, clientId, ManifestName(cut), JsonSerializer.SerializeToUtf8Bytes(package, Json), cancellationToken);
        var written = (await files.ReadAsync(OffboardingArea.Package, clientId, ManifestName(cut), cancellationToken))!.Value;
        var hash = Sha256(written.Span);
        var packagedVersion = JsonSerializer.Deserialize<PackageConfiguration>(configuration, Json)!.Versions.Max(v => v.Version);
        await UpdateAsync(clientId, r => Mine(r)
            ? r with { Status = OffboardingStatus.Ready, ManifestSha256 = hash, MonthsDone = r.MonthsTotal, PackagedVersion = packagedVersion }
            : r, cancellationToken);
        logger.LogInformation("Offboarding of client {ClientId} ready: {Exports} exports", clientId, listed.Count);
    }

    public async Task<ConfirmResult> ConfirmAsync(string clientId, string manifestSha256, string keyId, CancellationToken cancellationToken)
    {
        string? lockToken = null;
        try
        {
            var result = await ConfirmLockedAsync(clientId, manifestSha256, keyId, token => lockToken = token, cancellationToken);
            if (result is ConfirmResult.Certified)
            {
                lockToken = null; // the deletion of the contract removed it
            }
            return result;
        }
        finally
        {
            if (lockToken is not null)
            {
                await contracts.UnlockAsync(clientId, lockToken, CancellationToken.None);
            }
        }
    }

    private async Task<ConfirmResult> ConfirmLockedAsync(string clientId, string manifestSha256, string keyId, Action<string> locked, CancellationToken cancellationToken)
    {
        var held = false;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await offboardings.GetAsync(clientId, cancellationToken) is not { } stored)
            {
                return new ConfirmResult.NotRequested();
            }
            var record = stored.Record;
            if (record.Status == OffboardingStatus.Preparing)
            {
                return new ConfirmResult.NotReady();
            }
            if (!HashMatches(record.ManifestSha256, manifestSha256))
            {
                return new ConfirmResult.WrongHash();
            }
            if (record.Status == OffboardingStatus.Closed)
            {
                return await CertifiedAsync(record, cancellationToken);
            }
            if (record.Status == OffboardingStatus.Ready && await HasDataSinceCutAsync(record, cancellationToken))
            {
                return new ConfirmResult.NewDataSinceCut(record.RequestedAt);
            }
            // No configuration save runs while the client is closed: its lock is held until the deletion of the
            // contract removes it, and a save that starts later finds the client deleting (ContractService).
            if (!held)
            {
                if (await contracts.TryLockAsync(clientId, Now, ContractService.LockLifetime, cancellationToken) is not { } token)
                {
                    return new ConfirmResult.Busy();
                }
                locked(token);
                held = true;
            }
            if (record.Status == OffboardingStatus.Ready
                && !await offboardings.TryReplaceAsync(record with { Status = OffboardingStatus.Deleting, ConfirmedAt = Now, ConfirmedBy = keyId }, stored.ETag, cancellationToken))
            {
                continue; // Changed in between: read again (the lock is ours, and taken again).
            }
            return await DeleteAsync(clientId, cancellationToken);
        }
        throw new InvalidOperationException($"The offboarding of client '{clientId}' kept changing.");
    }

    /// <summary>Resumes a confirmed deletion that stopped (the runner, at start and when its status is read).</summary>
    public async Task ResumeDeletionAsync(string clientId, CancellationToken cancellationToken)
    {
        if (await offboardings.GetAsync(clientId, cancellationToken) is not { Record.Status: OffboardingStatus.Deleting }
            || await contracts.TryLockAsync(clientId, Now, ContractService.LockLifetime, cancellationToken) is not { } token)
        {
            return;
        }
        if (await offboardings.GetAsync(clientId, cancellationToken) is not { Record.Status: OffboardingStatus.Deleting })
        {
            // Finished by another instance in between: the lock row we just made goes too.
            await contracts.UnlockAsync(clientId, token, CancellationToken.None);
            return;
        }
        await DeleteAsync(clientId, cancellationToken);
    }

    /// <summary>The client is closed: count what there is, delete it, certify it once.</summary>
    private async Task<ConfirmResult> DeleteAsync(string clientId, CancellationToken cancellationToken)
    {
        var stored = (await offboardings.GetAsync(clientId, cancellationToken))!;
        if (stored.Record.Inventory is null)
        {
            var inventory = await eraser.InventoryAsync(clientId, cancellationToken);
            stored = await UpdateAsync(clientId, r => r.Inventory is null
                ? r with { Inventory = inventory.Stores, Months = [.. inventory.Months.Select(SlaPeriod.Format)] }
                : r, cancellationToken);
        }
        // Closed first, and forgotten by this instance's cache, so that no new message or routing step finds the
        // client while the rest is deleted (other instances forget it within ClientDirectory.Ttl).
        await eraser.CloseClientAsync(clientId, cancellationToken);
        clients.EvictAll();
        await eraser.EraseClientAsync(clientId, cancellationToken);
        clients.EvictAll();

        var record = stored.Record;
        var name = $"deletion-{LocalDatePattern.Iso.Format(record.ConfirmedAt!.Value.InUtc().Date)}.json";
        var body = new CertificateBody("deletion", clientId, ExportFiles.Time(Now)!, record.Months ?? [], record.Inventory!, ErasureSummary.Deleted(record.Inventory!), Kept)
        {
            RequestedAt = ExportFiles.Time(record.RequestedAt),
            ConfirmedAt = ExportFiles.Time(record.ConfirmedAt),
            ConfirmedBy = record.ConfirmedBy,
            ManifestSha256 = record.ManifestSha256,
            PackageIssuedTo = record.IssuedTo,
        };
        // Written once: a confirmation that stopped after it keeps the certificate it wrote.
        await files.WriteOnceAsync(OffboardingArea.Certificates, clientId, name, signer.Sign(body), cancellationToken);
        record = (await UpdateAsync(clientId, r => r with { Status = OffboardingStatus.Closed, Certificate = name }, cancellationToken)).Record;
        // Once more, closed: a lock row a concurrent resume made meanwhile must not outlive the client.
        await eraser.CloseClientAsync(clientId, cancellationToken);
        logger.LogInformation("Client {ClientId} offboarded: {Records} records deleted, certificate {Certificate}", clientId, body.Total, name);
        return await CertifiedAsync(record, cancellationToken);
    }

    private async Task<ConfirmResult> CertifiedAsync(OffboardingRecord record, CancellationToken cancellationToken) =>
        new ConfirmResult.Certified(record, record.Certificate!,
            await files.ReadAsync(OffboardingArea.Certificates, record.ClientId, record.Certificate!, cancellationToken)
                ?? throw new InvalidOperationException($"The certificate {record.Certificate} of client '{record.ClientId}' is missing."));

    /// <summary>
    /// Whether the package misses something that is now stored: a configuration version it does not list, a call or
    /// message of the cut's month that its partial export does not count (one that started before the cut but was
    /// reported after the package was made, or one since the cut), or any call or message of a later month.
    /// </summary>
    private async Task<bool> HasDataSinceCutAsync(OffboardingRecord record, CancellationToken cancellationToken)
    {
        if (await clients.GetHistoryAsync(record.ClientId, cancellationToken) is not { Latest: { } latest } history)
        {
            return false;
        }
        if (history.Versions.Any(v => v.Version > record.PackagedVersion))
        {
            return true;
        }
        var cutAt = record.RequestedAt;
        var zone = (history.VersionAt(cutAt) ?? latest).Zone;
        var cutMonth = cutAt.InZone(zone).Date.ToYearMonth();
        var partial = new ExportFolder(record.ClientId, cutMonth, Partial: true, record.Cut);
        if (cutMonth >= history.Versions.Min(v => v.EffectiveFrom).ToYearMonth()
            && await exports.GetAsync(partial, ExportFiles.ManifestFile, cancellationToken) is null)
        {
            return true; // the package should hold the cut month, and does not: make it again
        }
        var calls = await callIndex.ListAsync(record.ClientId, cutMonth, cancellationToken).Select(c => c.StartedAt < cutAt).ToListAsync(cancellationToken);
        var messages = await messageIndex.ListAsync(record.ClientId, cutMonth, cancellationToken).Select(m => m.TakenAt < cutAt).ToListAsync(cancellationToken);
        if (calls.Contains(false) || messages.Contains(false)
            || await exports.GetAsync(partial, ExportFiles.Calls, cancellationToken) is { } callsFile && callsFile.Rows != calls.Count
            || await exports.GetAsync(partial, ExportFiles.Messages, cancellationToken) is { } messagesFile && messagesFile.Rows != messages.Count)
        {
            return true;
        }
        for (var month = cutMonth.PlusMonths(1); month <= Now.InZone(zone).Date.ToYearMonth(); month = month.PlusMonths(1))
        {
            if (await callIndex.ListAsync(record.ClientId, month, cancellationToken).AnyAsync(cancellationToken)
                || await messageIndex.ListAsync(record.ClientId, month, cancellationToken).AnyAsync(cancellationToken))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Keeps, in the tombstone, which admin keys were handed the package's links (the access log goes with the data).</summary>
    public Task RecordIssuedAsync(string clientId, string keyId, CancellationToken cancellationToken) =>
        UpdateAsync(clientId, r => r.IssuedTo?.Contains(keyId) == true ? r : r with { IssuedTo = [.. r.IssuedTo ?? [], keyId] }, cancellationToken);

    /// <summary>Every month closed at <paramref name="closedAt"/> in the client's zone, from its first configuration's.</summary>
    private static List<YearMonth> ClosedMonths(ContractHistory history, Instant closedAt)
    {
        var first = history.Versions.Min(v => v.EffectiveFrom).ToYearMonth();
        var current = closedAt.InZone((history.VersionAt(closedAt) ?? history.Latest!).Zone).Date.ToYearMonth();
        var months = new List<YearMonth>();
        for (var month = first; month < current; month = month.PlusMonths(1))
        {
            months.Add(month);
        }
        return months;
    }

    private async Task<StoredOffboarding> UpdateAsync(string clientId, Func<OffboardingRecord, OffboardingRecord> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stored = (await offboardings.GetAsync(clientId, cancellationToken))
                ?? throw new InvalidOperationException($"The offboarding of client '{clientId}' disappeared.");
            var changed = change(stored.Record);
            if (changed == stored.Record)
            {
                return stored;
            }
            if (await offboardings.TryReplaceAsync(changed, stored.ETag, cancellationToken))
            {
                return (await offboardings.GetAsync(clientId, cancellationToken))!;
            }
        }
        throw new InvalidOperationException($"The offboarding of client '{clientId}' kept changing.");
    }

    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);

    private static bool HashMatches(string? expected, string given) =>
        expected is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given));

    private static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The package's configuration.json: every version of the contract, in the order they were saved.</summary>
    public sealed record PackageConfiguration(string ClientId, IReadOnlyList<ExportFiles.ConfigurationFileVersion> Versions);

    /// <summary>One export in the package: its folder and the SHA-256 of its manifest.json.</summary>
    public sealed record PackageExport(string Period, bool Partial, string Folder, string ManifestSha256);

    public sealed record PackageFile(string Name, long Bytes, string Sha256);

    /// <summary>offboarding/{clientId}/manifest.json: its SHA-256 is what the confirmation quotes.</summary>
    public sealed record PackageManifest(string ClientId, string ClosedAt, string GeneratedAt, int SchemaVersion, IReadOnlyList<PackageExport> Exports, IReadOnlyList<PackageFile> Files);
}
