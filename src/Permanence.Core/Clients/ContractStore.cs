using NodaTime;

namespace Permanence.Core.Clients;

/// <summary>A stored version of a client's configuration, as JSON.</summary>
public sealed record StoredContractVersion(int Version, LocalDate EffectiveFrom, Instant StoredAt, string Json);

public enum SaveOutcome
{
    Saved,
    Conflict,
}

/// <summary>Port: persistence of contract configurations and of phone number ownership.</summary>
public interface IContractStore
{
    Task<IReadOnlyList<StoredContractVersion>> GetVersionsAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>The client owning an E.164 number, or null.</summary>
    Task<string?> GetNumberOwnerAsync(string number, CancellationToken cancellationToken);

    /// <summary>Claims numbers for the client; returns those another client owns (nothing is taken from it).</summary>
    Task<IReadOnlyList<string>> ClaimNumbersAsync(string clientId, IReadOnlyList<string> numbers, CancellationToken cancellationToken);

    /// <summary>Writes a version atomically, provided the client's latest version is still <paramref name="expectedLatestVersion"/>.</summary>
    Task<SaveOutcome> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, CancellationToken cancellationToken);
}

/// <summary>Port: tells whether storage answers.</summary>
public interface IStorageHealthProbe
{
    Task<bool> IsReachableAsync(CancellationToken cancellationToken);
}
