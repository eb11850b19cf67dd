using System.Text.Json;
using System.Text.Json.Nodes;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Configuration;

namespace Permanence.Core.Tests;

internal static class Samples
{
    public static JsonObject AltheaJson() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "althea.json")))!.AsObject();

    public static ClientConfiguration Parse(JsonObject json) =>
        json.Deserialize<ClientConfiguration>(ContractService.Json)!;

    public static ContractVersion Compile(JsonObject json, string clientId = "althea")
    {
        var errors = new ValidationErrors();
        var version = ConfigurationValidator.Validate(clientId, Parse(json), errors);
        Assert.True(errors.IsEmpty, string.Join("; ", errors.ToDictionary().Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        return version!;
    }
}
