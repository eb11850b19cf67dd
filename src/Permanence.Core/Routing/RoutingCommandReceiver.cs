using Microsoft.Extensions.Logging;
using Permanence.Core.Messages;

namespace Permanence.Core.Routing;

/// <summary>
/// Takes routing commands off the queue. Delivery itself (email, SMS, webhooks, escalation, README, "Messages") is
/// not implemented yet: for now a command is checked against its message and acknowledged, so the queue
/// plumbing of both hosts runs end to end.
/// </summary>
public sealed class RoutingCommandReceiver(IMessageStore messages, ILogger<RoutingCommandReceiver> logger) : IRoutingCommandHandler
{
    public async Task HandleAsync(RoutingCommand command, CancellationToken cancellationToken)
    {
        var message = await messages.GetAsync(command.MessageId, cancellationToken);
        if (message is null || message.ClientId != command.ClientId)
        {
            logger.LogWarning("Routing command {Kind} for unknown message {MessageId} of client {ClientId} dropped", command.Kind, command.MessageId, command.ClientId);
            return;
        }
        logger.LogInformation("Routing command {Kind} step {Step} attempt {Attempt} received for message {MessageId} (priority {Priority}); delivery is not implemented yet",
            command.Kind, command.Step, command.Attempt, command.MessageId, message.Priority);
    }
}
