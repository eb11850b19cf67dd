using System.Net;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Permanence.Core.Exports;
using Permanence.Core.Jobs;
using Permanence.Core.Offboarding;
using Permanence.Core.Sla;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;
using Permanence.Integration.Tests.Routing;

namespace Permanence.Integration.Tests.Offboarding;

/// <summary>
/// README, "Offboarding and retention": with the clock moved 25 months on, the daily retention run deletes the
/// months past the contract's retention (24 months by default) of an active client, and nothing newer; the
/// exports and reports stay, and the run is certified.
/// </summary>
public sealed class RetentionTests
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    private static DateTimeOffset SecondDayOf(YearMonth month) => month.OnDayOfMonth(2).AtStartOfDayInZone(Paris).ToDateTimeOffset().AddHours(3);

    [Fact]
    public async Task Retention_25MonthsLater_DeletesTheMonthPastRetention_AndNothingNewer()
    {
        await using var world = new RoutingWorld(DateTimeOffset.UtcNow.AddSeconds(2));
        var client = await OffboardingTests.MonthOfTrafficAsync(world);
        var thisMonth = Instant.FromDateTimeOffset(world.Time.GetUtcNow()).InZone(Paris).Date.ToYearMonth();
        var lastMonth = thisMonth.PlusMonths(-1);
        var retention = world.Services.GetRequiredService<RetentionJob>();

        // Both months closed and exported, as the hourly export run leaves them.
        world.Time.SetUtcNow(SecondDayOf(thisMonth.PlusMonths(1)));
        var exportJob = world.Services.GetRequiredService<ExportJob>();
        for (var month = new YearMonth(2026, 10); month <= thisMonth; month = month.PlusMonths(1))
        {
            Assert.Equal(ExportJobOutcome.Written, await exportJob.RunAsync(client.ClientId, month, CancellationToken.None));
        }
        await world.Services.GetRequiredService<IMonthlyJobIndex>().MarkExportedAsync(client.ClientId, thisMonth, CancellationToken.None);
        Assert.Null(await retention.RunAsync(client.ClientId, CancellationToken.None));

        // 24 months after this month: last month is 24 months old, still kept.
        world.Time.SetUtcNow(SecondDayOf(lastMonth.PlusMonths(25)).AddDays(-3));
        Assert.Null(await retention.RunAsync(client.ClientId, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(world, $"{client.ClientId}-1"));

        // 25 months after last month: it goes; this month stays.
        world.Time.SetUtcNow(SecondDayOf(lastMonth.PlusMonths(25)));
        var outcome = await retention.RunAsync(client.ClientId, CancellationToken.None);
        Assert.NotNull(outcome);
        Assert.Equal([lastMonth], outcome.Months);
        Assert.Equal(HttpStatusCode.NotFound, await CallAsync(world, $"{client.ClientId}-1"));
        Assert.Equal(HttpStatusCode.NotFound, await CallAsync(world, $"{client.ClientId}-2"));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(world, $"{client.ClientId}-3"));
        var calls = world.Services.GetRequiredService<Permanence.Core.Calls.ICallIndex>();
        Assert.Empty(await calls.ListAsync(client.ClientId, lastMonth, CancellationToken.None).ToListAsync());
        Assert.Single(await calls.ListAsync(client.ClientId, thisMonth, CancellationToken.None).ToListAsync());
        var messages = world.Services.GetRequiredService<Permanence.Core.Messages.IMessageIndex>();
        Assert.Empty(await messages.ListAsync(client.ClientId, lastMonth, CancellationToken.None).ToListAsync());
        var kept = Assert.Single(await messages.ListAsync(client.ClientId, thisMonth, CancellationToken.None).ToListAsync());
        Assert.Equal(HttpStatusCode.OK, (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{kept.Id}", TestKeys.Operator))).StatusCode);

        // The contract keeps the month's export and report.
        Assert.NotNull(await world.Services.GetRequiredService<IExportStore>().GetAsync(new ExportFolder(client.ClientId, lastMonth), ExportFiles.ManifestFile, CancellationToken.None));
        Assert.True(await world.Services.GetRequiredService<IReportStore>().IsFinalAsync(client.ClientId, lastMonth, SlaReportJob.JsonFile, CancellationToken.None));

        // Certified: the deleted records per store, signed.
        var certificate = await world.Services.GetRequiredService<IOffboardingFiles>().ReadAsync(OffboardingArea.Certificates, client.ClientId, outcome.Certificate!, CancellationToken.None);
        var check = world.Services.GetRequiredService<CertificateSigner>().Verify(certificate!.Value);
        Assert.True(check.Valid, check.Problem);
        var attested = check.Certificate!.Value;
        Assert.Equal("retention", attested.GetProperty("type").GetString());
        Assert.Equal(outcome.Deleted, attested.GetProperty("total").GetInt64());
        Assert.Equal(2, attested.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("store").GetString() == "calls").GetProperty("count").GetInt64());
        Assert.Equal(NodaTime.Text.YearMonthPattern.Iso.Format(lastMonth.PlusMonths(1)), attested.GetProperty("retainedFrom").GetString());

        // Nothing more is due: the next run deletes nothing and certifies nothing.
        Assert.Null(await retention.RunAsync(client.ClientId, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(world, $"{client.ClientId}-3"));
    }

    private static async Task<HttpStatusCode> CallAsync(RoutingWorld world, string callId) =>
        (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/pbx/{callId}", TestKeys.Operator))).StatusCode;
}
