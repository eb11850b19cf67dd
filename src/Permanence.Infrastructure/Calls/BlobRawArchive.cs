using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Calls;

/// <summary>
/// Raw webhook bodies in container "raw", named by source, UTC day and content digest: a redelivery the same
/// day is the same blob (written once, If-None-Match: *).
/// </summary>
public sealed class BlobRawArchive(BlobServiceClient blobs) : IRawArchive
{
    private readonly CreatedOnce<BlobContainerClient> _container = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.RawContainer);

    public async Task ArchiveAsync(string source, ReadOnlyMemory<byte> body, string contentType, Instant receivedAt, CancellationToken cancellationToken)
    {
        var container = await _container.GetAsync();
        var digest = Convert.ToHexStringLower(SHA256.HashData(body.Span));
        var day = receivedAt.ToDateTimeUtc();
        var extension = contentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? "json" : "txt";
        var blob = container.GetBlobClient($"{source}/{day:yyyy}/{day:MM}/{day:dd}/{digest}.{extension}");
        try
        {
            await blob.UploadAsync(BinaryData.FromBytes(body), new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                Metadata = new Dictionary<string, string> { ["receivedAt"] = receivedAt.ToString() },
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Already archived: the same body was received earlier that day.
        }
    }
}
