using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Permanence.Core.Sla;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Reports;

/// <summary>
/// docs/architecture.md, "SLA calculator": the report job reads the month's index partitions and writes
/// reports/{clientId}/{yyyy-MM}/sla-report.json; a closed month once, the current month as month-to-date.
/// </summary>
public sealed class SlaReportJobTests(HostFixture<StandaloneHost.Factory> fixture) : IClassFixture<HostFixture<StandaloneHost.Factory>>
{
    private static JsonObject Call(string number, string startedAt, string? answeredAt, string endedAt, string outcome) => new()
    {
        ["provider"] = "pbx",
        ["callId"] = $"sla-{Guid.NewGuid():N}",
        ["direction"] = "inbound",
        ["from"] = "+33612345678",
        ["to"] = number,
        ["startedAt"] = startedAt,
        ["answeredAt"] = answeredAt,
        ["endedAt"] = endedAt,
        ["outcome"] = outcome,
    };

    [Fact]
    public async Task ClosedMonth_IsComputedFromTheIndexes_WrittenOnce_AndARerunChangesNothing()
    {
        var http = fixture.Host.CreateClient();
        var (clientId, number) = await Seed.ClientAsync(http);
        // Monday 5 and Tuesday 6 October 2026 in Paris (UTC+2), business hours.
        foreach (var call in new[]
        {
            Call(number, "2026-10-05T07:31:10Z", "2026-10-05T07:31:22Z", "2026-10-05T07:35:00Z", "answered"),
            Call(number, "2026-10-05T08:00:00Z", null, "2026-10-05T08:00:03Z", "abandoned"), // 3 s: a short abandon
            Call(number, "2026-10-06T09:00:00Z", null, "2026-10-06T09:00:30Z", "missed"),
            Call(number, "2026-11-02T09:00:00Z", null, "2026-11-02T09:00:30Z", "missed"), // another month
        })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, call))).StatusCode);
        }
        var message = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
        {
            ["clientId"] = clientId,
            ["scenario"] = "rdv",
            ["caller"] = new JsonObject { ["name"] = "M. Petit", ["phone"] = "+33612345678" },
            ["takenAt"] = "2026-10-05T08:05:00Z",
        }));
        Assert.Equal(HttpStatusCode.Accepted, message.StatusCode);
        var job = fixture.Host.Services.GetRequiredService<SlaReportJob>();

        Assert.Equal(SlaJobOutcome.Written, await job.RunAsync(clientId, new YearMonth(2026, 10), CancellationToken.None));
        var blob = fixture.Host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("reports").GetBlobClient($"{clientId}/2026-10/sla-report.json");
        var first = await blob.DownloadContentAsync();
        var report = JsonNode.Parse(first.Value.Content.ToString())!.AsObject();
        Assert.Equal("2026-10", (string?)report["period"]);
        Assert.True((bool)report["final"]!);
        var calls = report["calls"]!;
        Assert.Equal((3, 1, 0, 1, 1, 2), ((int)calls["inbound"]!, (int)calls["answered"]!, (int)calls["abandoned"]!, (int)calls["shortAbandoned"]!, (int)calls["missed"]!, (int)calls["offered"]!));
        var business = report["bands"]!.AsArray().Single(b => (string?)b!["band"] == "business")!;
        Assert.Equal(0.5m, (decimal)business["answerRate"]!);
        Assert.Equal(12m, (decimal)business["asaSeconds"]!);
        Assert.Equal(1, (int)report["messages"]!["total"]!);
        Assert.Equal(1, (int)report["messages"]!["incomplete"]!); // no preferredDate

        // A rerun of a closed month rewrites nothing.
        Assert.Equal(SlaJobOutcome.AlreadyFinal, await job.RunAsync(clientId, new YearMonth(2026, 10), CancellationToken.None));
        Assert.Equal(first.Value.Details.ETag, (await blob.GetPropertiesAsync()).Value.ETag);

        // The current month is month to date; before the contract and unknown clients are refused.
        var now = fixture.Host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var current = Instant.FromDateTimeOffset(now).InZone(DateTimeZoneProviders.Tzdb["Europe/Paris"]).Date.ToYearMonth();
        Assert.Equal(SlaJobOutcome.WrittenMonthToDate, await job.RunAsync(clientId, current, CancellationToken.None));
        Assert.Equal(SlaJobOutcome.BeforeContract, await job.RunAsync(clientId, new YearMonth(2026, 9), CancellationToken.None));
        Assert.Equal(SlaJobOutcome.UnknownClient, await job.RunAsync("no-such-client", new YearMonth(2026, 10), CancellationToken.None));
    }
}
