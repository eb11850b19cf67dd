using Microsoft.AspNetCore.Http;
using NodaTime.Text;
using Permanence.Core.Common;
using Permanence.Core.Security;
using Permanence.Core.Sla;

namespace Permanence.Http.Endpoints;

/// <summary>
/// The monthly SLA reports for auditors and admins (docs/guides/reports.md, "Downloading"): listings with read-only
/// download links that expire within 15 minutes, and the admin route that runs a month's report now.
/// </summary>
public sealed class ReportEndpoints(IReportStore reports, SlaReportJob job, MonthIndexRebuild rebuild, RequestAuthorization authorization, ClientRoutes clientRoutes, JobGate gate)
{
    private static readonly ApiRole[] Readers = [ApiRole.Auditor, ApiRole.Admin];
    private static readonly ApiRole[] Admin = [ApiRole.Admin];

    /// <summary>A rebuild scans the whole call and message stores: one at a time, and not again for a client within this.</summary>
    public static readonly TimeSpan RebuildCooldown = TimeSpan.FromMinutes(10);

    public async Task<IResult> ListAsync(HttpRequest request, string clientId)
    {
        if ((await clientRoutes.AuthorizeClientAsync(request, Readers, clientId)).Failure is { } failure)
        {
            return failure;
        }
        var listings = await reports.ListAsync(clientId, null, request.HttpContext.RequestAborted);
        return TypedResults.Ok(new ReportListResponse(clientId, listings.Select(l => ToResponse(clientId, l)).ToList()));
    }

    public async Task<IResult> GetAsync(HttpRequest request, string clientId, string period)
    {
        if ((await clientRoutes.AuthorizeClientAsync(request, Readers, clientId)).Failure is { } failure)
        {
            return failure;
        }
        if (!ClientRoutes.TryParsePeriod(period, out var month))
        {
            return Problems.BadRequest("Invalid period.", "period", "must be a month as YYYY-MM");
        }
        var listing = (await reports.ListAsync(clientId, month, request.HttpContext.RequestAborted)).FirstOrDefault();
        return listing is null
            ? Problems.NotFound($"No report of client '{clientId}' for {period}.")
            : TypedResults.Ok(ToResponse(clientId, listing));
    }

    /// <summary>POST /admin/jobs/sla-report?client=…&amp;period=YYYY-MM: the monthly job for one client and month, now.</summary>
    public async Task<IResult> RunAsync(HttpRequest request)
    {
        var (clientId, period, month, failure) = await clientRoutes.AuthorizeJobAsync(request);
        if (failure is not null)
        {
            return failure;
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        using var run = gate.TryEnter($"sla-report|{clientId}");
        if (run is null)
        {
            return Problems.Conflict("A report run for this client is in progress; retry when it has ended.");
        }
        var outcome = await job.RunAsync(clientId, month, cancellationToken);
        if (outcome is SlaJobOutcome.OutOfContract or SlaJobOutcome.BeforeContract)
        {
            return Problems.BadRequest("No report for this month.", "period",
                "must be a month from the client's first configuration to the current month in its time zone");
        }
        var listing = (await reports.ListAsync(clientId, month, cancellationToken)).FirstOrDefault();
        var files = listing?.Files.Select(DownloadFileResponse.From).ToList() ?? [];
        return TypedResults.Ok(new SlaReportJobResponse(clientId, period, outcome switch
        {
            SlaJobOutcome.Written => "written",
            SlaJobOutcome.WrittenMonthToDate => "writtenMonthToDate",
            _ => "alreadyFinal",
        }, outcome != SlaJobOutcome.WrittenMonthToDate, files));
    }

    /// <summary>
    /// POST /admin/jobs/rebuild-indexes?client=…: rewrites the client's entries of the calls and messages indexes
    /// by month from the stores (a repair, should an index be lost; the reports read those indexes).
    /// </summary>
    public async Task<IResult> RebuildIndexesAsync(HttpRequest request)
    {
        var clientId = request.Query["client"].ToString();
        var auth = authorization.Authorize(request, Admin);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        if (!Identifiers.IsValidClientId(clientId))
        {
            return Problems.BadRequest("Invalid query.", "client", "must be a client id: 1-64 lowercase letters, digits or inner hyphens");
        }
        if ((await clientRoutes.AuthorizeClientAsync(request, Admin, clientId)).Failure is { } failure)
        {
            return failure;
        }
        if (gate.CooldownLeft($"rebuild|{clientId}", RebuildCooldown) is { Ticks: > 0 } left)
        {
            request.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(left.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.TooManyRequests("This client's indexes were rebuilt a moment ago; retry later.");
        }
        using var run = gate.TryEnter("rebuild");
        if (run is null)
        {
            return Problems.Conflict("An index rebuild is in progress; retry when it has ended.");
        }
        using var cooldown = gate.TryEnter($"rebuild|{clientId}");
        var result = await rebuild.RunAsync(clientId, request.HttpContext.RequestAborted);
        return result is null
            ? Problems.NotFound($"No client '{clientId}'.")
            : TypedResults.Ok(new IndexRebuildResponse(clientId, result.Calls, result.Messages));
    }

    private static ReportResponse ToResponse(string clientId, ReportListing listing) =>
        new(clientId, YearMonthPattern.Iso.Format(listing.Period), listing.Final, listing.Files.Select(DownloadFileResponse.From).ToList());

}
