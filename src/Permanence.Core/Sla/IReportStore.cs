using NodaTime;

namespace Permanence.Core.Sla;

/// <summary>Port: the monthly report files, <c>reports/{clientId}/{yyyy-MM}/{name}</c> in Blob storage.</summary>
public interface IReportStore
{
    Task<bool> ExistsAsync(string clientId, YearMonth period, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a file. With <paramref name="once"/> (a closed month) the write is conditional on the file not existing
    /// (If-None-Match: *): false when it did, and nothing is changed; otherwise the file is replaced.
    /// </summary>
    Task<bool> WriteAsync(string clientId, YearMonth period, string name, string contentType, ReadOnlyMemory<byte> content, bool once, CancellationToken cancellationToken);
}
