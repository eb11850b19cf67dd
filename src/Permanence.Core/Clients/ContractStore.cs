using NodaTime;

namespace Permanence.Core.Clients;

/// <summary>A stored version of a client's configuration, as JSON.</summary>
public sealed record StoredContractVersion(int Version, LocalDate EffectiveFrom, Instant StoredAt, string Json);

public enum SaveOutcome
{
    Saved,
    Conflict,

    /// <summary>The client's lock was taken over (the save outlived it): nothing was written.</summary>
    LockLost,
}

/// <param name="LockToken">The lock's token after the save (the commit touches the lock to prove it still held it).</param>
public sealed record SaveVersionResult(SaveOutcome Outcome, string? LockToken);

/// <summary>
/// One row of the number index: a client claims a number for <see cref="Intervals"/>, computed from its versions
/// up to <see cref="ContractVersion"/>. <see cref="Intervals"/> is null for a claim stored before ownership had
/// periods: the client then owns the number whenever one of its versions in force lists it.
/// </summary>
public sealed record NumberClaim(string Number, string ClientId, IReadOnlyList<OwnershipInterval>? Intervals, int ContractVersion, Instant? WrittenAt);

/// <summary>Port: persistence of contract configurations and of the index of numbers by client.</summary>
public interface IContractStore
{
    Task<IReadOnlyList<StoredContractVersion>> GetVersionsAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Every client's claim on an E.164 number (in both stored forms).</summary>
    Task<IReadOnlyList<NumberClaim>> GetNumberClaimsAsync(string number, CancellationToken cancellationToken);

    /// <summary>Writes the client's claim on the number, replacing any claim of that client in either form.</summary>
    Task WriteNumberClaimAsync(NumberClaim claim, CancellationToken cancellationToken);

    /// <summary>Removes the client's claims on the number, in either form.</summary>
    Task RemoveNumberClaimAsync(string number, string clientId, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the client's configuration lock (one save at a time per client), or returns null while another save
    /// holds it. A lock older than <paramref name="staleAfter"/> belongs to a save that died and is taken over.
    /// </summary>
    Task<string?> TryLockAsync(string clientId, Instant now, Duration staleAfter, CancellationToken cancellationToken);

    /// <summary>Releases a lock taken by <see cref="TryLockAsync"/> (nothing happens if it was taken over since).</summary>
    Task UnlockAsync(string clientId, string lockToken, CancellationToken cancellationToken);

    /// <summary>Whether the version fits in one stored record (storage limits are checked before writing).</summary>
    bool CanStore(string clientId, StoredContractVersion version);

    /// <summary>
    /// Writes a version atomically, provided the client's latest version is still <paramref name="expectedLatestVersion"/>
    /// and the lock is still <paramref name="lockToken"/> (in the same transaction).
    /// </summary>
    Task<SaveVersionResult> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, string lockToken, CancellationToken cancellationToken);
}
