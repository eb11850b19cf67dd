using Permanence.Core.Common;

namespace Permanence.Core.Offboarding;

/// <summary>Where offboarding writes: the returned package, and the signed certificates.</summary>
public enum OffboardingArea
{
    /// <summary>Container "offboarding": <c>{clientId}/manifest.json</c> and <c>{clientId}/configuration.json</c>.</summary>
    Package,

    /// <summary>Container "certificates": <c>{clientId}/deletion-{date}.json</c>, <c>{clientId}/retention-{date}.json</c>.</summary>
    Certificates,
}

/// <summary>Port: the offboarding package and the certificates, each file written once (If-None-Match: *).</summary>
public interface IOffboardingFiles
{
    /// <summary>Writes the file unless it exists; false when it was there (it is then left as it was).</summary>
    Task<bool> WriteOnceAsync(OffboardingArea area, string clientId, string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    Task<ReadOnlyMemory<byte>?> ReadAsync(OffboardingArea area, string clientId, string name, CancellationToken cancellationToken);

    /// <summary>A read-only link to one file, or null when it does not exist.</summary>
    Task<DownloadLink?> LinkAsync(OffboardingArea area, string clientId, string name, CancellationToken cancellationToken);
}
