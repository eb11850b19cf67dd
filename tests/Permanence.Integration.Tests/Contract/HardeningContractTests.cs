using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Storage;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Contract;

/// <summary>
/// Defects found by review of what had landed, one test each (README, "Security" and "Limits"): tenant isolation of
/// calls, numbers owned over time, identifiers, storage limits, Aircall times, the routing outbox, stored
/// contracts read as stored, Twilio's repeated fields, messages pointing at another client's call.
/// </summary>
public abstract class HardeningContractTests<TFactory>(HostFixture<TFactory> fixture) : IClassFixture<HostFixture<TFactory>>
    where TFactory : IApiHostFactory, new()
{
    private readonly HttpClient _http = fixture.Host.CreateClient();

    private TableServiceClient Tables => fixture.Host.Services.GetRequiredService<TableServiceClient>();

    private static JsonObject Record(string callId, string to, string? clientId = null, string startedAt = "2026-10-05T17:31:10Z") => new()
    {
        ["provider"] = "pbx",
        ["callId"] = callId,
        ["clientId"] = clientId,
        ["direction"] = "inbound",
        ["from"] = "06 11 22 33 44",
        ["to"] = to,
        ["startedAt"] = startedAt,
        ["endedAt"] = "2026-10-05T17:35:00Z",
        ["outcome"] = "missed",
    };

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? key, JsonNode? body = null) =>
        _http.SendAsync(Api.Request(method, path, key, body));

    /// <summary>A body as a client writing UTF-8 sends it: every character as itself, emoji included (no \u escapes).</summary>
    private Task<HttpResponseMessage> SendRaw(string path, string key, JsonNode body)
    {
        var text = body.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .Replace("\\uD83D\\uDE00", "😀", StringComparison.OrdinalIgnoreCase);
        var request = Api.Request(HttpMethod.Post, path, key);
        request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        return _http.SendAsync(request);
    }

    private async Task<List<TableEntity>> RowsOfClient(string table, string clientId)
    {
        var client = Tables.GetTableClient(table);
        await client.CreateIfNotExistsAsync();
        return await client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ClientId eq {clientId}")).ToListAsync();
    }

    private async Task<TableEntity> CallRow(string callId) =>
        (await Tables.GetTableClient(StorageNames.CallsTable).GetEntityAsync<TableEntity>($"pbx:{callId}", "call")).Value;

    private async Task<(string ClientId, string Number)> ScopedClientAsync()
    {
        // The scoped keys' own client, configured once per host (a PUT of the same document again changes nothing).
        var response = await Send(HttpMethod.Get, $"/api/clients/{TestKeys.ScopedClient}", TestKeys.Admin);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var body = await response.JsonAsync();
            return (TestKeys.ScopedClient, (string)body["configuration"]!["numbers"]![0]!);
        }
        // Another test class may be saving it at this very moment (409, retry shortly): bounded retries.
        var number = Api.NewNumber();
        for (var attempt = 0; ; attempt++)
        {
            var put = await Send(HttpMethod.Put, $"/api/clients/{TestKeys.ScopedClient}", TestKeys.Admin, Api.Althea(number));
            if (put.StatusCode != HttpStatusCode.Conflict || attempt == 50)
            {
                Assert.True(put.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
                return (TestKeys.ScopedClient, number);
            }
            await Task.Delay(100);
        }
    }

    // ---- 1. Tenant isolation of calls ----

    [Fact]
    public async Task PostCall_ScopedKeyOnAnotherClientsCall_Is403_LeaksNothing_ChangesNothing()
    {
        var (clientA, numberA) = await Seed.ClientAsync(_http);
        var (clientB, _) = await ScopedClientAsync();
        var callId = $"c-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, numberA))).StatusCode);
        var before = await CallRow(callId);

        // B's key names B for A's call, with an earlier start that would shift A's times if merged.
        var attack = Record(callId, numberA, clientB, startedAt: "2026-10-05T16:00:00Z");
        var single = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, attack);
        var batch = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, new JsonArray(attack.DeepClone()));
        var withoutClient = Record(callId, numberA, startedAt: "2026-10-05T16:00:00Z");
        var derived = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, withoutClient);

        Assert.Equal(HttpStatusCode.Forbidden, single.StatusCode);
        var singleText = await single.Content.ReadAsStringAsync();
        Assert.DoesNotContain(clientA, singleText, StringComparison.Ordinal);
        Assert.DoesNotContain("+33611223344", singleText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.MultiStatus, batch.StatusCode);
        var item = (await batch.JsonAsync())["results"]![0]!;
        Assert.Equal(403, (int)item["status"]!);
        Assert.DoesNotContain(clientA, item.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, derived.StatusCode);

        var after = await CallRow(callId);
        Assert.Equal(before.ETag, after.ETag); // not even rewritten
        Assert.Equal(clientA, after.GetString("ClientId"));
        Assert.Equal(DateTimeOffset.Parse("2026-10-05T17:31:10Z"), after.GetDateTimeOffset("StartedAt"));
    }

    [Fact]
    public async Task PostCall_KeySeeingBothClients_NamingAnotherClient_Is409AndChangesNothing()
    {
        var (clientA, numberA) = await Seed.ClientAsync(_http);
        var (clientB, _) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, numberA))).StatusCode);
        var before = await CallRow(callId);

        // Named explicitly, with a number nobody owns (naming a client that does not own the dialled number is 422).
        var response = await Send(HttpMethod.Post, "/api/calls", TestKeys.Admin, Record(callId, Api.NewNumber(), clientB, startedAt: "2026-10-05T16:00:00Z"));
        var batch = await Send(HttpMethod.Post, "/api/calls", TestKeys.Admin, new JsonArray(Record(callId, Api.NewNumber(), clientB)));
        var newCallId = $"c-{Guid.NewGuid():N}";
        var mismatch = await Send(HttpMethod.Post, "/api/calls", TestKeys.Admin, Record(newCallId, numberA, clientB));
        var sameClient = await Send(HttpMethod.Post, "/api/calls", TestKeys.Admin, Record(callId, numberA, clientA));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await response.ProblemAsync();
        Assert.Equal(409, (int)(await batch.JsonAsync())["results"]![0]!["status"]!);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mismatch.StatusCode); // B does not own A's number
        Assert.DoesNotContain(clientA, await mismatch.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await Tables.GetTableClient(StorageNames.CallsTable).GetEntityIfExistsAsync<TableEntity>($"pbx:{newCallId}", "call")).HasValue);
        Assert.Equal(HttpStatusCode.OK, sameClient.StatusCode); // naming the call's own client is fine (and changes nothing)
        var after = await CallRow(callId);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(clientA, after.GetString("ClientId"));
    }

    [Fact]
    public async Task PostCall_ScopedKey_CannotCreateOrTouchUnmatchedCalls()
    {
        var nobodysNumber = Api.NewNumber();
        var callId = $"c-{Guid.NewGuid():N}";

        var scopedCreate = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, Record(callId, nobodysNumber));
        Assert.Equal(HttpStatusCode.Forbidden, scopedCreate.StatusCode);
        Assert.False((await Tables.GetTableClient(StorageNames.CallsTable).GetEntityIfExistsAsync<TableEntity>($"pbx:{callId}", "call")).HasValue);

        Assert.Equal(HttpStatusCode.Accepted, (await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, nobodysNumber))).StatusCode);
        var (clientB, _) = await ScopedClientAsync();
        var claim = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, Record(callId, nobodysNumber, clientB));
        Assert.Equal(HttpStatusCode.Forbidden, claim.StatusCode);
        Assert.Null((await CallRow(callId)).GetString("ClientId"));
        var read = await Send(HttpMethod.Get, $"/api/calls/pbx/{callId}", TestKeys.ScopedOperator);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        await read.ProblemAsync();
    }

    // ---- 2. Numbers owned over time ----

    private Task<HttpResponseMessage> PutVersion(string clientId, string effectiveFrom, params string[] numbers)
    {
        var json = Api.Althea();
        json["effectiveFrom"] = effectiveFrom;
        json["numbers"] = new JsonArray(numbers.Select(n => (JsonNode)n).ToArray());
        return Send(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, json);
    }

    private async Task<string?> ClientOfCallAt(string number, string startedAt)
    {
        var callId = $"c-{Guid.NewGuid():N}";
        var record = Record(callId, number, startedAt: startedAt);
        record["endedAt"] = null;
        var response = await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, record);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (string?)(await response.JsonAsync())["clientId"];
    }

    [Fact]
    public async Task Numbers_AreOwnedOverTime_FreedByTheVersionThatDropsThem()
    {
        var number = Api.NewNumber();
        var clientA = TestEnvironment.NewClientId("a");
        var clientB = TestEnvironment.NewClientId("b");
        Assert.Equal(HttpStatusCode.Created, (await PutVersion(clientA, "2026-01-01", number)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutVersion(clientA, "2026-06-01", Api.NewNumber())).StatusCode);

        // While A's first version is in force, the number is A's: 422 naming the number, nothing about A.
        var early = await PutVersion(clientB, "2026-03-01", number);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, early.StatusCode);
        var problem = await early.ProblemAsync();
        Assert.Contains("owned by another client", problem["errors"]!["numbers[0]"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(clientA, problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"/api/clients/{clientB}", TestKeys.Admin)).StatusCode);

        // From the day A dropped it, B may list it.
        Assert.Equal(HttpStatusCode.Created, (await PutVersion(clientB, "2026-06-01", number)).StatusCode);

        // Calls go to the owner at their start: 2026-06-01 starts at 22:00 UTC the day before in Paris.
        Assert.Equal(clientA, await ClientOfCallAt(number, "2026-02-10T09:00:00Z"));
        Assert.Equal(clientA, await ClientOfCallAt(number, "2026-05-31T21:59:59Z"));
        Assert.Equal(clientB, await ClientOfCallAt(number, "2026-05-31T22:00:00Z"));
        Assert.Equal(clientB, await ClientOfCallAt(number, "2026-07-10T09:00:00Z"));
        Assert.Null(await ClientOfCallAt(number, "2025-12-31T09:00:00Z")); // before anyone listed it

        // A may not take it back while B holds it.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PutVersion(clientA, "2026-09-01", number)).StatusCode);
    }

    [Fact]
    public async Task Numbers_OwnershipRowOfTheEarlierForm_IsStillHonoured_AndRewrittenOnTheNextSave()
    {
        var number = Api.NewNumber();
        var clientA = TestEnvironment.NewClientId("a");
        Assert.Equal(HttpStatusCode.Created, (await PutVersion(clientA, "2026-01-01", number)).StatusCode);
        // Turn the index row back into the form stored before ownership had periods: one owner per number.
        var numbers = Tables.GetTableClient(StorageNames.NumbersTable);
        await numbers.DeleteEntityAsync(number, clientA);
        await numbers.AddEntityAsync(new TableEntity(number, "") { ["ClientId"] = clientA });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PutVersion(TestEnvironment.NewClientId("b"), "2026-10-01", number)).StatusCode);
        Assert.Equal(clientA, await ClientOfCallAt(number, "2026-10-05T09:00:00Z"));

        Assert.Equal(HttpStatusCode.OK, (await PutVersion(clientA, "2026-02-01", number)).StatusCode);
        var rows = await numbers.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {number}")).ToListAsync();
        Assert.Equal([clientA], rows.Select(r => r.RowKey));
    }

    // ---- 3. Identifiers ----

    [Fact]
    public async Task Identifiers_WithATrailingNewline_AreRefusedWith4xx()
    {
        var (clientId, number) = await Seed.ClientAsync(_http);
        var call = Record("c1\n", number);
        var callResponse = await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, call);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, callResponse.StatusCode);
        Assert.True((await callResponse.ProblemAsync())["errors"]!.AsObject().ContainsKey("callId"));

        var clientResponse = await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record("c1", number, clientId + "\n"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, clientResponse.StatusCode);

        var message = new JsonObject { ["clientId"] = clientId + "\n", ["scenario"] = "rdv", ["takenAt"] = "2026-10-05T19:42:10Z" };
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Send(HttpMethod.Post, "/api/messages", TestKeys.Operator, message)).StatusCode);
        var messageWithCall = new JsonObject { ["clientId"] = clientId, ["callId"] = "pbx:c1\n", ["scenario"] = "rdv", ["takenAt"] = "2026-10-05T19:42:10Z" };
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Send(HttpMethod.Post, "/api/messages", TestKeys.Operator, messageWithCall)).StatusCode);

        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Put, "/api/clients/c1%0A", TestKeys.Admin, Api.Althea())).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Get, "/api/calls/pbx/c1%0A", TestKeys.Operator)).StatusCode);
        var message404 = await Send(HttpMethod.Get, "/api/messages/msg-1%0A", TestKeys.Operator);
        Assert.Equal(HttpStatusCode.NotFound, message404.StatusCode);
        await message404.ProblemAsync();
    }

    // ---- 4. Storage limits and ranges ----

    [Theory]
    [InlineData("startedAt", "1600-01-01T00:00:00Z")]
    [InlineData("startedAt", "0001-01-01T00:00:00Z")]
    [InlineData("endedAt", "9999-12-31T23:59:59Z")]
    [InlineData("answeredAt", "2200-01-01T00:00:00Z")]
    [InlineData("from", "+33612345678123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890")]
    [InlineData("to", "+33 1 86 95\u0001")]
    public async Task PostCalls_OutOfRangeOrUnboundedField_Is422InThe207_OtherItemsStored(string field, string value)
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var bad = Record($"c-{Guid.NewGuid():N}", number);
        bad[field] = value;
        var good = Record($"c-{Guid.NewGuid():N}", number);

        var single = await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, bad.DeepClone());
        var batch = await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, new JsonArray(bad, good));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, single.StatusCode);
        Assert.True((await single.ProblemAsync())["errors"]!.AsObject().ContainsKey(field));
        var results = (await batch.JsonAsync())["results"]!.AsArray();
        Assert.Equal([422, 200], results.Select(r => (int)r!["status"]!));
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"/api/calls/pbx/{bad["callId"]}", TestKeys.Operator)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, $"/api/calls/pbx/{good["callId"]}", TestKeys.Operator)).StatusCode);
    }

    [Fact]
    public async Task PutClient_EffectiveFromOutOfRange_Is422()
    {
        var json = Api.Althea();
        json["effectiveFrom"] = "9999-12-31";
        var response = await Send(HttpMethod.Put, $"/api/clients/{TestEnvironment.NewClientId()}", TestKeys.Admin, json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("effectiveFrom"));
    }

    private static JsonObject Message(string clientId, JsonObject fields) => new()
    {
        ["clientId"] = clientId,
        ["scenario"] = "resultats",
        ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "06 12 34 56 78" },
        ["fields"] = fields,
        ["takenAt"] = "2026-10-05T19:42:10Z",
    };

    [Fact]
    public async Task PostMessage_AccentedTextNearTheBodyCap_IsStoredAsWritten()
    {
        // 30 fields of 4,000 'é': 240 KB of body, 720,000 characters once \u-escaped by a default JSON encoder.
        var (clientId, _) = await Seed.ClientAsync(_http);
        var fields = new JsonObject();
        for (var i = 0; i < 30; i++)
        {
            fields[$"note{i}"] = new string('é', 4000);
        }

        var response = await SendRaw("/api/messages", TestKeys.Operator, Message(clientId, fields));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;
        var row = (await Tables.GetTableClient(StorageNames.MessagesTable).GetEntityAsync<TableEntity>(id, "message")).Value;
        var stored = ChunkedText.Read(row, "Json");
        Assert.Contains(new string('é', 4000), stored, StringComparison.Ordinal);
        Assert.True(EntitySize.Of(row) < EntitySize.MaxEntityBytes);
    }

    [Fact]
    public async Task PostMessage_TooLargeToStore_Is422AndWritesNothing()
    {
        // Emoji are escaped even by a relaxed encoder (12 characters each): 30 × 2,000 of them exceed 1 MiB stored.
        var (clientId, _) = await Seed.ClientAsync(_http);
        var fields = new JsonObject();
        for (var i = 0; i < 30; i++)
        {
            fields[$"note{i}"] = string.Concat(Enumerable.Repeat("😀", 2000));
        }

        var response = await SendRaw("/api/messages", TestKeys.Operator, Message(clientId, fields));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("too large", (await response.ProblemAsync()).ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(await RowsOfClient(StorageNames.MessagesTable, clientId));
        Assert.Empty(await RowsOfClient(StorageNames.RoutingOutboxTable, clientId));
    }

    [Theory]
    [InlineData("2026-10-05 07:31:10")]
    [InlineData("Tue, 05 Oct 2026 07:31:10 +0000")] // 5 October 2026 is a Monday
    [InlineData("Tue, 05 Oct 9999 07:31:10 +0000")] // well-formed, but out of range
    public async Task Twilio_TimestampNotStrictRfc1123OrOutOfRange_Is400(string timestamp)
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var callSid = $"CA{Guid.NewGuid():N}";
        var form = new List<KeyValuePair<string, string>>
        {
            new("CallSid", callSid), new("CallStatus", "ringing"), new("Direction", "inbound"),
            new("From", "+33612345678"), new("To", number), new("Timestamp", timestamp),
        };
        var response = await PostTwilio(form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("Timestamp"));
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"/api/calls/twilio/{callSid}", TestKeys.Operator)).StatusCode);
    }

    // ---- 5. Aircall event with an agent and no top-level timestamp ----

    [Fact]
    public async Task Aircall_AgentWithoutTopLevelTimestamp_IsMergedUsingTheEventsOwnTimes()
    {
        var (clientId, number) = await Seed.ClientAsync(_http);
        var id = Random.Shared.NextInt64(1, long.MaxValue);
        var body = new JsonObject
        {
            ["resource"] = "call",
            ["event"] = "call.answered",
            ["token"] = TestKeys.AircallToken,
            ["data"] = new JsonObject
            {
                ["id"] = id, ["direction"] = "inbound", ["started_at"] = 1791183000, ["answered_at"] = 1791183012,
                ["raw_digits"] = "+33 6 12 34 56 78", ["number"] = new JsonObject { ["digits"] = number },
                ["user"] = new JsonObject { ["id"] = 4242 },
            },
        };
        var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/telephony/aircall") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = await response.JsonAsync();
        Assert.Equal(clientId, (string?)call["clientId"]);
        Assert.Equal("4242", (string?)call["agentId"]);
    }

    // ---- 6. Outbox ----

    [Fact]
    public async Task PostMessage_RetriedIdempotencyKey_KeepsTheMarkersFirstTime()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        var queue = fixture.Host.Services.GetRequiredService<ObservedRoutingQueue>();
        var clock = fixture.Host.Services.GetRequiredService<FakeTimeProvider>();
        var body = Message(clientId, new JsonObject { ["note"] = "rappel" });
        var key = $"retry-{Guid.NewGuid():N}";

        queue.FailNext();
        var first = await _http.SendAsync(WithKey(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, body), key));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var id = (string)(await first.JsonAsync())["id"]!;
        var outbox = Tables.GetTableClient(StorageNames.RoutingOutboxTable);
        var since = (await outbox.GetEntityAsync<TableEntity>("pending", id)).Value.GetDateTimeOffset("Since");

        clock.Advance(TimeSpan.FromSeconds(50));
        var retry = await _http.SendAsync(WithKey(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, body), key));

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(since, (await outbox.GetEntityAsync<TableEntity>("pending", id)).Value.GetDateTimeOffset("Since"));
    }

    private static HttpRequestMessage WithKey(HttpRequestMessage request, string key)
    {
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    // ---- 7. Stored contracts are trusted on read ----

    [Fact]
    public async Task StoredContract_FailingTodaysRules_StillServesEventsAndReads()
    {
        var clientId = TestEnvironment.NewClientId();
        var number = Api.NewNumber();
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, Api.Althea(number))).StatusCode);
        // As if a rule had been tightened since it was saved: the stored target is now out of range.
        var contracts = Tables.GetTableClient(StorageNames.ContractsTable);
        var row = (await contracts.GetEntityAsync<TableEntity>(clientId, "v000001")).Value;
        var json = ChunkedText.Read(row, "Json");
        Assert.Contains("\"answerRate\":0.95", json, StringComparison.Ordinal);
        ChunkedText.Write(row, "Json", json.Replace("\"answerRate\":0.95", "\"answerRate\":1.5", StringComparison.Ordinal));
        await contracts.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);

        var call = await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record($"c-{Guid.NewGuid():N}", number));
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Equal(clientId, (string?)(await call.JsonAsync())["clientId"]);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, $"/api/clients/{clientId}", TestKeys.Admin)).StatusCode);
    }

    // ---- 9. Smaller ----

    private Task<HttpResponseMessage> PostTwilio(IReadOnlyList<KeyValuePair<string, string>> form, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/telephony/twilio") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? TwilioStyleSignature(form));
        return _http.SendAsync(request);
    }

    /// <summary>As Twilio signs: keys in ordinal order; a repeated key's distinct values in ordinal order, each with its name.</summary>
    private string TwilioStyleSignature(IEnumerable<KeyValuePair<string, string>> form, bool joinRepeated = false)
    {
        var url = fixture.Host.Services.GetRequiredService<IOptions<PermanenceOptions>>().Value.PublicBaseUrl.TrimEnd('/') + "/api/telephony/twilio";
        var data = new StringBuilder(url);
        foreach (var group in form.GroupBy(p => p.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var values = group.Select(p => p.Value).Distinct().Order(StringComparer.Ordinal).ToList();
            if (joinRepeated)
            {
                data.Append(group.Key).Append(string.Join(',', group.Select(p => p.Value)));
            }
            else
            {
                foreach (var value in values)
                {
                    data.Append(group.Key).Append(value);
                }
            }
        }
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(TestKeys.TwilioAuthToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    [Fact]
    public async Task Twilio_RepeatedFormField_IsCheckedAsTwilioSignsIt()
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var form = new List<KeyValuePair<string, string>>
        {
            new("CallSid", $"CA{Guid.NewGuid():N}"), new("CallStatus", "ringing"), new("Direction", "inbound"),
            new("From", "+33612345678"), new("To", number), new("Timestamp", "Mon, 05 Oct 2026 07:31:10 +0000"),
            new("SipHeader", "zeta"), new("SipHeader", "alpha"),
        };
        Assert.Equal(HttpStatusCode.OK, (await PostTwilio(form)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostTwilio(form, TwilioStyleSignature(form, joinRepeated: true))).StatusCode);
    }

    [Fact]
    public async Task PostMessage_CallOfAnotherClient_Is422AndWritesNothing()
    {
        var (_, numberA) = await Seed.ClientAsync(_http);
        var (clientB, _) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, numberA))).StatusCode);
        var message = Message(clientB, new JsonObject());
        message["callId"] = $"pbx:{callId}";

        var response = await Send(HttpMethod.Post, "/api/messages", TestKeys.Operator, message);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("callId"));
        Assert.Empty(await RowsOfClient(StorageNames.MessagesTable, clientB));
    }

    // ---- Found by review of the fixes ----

    [Fact]
    public async Task PostCall_ScopedKey_CannotTakeAWebhookProvidersCallIds()
    {
        var (clientB, numberB) = await ScopedClientAsync();
        var record = Record($"{Random.Shared.NextInt64(1, long.MaxValue)}", numberB, clientB);
        record["provider"] = "aircall";
        var response = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, record);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await response.ProblemAsync();
    }

    [Fact]
    public async Task PostCall_EventWhoseNumberBelongsToAnotherClient_IsNotMergedIntoTheStoredCall()
    {
        // A call stored for B under an id A's provider later uses: A's event (A's number) must not land in B's record.
        var (clientA, numberA) = await Seed.ClientAsync(_http);
        var (clientB, numberB) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, numberB))).StatusCode);
        var before = await CallRow(callId);

        var response = await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, numberA));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.DoesNotContain(clientB, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before.ETag, (await CallRow(callId)).ETag);
        Assert.NotEqual(clientA, (await CallRow(callId)).GetString("ClientId"));
    }

    [Theory]
    [InlineData("startedAt", "9999-12-31T23:00:00-05:00")]
    [InlineData("startedAt", "0001-01-01T00:00:00+05:00")]
    [InlineData("from", "\\ud800")]
    [InlineData("outcome", "\\udfff")]
    public async Task PostCall_OverflowingOffsetOrInvalidUnicode_Is4xxNot500(string field, string value)
    {
        var (_, number) = await Seed.ClientAsync(_http);
        var body = Record($"c-{Guid.NewGuid():N}", number).ToJsonString().Replace("\"" + field + "\":", "\"" + field + "\":\"" + value + "\",\"ignored-" + field + "\":", StringComparison.Ordinal);
        var request = Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await _http.SendAsync(request);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode} for {body}");
        await response.ProblemAsync();
    }

    [Fact]
    public async Task Aircall_TokenThatIsNotValidUnicode_Is400Not500()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/telephony/aircall")
        {
            Content = new StringContent("""{"token":"\ud800","resource":"call"}""", Encoding.UTF8, "application/json"),
        };
        var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await response.ProblemAsync();
    }

    [Fact]
    public async Task PostCall_Refused_LeavesNoRawArchive()
    {
        var (_, numberA) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, numberA))).StatusCode);
        var refused = Record(callId, numberA, startedAt: "2026-10-05T16:00:00Z");
        var text = refused.ToJsonString();
        var request = Api.Request(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator);
        request.Content = new StringContent(text, Encoding.UTF8, "application/json");

        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(request)).StatusCode);

        var blobs = fixture.Host.Services.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>().GetBlobContainerClient(StorageNames.RawContainer);
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var archived = new List<string>();
        await foreach (var blob in blobs.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
        {
            if (blob.Name.EndsWith($"/{digest}.json", StringComparison.Ordinal))
            {
                archived.Add(blob.Name);
            }
        }
        Assert.Empty(archived);
    }

    [Fact]
    public async Task PutClient_TooManyNumbers_Is422()
    {
        var json = Api.Althea();
        json["numbers"] = new JsonArray(Enumerable.Range(0, 201).Select(_ => (JsonNode)Api.NewNumber()).ToArray());
        var response = await Send(HttpMethod.Put, $"/api/clients/{TestEnvironment.NewClientId()}", TestKeys.Admin, json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("numbers"));
    }

    [Theory]
    [InlineData("2099-12-31")]
    [InlineData("2000-01-01")]
    public async Task PutClient_ScopedAdmin_CannotDateAVersionFarFromToday(string effectiveFrom)
    {
        await ScopedClientAsync();
        var json = Api.Althea();
        json["effectiveFrom"] = effectiveFrom;
        var response = await Send(HttpMethod.Put, $"/api/clients/{TestKeys.ScopedClient}", TestKeys.ScopedAdmin, json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("effectiveFrom"));
    }

    // ---- Found by the second review ----

    [Fact]
    public async Task Twilio_EventsOutOfOrderAcrossAnOwnerChange_AreMergedIntoTheCallsFirstClient()
    {
        var number = Api.NewNumber();
        var clientA = TestEnvironment.NewClientId("a");
        var clientB = TestEnvironment.NewClientId("b");
        Assert.Equal(HttpStatusCode.Created, (await PutVersion(clientA, "2026-01-01", number)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutVersion(clientA, "2026-06-01", Api.NewNumber())).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PutVersion(clientB, "2026-06-01", number)).StatusCode);
        var callSid = $"CA{Guid.NewGuid():N}";
        List<KeyValuePair<string, string>> Event(string status, string timestamp) =>
        [
            new("CallSid", callSid), new("CallStatus", status), new("Direction", "inbound"),
            new("From", "+33612345678"), new("To", number), new("Timestamp", timestamp),
        ];

        // "completed" first (after midnight in Paris: B's), then "ringing" from before midnight (A's then).
        var completed = await PostTwilio(Event("completed", "Sun, 31 May 2026 22:05:00 +0000"));
        var ringing = await PostTwilio(Event("ringing", "Sun, 31 May 2026 21:58:00 +0000"));

        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ringing.StatusCode);
        var call = await ringing.JsonAsync();
        Assert.Equal(clientB, (string?)call["clientId"]);
        Assert.Equal("2026-05-31T21:58:00Z", (string?)call["startedAt"]);
    }

    [Fact]
    public async Task PostCall_ScopedKeyNamingItsClient_ForANumberItDoesNotOwn_Is422WhateverTheNumber()
    {
        var (clientB, _) = await ScopedClientAsync();
        var (_, numberA) = await Seed.ClientAsync(_http);
        var free = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, Record($"c-{Guid.NewGuid():N}", Api.NewNumber(), clientB));
        var owned = await Send(HttpMethod.Post, "/api/calls", TestKeys.ScopedOperator, Record($"c-{Guid.NewGuid():N}", numberA, clientB));

        // The same answer for a free number and another client's: nothing says whose number it is.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, free.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, owned.StatusCode);
        Assert.Equal((await free.ProblemAsync())["errors"]!.ToJsonString(), (await owned.ProblemAsync())["errors"]!.ToJsonString());
    }

    [Fact]
    public async Task PostMessage_FaithfulRetry_GetsTheFirstAnswer_EvenIfItsCallArrivedElsewhereMeanwhile()
    {
        var (clientId, _) = await Seed.ClientAsync(_http);
        var callId = $"c-{Guid.NewGuid():N}";
        var body = Message(clientId, new JsonObject());
        body["callId"] = $"pbx:{callId}";
        var key = $"retry-{Guid.NewGuid():N}";
        var first = await _http.SendAsync(WithKey(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, body), key));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        // The call then arrives to a number nobody owns: a new message naming it would be refused...
        Assert.Equal(HttpStatusCode.Accepted, (await Send(HttpMethod.Post, "/api/calls", TestKeys.Operator, Record(callId, Api.NewNumber()))).StatusCode);
        var retry = await _http.SendAsync(WithKey(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, body), key));

        // ...but the retry of the first request is answered as it was.
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal((string?)(await first.JsonAsync())["id"], (string?)(await retry.JsonAsync())["id"]);
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
    }
}

internal static class AsyncPageableExtensions
{
    public static async Task<List<T>> ToListAsync<T>(this AsyncPageable<T> pageable) where T : notnull
    {
        var list = new List<T>();
        await foreach (var item in pageable)
        {
            list.Add(item);
        }
        return list;
    }
}

public sealed class StandaloneHardeningContractTests(HostFixture<StandaloneHost.Factory> fixture) : HardeningContractTests<StandaloneHost.Factory>(fixture);

public sealed class FunctionsHardeningContractTests(HostFixture<FunctionsHost.Factory> fixture) : HardeningContractTests<FunctionsHost.Factory>(fixture);
