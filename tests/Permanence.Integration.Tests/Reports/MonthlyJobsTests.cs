using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Jobs;
using Permanence.Core.Sla;
using Permanence.Infrastructure.Calls;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Reports;

/// <summary>
/// README, "Monthly SLA report": the hourly job reports every closed month once, at local midnight in each
/// client's own zone, emails it, and does nothing more on later runs. Runs on an account of its own (a run walks
/// every client of its account) with the clock in the test's hands.
/// </summary>
public sealed class MonthlyJobsTests : IAsyncLifetime
{
    private readonly StandaloneHost _host;
    private readonly HttpClient _http;
    private readonly FakeTimeProvider _time;
    private readonly CountingCallIndex _calls;

    public MonthlyJobsTests()
    {
        _host = new StandaloneHost(TestKeys.Settings(TestEnvironment.JobsStorageConnectionString), services =>
        {
            // A clock that starts before the months these tests close (a fake clock only moves forward).
            services.RemoveAll<FakeTimeProvider>();
            services.AddSingleton(new FakeTimeProvider(new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero)));
            services.RemoveAll<ICallIndex>();
            services.AddSingleton<TableCallIndex>();
            services.AddSingleton<CountingCallIndex>();
            services.AddSingleton<ICallIndex>(sp => sp.GetRequiredService<CountingCallIndex>());
        });
        _http = _host.CreateClient();
        _time = _host.Services.GetRequiredService<FakeTimeProvider>();
        _calls = _host.Services.GetRequiredService<CountingCallIndex>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private MonthlyJobService Jobs => _host.Services.GetRequiredService<MonthlyJobService>();

    private BlobContainerClient Container(string name) => _host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(name);

    private async Task<string> ClientAsync(string zone)
    {
        var clientId = TestEnvironment.NewClientId();
        var contract = Api.Althea(Api.NewNumber());
        contract["timeZone"] = zone;
        var response = await _http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, contract));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var number = (string)contract["numbers"]![0]!;
        var call = new JsonObject
        {
            ["provider"] = "pbx",
            ["callId"] = $"job-{Guid.NewGuid():N}",
            ["direction"] = "inbound",
            ["from"] = "+33612345678",
            ["to"] = number,
            ["startedAt"] = "2026-10-14T13:00:00Z",
            ["answeredAt"] = "2026-10-14T13:00:09Z",
            ["endedAt"] = "2026-10-14T13:04:00Z",
            ["outcome"] = "answered",
        };
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, call))).StatusCode);
        return clientId;
    }

    private async Task<ETag?> ETagAsync(string container, string path)
    {
        var blob = Container(container).GetBlobClient(path);
        return await blob.ExistsAsync() ? (await blob.GetPropertiesAsync()).Value.ETag : null;
    }

    private async Task<Dictionary<string, ETag?>> ETagsAsync(params string[] clients)
    {
        var tags = new Dictionary<string, ETag?>();
        foreach (var client in clients)
        {
            foreach (var file in new[] { SlaReportJob.JsonFile, SlaReportJob.CsvFile, SlaReportJob.HtmlFile })
            {
                tags[$"reports/{client}/2026-10/{file}"] = await ETagAsync("reports", $"{client}/2026-10/{file}");
            }
            tags[$"outbox/{client}/sla-report-2026-10/accueil.eml"] = await ETagAsync("outbox", $"{client}/sla-report-2026-10/accueil.eml");
        }
        return tags;
    }

    [Fact]
    public async Task ClosedMonths_AreReportedAtLocalMidnight_InEachClientsZone_OnceAndEmailed()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 10, 15, 10, 0, 0, TimeSpan.Zero));
        var paris = await ClientAsync("Europe/Paris");
        var martinique = await ClientAsync("America/Martinique");

        // 23:59 on 31 October in Paris (UTC+1 since the 25th): October is still open everywhere.
        _time.SetUtcNow(new DateTimeOffset(2026, 10, 31, 22, 59, 0, TimeSpan.Zero));
        await Jobs.RunReportsAsync(CancellationToken.None);
        Assert.All(await ETagsAsync(paris, martinique), t => Assert.Null(t.Value));

        // 00:05 on 1 November in Paris, still 19:05 on 31 October in Martinique (UTC−4).
        _time.SetUtcNow(new DateTimeOffset(2026, 10, 31, 23, 5, 0, TimeSpan.Zero));
        await Jobs.RunReportsAsync(CancellationToken.None);
        Assert.All(await ETagsAsync(paris), t => Assert.NotNull(t.Value));
        Assert.All(await ETagsAsync(martinique), t => Assert.Null(t.Value));
        var report = JsonNode.Parse((await Container("reports").GetBlobClient($"{paris}/2026-10/sla-report.json").DownloadContentAsync()).Value.Content.ToString())!;
        Assert.True((bool)report["final"]!);
        Assert.Equal(1, (int)report["calls"]!["inbound"]!);

        // The email: the page inline, the CSV attached, to the contact listed in reportRecipients.
        var email = (await Container("outbox").GetBlobClient($"{paris}/sla-report-2026-10/accueil.eml").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("To: \"Accueil\" <accueil@althea.example>", email, StringComparison.Ordinal);
        Assert.Contains("Subject: Rapport SLA – octobre 2026 – Cabinet Médical Althéa", email, StringComparison.Ordinal);
        Assert.Contains("Content-Type: multipart/mixed", email, StringComparison.Ordinal);
        Assert.Contains("Content-Disposition: attachment; filename=\"sla-report-2026-10.csv\"", email, StringComparison.Ordinal);
        Assert.Contains("<svg", email, StringComparison.Ordinal);

        // 23:59 then 00:05 in Martinique.
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 1, 3, 59, 0, TimeSpan.Zero));
        await Jobs.RunReportsAsync(CancellationToken.None);
        Assert.All(await ETagsAsync(martinique), t => Assert.Null(t.Value));
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 1, 4, 5, 0, TimeSpan.Zero));
        await Jobs.RunReportsAsync(CancellationToken.None);
        var written = await ETagsAsync(paris, martinique);
        Assert.All(written, t => Assert.NotNull(t.Value));

        // Later, doubled or late runs change no blob, send no email again, and read no call.
        var callReads = _calls.Lists;
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 20, 9, 5, 0, TimeSpan.Zero));
        await Task.WhenAll(Jobs.RunReportsAsync(CancellationToken.None), Jobs.RunReportsAsync(CancellationToken.None));
        await Jobs.RunReportsAsync(CancellationToken.None);
        Assert.Equal(written, await ETagsAsync(paris, martinique));
        Assert.Equal(callReads, _calls.Lists);
    }

    [Fact]
    public async Task ConcurrentRuns_OfOneClosedMonth_WriteOneReport()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 10, 15, 10, 0, 0, TimeSpan.Zero));
        var paris = await ClientAsync("Europe/Paris");
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.Zero));
        var job = _host.Services.GetRequiredService<SlaReportJob>();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => job.RunAsync(paris, new YearMonth(2026, 10), CancellationToken.None)));

        Assert.Equal(1, outcomes.Count(o => o == SlaJobOutcome.Written));
        Assert.Equal(3, outcomes.Count(o => o == SlaJobOutcome.AlreadyFinal));
        var versions = new List<string>();
        await foreach (var blob in Container("reports").GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{paris}/2026-10/", CancellationToken.None))
        {
            versions.Add(blob.Name);
        }
        Assert.Equal([$"{paris}/2026-10/sla-report.csv", $"{paris}/2026-10/sla-report.html", $"{paris}/2026-10/sla-report.json"], versions.Order());
    }

    [Fact]
    public async Task AMonthToDateReport_IsNotFinal_AndIsReplacedOnceTheMonthCloses()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 10, 15, 10, 0, 0, TimeSpan.Zero));
        var paris = await ClientAsync("Europe/Paris");
        _time.SetUtcNow(new DateTimeOffset(2026, 10, 20, 10, 0, 0, TimeSpan.Zero));

        var response = await _http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/sla-report?client={paris}&period=2026-10", TestKeys.Admin));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("writtenMonthToDate", (string?)body["outcome"]);
        Assert.False((bool)body["final"]!);
        var json = Container("reports").GetBlobClient($"{paris}/2026-10/sla-report.json");
        Assert.False((bool)JsonNode.Parse((await json.DownloadContentAsync()).Value.Content.ToString())!["final"]!);

        _time.SetUtcNow(new DateTimeOffset(2026, 11, 1, 0, 5, 0, TimeSpan.Zero));
        await Jobs.RunReportsAsync(CancellationToken.None);
        var final = await json.DownloadContentAsync();
        Assert.True((bool)JsonNode.Parse(final.Value.Content.ToString())!["final"]!);

        response = await _http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/sla-report?client={paris}&period=2026-10", TestKeys.Admin));
        Assert.Equal("alreadyFinal", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["outcome"]);
        Assert.Equal(final.Value.Details.ETag, (await json.GetPropertiesAsync()).Value.ETag);
    }

    /// <summary>The real call index, counting the month partitions read.</summary>
    public sealed class CountingCallIndex(TableCallIndex inner) : ICallIndex
    {
        private int _lists;

        public int Lists => Volatile.Read(ref _lists);

        public Task UpsertAsync(string clientId, YearMonth month, CallRecord record, CancellationToken cancellationToken) => inner.UpsertAsync(clientId, month, record, cancellationToken);

        public Task<bool> ContainsAsync(string clientId, YearMonth month, string provider, string callId, CancellationToken cancellationToken) =>
            inner.ContainsAsync(clientId, month, provider, callId, cancellationToken);

        public Task RemoveAsync(string clientId, YearMonth month, string provider, string callId, CancellationToken cancellationToken) =>
            inner.RemoveAsync(clientId, month, provider, callId, cancellationToken);

        public async IAsyncEnumerable<CallRecord> ListAsync(string clientId, YearMonth month, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _lists);
            await foreach (var record in inner.ListAsync(clientId, month, cancellationToken))
            {
                yield return record;
            }
        }
    }
}
