using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Messages;
using Permanence.Core.Routing;

namespace Permanence.Core.Sla;

public enum SlaJobOutcome
{
    /// <summary>The report of a closed month was written (final).</summary>
    Written,

    /// <summary>A month-to-date report was written (or replaced): "final": false.</summary>
    WrittenMonthToDate,

    /// <summary>The closed month's report already exists: nothing was rewritten.</summary>
    AlreadyFinal,

    UnknownClient,

    /// <summary>The month is after the current one in the client's zone.</summary>
    OutOfContract,

    /// <summary>The month is before the client's first configuration: there is nothing to report.</summary>
    BeforeContract,
}

/// <summary>
/// One client's monthly SLA report (docs/architecture.md, "SLA calculator"): reads the month's partitions of the
/// call and message indexes and the messages' delivery histories, computes, and writes <c>sla-report.json</c>. A
/// closed month (in the client's zone) is written once; the current month is a month-to-date report, replaced
/// on each run until the month closes.
/// </summary>
public sealed class SlaReportJob(
    ClientDirectory clients,
    ICallIndex calls,
    IMessageIndex messages,
    IDeliveryStore deliveries,
    IReportStore reports,
    TimeProvider time,
    ILogger<SlaReportJob> logger)
{
    public const string JsonFile = "sla-report.json";
    public const string CsvFile = "sla-report.csv";
    public const string HtmlFile = "sla-report.html";

    // Readable UTF-8 ("É", "&" as themselves): auditors read these files.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    /// <summary>sla-report.json's bytes: readable UTF-8, indented.</summary>
    public static byte[] ToJson(SlaReport report) => JsonSerializer.SerializeToUtf8Bytes(report, Json);

    public async Task<SlaJobOutcome> RunAsync(string clientId, YearMonth period, CancellationToken cancellationToken)
    {
        var history = await clients.GetHistoryAsync(clientId, cancellationToken);
        if (history?.Latest is not { } latest)
        {
            return SlaJobOutcome.UnknownClient;
        }
        // The zone of the version in force now decides which months have closed (a version dated later does not).
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        var current = now.InZone((history.VersionAt(now) ?? latest).Zone).Date.ToYearMonth();
        if (period < history.Versions.Min(v => v.EffectiveFrom).ToYearMonth())
        {
            return SlaJobOutcome.BeforeContract;
        }
        if (period > current)
        {
            return SlaJobOutcome.OutOfContract;
        }
        var closed = period < current;
        if (await reports.IsFinalAsync(clientId, period, JsonFile, cancellationToken))
        {
            return SlaJobOutcome.AlreadyFinal;
        }
        var report = await SlaCalculator.CalculateAsync(
            history,
            period,
            calls.ListAsync(clientId, period, cancellationToken),
            messages.ListAsync(clientId, period, cancellationToken),
            async id => new MessageDeliveries(
                await deliveries.ListStepsAsync(id, cancellationToken),
                await deliveries.ListAttemptsAsync(id, cancellationToken)),
            cancellationToken);
        report = report with { Final = closed };
        // The JSON goes last: a final JSON says the month's report is complete. A run that died after the CSV or
        // the page is redone by the next one, which replaces them, so the three files always agree.
        await reports.WriteAsync(clientId, period, CsvFile, "text/csv; charset=utf-8",
            Encoding.UTF8.GetBytes(SlaReportCsv.Render(report)), closed, replaceFinal: true, cancellationToken);
        await reports.WriteAsync(clientId, period, HtmlFile, "text/html; charset=utf-8",
            Encoding.UTF8.GetBytes(SlaReportHtml.Render(report, latest.Configuration.Name ?? clientId, latest.Configuration.Locale ?? "en-GB")), closed, replaceFinal: true, cancellationToken);
        var written = await reports.WriteAsync(clientId, period, JsonFile, "application/json; charset=utf-8",
            ToJson(report), closed, replaceFinal: false, cancellationToken);
        logger.LogInformation("SLA report of client {ClientId} for {Period}: {Outcome}", clientId, SlaPeriod.Format(period),
            written ? (closed ? "final, written" : "month to date, written") : "already written");
        return !written ? SlaJobOutcome.AlreadyFinal : closed ? SlaJobOutcome.Written : SlaJobOutcome.WrittenMonthToDate;
    }
}
