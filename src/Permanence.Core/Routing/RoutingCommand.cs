using System.Text.Json;
using Permanence.Core.Common;

namespace Permanence.Core.Routing;

/// <summary>A routing queue message: identifiers only (claim check), never personal data (README, "Messages").</summary>
public sealed record RoutingCommand(string Kind, string ClientId, string MessageId, int Step, int Attempt)
{
    public const string Route = "route";

    /// <summary>Stable per (message, kind, step, attempt): Service Bus duplicate detection drops a second send.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string DeduplicationId => $"{MessageId}:{Kind}:{Step}:{Attempt}";

    public string ToJson() => JsonSerializer.Serialize(this, StorageJson.Options);

    public static RoutingCommand? FromJson(string json)
    {
        try
        {
            var command = JsonSerializer.Deserialize<RoutingCommand>(json, StorageJson.Options);
            return command is { Kind: not null, ClientId: not null, MessageId: not null } ? command : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Port: the routing queue (Service Bus queue "routing" in Azure, Storage queue "routing" standalone).</summary>
public interface IRoutingQueue
{
    Task EnqueueAsync(RoutingCommand command, TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>Handles a command taken from the routing queue.</summary>
public interface IRoutingCommandHandler
{
    Task HandleAsync(RoutingCommand command, CancellationToken cancellationToken);
}
