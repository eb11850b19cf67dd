using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using Permanence.Core.Common;
using Permanence.Core.Configuration;

namespace Permanence.Core.Clients;

public abstract record PutContractResult
{
    public sealed record Invalid(ValidationErrors Errors) : PutContractResult;

    public sealed record Saved(int Version, LocalDate EffectiveFrom, bool ClientCreated, bool Changed) : PutContractResult;
}

/// <summary>Creates and versions client configurations (DESIGN.md §5) and reads them back, compiled.</summary>
public sealed class ContractService(IContractStore store, TimeProvider time)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private const int MaxSaveAttempts = 5;

    public async Task<PutContractResult> PutAsync(string clientId, ClientConfiguration configuration, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var compiled = ConfigurationValidator.Validate(clientId, configuration, errors);
        // Ownership of the numbers is checked even when other fields are wrong, so that one 422 lists every problem.
        var region = PhoneNumberNormalizer.RegionOf(configuration.Locale);
        var numbers = configuration.Numbers ?? [];
        for (var i = 0; i < numbers.Count; i++)
        {
            if (PhoneNumberNormalizer.TryNormalize(numbers[i], region) is { } e164 &&
                await store.GetNumberOwnerAsync(e164, cancellationToken) is { } owner && owner != clientId)
            {
                errors.Add($"numbers[{i}]", "is already owned by another client");
            }
        }
        if (compiled is null || !errors.IsEmpty)
        {
            return new PutContractResult.Invalid(errors);
        }

        var taken = await store.ClaimNumbersAsync(clientId, compiled.Numbers, cancellationToken);
        if (taken.Count > 0)
        {
            foreach (var number in taken)
            {
                errors.Add($"numbers[{IndexOf(configuration, number, compiled.Region)}]", "is already owned by another client");
            }
            return new PutContractResult.Invalid(errors);
        }

        var json = JsonSerializer.Serialize(compiled.Configuration, Json);
        for (var attempt = 0; attempt < MaxSaveAttempts; attempt++)
        {
            var versions = await store.GetVersionsAsync(clientId, cancellationToken);
            var latest = versions.Count == 0 ? 0 : versions.Max(v => v.Version);
            var sameDay = versions.Where(v => v.EffectiveFrom == compiled.EffectiveFrom).MaxBy(v => v.Version);
            if (sameDay is not null && sameDay.Json == json)
            {
                // The same document again: nothing changes (PUT is idempotent).
                return new PutContractResult.Saved(sameDay.Version, sameDay.EffectiveFrom, ClientCreated: false, Changed: false);
            }
            var stored = new StoredContractVersion(latest + 1, compiled.EffectiveFrom, Instant.FromDateTimeOffset(time.GetUtcNow()), json);
            if (await store.SaveVersionAsync(clientId, stored, latest, cancellationToken) == SaveOutcome.Saved)
            {
                return new PutContractResult.Saved(stored.Version, stored.EffectiveFrom, ClientCreated: latest == 0, Changed: true);
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
        if (stored.Count == 0)
        {
            return null;
        }
        // A version with the same effectiveFrom as a later PUT is superseded by it.
        var current = stored.GroupBy(v => v.EffectiveFrom).Select(g => g.MaxBy(v => v.Version)!);
        return new ContractHistory(current.Select(v => Compile(clientId, v)));
    }

    public Instant Now => Instant.FromDateTimeOffset(time.GetUtcNow());

    private static ContractVersion Compile(string clientId, StoredContractVersion stored)
    {
        var configuration = JsonSerializer.Deserialize<ClientConfiguration>(stored.Json, Json)
            ?? throw new InvalidDataException($"Stored configuration {clientId} v{stored.Version} is empty.");
        var errors = new ValidationErrors();
        var version = ConfigurationValidator.Validate(clientId, configuration, errors, stored.Version)
            ?? throw new InvalidDataException($"Stored configuration {clientId} v{stored.Version} no longer validates.");
        return version with { StoredAt = stored.StoredAt };
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
        return 0;
    }
}
