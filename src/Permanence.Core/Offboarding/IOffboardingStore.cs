namespace Permanence.Core.Offboarding;

/// <summary>A stored offboarding with the concurrency tag its next replacement must match.</summary>
public sealed record StoredOffboarding(OffboardingRecord Record, string ETag);

/// <summary>Port: the offboardings (table "Offboardings", a row per client), each change conditional on the last.</summary>
public interface IOffboardingStore
{
    Task<StoredOffboarding?> GetAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Adds the client's row; false when it already has one.</summary>
    Task<bool> TryAddAsync(OffboardingRecord record, CancellationToken cancellationToken);

    /// <summary>Replaces the row if it is still as read; false when it changed in between.</summary>
    Task<bool> TryReplaceAsync(OffboardingRecord record, string etag, CancellationToken cancellationToken);

    IAsyncEnumerable<OffboardingRecord> ListAsync(CancellationToken cancellationToken);
}
