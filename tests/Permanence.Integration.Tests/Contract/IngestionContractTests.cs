using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Contract;

/// <summary>Call ingestion (README, "Calls"; docs/guides): Twilio, Aircall and normalised records, on both hosts.</summary>
public abstract class IngestionContractTests<TFactory>(HostFixture<TFactory> fixture) : IClassFixture<HostFixture<TFactory>>
    where TFactory : IApiHostFactory, new()
{
    private readonly HttpClient _http = fixture.Host.CreateClient();

    private static Dictionary<string, string> TwilioForm(string callSid, string status, string to, string timestamp = "Mon, 05 Oct 2026 07:31:10 +0000") => new()
    {
        ["AccountSid"] = "AC00000000000000000000000000000000",
        ["CallSid"] = callSid,
        ["CallStatus"] = status,
        ["Direction"] = "inbound",
        ["From"] = "+33612345678",
        ["To"] = to,
        ["Timestamp"] = timestamp,
    };

    private Task<HttpResponseMessage> PostTwilio(Dictionary<string, string> form, string? signature, string path = "/api/telephony/twilio")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        if (signature is not null)
        {
            request.Headers.Add("X-Twilio-Signature", signature);
        }
        return _http.SendAsync(request);
    }

    private Task<HttpResponseMessage> PostAircall(JsonNode body) =>
        _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/telephony/aircall") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") });

    private async Task<JsonObject> GetCall(string provider, string callId, string key = TestKeys.Operator)
    {
        var response = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/{provider}/{callId}", key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    [Fact]
    public async Task Twilio_ValidSignature_IsAcceptedAndMerged()
    {
        var (clientId, number) = await Seed.ClientAsync(_http);
        var callSid = $"CA{Guid.NewGuid():N}";
        var form = TwilioForm(callSid, "ringing", number);

        var response = await PostTwilio(form, Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio", form));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = await GetCall("twilio", callSid);
        Assert.Equal(clientId, (string?)call["clientId"]);
        Assert.Equal("2026-10-05T07:31:10Z", (string?)call["startedAt"]);
        Assert.Equal("business", (string?)call["band"]); // Monday 09:31 in Paris
    }

    [Fact]
    public async Task Twilio_SignatureOverQueryString_IsChecked()
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var form = TwilioForm($"CA{Guid.NewGuid():N}", "ringing", number);
        var signature = Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio?site=paris", form);

        Assert.Equal(HttpStatusCode.OK, (await PostTwilio(form, signature, "/api/telephony/twilio?site=paris")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostTwilio(form, signature, "/api/telephony/twilio?site=lyon")).StatusCode);
    }

    [Fact]
    public async Task Twilio_TamperedParameter_Is403AndStoresNothing()
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var callSid = $"CA{Guid.NewGuid():N}";
        var form = TwilioForm(callSid, "ringing", number);
        var signature = Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio", form);
        form["CallStatus"] = "completed";

        var response = await PostTwilio(form, signature);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await response.ProblemAsync();
        var get = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/twilio/{callSid}", TestKeys.Operator));
        await get.AssertNotFoundProblemAsync();
    }

    [Fact]
    public async Task Twilio_SignatureForAnotherUrlOrMissing_Is403()
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var form = TwilioForm($"CA{Guid.NewGuid():N}", "ringing", number);
        var otherUrl = Seed.TwilioSignature("https://elsewhere.example/api/telephony/twilio", form);
        var otherToken = Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio", form, "another-auth-token");

        Assert.Equal(HttpStatusCode.Forbidden, (await PostTwilio(form, otherUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostTwilio(form, otherToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostTwilio(form, signature: null)).StatusCode);
    }

    [Fact]
    public async Task Twilio_SignatureOverTheRequestsOwnUrl_Is403AndStoresNothing()
    {
        // README (HTTP API): the signature is checked against PublicBaseUrl + path + query, never against the URL
        // the request arrived on (behind a proxy that is not the URL Twilio signed). The test server's own address
        // differs from the configured PublicBaseUrl, so a check against the request URL would accept these.
        var (_, number) = await Seed.ClientAsync(_http);
        var callSid = $"CA{Guid.NewGuid():N}";
        var form = TwilioForm(callSid, "ringing", number);
        var requestUrl = new Uri(_http.BaseAddress!, "/api/telephony/twilio?site=paris");
        Assert.NotEqual(new Uri(TestKeys.PublicBaseUrl).GetLeftPart(UriPartial.Authority), requestUrl.GetLeftPart(UriPartial.Authority));

        var overRequestUrl = await PostTwilio(form, Seed.TwilioSignature(requestUrl.ToString(), form), "/api/telephony/twilio?site=paris");

        Assert.Equal(HttpStatusCode.Forbidden, overRequestUrl.StatusCode);
        await overRequestUrl.ProblemAsync();
        var get = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/twilio/{callSid}", TestKeys.Operator));
        await get.AssertNotFoundProblemAsync();
        // The same form signed over PublicBaseUrl on the same path and query is accepted.
        var overPublicUrl = await PostTwilio(form, Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio?site=paris", form), "/api/telephony/twilio?site=paris");
        Assert.Equal(HttpStatusCode.OK, overPublicUrl.StatusCode);
    }

    private static JsonObject AircallEvent(string eventName, long id, string line, long started, long? answered = null, long? ended = null, string? reason = null, string token = TestKeys.AircallToken) => new()
    {
        ["resource"] = "call",
        ["event"] = eventName,
        ["timestamp"] = ended ?? answered ?? started,
        ["token"] = token,
        ["data"] = new JsonObject
        {
            ["id"] = id,
            ["direction"] = "inbound",
            ["status"] = ended is null ? "initial" : "done",
            ["started_at"] = started,
            ["answered_at"] = answered,
            ["ended_at"] = ended,
            ["raw_digits"] = "+33 6 12 34 56 78",
            ["number"] = new JsonObject { ["digits"] = line },
            ["user"] = answered is null ? null : new JsonObject { ["id"] = 4242 },
            ["missed_call_reason"] = reason,
            ["voicemail"] = null,
        },
    };

    [Fact]
    public async Task Aircall_UnknownToken_Is403()
    {
        var response = await PostAircall(AircallEvent("call.created", Random.Shared.NextInt64(1, long.MaxValue), "+33186950000", 1791183000, token: "forged"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Aircall_OtherResource_IsAcceptedAndIgnored()
    {
        var response = await PostAircall(new JsonObject { ["resource"] = "user", ["event"] = "user.opened", ["token"] = TestKeys.AircallToken, ["data"] = new JsonObject() });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool?)(await response.JsonAsync())["ignored"]);
    }

    [Fact]
    public async Task Aircall_CallToUnknownNumber_IsKeptUnmatchedWith202()
    {
        var id = Random.Shared.NextInt64(1, long.MaxValue);
        var response = await PostAircall(AircallEvent("call.created", id, "+33 1 99 00 00 00", 1791183000));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = await GetCall("aircall", id.ToString(), TestKeys.Operator);
        Assert.Null(call["clientId"]);
        Assert.False((bool?)call["matched"]);
        Assert.Equal("+33199000000", (string?)call["to"]);
        // Unmatched calls belong to no client: a scoped key may not read them.
        var scoped = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/aircall/{id}", TestKeys.ScopedOperator));
        Assert.Equal(HttpStatusCode.NotFound, scoped.StatusCode);
        await scoped.ProblemAsync();
    }

    [Fact]
    public async Task Aircall_AcceptedBody_IsArchivedRaw()
    {
        var (clientId, number) = await Seed.ClientAsync(_http);
        var body = AircallEvent("call.created", Random.Shared.NextInt64(1, long.MaxValue), number, 1791183000);
        Assert.Equal(HttpStatusCode.OK, (await PostAircall(body)).StatusCode);

        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body.ToJsonString())));
        var container = fixture.Host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("raw");
        var found = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
        {
            // {owner}/aircall/{yyyy}/{MM}/{dd}/{digest}.json: filed under the client the event concerns.
            if (blob.Name.Contains(digest, StringComparison.Ordinal) && blob.Name.Contains("/aircall/", StringComparison.Ordinal))
            {
                found.Add(blob.Name);
            }
        }
        var name = Assert.Single(found);
        Assert.StartsWith($"clients/{clientId}/aircall/", name);
        var stored = (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal(body.ToJsonString(), stored);
    }

    [Fact]
    public async Task Aircall_EventsShuffledAndTwice_StoreTheSameRecordsAsTheOrderedReplay()
    {
        var (clientId, number) = await Seed.ClientAsync(_http);
        const long start = 1791183000; // Monday 5 October 2026 07:30:00Z
        JsonObject[] CallEvents(long id, int shape) => shape switch
        {
            0 => [AircallEvent("call.created", id, number, start), AircallEvent("call.answered", id, number, start, answered: start + 9),
                  AircallEvent("call.hungup", id, number, start, answered: start + 9, ended: start + 200), AircallEvent("call.ended", id, number, start, answered: start + 9, ended: start + 200)],
            1 => [AircallEvent("call.created", id, number, start + 60), AircallEvent("call.hungup", id, number, start + 60, ended: start + 63),
                  AircallEvent("call.ended", id, number, start + 60, ended: start + 63, reason: "short_abandoned")],
            _ => [AircallEvent("call.created", id, number, start + 120), AircallEvent("call.ended", id, number, start + 120, ended: start + 180, reason: "agents_did_not_answer")],
        };

        var baseId = Random.Shared.NextInt64(1, long.MaxValue / 4);
        var ordered = Enumerable.Range(0, 6).Select(i => (Id: baseId + i, Shape: i % 3)).ToList();
        var shuffled = ordered.Select(c => (Id: c.Id + 1_000_000, c.Shape)).ToList();

        foreach (var (id, shape) in ordered)
        {
            foreach (var e in CallEvents(id, shape))
            {
                Assert.Equal(HttpStatusCode.OK, (await PostAircall(e)).StatusCode);
            }
        }
        var random = new Random(42);
        var deliveries = shuffled.SelectMany(c => CallEvents(c.Id, c.Shape)).ToList();
        deliveries = deliveries.Concat(deliveries).OrderBy(_ => random.Next()).ToList();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (e, _) =>
            Assert.Equal(HttpStatusCode.OK, (await PostAircall(e)).StatusCode));

        for (var i = 0; i < ordered.Count; i++)
        {
            var expected = await GetCall("aircall", ordered[i].Id.ToString());
            var actual = await GetCall("aircall", shuffled[i].Id.ToString());
            expected.Remove("callId");
            actual.Remove("callId");
            Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
            Assert.Equal(clientId, (string?)actual["clientId"]);
        }
        var answered = await GetCall("aircall", shuffled[0].Id.ToString());
        Assert.Equal("answered", (string?)answered["outcome"]);
        Assert.Equal("4242", (string?)answered["agentId"]);
        Assert.Equal("abandoned", (string?)(await GetCall("aircall", shuffled[1].Id.ToString()))["outcome"]);
        Assert.Equal("missed", (string?)(await GetCall("aircall", shuffled[2].Id.ToString()))["outcome"]);
    }

    private static JsonObject Record(string callId, string to, string? clientId = null) => new()
    {
        ["provider"] = "pbx",
        ["callId"] = callId,
        ["clientId"] = clientId,
        ["direction"] = "inbound",
        ["from"] = "06 12 34 56 78",
        ["to"] = to,
        ["startedAt"] = "2026-10-05T17:31:10Z",
        ["answeredAt"] = "2026-10-05T17:31:22Z",
        ["endedAt"] = "2026-10-05T17:35:00Z",
        ["outcome"] = "answered",
        ["agentId"] = "op-12",
    };

    [Fact]
    public async Task PostCalls_NormalisedRecord_IsMergedWithClientAndBand()
    {
        var (clientId, number) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";

        var response = await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, number)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = await GetCall("pbx", callId);
        Assert.Equal(clientId, (string?)call["clientId"]);
        Assert.Equal("evening", (string?)call["band"]); // Monday 19:31 in Paris
        Assert.Equal("+33612345678", (string?)call["from"]); // national format normalised with the client's region
        Assert.Equal("answered", (string?)call["outcome"]);
    }

    [Fact]
    public async Task PostCalls_WithheldCaller_IsKeptAsReceived()
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";
        var record = Record(callId, number);
        record["from"] = "anonymous";
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, record))).StatusCode);
        Assert.Equal("anonymous", (string?)(await GetCall("pbx", callId))["from"]);
    }

    [Fact]
    public async Task PostCalls_Array_AnswersOneResultPerItem()
    {
        var (clientId, number) = await Seed.ClientAsync(_http);
        var good = Record($"c-{Guid.NewGuid():N}", number);
        var unmatched = Record($"c-{Guid.NewGuid():N}", "+33199000001");
        var bad = Record($"c-{Guid.NewGuid():N}", number);
        bad.Remove("startedAt");
        var unknownClient = Record($"c-{Guid.NewGuid():N}", number, clientId: TestEnvironment.NewClientId("ghost"));

        var response = await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, new JsonArray(good, unmatched, bad, unknownClient)));

        Assert.Equal((HttpStatusCode)207, response.StatusCode);
        var results = (await response.JsonAsync())["results"]!.AsArray();
        Assert.Equal([200, 202, 422, 422], results.Select(r => (int)r!["status"]!));
        Assert.True(results[2]!["errors"]!.AsObject().ContainsKey("startedAt"));
        Assert.True(results[3]!["errors"]!.AsObject().ContainsKey("clientId"));
        // README "Calls": one result per item, in order, each with its index; accepted items name the call and its client.
        Assert.Equal([0, 1, 2, 3], results.Select(r => (int)r!["index"]!));
        Assert.Equal("pbx", (string?)results[0]!["provider"]);
        Assert.Equal((string?)good["callId"], (string?)results[0]!["callId"]);
        Assert.Equal(clientId, (string?)results[0]!["clientId"]);
        Assert.Equal("pbx", (string?)results[1]!["provider"]);
        Assert.Equal((string?)unmatched["callId"], (string?)results[1]!["callId"]);
        Assert.True(results[1]!.AsObject().ContainsKey("clientId"));
        Assert.Null(results[1]!["clientId"]); // unmatched: stored without a client

        // Each accepted item is stored, whatever the others' fate; refused items are not.
        var storedGood = await GetCall("pbx", (string)good["callId"]!);
        Assert.Equal(clientId, (string?)storedGood["clientId"]);
        Assert.Equal("answered", (string?)storedGood["outcome"]);
        var storedUnmatched = await GetCall("pbx", (string)unmatched["callId"]!);
        Assert.False((bool?)storedUnmatched["matched"]);
        Assert.Equal("+33199000001", (string?)storedUnmatched["to"]);
        foreach (var refused in new[] { bad, unknownClient })
        {
            var get = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/pbx/{refused["callId"]}", TestKeys.Operator));
            await get.AssertNotFoundProblemAsync();
        }
    }

    [Fact]
    public async Task CallEvent_Redelivered_WritesNothing()
    {
        // README "Calls": the merge is idempotent and a redelivered event writes nothing. The row's ETag (read
        // straight from the host's table) changes on every write, so an unchanged ETag means no write happened.
        var (_, number) = await Seed.ClientAsync(_http);
        const long start = 1791183000;
        var id = Random.Shared.NextInt64(1, long.MaxValue);
        var created = AircallEvent("call.created", id, number, start);
        var answered = AircallEvent("call.answered", id, number, start, answered: start + 9);
        var calls = new TableClient(fixture.Factory.StorageConnectionString, "Calls");
        async Task<Azure.ETag> RowETag() => (await calls.GetEntityAsync<TableEntity>($"aircall:{id}", "call")).Value.ETag;

        Assert.Equal(HttpStatusCode.OK, (await PostAircall(created)).StatusCode);
        var afterFirst = await RowETag();
        var rawBlob = await RawBlobOf(created);
        var rawETag = (await rawBlob.GetPropertiesAsync()).Value.ETag;

        Assert.Equal(HttpStatusCode.OK, (await PostAircall(created)).StatusCode);
        Assert.Equal(afterFirst, await RowETag());
        Assert.Equal(rawETag, (await rawBlob.GetPropertiesAsync()).Value.ETag); // the raw body is written once too

        // A new event does write (so the ETag can tell), and the earlier event redelivered after it still writes nothing.
        Assert.Equal(HttpStatusCode.OK, (await PostAircall(answered)).StatusCode);
        var afterAnswer = await RowETag();
        Assert.NotEqual(afterFirst, afterAnswer);
        Assert.Equal(HttpStatusCode.OK, (await PostAircall(created)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAircall(answered)).StatusCode);
        Assert.Equal(afterAnswer, await RowETag());
        Assert.Equal("answered", (string?)(await GetCall("aircall", id.ToString()))["outcome"]);
    }

    private async Task<Azure.Storage.Blobs.BlobClient> RawBlobOf(JsonObject body)
    {
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body.ToJsonString())));
        var container = new BlobServiceClient(fixture.Factory.StorageConnectionString).GetBlobContainerClient("raw");
        var found = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
        {
            // {owner}/aircall/{yyyy}/{MM}/{dd}/{digest}.json: filed under the client the event concerns.
            if (blob.Name.Contains(digest, StringComparison.Ordinal) && blob.Name.Contains("/aircall/", StringComparison.Ordinal))
            {
                found.Add(blob.Name);
            }
        }
        return container.GetBlobClient(Assert.Single(found));
    }

    [Theory]
    [InlineData("direction", "sideways")]
    [InlineData("outcome", "teleported")]
    [InlineData("startedAt", "yesterday")]
    [InlineData("callId", "a/b")]
    [InlineData("provider", "PBX#1")]
    public async Task PostCalls_BadField_Is422NamingIt(string field, string value)
    {
        var record = Record($"c-{Guid.NewGuid():N}", "+33186950000");
        record[field] = value;
        var response = await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, record));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey(field));
    }

    [Fact]
    public async Task PostCalls_IllTypedField_Is422NamingIt()
    {
        var record = Record($"c-{Guid.NewGuid():N}", "+33186950000");
        record["agentId"] = 12;
        var response = await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, record));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("agentId"));
    }

    [Fact]
    public async Task PostCalls_TooManyItems_Is400()
    {
        var array = new JsonArray();
        for (var i = 0; i < 1001; i++)
        {
            array.Add(new JsonObject { ["provider"] = "pbx" });
        }
        var response = await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, array));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Calls_KeyScopedToAnotherClient_Gets403()
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, Record(callId, number)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, number)))).StatusCode);
        // Another client's call answers as one that does not exist: ids cannot be probed.
        var scopedGet = await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/pbx/{callId}", TestKeys.ScopedOperator));
        Assert.Equal(HttpStatusCode.NotFound, scopedGet.StatusCode);
        await scopedGet.ProblemAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/pbx/{callId}", TestKeys.Auditor))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/pbx/{callId}", null))).StatusCode);
    }
}

public sealed class StandaloneIngestionContractTests(HostFixture<StandaloneHost.Factory> fixture) : IngestionContractTests<StandaloneHost.Factory>(fixture);

public sealed class FunctionsIngestionContractTests(HostFixture<FunctionsHost.Factory> fixture) : IngestionContractTests<FunctionsHost.Factory>(fixture);
