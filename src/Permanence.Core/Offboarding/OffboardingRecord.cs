using NodaTime;

namespace Permanence.Core.Offboarding;

public enum OffboardingStatus
{
    /// <summary>The exports and the package are being made; the client is still served.</summary>
    Preparing,

    /// <summary>Everything is returned: the package's manifest hash confirms the deletion.</summary>
    Ready,

    /// <summary>Confirmed: the client is closed and its data is being deleted (a confirm that stopped resumes here).</summary>
    Deleting,

    /// <summary>Deleted and certified. This row is the tombstone: the client id and status, no personal data.</summary>
    Closed,
}

/// <summary>What a deletion removed from one store (or what there was to remove): how many records.</summary>
public sealed record ErasedStore(string Store, long Count);

/// <summary>
/// One client's offboarding (README, "Offboarding and retention"), from the request to the certificate. It holds
/// no personal data: ids, instants, counts and hashes.
/// </summary>
/// <param name="RequestedAt">The instant the month in progress was closed at.</param>
/// <param name="RequestedBy">The id of the admin key that asked (not the key).</param>
public sealed record OffboardingRecord(string ClientId, OffboardingStatus Status, Instant RequestedAt, string RequestedBy)
{
    /// <summary>1 for the first request; one more each time it is asked again after new data (a new cut, a new package).</summary>
    public int Cut { get; init; } = 1;

    /// <summary>Confirmed (deleting) or done: the client is closed, nothing new is accepted or configured for it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ClientClosed => Status is OffboardingStatus.Deleting or OffboardingStatus.Closed;

    /// <summary>The ids of the admin keys that were handed the package's links.</summary>
    public IReadOnlyList<string>? IssuedTo { get; init; }

    /// <summary>The latest configuration version the package's configuration.json lists.</summary>
    public int PackagedVersion { get; init; }

    public int MonthsTotal { get; init; }

    public int MonthsDone { get; init; }

    /// <summary>SHA-256 of the package's top-level manifest, once it is written.</summary>
    public string? ManifestSha256 { get; init; }

    public Instant? ConfirmedAt { get; init; }

    public string? ConfirmedBy { get; init; }

    /// <summary>What there was to delete, counted once the client was closed and before anything was deleted.</summary>
    public IReadOnlyList<ErasedStore>? Inventory { get; init; }

    /// <summary>The months the deleted data came from (the client's own calendar).</summary>
    public IReadOnlyList<string>? Months { get; init; }

    /// <summary>The deletion certificate's name, once written.</summary>
    public string? Certificate { get; init; }
}
