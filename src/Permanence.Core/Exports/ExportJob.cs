using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Sla;

namespace Permanence.Core.Exports;

public enum ExportJobOutcome
{
    /// <summary>This run completed the export (it wrote at least its manifest).</summary>
    Written,

    /// <summary>The export was complete already: nothing was written.</summary>
    AlreadyComplete,

    UnknownClient,

    /// <summary>The month is before the client's first configuration.</summary>
    OutOfContract,

    /// <summary>The month has not closed in the client's zone: an export is only ever made of a closed month.</summary>
    NotClosed,
}

/// <summary>
/// One client's monthly reversibility export (README, "Reversibility exports"): the month's calls, messages,
/// deliveries and acknowledgements streamed from Table storage into CSV blobs, the configuration versions, the
/// month's SLA report (made first if missing) and the access log of the client's exports during the month, then
/// <c>manifest.json</c>. Each file is written once; a run that died half-way is completed by the next, which
/// keeps the files already written; the manifest goes last, so an export with a manifest is complete.
/// </summary>
public sealed class ExportJob(
    ClientDirectory clients,
    ICallIndex calls,
    IMessageIndex messageIndex,
    IMessageStore messages,
    IDeliveryStore deliveries,
    IAcknowledgementStore acknowledgements,
    IReportStore reports,
    SlaReportJob reportJob,
    IExportStore exports,
    IExportAccessLog accessLog,
    TimeProvider time,
    ILogger<ExportJob> logger)
{
    // Readable UTF-8 ("É", "+", "&" as themselves), indented.
    private static readonly JsonSerializerOptions Json = Common.StorageJson.Readable;

    public async Task<ExportJobOutcome> RunAsync(string clientId, YearMonth period, CancellationToken cancellationToken)
    {
        var history = await clients.GetHistoryAsync(clientId, cancellationToken);
        if (history?.Latest is not { } latest)
        {
            return ExportJobOutcome.UnknownClient;
        }
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        if (period < history.Versions.Min(v => v.EffectiveFrom).ToYearMonth())
        {
            return ExportJobOutcome.OutOfContract;
        }
        if (period >= now.InZone((history.VersionAt(now) ?? latest).Zone).Date.ToYearMonth())
        {
            return ExportJobOutcome.NotClosed;
        }
        var folder = new ExportFolder(clientId, period);
        if (await exports.GetAsync(folder, ExportFiles.ManifestFile, cancellationToken) is not null)
        {
            return ExportJobOutcome.AlreadyComplete;
        }

        // The export carries its month's final report: made now if the hourly report run has not made it yet.
        await reportJob.RunAsync(clientId, period, cancellationToken);
        var report = await reports.ReadAsync(clientId, period, SlaReportJob.JsonFile, cancellationToken)
            ?? throw new InvalidOperationException($"The SLA report of {clientId} for {SlaPeriod.Format(period)} is missing.");
        return await WriteAsync(folder, history, report, closedAt: null, cancellationToken);
    }

    /// <summary>
    /// The month in progress at <paramref name="closedAt"/>, closed then (README, "Offboarding"): what happened
    /// before that instant, with the month-to-date report over the same, in <c>{yyyy-MM}-partial/</c>; its
    /// manifest says <c>"final": true, "partial": true</c>; <paramref name="cut"/> counts the offboarding's requests.
    /// Null when the contract starts later.
    /// </summary>
    public async Task<ExportFolder?> RunPartialAsync(string clientId, Instant closedAt, int cut, CancellationToken cancellationToken)
    {
        var history = await clients.GetHistoryAsync(clientId, cancellationToken);
        if (history?.Latest is not { } latest)
        {
            return null;
        }
        var period = closedAt.InZone((history.VersionAt(closedAt) ?? latest).Zone).Date.ToYearMonth();
        if (period < history.Versions.Min(v => v.EffectiveFrom).ToYearMonth())
        {
            return null;
        }
        var folder = new ExportFolder(clientId, period, Partial: true, cut);
        if (await exports.GetAsync(folder, ExportFiles.ManifestFile, cancellationToken) is not null)
        {
            return folder;
        }
        var report = await SlaCalculator.CalculateAsync(
            history,
            period,
            calls.ListAsync(clientId, period, cancellationToken).Where(c => c.StartedAt < closedAt),
            messageIndex.ListAsync(clientId, period, cancellationToken).Where(m => m.TakenAt < closedAt),
            async id => new MessageDeliveries(
                [.. (await deliveries.ListStepsAsync(id, cancellationToken)).Where(s => s.StartedAt < closedAt)],
                [.. (await deliveries.ListAttemptsAsync(id, cancellationToken)).Where(a => a.CreatedAt < closedAt)]),
            cancellationToken);
        await WriteAsync(folder, history, SlaReportJob.ToJson(report with { Final = false }), closedAt, cancellationToken);
        return folder;
    }

    /// <summary>Every file of the folder, then the manifest; <paramref name="closedAt"/> cuts a partial month short.</summary>
    private async Task<ExportJobOutcome> WriteAsync(ExportFolder folder, ContractHistory history, ReadOnlyMemory<byte> report, Instant? closedAt, CancellationToken cancellationToken)
    {
        var (clientId, period) = (folder.ClientId, folder.Period);
        var before = closedAt ?? Instant.MaxValue;
        var files = new List<ExportFileInfo>
        {
            (await exports.WriteCsvAsync(folder, ExportFiles.Calls, ExportFiles.CallColumns,
                Rows(calls.ListAsync(clientId, period, cancellationToken).Where(c => c.StartedAt < before), ExportFiles.CallRow), cancellationToken)).File,
            (await exports.WriteCsvAsync(folder, ExportFiles.Messages, ExportFiles.MessageColumns, MessageRowsAsync(clientId, period, before, cancellationToken), cancellationToken)).File,
            (await exports.WriteCsvAsync(folder, ExportFiles.Deliveries, ExportFiles.DeliveryColumns, DeliveryRowsAsync(clientId, period, before, cancellationToken), cancellationToken)).File,
            (await exports.WriteCsvAsync(folder, ExportFiles.Acknowledgements, ExportFiles.AcknowledgementColumns, AcknowledgementRowsAsync(clientId, period, before, cancellationToken), cancellationToken)).File,
            (await exports.WriteCsvAsync(folder, ExportFiles.AccessLog, ExportFiles.AccessLogColumns,
                Rows(accessLog.ListAsync(clientId, period, cancellationToken).Where(a => a.At < before), ExportFiles.AccessRow), cancellationToken)).File,
        };
        var (configuration, versions) = ConfigurationFile(clientId, period, history);
        files.Add((await exports.WriteAsync(folder, ExportFiles.Configuration, "application/json; charset=utf-8", configuration, versions, cancellationToken)).File);
        files.Add((await exports.WriteAsync(folder, ExportFiles.SlaReport, "application/json; charset=utf-8", report, 1, cancellationToken)).File);

        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        var manifest = new ExportFiles.Manifest(clientId, SlaPeriod.Format(period), ExportFiles.Time(now)!, ExportFiles.SchemaVersion, Final: true, files)
        {
            Partial = closedAt is null ? null : true,
            ClosedAt = ExportFiles.Time(closedAt),
        };
        var written = await exports.WriteAsync(folder, ExportFiles.ManifestFile, "application/json; charset=utf-8",
            JsonSerializer.SerializeToUtf8Bytes(manifest, Json), files.Count, cancellationToken);
        logger.LogInformation("Export of client {ClientId} for {Period}: {Files} files, {Outcome}", clientId, folder.Name, files.Count,
            written.Written ? "written" : "written by a concurrent run");
        return written.Written ? ExportJobOutcome.Written : ExportJobOutcome.AlreadyComplete;
    }

    private (byte[] Content, long Versions) ConfigurationFile(string clientId, YearMonth period, ContractHistory history)
    {
        // The same month as the report's, so that the versions listed are those its figures were judged by.
        var (start, end, _) = history.MonthBounds(period);
        var versions = history.VersionsDuring(start, end)
            .Select(v => new ExportFiles.ConfigurationFileVersion(v.Version, LocalDatePattern.Iso.Format(v.EffectiveFrom), ExportFiles.Time(v.StoredAt), v.Configuration.WithSecretsMasked()))
            .ToList();
        return (JsonSerializer.SerializeToUtf8Bytes(new ExportFiles.ConfigurationFile(clientId, SlaPeriod.Format(period), versions), Json), versions.Count);
    }

    private static async IAsyncEnumerable<string?[]> Rows<T>(IAsyncEnumerable<T> records, Func<T, string?[]> row)
    {
        await foreach (var record in records)
        {
            yield return row(record);
        }
    }

    /// <summary>The month's message index, cut at <paramref name="before"/> (a partial month).</summary>
    private IAsyncEnumerable<MessageIndexEntry> Messages(string clientId, YearMonth period, Instant before, CancellationToken cancellationToken) =>
        messageIndex.ListAsync(clientId, period, cancellationToken).Where(m => m.TakenAt < before);

    private async IAsyncEnumerable<string?[]> MessageRowsAsync(string clientId, YearMonth period, Instant before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in Messages(clientId, period, before, cancellationToken))
        {
            // The index holds the month's ids; the message itself is the record the client owns.
            if (await messages.GetAsync(entry.Id, cancellationToken) is { } message && message.ClientId == clientId)
            {
                yield return ExportFiles.MessageRow(message);
            }
        }
    }

    private async IAsyncEnumerable<string?[]> DeliveryRowsAsync(string clientId, YearMonth period, Instant before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in Messages(clientId, period, before, cancellationToken))
        {
            foreach (var step in await deliveries.ListStepsAsync(entry.Id, cancellationToken))
            {
                if (step.ClientId == clientId && step.StartedAt < before)
                {
                    yield return ExportFiles.StepRow(step);
                }
            }
            foreach (var attempt in await deliveries.ListAttemptsAsync(entry.Id, cancellationToken))
            {
                if (attempt.ClientId == clientId && attempt.CreatedAt < before)
                {
                    yield return ExportFiles.AttemptRow(attempt);
                }
            }
        }
    }

    private async IAsyncEnumerable<string?[]> AcknowledgementRowsAsync(string clientId, YearMonth period, Instant before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in Messages(clientId, period, before, cancellationToken))
        {
            foreach (var acknowledgement in await acknowledgements.ListAsync(entry.Id, cancellationToken))
            {
                if (acknowledgement.ClientId == clientId && acknowledgement.At < before)
                {
                    yield return ExportFiles.AcknowledgementRow(acknowledgement);
                }
            }
        }
    }
}
