using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Permanence.Core.Jobs;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

public class ReportFunctions(ReportEndpoints endpoints, MonthlyJobService jobs, ILogger<ReportFunctions> logger)
{
    [Function(nameof(RunSlaReportJob))]
    public Task<IActionResult> RunSlaReportJob([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/jobs/sla-report")] HttpRequest request) =>
        ResultAction.From(endpoints.RunAsync(request));

    [Function(nameof(RebuildMonthIndexes))]
    public Task<IActionResult> RebuildMonthIndexes([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/jobs/rebuild-indexes")] HttpRequest request) =>
        ResultAction.From(endpoints.RebuildIndexesAsync(request));

    [Function(nameof(ListReports))]
    public Task<IActionResult> ListReports([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "clients/{clientId}/reports")] HttpRequest request, string clientId) =>
        ResultAction.From(endpoints.ListAsync(request, clientId));

    [Function(nameof(GetReport))]
    public Task<IActionResult> GetReport([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "clients/{clientId}/reports/{period}")] HttpRequest request, string clientId, string period) =>
        ResultAction.From(endpoints.GetAsync(request, clientId, period));

    /// <summary>
    /// Every hour at :05 (months close at midnight in each client's own zone): the final report of every closed
    /// month still lacking one (README, "Monthly SLA report").
    /// </summary>
    [Function(nameof(MonthlySlaReports))]
    public async Task MonthlySlaReports([TimerTrigger("0 5 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            logger.LogInformation("Monthly SLA reports run is late");
        }
        await jobs.RunReportsAsync(cancellationToken);
    }
}
