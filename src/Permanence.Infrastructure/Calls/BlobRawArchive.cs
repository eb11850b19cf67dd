using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Calls;

/// <summary>
/// Raw webhook bodies in container "raw" at <c>{owner}/{source}/{yyyy}/{MM}/{dd}/{digest}</c>, the owner being
/// <c>clients/{clientId}</c> for the one client the body concerns, <c>_unmatched</c> for none and <c>_shared</c> for
/// several (a call batch; the clients are then in the blob's metadata). A redelivery the same day is the same blob
/// (written once, If-None-Match: *). Offboarding and retention find a client's bodies by these prefixes; the
/// <c>clients/</c> level keeps a client id from ever being read as a source name.
/// </summary>
public sealed class BlobRawArchive(BlobServiceClient blobs) : IRawArchive
{
    public const string ClientsPrefix = "clients/";
    public const string UnmatchedOwner = "_unmatched";
    public const string SharedOwner = "_shared";
    public const string ClientsMetadata = "clients";
    public const string ReceivedAtMetadata = "receivedAt";

    private readonly CreatedOnce<BlobContainerClient> _container = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.RawContainer);

    public async Task ArchiveAsync(string source, ReadOnlyMemory<byte> body, string contentType, Instant receivedAt, IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken)
    {
        var container = await _container.GetAsync();
        var digest = Convert.ToHexStringLower(SHA256.HashData(body.Span));
        var day = receivedAt.ToDateTimeUtc();
        var extension = contentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? "json" : "txt";
        var owner = clientIds.Count switch
        {
            0 => UnmatchedOwner,
            1 => ClientsPrefix + clientIds.First(),
            _ => SharedOwner,
        };
        var metadata = new Dictionary<string, string> { [ReceivedAtMetadata] = receivedAt.ToString() };
        if (clientIds.Count > 1)
        {
            metadata[ClientsMetadata] = string.Join(',', clientIds.Order(StringComparer.Ordinal));
        }
        var blob = container.GetBlobClient($"{owner}/{source}/{day:yyyy}/{day:MM}/{day:dd}/{digest}.{extension}");
        try
        {
            await blob.UploadAsync(BinaryData.FromBytes(body), new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                Metadata = metadata,
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Already archived: the same body was received earlier that day.
        }
    }
}
