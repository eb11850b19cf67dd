using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Messages;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Reports;

/// <summary>
/// docs/architecture.md, "Calls by client and month": ingestion keeps an index of each client's calls by the
/// client's local month; a merge that moves startedAt into another month moves the entry.
/// </summary>
public sealed class CallIndexTests(HostFixture<StandaloneHost.Factory> fixture) : IClassFixture<HostFixture<StandaloneHost.Factory>>
{
    private static JsonObject Call(string callId, string number, string startedAt) => new()
    {
        ["provider"] = "pbx",
        ["callId"] = callId,
        ["direction"] = "inbound",
        ["from"] = "+33612345678",
        ["to"] = number,
        ["startedAt"] = startedAt,
        ["outcome"] = "missed",
    };

    [Fact]
    public async Task Call_IsIndexedUnderItsLocalMonth_AndMovesWhenAnEarlierStartCrossesTheMonth()
    {
        var http = fixture.Host.CreateClient();
        var (clientId, number) = await Seed.ClientAsync(http);
        var index = fixture.Host.Services.GetRequiredService<ICallIndex>();
        var callId = $"idx-{Guid.NewGuid():N}";

        // 31 October 23:00:30 UTC is 1 November 00:00:30 in Paris: the client's November.
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, Call(callId, number, "2026-10-31T23:00:30Z")))).StatusCode);
        Assert.Equal([callId], await IdsAsync(index, clientId, new YearMonth(2026, 11)));
        Assert.Empty(await IdsAsync(index, clientId, new YearMonth(2026, 10)));

        // A later event knows an earlier start, 31 October 23:59:50 in Paris: the call moves to October.
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, Call(callId, number, "2026-10-31T22:59:50Z")))).StatusCode);
        Assert.Equal([callId], await IdsAsync(index, clientId, new YearMonth(2026, 10)));
        Assert.Empty(await IdsAsync(index, clientId, new YearMonth(2026, 11)));

        // Another client's partition holds nothing of this one.
        var (other, _) = await Seed.ClientAsync(http);
        Assert.Empty(await IdsAsync(index, other, new YearMonth(2026, 10)));
    }

    [Fact]
    public async Task LostIndexEntry_IsWrittenAgainByTheRetryOfAnUnchangedEvent()
    {
        var http = fixture.Host.CreateClient();
        var (clientId, number) = await Seed.ClientAsync(http);
        var index = fixture.Host.Services.GetRequiredService<ICallIndex>();
        var callId = $"idx-{Guid.NewGuid():N}";
        var body = Call(callId, number, "2026-10-05T07:31:10Z");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, body))).StatusCode);
        await index.RemoveAsync(clientId, new YearMonth(2026, 10), "pbx", callId, CancellationToken.None); // the write that failed

        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, body))).StatusCode);
        Assert.Equal([callId], await IdsAsync(index, clientId, new YearMonth(2026, 10)));
    }

    [Fact]
    public async Task Message_IsIndexedUnderTheLocalMonthOfItsTakenAt()
    {
        var http = fixture.Host.CreateClient();
        var (clientId, _) = await Seed.ClientAsync(http);
        var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
        {
            ["clientId"] = clientId,
            ["scenario"] = "rdv",
            ["caller"] = new JsonObject { ["name"] = "M. Petit", ["phone"] = "+33612345678" },
            ["takenAt"] = "2026-10-31T23:30:00Z", // 1 November, 00:30 in Paris
        }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;
        var index = fixture.Host.Services.GetRequiredService<IMessageIndex>();
        var entries = new List<MessageIndexEntry>();
        await foreach (var entry in index.ListAsync(clientId, new YearMonth(2026, 11), CancellationToken.None))
        {
            entries.Add(entry);
        }
        var indexed = Assert.Single(entries);
        Assert.Equal((id, "rdv", false), (indexed.Id, indexed.Scenario, indexed.Complete)); // preferredDate missing: incomplete
        Assert.False(await index.ContainsAsync(clientId, new YearMonth(2026, 10), id, CancellationToken.None));
    }

    private static async Task<List<string>> IdsAsync(ICallIndex index, string clientId, YearMonth month)
    {
        var ids = new List<string>();
        await foreach (var call in index.ListAsync(clientId, month, CancellationToken.None))
        {
            ids.Add(call.CallId);
        }
        return ids;
    }
}
