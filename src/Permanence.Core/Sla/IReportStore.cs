using NodaTime;
using Permanence.Core.Common;

namespace Permanence.Core.Sla;

/// <summary>One month's report files; <see cref="Final"/> is false for a month-to-date report.</summary>
public sealed record ReportListing(YearMonth Period, bool Final, IReadOnlyList<DownloadLink> Files);

/// <summary>Port: the monthly report files, <c>reports/{clientId}/{yyyy-MM}/{name}</c> in Blob storage.</summary>
public interface IReportStore
{
    /// <summary>Whether the file exists as a closed month's (final) file.</summary>
    Task<bool> IsFinalAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a file, conditionally on what is there (two concurrent runs never interleave): a month-to-date file
    /// (<paramref name="final"/> false) never replaces a final one; a final file replaces a month-to-date one, and
    /// another final one only with <paramref name="replaceFinal"/> (the CSV and page of a closed month whose JSON,
    /// written last, is not there yet: a run that died half-way). False when nothing was written for that reason.
    /// </summary>
    Task<bool> WriteAsync(string clientId, YearMonth period, string name, string contentType, ReadOnlyMemory<byte> content, bool final, bool replaceFinal, CancellationToken cancellationToken);

    /// <summary>A file's content, or null when it does not exist.</summary>
    Task<ReadOnlyMemory<byte>?> ReadAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken);

    /// <summary>The client's reports (one month's when <paramref name="period"/> is given), oldest first, each file with a fresh download link.</summary>
    Task<IReadOnlyList<ReportListing>> ListAsync(string clientId, YearMonth? period, CancellationToken cancellationToken);
}
