using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

// Acknowledgement links carry their own signed token; inbound SMS are Twilio-signed: checked in the shared handlers.
public class AckFunctions(AckEndpoints acks, SmsEndpoints sms)
{
    [Function(nameof(GetAck))]
    public Task<IActionResult> GetAck([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "acks/{token}")] HttpRequest request, string token) =>
        ResultAction.From(acks.GetAsync(request, token));

    [Function(nameof(PostAck))]
    public Task<IActionResult> PostAck([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "acks/{token}")] HttpRequest request, string token) =>
        ResultAction.From(acks.PostAsync(request, token));

    [Function(nameof(TwilioInboundSms))]
    public Task<IActionResult> TwilioInboundSms([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "telephony/twilio/sms")] HttpRequest request) =>
        ResultAction.From(sms.PostAsync(request));
}
