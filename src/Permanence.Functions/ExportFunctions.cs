using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Permanence.Core.Jobs;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

public class ExportFunctions(ExportEndpoints endpoints, MonthlyJobService jobs, ILogger<ExportFunctions> logger)
{
    [Function(nameof(RunExportJob))]
    public Task<IActionResult> RunExportJob([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/jobs/export")] HttpRequest request) =>
        ResultAction.From(endpoints.RunAsync(request));

    [Function(nameof(ListExports))]
    public Task<IActionResult> ListExports([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "clients/{clientId}/exports")] HttpRequest request, string clientId) =>
        ResultAction.From(endpoints.ListAsync(request, clientId));

    [Function(nameof(GetExport))]
    public Task<IActionResult> GetExport([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "clients/{clientId}/exports/{period}")] HttpRequest request, string clientId, string period) =>
        ResultAction.From(endpoints.GetAsync(request, clientId, period));

    /// <summary>Every hour at :35, after the reports' :05: the export of every closed month still lacking one (README, "Reversibility exports").</summary>
    [Function(nameof(MonthlyExports))]
    public async Task MonthlyExports([TimerTrigger("0 35 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            logger.LogInformation("Monthly exports run is late");
        }
        await jobs.RunExportsAsync(cancellationToken);
    }
}
