using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Permanence.Core.Messages;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Contract;

/// <summary>Operators' messages (README, "Messages"; docs/guides/operators.md) and their hand-off to routing, on both hosts.</summary>
public abstract class MessageContractTests<TFactory>(HostFixture<TFactory> fixture) : IClassFixture<HostFixture<TFactory>>
    where TFactory : IApiHostFactory, new()
{
    private readonly HttpClient _http = fixture.Host.CreateClient();

    private ObservedRoutingQueue Queue => fixture.Host.Services.GetRequiredService<ObservedRoutingQueue>();

    private static JsonObject Message(string clientId, string scenario = "urgence", string? text = "Rappeler au plus vite", string phone = "06 12 34 56 78") => new()
    {
        ["clientId"] = clientId,
        ["callId"] = "aircall:1234567",
        ["scenario"] = scenario,
        ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = phone, ["email"] = null },
        ["fields"] = new JsonObject { ["symptoms"] = "fièvre depuis hier" },
        ["text"] = text,
        ["operatorId"] = "op-12",
        ["takenAt"] = "2026-10-05T19:42:10Z",
    };

    private Task<HttpResponseMessage> Post(JsonObject body, string key = TestKeys.Operator, string? idempotencyKey = null)
    {
        var request = Api.Request(HttpMethod.Post, "/api/messages", key, body);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return _http.SendAsync(request);
    }

    [Fact]
    public async Task PostMessage_Complete_Is202WithPriorityQualificationAndLocation()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);

        var response = await Post(Message(clientId, "resultats"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.JsonAsync();
        var id = (string)body["id"]!;
        Assert.Equal("important", (string?)body["priority"]);
        Assert.True((bool)body["qualification"]!["complete"]!);
        Assert.Empty(body["qualification"]!["missing"]!.AsArray());
        Assert.Equal($"/api/messages/{id}", response.Headers.Location?.OriginalString);

        var read = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Admin));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var message = await read.JsonAsync();
        Assert.Equal("+33612345678", (string?)message["caller"]!["phone"]);
        Assert.Equal(clientId, (string?)message["clientId"]);
        Assert.NotNull(message["deliveries"]);
        Assert.NotNull(message["acknowledgements"]);
        Assert.Contains(Queue.Sent, c => c.MessageId == id && c.ClientId == clientId && c.Step == 0);
    }

    [Fact]
    public async Task PostMessage_KeywordWithOtherCaseAndAccents_IsRaisedToCritical()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        var body = await (await Post(Message(clientId, "rdv", "DOULEUR THORACÏQUE signalée"))).JsonAsync();
        Assert.Equal("critical", (string?)body["priority"]);
        Assert.Contains("preferredDate", body["qualification"]!["missing"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public async Task PostMessage_UnknownScenario_IsImportantIncompleteAndStillRouted()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        var response = await Post(Message(clientId, "livraison-colis"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("important", (string?)body["priority"]);
        Assert.False((bool)body["qualification"]!["complete"]!);
        Assert.Contains(Queue.Sent, c => c.MessageId == (string)body["id"]!);
    }

    [Fact]
    public async Task PostMessage_InvalidCallerPhone_IsIncompleteWithInvalidField()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        var body = await (await Post(Message(clientId, phone: "12 34"))).JsonAsync();
        Assert.False((bool)body["qualification"]!["complete"]!);
        Assert.Equal(["callerPhone"], body["qualification"]!["invalid"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public async Task PostMessage_IdempotencyKeyReplayed_ReturnsTheFirstResponseAndStoresOnce()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        var key = Guid.NewGuid().ToString();
        var first = await Post(Message(clientId), idempotencyKey: key);
        var second = await Post(Message(clientId), idempotencyKey: key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        // README "Messages": the first response again, marked Idempotent-Replayed: true.
        Assert.Equal(["true"], second.Headers.GetValues("Idempotent-Replayed"));
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(firstBody, await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        var id = (string)JsonNode.Parse(firstBody)!["id"]!;
        Assert.Single(Queue.Sent, c => c.MessageId == id);

        var changed = Message(clientId, text: "autre chose");
        var conflict = await Post(changed, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode);
    }

    [Fact]
    public async Task PostMessage_SameIdempotencyKeyFromAnotherApiKey_CreatesADistinctMessage()
    {
        // README "Messages": the same key from the same API key replays; from another API key it is another message.
        var (clientId, _) = await Seed.ClientAsync(_http);
        var key = Guid.NewGuid().ToString();
        var mine = await Post(Message(clientId), TestKeys.Operator, idempotencyKey: key);
        var theirs = await Post(Message(clientId), TestKeys.OtherOperator, idempotencyKey: key);

        Assert.Equal(HttpStatusCode.Accepted, mine.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, theirs.StatusCode);
        Assert.False(theirs.Headers.Contains("Idempotent-Replayed"));
        var mineId = (string)(await mine.JsonAsync())["id"]!;
        var theirsId = (string)(await theirs.JsonAsync())["id"]!;
        Assert.NotEqual(mineId, theirsId);
        foreach (var id in new[] { mineId, theirsId })
        {
            var read = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(clientId, (string?)(await read.JsonAsync())["clientId"]);
            Assert.Single(Queue.Sent, c => c.MessageId == id); // each routed once
        }

        // And each API key's own replay still finds its own message.
        var theirsAgain = await Post(Message(clientId), TestKeys.OtherOperator, idempotencyKey: key);
        Assert.Equal(["true"], theirsAgain.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(theirsId, (string?)(await theirsAgain.JsonAsync())["id"]);
    }

    [Fact]
    public async Task PostMessage_BadInput_Is4xxNamingTheFieldAndStoresNothing()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        var body = Message(clientId);
        body["takenAt"] = "hier soir";
        body["callId"] = "no-provider";
        var sentBefore = Queue.Sent.Count;

        var response = await Post(body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.ProblemAsync())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("takenAt"));
        Assert.True(errors.ContainsKey("callId"));
        Assert.Equal(sentBefore, Queue.Sent.Count);

        var unknown = await Post(Message(TestEnvironment.NewClientId("ghost")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.True((await unknown.ProblemAsync())["errors"]!.AsObject().ContainsKey("clientId"));
    }

    [Fact]
    public async Task PostMessage_RolesAndScope_AreEnforced()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", null, Message(clientId)))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(Message(clientId), TestKeys.Auditor)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(Message(clientId), TestKeys.ScopedOperator)).StatusCode);

        var id = (string)(await (await Post(Message(clientId))).JsonAsync())["id"]!;
        var scopedGet = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.ScopedOperator));
        Assert.Equal(HttpStatusCode.NotFound, scopedGet.StatusCode); // as for a message that does not exist
        await scopedGet.ProblemAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Auditor))).StatusCode);
        await (await _http.SendAsync(Api.Request(HttpMethod.Get, "/api/messages/msg-unknown", TestKeys.Operator))).AssertNotFoundProblemAsync();
    }

    [Fact]
    public async Task PostMessage_EnqueueFailsAfterWrite_SweeperRoutesItLater()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        Queue.FailNext();

        var response = await Post(Message(clientId));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode); // stored: accepted, nothing lost
        var id = (string)(await response.JsonAsync())["id"]!;
        Assert.DoesNotContain(Queue.Sent, c => c.MessageId == id);
        var messages = fixture.Host.Services.GetRequiredService<MessageService>();
        var clock = fixture.Host.Services.GetRequiredService<FakeTimeProvider>();

        await messages.SweepAsync(CancellationToken.None); // within the grace period: left to the request
        Assert.DoesNotContain(Queue.Sent, c => c.MessageId == id);

        clock.Advance(TimeSpan.FromMinutes(2));
        // Two sweepers at once (two instances): the marker is claimed under its ETag, so only one enqueues.
        await Task.WhenAll(messages.SweepAsync(CancellationToken.None), messages.SweepAsync(CancellationToken.None));

        Assert.Single(Queue.Sent, c => c.MessageId == id);
        var read = await (await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync();
        Assert.Equal("enqueued", (string?)read["routing"]);
        await messages.SweepAsync(CancellationToken.None); // the marker is gone: no second command
        Assert.Single(Queue.Sent, c => c.MessageId == id);
    }
}

public sealed class StandaloneMessageContractTests(HostFixture<StandaloneHost.Factory> fixture) : MessageContractTests<StandaloneHost.Factory>(fixture);

public sealed class FunctionsMessageContractTests(HostFixture<FunctionsHost.Factory> fixture) : MessageContractTests<FunctionsHost.Factory>(fixture);
