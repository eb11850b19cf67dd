using System.Text.Encodings.Web;
using System.Text.Json;
using Permanence.Core.Messages;

namespace Permanence.Core.Routing;

/// <summary>
/// The JSON a contact's webhook receives (docs/guides/webhooks.md): the message as <c>GET /messages/{id}</c> shows it,
/// with <c>type</c>, the escalation step, and the ack link when the step asks for an acknowledgement.
/// </summary>
public sealed record WebhookMessageBody(
    string Type,
    string Id,
    string ClientId,
    string? CallId,
    string Scenario,
    string ScenarioLabel,
    string Priority,
    CallerInput? Caller,
    IReadOnlyDictionary<string, string?> Fields,
    string? Text,
    string? OperatorId,
    string TakenAt,
    Qualification Qualification,
    int Step,
    string? AckUrl)
{
    public const string MessageRoutedType = "message.routed";

    // Readable UTF-8 (é, +, & as themselves): receivers and people reading logs of receivers see what was typed.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options);
}
