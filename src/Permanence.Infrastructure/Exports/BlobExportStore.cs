using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using CsvHelper;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;
using Permanence.Core.Exports;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Exports;

/// <summary>
/// Export files in container "exports" at <c>{clientId}/{yyyy-MM}/{name}</c>, each committed once
/// (If-None-Match: *) with its SHA-256, byte count and row count in its metadata, so that a rerun builds the
/// manifest from what is stored without reading the files again.
/// </summary>
public sealed class BlobExportStore(BlobServiceClient blobs, BlobDownloadLinks links) : IExportStore
{
    private const string RowsMetadata = "rows";
    private const string Sha256Metadata = "sha256";

    // RFC 4180: comma, CRLF, quotes doubled; values exactly as stored (an export returns data, it does not edit it).
    private static readonly CsvWriterOptions Csv = new() { NewLine = "\r\n", FormatProvider = CultureInfo.InvariantCulture, WriteByteOrderMark = false };

    private readonly CreatedOnce<BlobContainerClient> _container = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.ExportsContainer);

    private async Task<BlobContainerClient> ContainerAsync(CancellationToken cancellationToken) => await _container.GetAsync().WaitAsync(cancellationToken);

    private static string Path(ExportFolder folder, string name) => folder.Prefix + name;

    public async Task<ExportFileInfo?> GetAsync(ExportFolder folder, string name, CancellationToken cancellationToken)
    {
        var blob = (await ContainerAsync(cancellationToken)).GetBlobClient(Path(folder, name));
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return new ExportFileInfo(
                name,
                long.Parse(properties.Metadata[RowsMetadata], CultureInfo.InvariantCulture),
                properties.ContentLength,
                properties.Metadata[Sha256Metadata]);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<ExportWrite> WriteCsvAsync(ExportFolder folder, string name, IReadOnlyList<string> header, IAsyncEnumerable<string?[]> rows, CancellationToken cancellationToken)
    {
        if (await GetAsync(folder, name, cancellationToken) is { } existing)
        {
            return new ExportWrite(existing, false);
        }
        var blob = (await ContainerAsync(cancellationToken)).GetBlockBlobClient(Path(folder, name));
        await using var upload = new HashingBlockUpload(blob);
        long count = 0;
        await using (var csv = CsvWriter.Create(upload, Csv, leaveOpen: true))
        {
            await csv.WriteRecordAsync([.. header], cancellationToken);
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                await csv.WriteRecordAsync(row, cancellationToken);
                count++;
            }
            await csv.FlushAsync(cancellationToken);
        }
        return await CommitAsync(folder, name, upload, "text/csv; charset=utf-8", count, cancellationToken);
    }

    public async Task<ExportWrite> WriteAsync(ExportFolder folder, string name, string contentType, ReadOnlyMemory<byte> content, long rows, CancellationToken cancellationToken)
    {
        if (await GetAsync(folder, name, cancellationToken) is { } existing)
        {
            return new ExportWrite(existing, false);
        }
        var blob = (await ContainerAsync(cancellationToken)).GetBlockBlobClient(Path(folder, name));
        await using var upload = new HashingBlockUpload(blob);
        await upload.WriteAsync(content, cancellationToken);
        return await CommitAsync(folder, name, upload, contentType, rows, cancellationToken);
    }

    private async Task<ExportWrite> CommitAsync(ExportFolder folder, string name, HashingBlockUpload upload, string contentType, long rows, CancellationToken cancellationToken)
    {
        try
        {
            var (sha256, bytes) = await upload.CommitAsync(contentType,
                new Dictionary<string, string> { [RowsMetadata] = rows.ToString(CultureInfo.InvariantCulture) }, cancellationToken);
            return new ExportWrite(new ExportFileInfo(name, rows, bytes, sha256), true);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // A concurrent run committed it first: that file stands, and the manifest describes it.
            return new ExportWrite(await GetAsync(folder, name, cancellationToken)
                ?? throw new InvalidOperationException($"Export file {name} was reported as existing but cannot be read."), false);
        }
    }

    public async Task<ReadOnlyMemory<byte>?> ReadAsync(ExportFolder folder, string name, CancellationToken cancellationToken)
    {
        var blob = (await ContainerAsync(cancellationToken)).GetBlobClient(Path(folder, name));
        try
        {
            return (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToMemory();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<YearMonth>> ListPeriodsAsync(string clientId, CancellationToken cancellationToken)
    {
        var container = await ContainerAsync(cancellationToken);
        var periods = new SortedSet<YearMonth>();
        await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{clientId}/", cancellationToken))
        {
            var parts = item.Name.Split('/');
            if (parts.Length == 3 && parts[2] == ExportFiles.ManifestFile && YearMonthPattern.Iso.Parse(parts[1]) is { Success: true } parsed)
            {
                periods.Add(parsed.Value);
            }
        }
        return periods.ToList();
    }

    public async Task<DownloadLink?> LinkAsync(ExportFolder folder, string name, CancellationToken cancellationToken) =>
        await links.LinkIfExistsAsync((await ContainerAsync(cancellationToken)).GetBlobClient(Path(folder, name)), name, cancellationToken);
}
