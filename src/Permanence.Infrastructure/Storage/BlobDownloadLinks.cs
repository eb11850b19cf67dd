using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace Permanence.Infrastructure.Storage;

/// <summary>
/// Read-only download links for one blob each, expiring after <see cref="Lifetime"/> (README, "Reports for
/// auditors"): a service SAS signed with the account key when the connection string has one (Azurite, local
/// runs), a user-delegation SAS signed with a key obtained by the managed identity otherwise (Azure), so that no
/// account key is needed in production.
/// </summary>
public sealed class BlobDownloadLinks(BlobServiceClient blobs, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    /// <summary>A delegation key lives at most 7 days; ours is renewed when less than a link's lifetime is left.</summary>
    private static readonly TimeSpan DelegationKeyLifetime = TimeSpan.FromHours(6);

    // Storage and this host may disagree on the time by a little: links start slightly in the past.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _keyLock = new(1, 1);
    private UserDelegationKey? _delegationKey;

    public async Task<(Uri Url, DateTimeOffset ExpiresAt)> ReadLinkAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expiresAt = now + Lifetime;
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresAt)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now - ClockSkew,
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        if (blob.CanGenerateSasUri)
        {
            return (blob.GenerateSasUri(sas), expiresAt);
        }
        var key = await DelegationKeyAsync(now, expiresAt, cancellationToken);
        var uri = new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, blobs.AccountName) };
        return (uri.ToUri(), expiresAt);
    }

    /// <summary>A link to the blob, named <paramref name="name"/> with its size; null when the blob does not exist.</summary>
    public async Task<Permanence.Core.Common.DownloadLink?> LinkIfExistsAsync(BlobClient blob, string name, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
            var (url, expiresAt) = await ReadLinkAsync(blob, cancellationToken);
            return new Permanence.Core.Common.DownloadLink(name, bytes, url, expiresAt);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private async Task<UserDelegationKey> DelegationKeyAsync(DateTimeOffset now, DateTimeOffset linkExpiry, CancellationToken cancellationToken)
    {
        await _keyLock.WaitAsync(cancellationToken);
        try
        {
            if (_delegationKey is not { } key || key.SignedExpiresOn < linkExpiry)
            {
                key = (await blobs.GetUserDelegationKeyAsync(now - ClockSkew, now + DelegationKeyLifetime, cancellationToken)).Value;
                _delegationKey = key;
            }
            return key;
        }
        finally
        {
            _keyLock.Release();
        }
    }
}
