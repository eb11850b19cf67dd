using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Contract;

/// <summary>The contract for /health and /clients (README, "HTTP API"; docs/configuration.md): one suite, run against both hosts.</summary>
public abstract class ClientContractTests<TFactory>(HostFixture<TFactory> fixture) : IClassFixture<HostFixture<TFactory>>
    where TFactory : IApiHostFactory, new()
{
    private readonly HttpClient _http = fixture.Host.CreateClient();

    private Task<HttpResponseMessage> Put(string clientId, JsonNode body, string? key = TestKeys.Admin) =>
        _http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", key, body));

    private Task<HttpResponseMessage> Get(string clientId, string? key = TestKeys.Admin) =>
        _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{clientId}", key));

    [Fact]
    public async Task Health_WithStorageReachable_Is200()
    {
        var response = await _http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_WithStorageUnreachable_Is503()
    {
        var settings = TestKeys.Settings(TestEnvironment.UnreachableStorage);
        settings["Permanence:Standalone:BackgroundWorkers"] = "true"; // storage down at start must not stop the host
        await using var host = fixture.Factory.Create(settings);
        var client = host.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/api/health")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/api/health")).StatusCode);
    }

    [Fact]
    public void Host_InvalidConfiguration_RefusesToStartAndSaysWhy()
    {
        var settings = TestKeys.Settings(fixture.Factory.StorageConnectionString);
        settings["Permanence:Signing:Key"] = "short";
        settings["Permanence:ApiKeys:1:Role"] = "superuser";

        var error = Record.Exception(() =>
        {
            var host = fixture.Factory.Create(settings);
            host.CreateClient();
        });

        var message = error?.ToString() ?? "";
        Assert.Contains("Permanence:Signing:Key", message, StringComparison.Ordinal);
        Assert.Contains("Permanence:ApiKeys:1:Role", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutClient_NewClient_Is201ThenReadable()
    {
        var clientId = TestEnvironment.NewClientId();
        var response = await Put(clientId, Api.Althea());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(clientId, (string?)body["clientId"]);
        Assert.Equal(1, (int?)body["version"]);
        Assert.Equal("2026-10-01", (string?)body["effectiveFrom"]);
        Assert.Equal($"/api/clients/{clientId}", response.Headers.Location?.OriginalString);

        var read = await Get(clientId);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var current = await read.JsonAsync();
        Assert.Equal("Cabinet Médical Althéa", (string?)current["configuration"]!["name"]);
        Assert.Equal("Europe/Paris", (string?)current["configuration"]!["timeZone"]);
        Assert.Single(current["versions"]!.AsArray());
    }

    [Fact]
    public async Task PutClient_SameDocumentTwice_KeepsOneVersion()
    {
        var clientId = TestEnvironment.NewClientId();
        var document = Api.Althea();
        Assert.Equal(HttpStatusCode.Created, (await Put(clientId, document)).StatusCode);

        var again = await Put(clientId, document);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, (int?)(await again.JsonAsync())["version"]);
        Assert.Single((await (await Get(clientId)).JsonAsync())["versions"]!.AsArray());
    }

    [Fact]
    public async Task PutClient_LaterEffectiveFrom_AddsAVersionAndKeepsHistory()
    {
        var clientId = TestEnvironment.NewClientId();
        var document = Api.Althea();
        await Put(clientId, document);
        var later = document.DeepClone().AsObject();
        later["effectiveFrom"] = "2026-11-01";
        later["name"] = "Cabinet Médical Althéa (nouveaux horaires)";

        var response = await Put(clientId, later);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(2, (int?)body["version"]);
        Assert.Equal("2026-11-01", (string?)body["effectiveFrom"]);
        var versions = (await (await Get(clientId)).JsonAsync())["versions"]!.AsArray();
        Assert.Equal(["2026-10-01", "2026-11-01"], versions.Select(v => (string?)v!["effectiveFrom"]));
    }

    [Fact]
    public async Task GetClient_ReportsTheVersionInForceNow_ByTheClock()
    {
        // README (HTTP API): GET /api/clients/{id} is "the version in force now"; a version comes into force at
        // local midnight of its effectiveFrom in the client's zone. A host of its own, so moving its clock
        // touches no other test.
        await using var host = fixture.Factory.Create(TestKeys.Settings(fixture.Factory.StorageConnectionString));
        var http = host.CreateClient();
        var clock = host.Services.GetRequiredService<FakeTimeProvider>();
        var paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var today = Instant.FromDateTimeOffset(clock.GetUtcNow()).InZone(paris).Date;
        var first = today.PlusDays(10);
        var second = today.PlusDays(40);
        var clientId = TestEnvironment.NewClientId();
        var v1 = Api.Althea();
        v1["effectiveFrom"] = first.ToString("yyyy-MM-dd", null);
        v1["name"] = "Althéa v1";
        var v2 = v1.DeepClone().AsObject();
        v2["effectiveFrom"] = second.ToString("yyyy-MM-dd", null);
        v2["name"] = "Althéa v2";
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, v1))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, v2))).StatusCode);

        async Task AssertInForce(int version, string name, LocalDate effectiveFrom)
        {
            var body = await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{clientId}", TestKeys.Admin))).JsonAsync();
            Assert.Equal(version, (int?)body["version"]);
            Assert.Equal(effectiveFrom.ToString("yyyy-MM-dd", null), (string?)body["effectiveFrom"]);
            Assert.True((bool?)body["inForce"]);
            Assert.Equal(name, (string?)body["configuration"]!["name"]);
            Assert.Equal([version == 1, version == 2], body["versions"]!.AsArray().Select(v => (bool)v!["inForce"]!));
        }

        // Between the two: one minute before local midnight of the second effectiveFrom, the first is in force...
        var secondStarts = second.AtStartOfDayInZone(paris).ToInstant();
        clock.SetUtcNow((secondStarts - Duration.FromMinutes(1)).ToDateTimeOffset());
        await AssertInForce(1, "Althéa v1", first);

        // ...and one minute after it, the second (in UTC that is still the day before).
        clock.SetUtcNow((secondStarts + Duration.FromMinutes(1)).ToDateTimeOffset());
        await AssertInForce(2, "Althéa v2", second);
    }

    [Fact]
    public async Task GetClient_WebhookSecret_IsNeverReturned()
    {
        var clientId = TestEnvironment.NewClientId();
        await Put(clientId, Api.Althea());

        var text = await (await Get(clientId)).Content.ReadAsStringAsync();

        Assert.DoesNotContain("cGVybWFuZW5jZS1kZW1v", text, StringComparison.Ordinal);
        Assert.Contains("whsec_********", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutClient_EveryFault_OneUnprocessableListsThemAllAndNothingIsStored()
    {
        var owner = TestEnvironment.NewClientId();
        var ownedNumber = Api.NewNumber();
        Assert.Equal(HttpStatusCode.Created, (await Put(owner, Api.Althea(ownedNumber))).StatusCode);

        var clientId = TestEnvironment.NewClientId();
        var freeNumber = Api.NewNumber();
        var json = Api.Althea();
        json["timeZone"] = "Mars/Olympus_Mons";
        json["numbers"] = new JsonArray(freeNumber, "12-34", ownedNumber);
        json["calendar"]!["bands"] = JsonNode.Parse("""
            [{ "name": "business", "days": ["Mon","Tue","Wed","Thu","Fri"], "from": "08:30", "to": "18:30" },
             { "name": "lunch", "days": ["Wed"], "from": "12:00", "to": "14:00" },
             { "name": "frozen", "days": ["Sat"], "from": "10:00", "to": "10:00" }]
            """);
        json["onCall"] = JsonNode.Parse("""[{ "contact": "dr-who", "days": ["Mon"], "from": "18:30", "to": "08:30" }]""");
        json["escalation"]!["standard"] = JsonNode.Parse("""{ "steps": [ { "notify": ["ghost"], "channels": [] } ] }""");
        json["sla"]!["targets"] = JsonNode.Parse("""
            [{ "band": "business", "answerRate": 1.2, "serviceLevelSeconds": 20, "serviceLevel": 0.8 },
             { "band": "weekend", "answerRate": 0.9 }]
            """);

        var response = await Put(clientId, json);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.ProblemAsync())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("timeZone"));
        Assert.True(errors.ContainsKey("numbers[1]"));
        Assert.Contains("owned by another client", errors["numbers[2]"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("overlaps", errors["calendar.bands[1]"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.True(errors.ContainsKey("calendar.bands[2].to"));
        Assert.True(errors.ContainsKey("onCall[0].contact"));
        Assert.Contains("$onCall needs an onCall rota", errors["escalation.critical.steps[0].notify"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("ghost", errors["escalation.standard.steps[0].notify"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.True(errors.ContainsKey("escalation.standard.steps[0].channels"));
        Assert.True(errors.ContainsKey("sla.targets[0].answerRate"));
        Assert.True(errors.ContainsKey("sla.targets[1].band"));

        // Nothing stored: no client, and the valid number of the refused document is still free.
        await (await Get(clientId)).AssertNotFoundProblemAsync();
        Assert.Equal(HttpStatusCode.Created, (await Put(TestEnvironment.NewClientId(), Api.Althea(freeNumber))).StatusCode);
    }

    [Fact]
    public async Task PutClient_OnCallStepWithoutRota_Is422()
    {
        var json = Api.Althea();
        json["onCall"] = new JsonArray();
        var response = await Put(TestEnvironment.NewClientId(), json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("$onCall", (await response.ProblemAsync())["errors"]!["escalation.critical.steps[0].notify"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clients_KeyScopedToClientA_Gets403OnClientB()
    {
        var clientB = TestEnvironment.NewClientId();
        Assert.Equal(HttpStatusCode.Created, (await Put(clientB, Api.Althea())).StatusCode);
        // Other test classes configure the scoped client too: a save in progress answers 409, retried shortly.
        var scopedCreate = await Put(TestKeys.ScopedClient, Api.Althea(), TestKeys.ScopedAdmin);
        for (var attempt = 0; scopedCreate.StatusCode == HttpStatusCode.Conflict && attempt < 50; attempt++)
        {
            await Task.Delay(100);
            scopedCreate = await Put(TestKeys.ScopedClient, Api.Althea(), TestKeys.ScopedAdmin);
        }
        Assert.True(scopedCreate.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)scopedCreate.StatusCode}");

        Assert.Equal(HttpStatusCode.OK, (await Get(TestKeys.ScopedClient, TestKeys.ScopedAdmin)).StatusCode);
        var forbiddenRead = await Get(clientB, TestKeys.ScopedAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, forbiddenRead.StatusCode);
        Assert.DoesNotContain("Althéa", await forbiddenRead.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await Put(clientB, Api.Althea(), TestKeys.ScopedAdmin)).StatusCode);
        // Scope is checked before existence: an unknown client tells the scoped key nothing either.
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(TestEnvironment.NewClientId(), TestKeys.ScopedAdmin)).StatusCode);
    }

    [Fact]
    public async Task Clients_NoKeyOrUnknownKey_Gets401()
    {
        var clientId = TestEnvironment.NewClientId();
        var noKey = await Get(clientId, key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("Bearer", noKey.Headers.WwwAuthenticate.ToString());
        await noKey.ProblemAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(clientId, "not-a-key-of-this-platform")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Put(clientId, Api.Althea(), key: null)).StatusCode);
    }

    [Theory]
    [InlineData(TestKeys.Operator)]
    [InlineData(TestKeys.Auditor)]
    public async Task Clients_NonAdminRole_Gets403(string key)
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await Put(TestEnvironment.NewClientId(), Api.Althea(), key)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(TestEnvironment.NewClientId(), key)).StatusCode);
    }

    [Fact]
    public async Task GetClient_Unknown_Is404()
    {
        var response = await Get(TestEnvironment.NewClientId());
        await response.AssertNotFoundProblemAsync();
    }

    [Fact]
    public async Task PutClient_MalformedJson_Is400()
    {
        var request = Api.Request(HttpMethod.Put, $"/api/clients/{TestEnvironment.NewClientId()}", TestKeys.Admin);
        request.Content = new StringContent("{ \"name\": ", Encoding.UTF8, "application/json");
        var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ProblemAsync())["errors"]);
    }

    [Fact]
    public async Task PutClient_IllTypedField_Is400NamingTheField()
    {
        var json = Api.Althea();
        json["retention"] = JsonNode.Parse("""{ "months": "two years" }""");
        var response = await Put(TestEnvironment.NewClientId(), json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("retention.months"));
    }

    [Fact]
    public async Task PutClient_WrongContentType_Is415()
    {
        var request = Api.Request(HttpMethod.Put, $"/api/clients/{TestEnvironment.NewClientId()}", TestKeys.Admin);
        request.Content = new StringContent(Api.Althea().ToJsonString(), Encoding.UTF8, "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await _http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task PutClient_BodyOver256KiB_Is413()
    {
        var json = Api.Althea();
        json["name"] = new string('x', 300 * 1024);
        var request = Api.Request(HttpMethod.Put, $"/api/clients/{TestEnvironment.NewClientId()}", TestKeys.Admin, json);
        var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await response.ProblemAsync();
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("a..b")]
    [InlineData("x%23y")]
    public async Task PutClient_UnsafeClientId_Is400(string clientId)
    {
        var response = await Put(clientId, Api.Althea());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

public sealed class StandaloneClientContractTests(HostFixture<StandaloneHost.Factory> fixture) : ClientContractTests<StandaloneHost.Factory>(fixture);

public sealed class FunctionsClientContractTests(HostFixture<FunctionsHost.Factory> fixture) : ClientContractTests<FunctionsHost.Factory>(fixture);
