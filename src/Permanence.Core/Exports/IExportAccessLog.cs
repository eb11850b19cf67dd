using NodaTime;

namespace Permanence.Core.Exports;

/// <summary>One listing or download link issued to an API key (README, "Reversibility exports").</summary>
/// <param name="Period">The export's month; null for a listing of every month.</param>
/// <param name="File">The file a link was issued for; null for a listing.</param>
public sealed record ExportAccess(Instant At, string ClientId, string KeyId, string Role, string Action, string? Period, string? File);

/// <summary>Port: the access log of exports (table "ExportAccessLog"), by client and the client's month of the access.</summary>
public interface IExportAccessLog
{
    /// <summary>Records every entry; called before the links are handed out, so that no link goes unrecorded.</summary>
    Task AddAsync(string clientId, YearMonth month, IReadOnlyList<ExportAccess> entries, CancellationToken cancellationToken);

    IAsyncEnumerable<ExportAccess> ListAsync(string clientId, YearMonth month, CancellationToken cancellationToken);
}
