using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

// Provider webhooks authenticate by Twilio signature or Aircall token, checked in the shared handlers.
public class TelephonyFunctions(TelephonyEndpoints endpoints)
{
    [Function(nameof(TwilioVoiceStatus))]
    public Task<IActionResult> TwilioVoiceStatus([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "telephony/twilio")] HttpRequest request) =>
        ResultAction.From(endpoints.TwilioAsync(request));

    [Function(nameof(AircallWebhook))]
    public Task<IActionResult> AircallWebhook([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "telephony/aircall")] HttpRequest request) =>
        ResultAction.From(endpoints.AircallAsync(request));
}
