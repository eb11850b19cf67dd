using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;
using Permanence.Core.Sla;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Reports;

/// <summary>
/// Report files in container "reports" at <c>{clientId}/{yyyy-MM}/{name}</c>. A closed month's files are written
/// once and marked final in their metadata (every write is conditional); download links are read-only, one blob each.
/// </summary>
public sealed class BlobReportStore(BlobServiceClient blobs, BlobDownloadLinks links) : IReportStore
{
    private const string FinalMetadata = "final";

    private readonly CreatedOnce<BlobContainerClient> _container = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.ReportsContainer);

    private async Task<BlobClient> BlobAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken) =>
        (await _container.GetAsync().WaitAsync(cancellationToken)).GetBlobClient($"{clientId}/{YearMonthPattern.Iso.Format(period)}/{name}");

    public async Task<bool> IsFinalAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(clientId, period, name, cancellationToken);
        try
        {
            return IsFinal((await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.Metadata);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static bool IsFinal(IDictionary<string, string> metadata) => metadata.TryGetValue(FinalMetadata, out var flag) && flag == "true";

    public async Task<bool> WriteAsync(string clientId, YearMonth period, string name, string contentType, ReadOnlyMemory<byte> content, bool final, bool replaceFinal, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(clientId, period, name, cancellationToken);
        var md5 = MD5.HashData(content.Span);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType, ContentHash = md5 },
            Metadata = new Dictionary<string, string> { [FinalMetadata] = final ? "true" : "false" },
            // Every write is conditional: If-None-Match: * first, then If-Match on the ETag of the file it may replace.
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        };
        for (var attempt = 0; attempt < 4; attempt++)
        {
            try
            {
                await blob.UploadAsync(BinaryData.FromBytes(content), options, cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // There is a file (or a concurrent run just wrote one).
            }
            try
            {
                var existing = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
                if (IsFinal(existing.Metadata) && !replaceFinal)
                {
                    return false; // a closed month's file is never replaced by a month to date, nor its JSON at all
                }
                if (existing.ContentHash is { } stored && stored.AsSpan().SequenceEqual(md5) && IsFinal(existing.Metadata) == final)
                {
                    return true; // the same bytes: no new version of an immutable blob for nothing
                }
                options.Conditions = new BlobRequestConditions { IfMatch = existing.ETag };
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                options.Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
            }
        }
        return false; // it kept changing under us: a concurrent run wrote it
    }

    public async Task<ReadOnlyMemory<byte>?> ReadAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(clientId, period, name, cancellationToken);
        try
        {
            return (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToMemory();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<ReportListing>> ListAsync(string clientId, YearMonth? period, CancellationToken cancellationToken)
    {
        var container = await _container.GetAsync().WaitAsync(cancellationToken);
        var prefix = period is { } month ? $"{clientId}/{YearMonthPattern.Iso.Format(month)}/" : $"{clientId}/";
        var months = new SortedDictionary<YearMonth, (bool Final, List<DownloadLink> Files)>();
        await foreach (var item in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix, cancellationToken))
        {
            // {clientId}/{yyyy-MM}/{name}: anything else under the prefix is not a report file.
            var parts = item.Name.Split('/');
            if (parts.Length != 3 || YearMonthPattern.Iso.Parse(parts[1]) is not { Success: true } parsed)
            {
                continue;
            }
            var (url, expiresAt) = await links.ReadLinkAsync(container.GetBlobClient(item.Name), cancellationToken);
            var entry = months.TryGetValue(parsed.Value, out var found) ? found : (Final: true, Files: new List<DownloadLink>());
            entry.Files.Add(new DownloadLink(parts[2], item.Properties.ContentLength ?? 0, url, expiresAt));
            months[parsed.Value] = (entry.Final && IsFinal(item.Metadata), entry.Files);
        }
        return months.Select(m => new ReportListing(m.Key, m.Value.Final, m.Value.Files)).ToList();
    }
}
