using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Sla;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Reports;

/// <summary>Report files in container "reports" at <c>{clientId}/{yyyy-MM}/{name}</c>; a closed month's files are written with If-None-Match: *.</summary>
public sealed class BlobReportStore(BlobServiceClient blobs) : IReportStore
{
    private readonly CreatedOnce<BlobContainerClient> _container = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.ReportsContainer);

    private async Task<BlobClient> BlobAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken) =>
        (await _container.GetAsync().WaitAsync(cancellationToken)).GetBlobClient($"{clientId}/{YearMonthPattern.Iso.Format(period)}/{name}");

    public async Task<bool> ExistsAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken) =>
        await (await BlobAsync(clientId, period, name, cancellationToken)).ExistsAsync(cancellationToken);

    public async Task<bool> WriteAsync(string clientId, YearMonth period, string name, string contentType, ReadOnlyMemory<byte> content, bool once, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(clientId, period, name, cancellationToken);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Conditions = once ? new BlobRequestConditions { IfNoneMatch = ETag.All } : null,
        };
        try
        {
            await blob.UploadAsync(BinaryData.FromBytes(content), options, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (once && e.Status is 409 or 412)
        {
            return false; // written before (or by a concurrent run): a closed month's report never changes
        }
    }
}
