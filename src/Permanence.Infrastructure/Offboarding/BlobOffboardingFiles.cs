using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Permanence.Core.Common;
using Permanence.Core.Offboarding;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Offboarding;

/// <summary>
/// The offboarding package (container "offboarding") and the certificates (container "certificates"), at
/// <c>{clientId}/{name}</c>, each written once (If-None-Match: *); links are read-only, one blob each.
/// </summary>
public sealed class BlobOffboardingFiles(BlobServiceClient blobs, BlobDownloadLinks links) : IOffboardingFiles
{
    private readonly CreatedOnce<BlobContainerClient> _package = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.OffboardingContainer);
    private readonly CreatedOnce<BlobContainerClient> _certificates = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.CertificatesContainer);

    private async Task<BlobClient> BlobAsync(OffboardingArea area, string clientId, string name, CancellationToken cancellationToken)
    {
        var container = await (area == OffboardingArea.Package ? _package : _certificates).GetAsync().WaitAsync(cancellationToken);
        return container.GetBlobClient($"{clientId}/{name}");
    }

    public async Task<bool> WriteOnceAsync(OffboardingArea area, string clientId, string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(area, clientId, name, cancellationToken);
        try
        {
            await blob.UploadAsync(BinaryData.FromBytes(content), new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json; charset=utf-8" },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    public async Task<ReadOnlyMemory<byte>?> ReadAsync(OffboardingArea area, string clientId, string name, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(area, clientId, name, cancellationToken);
        try
        {
            return (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToMemory();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<DownloadLink?> LinkAsync(OffboardingArea area, string clientId, string name, CancellationToken cancellationToken) =>
        await links.LinkIfExistsAsync(await BlobAsync(area, clientId, name, cancellationToken), name, cancellationToken);
}
