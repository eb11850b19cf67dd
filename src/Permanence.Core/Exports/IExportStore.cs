using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;

namespace Permanence.Core.Exports;

/// <summary>A written export file as its manifest lists it: <c>rows</c> excludes a CSV's header.</summary>
public sealed record ExportFileInfo(string Name, long Rows, long Bytes, string Sha256);

/// <summary>What a write did: <see cref="Written"/> is false when the file was there already (it is then left as it was).</summary>
public sealed record ExportWrite(ExportFileInfo File, bool Written);

/// <summary>
/// One export's folder: <c>{clientId}/{yyyy-MM}/</c> for a closed month, <c>{clientId}/{yyyy-MM}-partial/</c> for the
/// month in progress closed early by an offboarding (README, "Offboarding and retention"), so that a month's own
/// export is still made when it closes; <c>-partial-{n}</c> when the offboarding was asked for again (the n-th cut).
/// </summary>
public readonly record struct ExportFolder(string ClientId, YearMonth Period, bool Partial = false, int Cut = 1)
{
    public const string PartialSuffix = "-partial";

    public string Name => YearMonthPattern.Iso.Format(Period) + (Partial ? PartialSuffix + (Cut > 1 ? $"-{Cut}" : "") : "");

    public string Prefix => $"{ClientId}/{Name}/";
}

/// <summary>
/// Port: the monthly exports, <c>exports/{clientId}/{yyyy-MM}/{name}</c> in Blob storage (README, "Reversibility
/// exports"). Every file is written once (If-None-Match: *) with its SHA-256 and row count computed while it
/// streams, and kept with it; a file already there is never rewritten.
/// </summary>
public interface IExportStore
{
    /// <summary>The file as written, or null when it does not exist.</summary>
    Task<ExportFileInfo?> GetAsync(ExportFolder folder, string name, CancellationToken cancellationToken);

    /// <summary>Streams rows into <paramref name="name"/> as RFC 4180 CSV (UTF-8, header first); the existing file when it was there.</summary>
    Task<ExportWrite> WriteCsvAsync(ExportFolder folder, string name, IReadOnlyList<string> header, IAsyncEnumerable<string?[]> rows, CancellationToken cancellationToken);

    /// <summary>Writes a small file (JSON); the existing file when it was there.</summary>
    Task<ExportWrite> WriteAsync(ExportFolder folder, string name, string contentType, ReadOnlyMemory<byte> content, long rows, CancellationToken cancellationToken);

    /// <summary>A file's content, or null when it does not exist (small files: the manifest).</summary>
    Task<ReadOnlyMemory<byte>?> ReadAsync(ExportFolder folder, string name, CancellationToken cancellationToken);

    /// <summary>The months that have a complete export (a manifest), oldest first; partial exports are not listed.</summary>
    Task<IReadOnlyList<YearMonth>> ListPeriodsAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>A read-only link to one file.</summary>
    Task<DownloadLink?> LinkAsync(ExportFolder folder, string name, CancellationToken cancellationToken);
}
