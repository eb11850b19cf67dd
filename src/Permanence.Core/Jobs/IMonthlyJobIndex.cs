using NodaTime;

namespace Permanence.Core.Jobs;

/// <summary>
/// One client's row of the monthly jobs index: enough to tell, without reading anything else, whether a month has
/// closed in the client's zone since the last one reported (docs/architecture.md, "Monthly jobs").
/// </summary>
/// <param name="FirstMonth">The month of the client's earliest <c>effectiveFrom</c>.</param>
/// <param name="ZoneId">The time zone of the client's latest version (IANA id).</param>
/// <param name="ReportedThrough">Every month up to this one has a final report, emailed: null when none yet.</param>
/// <param name="ExportedThrough">Every month up to this one has a complete export: null when none yet.</param>
/// <param name="ErasedThrough">Every month up to this one is past retention and erased: null when none yet.</param>
public sealed record MonthlyJobEntry(string ClientId, YearMonth FirstMonth, string ZoneId, YearMonth? ReportedThrough, YearMonth? ExportedThrough = null, YearMonth? ErasedThrough = null);

/// <summary>Port: the small index the hourly jobs read (table "MonthlyJobs"), so that a run with nothing to do reads nothing else.</summary>
public interface IMonthlyJobIndex
{
    /// <summary>
    /// Records the client's first month and zone after a configuration is saved. An earlier first month than the
    /// one recorded resets the progress, so that the months it adds are reported too.
    /// </summary>
    Task RegisterAsync(string clientId, YearMonth firstMonth, string zoneId, CancellationToken cancellationToken);

    IAsyncEnumerable<MonthlyJobEntry> ListAsync(CancellationToken cancellationToken);

    /// <summary>Moves the client's report progress forward to <paramref name="month"/> (never backwards).</summary>
    Task MarkReportedAsync(string clientId, YearMonth month, CancellationToken cancellationToken);

    /// <summary>Whether the month's report was emailed to the contact (each recipient gets it once).</summary>
    Task<bool> WasEmailedAsync(string clientId, YearMonth month, string contactId, CancellationToken cancellationToken);

    Task MarkEmailedAsync(string clientId, YearMonth month, string contactId, CancellationToken cancellationToken);

    /// <summary>Moves the client's export progress forward to <paramref name="month"/> (never backwards).</summary>
    Task MarkExportedAsync(string clientId, YearMonth month, CancellationToken cancellationToken);

    /// <summary>Moves the client's retention progress forward to <paramref name="month"/> (never backwards).</summary>
    Task MarkErasedAsync(string clientId, YearMonth month, CancellationToken cancellationToken);
}
