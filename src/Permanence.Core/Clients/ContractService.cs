using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Jobs;
using Microsoft.Extensions.Logging;
using Permanence.Core.Security;

namespace Permanence.Core.Clients;

public abstract record PutContractResult
{
    public sealed record Invalid(ValidationErrors Errors) : PutContractResult;

    public sealed record Saved(int Version, LocalDate EffectiveFrom, bool ClientCreated, bool Changed) : PutContractResult;

    /// <summary>Another save of the same client is in progress: retry shortly.</summary>
    public sealed record Busy : PutContractResult;

    /// <summary>The client was offboarded (or its deletion is under way): its id cannot be configured again.</summary>
    public sealed record Offboarded : PutContractResult;
}

/// <summary>
/// Creates and versions client configurations and reads them back, compiled (README, "Client configuration").
/// Numbers are owned over time: a PUT is refused when it would give a number to two clients at the same moment.
/// </summary>
public sealed class ContractService(IContractStore store, TimeProvider time, ILogger<ContractService>? logger = null, IMonthlyJobIndex? jobIndex = null,
    Offboarding.IOffboardingStore? offboardings = null)
{
    /// <summary>Options for reading request bodies.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private const int MaxSaveAttempts = 5;

    /// <summary>A claim written by a save still in progress (or that died) counts against others for this long.</summary>
    public static readonly Duration InFlightClaimLifetime = Duration.FromMinutes(5);

    /// <summary>A save holds its client's lock far shorter than this; an older lock is a save that died.</summary>
    public static readonly Duration LockLifetime = Duration.FromMinutes(5);

    private const string OwnedByAnother = "is owned by another client during part of this version's period";

    public Instant Now => Instant.FromDateTimeOffset(time.GetUtcNow());

    /// <summary>How far from today a key scoped to some clients may date a version (README, "Numbers over time").</summary>
    public static readonly Period ScopedEffectiveFromWindow = Period.FromDays(366);

    public async Task<PutContractResult> PutAsync(string clientId, ClientConfiguration configuration, IClientScope scope, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var compiled = ConfigurationValidator.Validate(clientId, configuration, errors);
        if (!scope.AllClients && ConfigurationValidator.TryParseDate(configuration.EffectiveFrom, out var effectiveFrom))
        {
            // Far-past or far-future versions would let one client hold numbers for periods nobody is working in.
            var today = Now.InUtc().Date;
            if (effectiveFrom < today - ScopedEffectiveFromWindow || effectiveFrom > today + ScopedEffectiveFromWindow)
            {
                errors.Add("effectiveFrom", "must be within a year of today for a key scoped to some clients; an admin scoped to every client may date it further");
                compiled = null;
            }
        }
        if (compiled is null)
        {
            // One 422 lists every problem: ownership is checked too, as well as it can be without a valid version.
            await AddApproximateOwnershipErrorsAsync(clientId, configuration, errors, cancellationToken);
            return new PutContractResult.Invalid(errors);
        }

        if (await IsOffboardedAsync(clientId, cancellationToken))
        {
            return new PutContractResult.Offboarded();
        }

        // One save at a time per client: the claims it writes and restores are then its own. The commit itself
        // checks that the lock is still held, so a save that outlived it writes no version.
        if (await store.TryLockAsync(clientId, Now, LockLifetime, cancellationToken) is not { } token)
        {
            return new PutContractResult.Busy();
        }
        var held = new HeldLock(token);
        try
        {
            // Checked again under the lock: a confirmed offboarding holds it until its deletion removes it.
            if (await IsOffboardedAsync(clientId, cancellationToken))
            {
                return new PutContractResult.Offboarded();
            }
            return await SaveAsync(clientId, configuration, compiled, errors, held, cancellationToken);
        }
        finally
        {
            try
            {
                await store.UnlockAsync(clientId, held.Token, CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The save's outcome stands; the lock goes stale after LockLifetime and is taken over.
                logger?.LogWarning(e, "Releasing the configuration lock of client {ClientId} failed", clientId);
            }
        }
    }

    private async Task<bool> IsOffboardedAsync(string clientId, CancellationToken cancellationToken) =>
        offboardings is not null
        && await offboardings.GetAsync(clientId, cancellationToken) is { Record.ClientClosed: true };

    private Task RegisterMonthlyJobsAsync(string clientId, ContractHistory history, CancellationToken cancellationToken) =>
        jobIndex is null || history.Latest is not { } latest
            ? Task.CompletedTask
            : jobIndex.RegisterAsync(clientId, history.Versions.Min(v => v.EffectiveFrom).ToYearMonth(), latest.Zone.Id, cancellationToken);

    private sealed class HeldLock(string token)
    {
        public string Token { get; set; } = token;
    }

    private async Task<PutContractResult> SaveAsync(string clientId, ClientConfiguration configuration, ContractVersion compiled, ValidationErrors errors, HeldLock held, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(compiled.Configuration, StorageJson.Options);
        for (var attempt = 0; attempt < MaxSaveAttempts; attempt++)
        {
            var stored = await store.GetVersionsAsync(clientId, cancellationToken);
            var latest = stored.Count == 0 ? 0 : stored.Max(v => v.Version);
            var sameDay = stored.Where(v => v.EffectiveFrom == compiled.EffectiveFrom).MaxBy(v => v.Version);
            if (sameDay is not null && Normalize(sameDay.Json) == json)
            {
                // The same document again: nothing changes (PUT is idempotent). The number index is made to agree
                // with what is stored, in case an earlier save died between its claims and its commit.
                await SyncClaimsAsync(clientId, BuildHistory(clientId, stored), latest, cancellationToken);
                await RegisterMonthlyJobsAsync(clientId, BuildHistory(clientId, stored), cancellationToken);
                return new PutContractResult.Saved(sameDay.Version, sameDay.EffectiveFrom, ClientCreated: false, Changed: false);
            }
            var candidate = new StoredContractVersion(latest + 1, compiled.EffectiveFrom, Now, json);
            if (!store.CanStore(clientId, candidate))
            {
                errors.Add("body", "is too large to store: shorten texts or split contacts and scenarios");
                return new PutContractResult.Invalid(errors);
            }

            var before = BuildHistory(clientId, stored);
            var after = BuildHistory(clientId, [.. stored, candidate]);
            if (await AddOwnershipConflictsAsync(clientId, configuration, compiled.Region, after, errors, cancellationToken))
            {
                return new PutContractResult.Invalid(errors);
            }

            var previousClaims = await WriteClaimsAsync(clientId, before, after, candidate.Version, cancellationToken);
            var committed = false;
            try
            {
                // Checked again once our claims are visible: of two saves racing for one number, neither wins twice.
                if (await AddOwnershipConflictsAsync(clientId, configuration, compiled.Region, after, errors, cancellationToken))
                {
                    return new PutContractResult.Invalid(errors);
                }
                // Before the commit: a version stored without its row would never get its monthly report, while a
                // row without a version (the commit failed) is only a hint the jobs skip.
                await RegisterMonthlyJobsAsync(clientId, after, cancellationToken);
                var saved = await store.SaveVersionAsync(clientId, candidate, latest, held.Token, CancellationToken.None);
                held.Token = saved.LockToken ?? held.Token;
                if (saved.Outcome == SaveOutcome.Saved)
                {
                    committed = true;
                    return new PutContractResult.Saved(candidate.Version, candidate.EffectiveFrom, ClientCreated: latest == 0, Changed: true);
                }
                if (saved.Outcome == SaveOutcome.LockLost)
                {
                    // Another save holds the client now: its claims are not ours to restore.
                    committed = true;
                    return new PutContractResult.Busy();
                }
            }
            finally
            {
                // A failed save leaves no claim behind, unless the commit went through after all (an error answered
                // after the transaction was applied).
                if (!committed && !await IsStoredAsync(clientId, candidate))
                {
                    await RestoreClaimsAsync(clientId, previousClaims, CancellationToken.None);
                }
            }
        }
        throw new InvalidOperationException("The configuration kept changing while it was being saved.");
    }

    /// <summary>The client's versions compiled, or null for an unknown client.</summary>
    public async Task<ContractHistory?> GetHistoryAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!Identifiers.IsValidClientId(clientId))
        {
            return null;
        }
        var stored = await store.GetVersionsAsync(clientId, cancellationToken);
        return stored.Count == 0 ? null : BuildHistory(clientId, stored);
    }

    /// <summary>The intervals during which the client owns the number, per its saved versions (empty if none).</summary>
    public static IReadOnlyList<OwnershipInterval> OwnershipOf(ContractHistory? history, string number) =>
        history is not null && NumberOwnership.IntervalsByNumber(history).TryGetValue(number, out var intervals) ? intervals : [];

    private static ContractHistory BuildHistory(string clientId, IEnumerable<StoredContractVersion> stored) =>
        // A version with the same effectiveFrom as a later PUT is superseded by it.
        new(stored.GroupBy(v => v.EffectiveFrom).Select(g => Compile(clientId, g.MaxBy(v => v.Version)!)));

    private static ContractVersion Compile(string clientId, StoredContractVersion stored)
    {
        var configuration = JsonSerializer.Deserialize<ClientConfiguration>(stored.Json, StorageJson.Options)
            ?? throw new InvalidDataException($"Stored configuration {clientId} v{stored.Version} is empty.");
        // Validated when written: reads trust what was stored.
        var version = ConfigurationValidator.Validate(clientId, configuration, new ValidationErrors(), stored.Version, trusted: true)
            ?? throw new InvalidDataException($"Stored configuration {clientId} v{stored.Version} cannot be compiled.");
        return version with { EffectiveFrom = stored.EffectiveFrom, StoredAt = stored.StoredAt };
    }

    private static string Normalize(string storedJson) =>
        JsonSerializer.Serialize(JsonSerializer.Deserialize<ClientConfiguration>(storedJson, StorageJson.Options), StorageJson.Options);

    /// <summary>What other clients hold of a number: their saved versions, plus a claim of a save in progress.</summary>
    private async Task<IReadOnlyList<OwnershipInterval>> OthersOwnershipAsync(NumberClaim claim, CancellationToken cancellationToken)
    {
        var history = await GetHistoryAsync(claim.ClientId, cancellationToken);
        var intervals = OwnershipOf(history, claim.Number).ToList();
        var inFlight = claim.Intervals is not null
            && claim.ContractVersion > (history?.Latest?.Version ?? 0)
            && claim.WrittenAt is { } written && Now - written < InFlightClaimLifetime;
        if (inFlight)
        {
            intervals.AddRange(claim.Intervals!);
        }
        return intervals;
    }

    /// <returns>Whether a number of <paramref name="after"/> overlaps another client's ownership (errors added).</returns>
    private async Task<bool> AddOwnershipConflictsAsync(string clientId, ClientConfiguration configuration, string? region, ContractHistory after, ValidationErrors errors, CancellationToken cancellationToken)
    {
        var conflict = false;
        foreach (var (number, ours) in NumberOwnership.IntervalsByNumber(after))
        {
            foreach (var claim in await store.GetNumberClaimsAsync(number, cancellationToken))
            {
                if (claim.ClientId != clientId && NumberOwnership.Overlap(ours, await OthersOwnershipAsync(claim, cancellationToken)))
                {
                    // Named by its place in the request; nothing about the other client is said.
                    var index = IndexOf(configuration, number, region);
                    if (index >= 0)
                    {
                        errors.Add($"numbers[{index}]", OwnedByAnother);
                    }
                    else
                    {
                        errors.Add("numbers", $"{number} {OwnedByAnother}");
                    }
                    conflict = true;
                    break;
                }
            }
        }
        return conflict;
    }

    private async Task AddApproximateOwnershipErrorsAsync(string clientId, ClientConfiguration configuration, ValidationErrors errors, CancellationToken cancellationToken)
    {
        // Without a valid zone the version's start is known to within a day: judge from the day before.
        var from = ConfigurationValidator.TryParseDate(configuration.EffectiveFrom, out var date) && Limits.IsInRange(date)
            ? date.PlusDays(-1).AtMidnight().InUtc().ToInstant()
            : Limits.EarliestTimestamp;
        OwnershipInterval[] window = [new(from, null)];
        var region = PhoneNumberNormalizer.RegionOf(configuration.Locale);
        var numbers = configuration.Numbers ?? [];
        // Beyond the limit the list is refused anyway: no storage read per listed number.
        for (var i = 0; i < Math.Min(numbers.Count, ConfigurationValidator.MaxNumbers); i++)
        {
            if (PhoneNumberNormalizer.TryNormalize(numbers[i], region) is not { } e164)
            {
                continue;
            }
            foreach (var claim in await store.GetNumberClaimsAsync(e164, cancellationToken))
            {
                if (claim.ClientId != clientId && NumberOwnership.Overlap(window, await OthersOwnershipAsync(claim, cancellationToken)))
                {
                    errors.Add($"numbers[{i}]", OwnedByAnother);
                    break;
                }
            }
        }
    }

    /// <summary>Writes the client's claims as of <paramref name="after"/>; returns what they were, to restore on failure.</summary>
    private async Task<Dictionary<string, List<NumberClaim>>> WriteClaimsAsync(string clientId, ContractHistory before, ContractHistory after, int version, CancellationToken cancellationToken)
    {
        var target = NumberOwnership.IntervalsByNumber(after);
        var numbers = NumberOwnership.IntervalsByNumber(before).Keys.Union(target.Keys, StringComparer.Ordinal).ToList();
        var previous = new Dictionary<string, List<NumberClaim>>(StringComparer.Ordinal);
        foreach (var number in numbers)
        {
            previous[number] = (await store.GetNumberClaimsAsync(number, cancellationToken)).Where(c => c.ClientId == clientId).ToList();
        }
        try
        {
            foreach (var number in numbers)
            {
                if (target.TryGetValue(number, out var intervals))
                {
                    await store.WriteNumberClaimAsync(new NumberClaim(number, clientId, intervals, version, Now), cancellationToken);
                }
                else
                {
                    await store.RemoveNumberClaimAsync(number, clientId, cancellationToken);
                }
            }
        }
        catch
        {
            await RestoreClaimsAsync(clientId, previous, CancellationToken.None);
            throw;
        }
        return previous;
    }

    private async Task<bool> IsStoredAsync(string clientId, StoredContractVersion candidate) =>
        (await store.GetVersionsAsync(clientId, CancellationToken.None)).Any(v => v.Version == candidate.Version && v.Json == candidate.Json);

    /// <summary>Writes a claim for every number the stored versions list (never removes one).</summary>
    private async Task SyncClaimsAsync(string clientId, ContractHistory history, int latestVersion, CancellationToken cancellationToken)
    {
        foreach (var (number, intervals) in NumberOwnership.IntervalsByNumber(history))
        {
            await store.WriteNumberClaimAsync(new NumberClaim(number, clientId, intervals, latestVersion, Now), cancellationToken);
        }
    }

    private async Task RestoreClaimsAsync(string clientId, Dictionary<string, List<NumberClaim>> previous, CancellationToken cancellationToken)
    {
        foreach (var (number, claims) in previous)
        {
            await store.RemoveNumberClaimAsync(number, clientId, cancellationToken);
            foreach (var claim in claims)
            {
                await store.WriteNumberClaimAsync(claim, cancellationToken);
            }
        }
    }

    private static int IndexOf(ClientConfiguration configuration, string e164, string? region)
    {
        var numbers = configuration.Numbers ?? [];
        for (var i = 0; i < numbers.Count; i++)
        {
            if (PhoneNumberNormalizer.TryNormalize(numbers[i], region) == e164)
            {
                return i;
            }
        }
        return -1;
    }
}
