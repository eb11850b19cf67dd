using NodaTime;
using NodaTime.Text;
using Permanence.Core.Configuration;

namespace Permanence.Core.Tests;

public class OnCallAndVersionTests
{
    private static Instant Utc(string iso) => InstantPattern.ExtendedIso.Parse(iso).Value;

    [Theory]
    [InlineData("2026-10-05T17:00:00Z", "dr-martin")] // Mon 19:00
    [InlineData("2026-10-07T05:00:00Z", "dr-martin")] // Wed 07:00, Tuesday night
    [InlineData("2026-10-08T05:00:00Z", "dr-martin")] // Thu 07:00, Wednesday night goes on
    [InlineData("2026-10-08T17:00:00Z", "dr-roux")] // Thu 19:00
    [InlineData("2026-10-05T05:00:00Z", "dr-roux")] // Mon 07:00, Sunday night
    [InlineData("2026-10-05T12:00:00Z", null)] // Mon 14:00: nobody
    [InlineData("2026-03-29T06:00:00Z", "dr-roux")] // Sun 08:00 CEST, the short night
    [InlineData("2026-03-29T06:45:00Z", null)] // Sun 08:45 CEST
    public void ContactAt_Rota_ResolvesWhoIsOnCall(string instant, string? expected)
    {
        var version = Samples.Compile(Samples.AltheaJson());
        Assert.Equal(expected, version.OnCall.ContactAt(Utc(instant)));
    }

    [Fact]
    public void VersionAt_TwoVersions_JudgesEachInstantByTheVersionInForceLocally()
    {
        var first = Samples.Compile(Samples.AltheaJson()) with { Version = 1 };
        var laterJson = Samples.AltheaJson();
        laterJson["effectiveFrom"] = "2026-11-01";
        var second = Samples.Compile(laterJson) with { Version = 2 };
        var history = new ContractHistory([second, first]);

        Assert.Null(history.VersionAt(Utc("2026-09-30T21:59:59Z"))); // 23:59:59 CEST on 30 Sept
        Assert.Equal(1, history.VersionAt(Utc("2026-09-30T22:00:00Z"))!.Version); // local midnight 1 Oct
        Assert.Equal(1, history.VersionAt(Utc("2026-10-31T22:59:59Z"))!.Version); // 23:59:59 CET on 31 Oct
        Assert.Equal(2, history.VersionAt(Utc("2026-10-31T23:00:00Z"))!.Version); // local midnight 1 Nov
        Assert.Equal(2, history.Latest!.Version);
        Assert.Equal([1, 2], history.VersionsDuring(Utc("2026-10-15T00:00:00Z"), Utc("2026-11-15T00:00:00Z")).Select(v => v.Version));
        Assert.Equal([2], history.VersionsDuring(Utc("2026-11-02T00:00:00Z"), Utc("2026-11-15T00:00:00Z")).Select(v => v.Version));
    }
}
