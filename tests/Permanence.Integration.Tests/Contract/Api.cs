using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Permanence.Integration.Tests.Contract;

internal static class Api
{
    public static HttpRequestMessage Request(HttpMethod method, string path, string? key, JsonNode? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        if (json is not null)
        {
            request.Content = new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
        }
        return request;
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!.AsObject();

    public static async Task<JsonObject> ProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.JsonAsync();
    }

    /// <summary>
    /// A 404 from the application: an RFC 9457 problem that says it is one (README, HTTP API). A bare 404, what a
    /// host answers for a route it does not have, fails here, so a missing route cannot pass for "not found".
    /// </summary>
    public static async Task<JsonObject> AssertNotFoundProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal(404, (int?)problem["status"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]));
        return problem;
    }

    public static JsonObject Althea(string? number = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "althea.json")))!.AsObject();
        json["numbers"] = new JsonArray(number ?? NewNumber());
        return json;
    }

    private static readonly int NumberBase = Random.Shared.Next(0, 1_000_000);
    private static int _numberSequence;

    /// <summary>A valid French geographic number no other test of this run uses (a counter, not a random draw: no collisions).</summary>
    public static string NewNumber() => $"+33186{(NumberBase + Interlocked.Increment(ref _numberSequence)) % 1_000_000:D6}";
}
