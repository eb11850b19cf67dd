using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Permanence.Core.Offboarding;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

public class OffboardingFunctions(OffboardingEndpoints endpoints, RetentionJob retention, Permanence.Http.OffboardingRunner runner, ILogger<OffboardingFunctions> logger)
{
    [Function(nameof(OffboardClient))]
    public Task<IActionResult> OffboardClient([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/clients/{clientId}/offboard")] HttpRequest request, string clientId) =>
        ResultAction.From(endpoints.RequestAsync(request, clientId));

    [Function(nameof(GetOffboarding))]
    public Task<IActionResult> GetOffboarding([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "admin/clients/{clientId}/offboard")] HttpRequest request, string clientId) =>
        ResultAction.From(endpoints.StatusAsync(request, clientId));

    [Function(nameof(ConfirmOffboarding))]
    public Task<IActionResult> ConfirmOffboarding([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/clients/{clientId}/offboard/confirm")] HttpRequest request, string clientId) =>
        ResultAction.From(endpoints.ConfirmAsync(request, clientId));

    /// <summary>Every day at 02:15 UTC: the months past each client's retention are deleted and certified (README, "Offboarding and retention").</summary>
    [Function(nameof(DailyRetention))]
    public async Task DailyRetention([TimerTrigger("0 15 2 * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            logger.LogInformation("Daily retention run is late");
        }
        await retention.RunAsync(cancellationToken);
    }

    /// <summary>
    /// Every 5 minutes: offboardings left preparing or deleting by an instance that stopped or scaled in are carried
    /// on (a run with nothing to do reads the small Offboardings table).
    /// </summary>
    [Function(nameof(ResumeOffboardings))]
    public async Task ResumeOffboardings([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            logger.LogInformation("Offboarding resume run is late");
        }
        await runner.RunPendingAsync(cancellationToken);
    }
}
