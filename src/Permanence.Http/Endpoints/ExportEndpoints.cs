using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Configuration;
using Permanence.Core.Exports;
using Permanence.Core.Security;

namespace Permanence.Http.Endpoints;

/// <summary>
/// The monthly reversibility exports (README, "Reversibility exports"): the admin route that makes a closed month's
/// export now, and the auditors' listings and download links, every one of which is recorded in the access log
/// before it is handed out.
/// </summary>
public sealed class ExportEndpoints(IExportStore exports, IExportAccessLog accessLog, ExportJob job, ClientRoutes clientRoutes, JobGate gate, TimeProvider time)
{
    private static readonly ApiRole[] Readers = [ApiRole.Auditor, ApiRole.Admin];

    public async Task<IResult> ListAsync(HttpRequest request, string clientId)
    {
        var (principal, history, failure) = await clientRoutes.AuthorizeClientAsync(request, Readers, clientId);
        if (failure is not null)
        {
            return failure;
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        var items = new List<ExportListItem>();
        foreach (var period in await exports.ListPeriodsAsync(clientId, cancellationToken))
        {
            if (await exports.LinkAsync(new ExportFolder(clientId, period), ExportFiles.ManifestFile, cancellationToken) is { } link)
            {
                items.Add(new ExportListItem(YearMonthPattern.Iso.Format(period), DownloadFileResponse.From(link)));
            }
        }
        await LogAsync(clientId, history!, principal!, "list", items.Select(i => ((string?)i.Period, (string?)ExportFiles.ManifestFile)).Prepend((null, null)), cancellationToken);
        return TypedResults.Ok(new ExportListResponse(clientId, items));
    }

    public async Task<IResult> GetAsync(HttpRequest request, string clientId, string period)
    {
        var (principal, history, failure) = await clientRoutes.AuthorizeClientAsync(request, Readers, clientId);
        if (failure is not null)
        {
            return failure;
        }
        if (!ClientRoutes.TryParsePeriod(period, out var month))
        {
            return Problems.BadRequest("Invalid period.", "period", "must be a month as YYYY-MM");
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        if (await LinksAsync(new ExportFolder(clientId, month), history!, principal!, cancellationToken) is not { } export)
        {
            return Problems.NotFound($"No export of client '{clientId}' for {period}.");
        }
        return TypedResults.Ok(new ExportResponse(clientId, period, (bool?)export.Manifest["final"] ?? true, export.Manifest, export.Links));
    }

    /// <summary>
    /// One export's manifest and a link to each of its files and to the manifest, recorded in the access log before
    /// they are returned; null when the folder has no manifest.
    /// </summary>
    public async Task<(JsonNode Manifest, List<DownloadFileResponse> Links)?> LinksAsync(ExportFolder folder, ContractHistory history, ApiPrincipal principal, CancellationToken cancellationToken)
    {
        if (await exports.ReadAsync(folder, ExportFiles.ManifestFile, cancellationToken) is not { } manifestBytes)
        {
            return null;
        }
        var manifest = JsonNode.Parse(manifestBytes.Span)!;
        var names = manifest["files"]!.AsArray().Select(f => (string)f!["name"]!).Append(ExportFiles.ManifestFile);
        var links = new List<DownloadFileResponse>();
        foreach (var name in names)
        {
            if (await exports.LinkAsync(folder, name, cancellationToken) is { } link)
            {
                links.Add(DownloadFileResponse.From(link));
            }
        }
        await LogAsync(folder.ClientId, history, principal, "download", links.Select(l => ((string?)folder.Name, (string?)l.Name)), cancellationToken);
        return (manifest, links);
    }

    /// <summary>POST /admin/jobs/export?client=…&amp;period=YYYY-MM: a closed month's export now (409 for a month not closed).</summary>
    public async Task<IResult> RunAsync(HttpRequest request)
    {
        var (clientId, period, month, failure) = await clientRoutes.AuthorizeJobAsync(request);
        if (failure is not null)
        {
            return failure;
        }
        using var run = gate.TryEnter($"export|{clientId}");
        if (run is null)
        {
            return Problems.Conflict("An export run for this client is in progress; retry when it has ended.");
        }
        return await job.RunAsync(clientId, month, request.HttpContext.RequestAborted) switch
        {
            ExportJobOutcome.OutOfContract => Problems.BadRequest("No export for this month.", "period", "must not be before the client's first configuration"),
            ExportJobOutcome.NotClosed => Problems.Conflict($"{period} has not closed yet in the client's time zone: an export is only made of a closed month."),
            ExportJobOutcome.Written => TypedResults.Ok(new ExportJobResponse(clientId, period, "written")),
            _ => TypedResults.Ok(new ExportJobResponse(clientId, period, "alreadyComplete")),
        };
    }

    /// <summary>Records links issued to a key in the exports access log, before they are handed out.</summary>
    public Task LogAsync(string clientId, ContractHistory history, ApiPrincipal principal, string action, IEnumerable<(string? Period, string? File)> issued, CancellationToken cancellationToken)
    {
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        var role = principal.Role.ToString().ToLowerInvariant();
        return accessLog.AddAsync(clientId, history.MonthOf(now),
            issued.Select(i => new ExportAccess(now, clientId, principal.KeyId, role, action, i.Period, i.File)).ToList(), cancellationToken);
    }
}
