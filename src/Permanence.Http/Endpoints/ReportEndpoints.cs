using Microsoft.AspNetCore.Http;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Security;
using Permanence.Core.Sla;

namespace Permanence.Http.Endpoints;

/// <summary>
/// The monthly SLA reports for auditors and admins (README, "Reports for auditors"): listings with read-only
/// download links that expire within 15 minutes, and the admin route that runs a month's report now.
/// </summary>
public sealed class ReportEndpoints(ClientDirectory clients, IReportStore reports, SlaReportJob job, MonthIndexRebuild rebuild, RequestAuthorization authorization)
{
    private static readonly ApiRole[] Readers = [ApiRole.Auditor, ApiRole.Admin];
    private static readonly ApiRole[] Admin = [ApiRole.Admin];

    public async Task<IResult> ListAsync(HttpRequest request, string clientId)
    {
        if (await AuthorizeClientAsync(request, Readers, clientId) is { } failure)
        {
            return failure;
        }
        var listings = await reports.ListAsync(clientId, null, request.HttpContext.RequestAborted);
        return TypedResults.Ok(new ReportListResponse(clientId, listings.Select(l => ToResponse(clientId, l)).ToList()));
    }

    public async Task<IResult> GetAsync(HttpRequest request, string clientId, string period)
    {
        if (await AuthorizeClientAsync(request, Readers, clientId) is { } failure)
        {
            return failure;
        }
        if (!TryParsePeriod(period, out var month))
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
        var clientId = request.Query["client"].ToString();
        var period = request.Query["period"].ToString();
        var auth = authorization.Authorize(request, Admin);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        var errors = new ValidationErrors();
        if (!Identifiers.IsValidClientId(clientId))
        {
            errors.Add("client", "must be a client id: 1-64 lowercase letters, digits or inner hyphens");
        }
        if (!TryParsePeriod(period, out var month))
        {
            errors.Add("period", "must be a month as YYYY-MM");
        }
        if (!errors.IsEmpty)
        {
            return Problems.BadRequestFields("Invalid query.", errors);
        }
        if (await AuthorizeClientAsync(request, Admin, clientId) is { } failure)
        {
            return failure;
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        var outcome = await job.RunAsync(clientId, month, cancellationToken);
        if (outcome == SlaJobOutcome.OutOfContract)
        {
            return Problems.BadRequest("No report for this month.", "period",
                "must be a month from the client's first configuration to the current month in its time zone");
        }
        var listing = (await reports.ListAsync(clientId, month, cancellationToken)).FirstOrDefault();
        var files = listing?.Files.Select(ToResponse).ToList() ?? [];
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
        if (await AuthorizeClientAsync(request, Admin, clientId) is { } failure)
        {
            return failure;
        }
        var result = await rebuild.RunAsync(clientId, request.HttpContext.RequestAborted);
        return result is null
            ? Problems.NotFound($"No client '{clientId}'.")
            : TypedResults.Ok(new IndexRebuildResponse(clientId, result.Calls, result.Messages));
    }

    /// <summary>401/403 as every route; then 400 for a malformed id and 404 for a client that does not exist.</summary>
    private async Task<IResult?> AuthorizeClientAsync(HttpRequest request, ApiRole[] roles, string clientId)
    {
        var auth = authorization.Authorize(request, roles, clientId);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        if (!Identifiers.IsValidClientId(clientId))
        {
            return Problems.BadRequest("Invalid client id.", "clientId", "must be 1-64 lowercase letters, digits or inner hyphens");
        }
        return await clients.GetHistoryAsync(clientId, request.HttpContext.RequestAborted) is { IsEmpty: false }
            ? null
            : Problems.NotFound($"No client '{clientId}'.");
    }

    /// <summary>Exactly YYYY-MM (no traversal, no other form): periods end up in blob paths.</summary>
    private static bool TryParsePeriod(string? value, out YearMonth month)
    {
        month = default;
        if (value is not { Length: 7 } || value[4] != '-' || !value.Remove(4, 1).All(char.IsAsciiDigit))
        {
            return false;
        }
        var parsed = YearMonthPattern.Iso.Parse(value);
        if (!parsed.Success || parsed.Value.Year < 2000)
        {
            return false;
        }
        month = parsed.Value;
        return true;
    }

    private static ReportResponse ToResponse(string clientId, ReportListing listing) =>
        new(clientId, YearMonthPattern.Iso.Format(listing.Period), listing.Final, listing.Files.Select(ToResponse).ToList());

    private static DownloadFileResponse ToResponse(ReportFile file) => new(file.Name, file.Bytes, file.Url.AbsoluteUri, file.ExpiresAt);
}
