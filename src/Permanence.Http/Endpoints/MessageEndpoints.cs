using Microsoft.AspNetCore.Http;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Security;

namespace Permanence.Http.Endpoints;

/// <summary>POST /messages and GET /messages/{id} (README, "Messages").</summary>
public sealed class MessageEndpoints(MessageService messages, IDeliveryStore deliveries, IAcknowledgementStore acknowledgements, RequestAuthorization authorization)
{
    private static readonly ApiRole[] Submitters = [ApiRole.Operator];
    private static readonly ApiRole[] Readers = [ApiRole.Operator, ApiRole.Admin];

    public async Task<IResult> PostAsync(HttpRequest request)
    {
        var auth = authorization.Authorize(request, Submitters);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        var body = await HttpIo.ReadJsonAsync<MessageInput>(request, request.HttpContext.RequestAborted);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var idempotencyKey = request.Headers.TryGetValue("Idempotency-Key", out var header) ? header.ToString() : null;
        var result = await messages.AcceptAsync(body.Value!, auth.Principal!, idempotencyKey, body.Raw, request.HttpContext.RequestAborted);
        switch (result)
        {
            case AcceptMessageResult.Accepted accepted:
                if (accepted.Replayed)
                {
                    request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
                }
                var message = accepted.Message;
                return TypedResults.Accepted($"/api/messages/{message.Id}",
                    new MessageAcceptedResponse(message.Id, message.Priority.ToWire(), QualificationResponse.From(message.Qualification)));
            case AcceptMessageResult.Invalid invalid:
                return Problems.Unprocessable(invalid.Errors);
            case AcceptMessageResult.Forbidden:
                return Problems.Forbidden("This API key is not scoped to this client.");
            case AcceptMessageResult.IdempotencyConflict:
                return Results.Problem(
                    title: "Idempotency-Key reused",
                    detail: "This Idempotency-Key was already used with a different request body.",
                    statusCode: StatusCodes.Status422UnprocessableEntity);
            default:
                throw new InvalidOperationException("Unexpected result.");
        }
    }

    public async Task<IResult> GetAsync(HttpRequest request, string id)
    {
        var auth = authorization.Authorize(request, Readers);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        var message = await messages.GetAsync(id, request.HttpContext.RequestAborted);
        // Another client's message answers as one that does not exist, so ids cannot be probed.
        if (message is null || !auth.Principal!.CanAccess(message.ClientId))
        {
            return Problems.NotFound("No such message.");
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        var attempts = await deliveries.ListAttemptsAsync(message.Id, cancellationToken);
        var acks = await acknowledgements.ListAsync(message.Id, cancellationToken);
        var steps = await deliveries.ListStepsAsync(message.Id, cancellationToken);
        return TypedResults.Ok(new MessageResponse(
            message.Id,
            message.ClientId,
            message.CallId,
            message.Scenario,
            message.Caller,
            message.Fields,
            message.Text,
            message.OperatorId,
            InstantPattern.ExtendedIso.Format(message.TakenAt),
            InstantPattern.ExtendedIso.Format(message.ReceivedAt),
            message.Priority.ToWire(),
            QualificationResponse.From(message.Qualification),
            message.ConfigurationVersion,
            message.RoutingState == RoutingState.Enqueued ? "enqueued" : "pending",
            attempts.Select(a => new DeliveryResponse(a.Step, a.ContactId, a.Channel, a.Target, a.Attempt, a.Status, a.ProviderId, a.Error,
                Format(a.CreatedAt), Format(a.SentAt), Format(a.RetryAt))).ToList(),
            acks.Select(a => new AcknowledgementResponse(a.MessageId, a.ContactId, a.Channel, Format(a.At))).ToList(),
            steps.Select(s => new EscalationStepResponse(s.Step, s.Status, Format(s.StartedAt), s.Contacts, s.Reason)).ToList()));
    }

    private static string Format(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    private static string? Format(Instant? instant) => instant is { } value ? InstantPattern.ExtendedIso.Format(value) : null;
}
