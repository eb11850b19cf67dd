using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;
using Permanence.Core.Configuration;

namespace Permanence.Core.Tests;

/// <summary>
/// Dated on-call overrides (docs/configuration.md, <c>onCallOverrides</c>: local date-times in the client's zone)
/// win over the weekly rota while they last, across DST changes; the validator names each faulty field. Also the
/// bounds of <c>ackWithinMinutes</c> (decimals allowed, above 0, at most 1440).
/// </summary>
public sealed class OnCallOverrideTests
{
    private static Instant Utc(string iso) => InstantPattern.ExtendedIso.Parse(iso).Value;

    /// <summary>The sample client (Europe/Paris; dr-martin Mon–Wed nights, dr-roux Thu–Sun nights) with these overrides.</summary>
    private static JsonObject WithOverrides(string overrides)
    {
        var json = Samples.AltheaJson();
        json["onCallOverrides"] = JsonNode.Parse(overrides);
        return json;
    }

    private static IDictionary<string, string[]> Errors(JsonObject json)
    {
        var errors = new ValidationErrors();
        var version = ConfigurationValidator.Validate("althea", Samples.Parse(json), errors);
        Assert.Equal(errors.IsEmpty, version is not null);
        return errors.ToDictionary();
    }

    [Theory]
    [InlineData("2026-10-24T16:29:59Z", null, null)] // Sat 18:29:59 CEST: before it, nobody
    [InlineData("2026-10-24T16:30:00Z", "dr-martin", "dr-roux")] // Sat 18:30 CEST: the override starts
    [InlineData("2026-10-25T00:30:00Z", "dr-martin", "dr-roux")] // 02:30 CEST, first pass
    [InlineData("2026-10-25T01:30:00Z", "dr-martin", "dr-roux")] // 02:30 CET, second pass after the clocks go back
    [InlineData("2026-10-25T12:00:00Z", "dr-martin", null)] // Sun 13:00 CET: the rota has nobody, the override has
    [InlineData("2026-10-26T00:59:59Z", "dr-martin", "dr-roux")] // Mon 01:59:59 CET: last second
    [InlineData("2026-10-26T01:00:00Z", "dr-roux", "dr-roux")] // Mon 02:00 CET: the rota again (Sunday night)
    [InlineData("2026-10-26T07:30:00Z", null, null)] // Mon 08:30 CET
    public void ContactAt_OverrideAcrossTheAutumnChange_WinsWhileItLasts(string instant, string? expected, string? rotaAlone)
    {
        var version = Samples.Compile(WithOverrides("""[{ "contact": "dr-martin", "from": "2026-10-24T18:30", "to": "2026-10-26T02:00" }]"""));
        var rota = Samples.Compile(Samples.AltheaJson());

        Assert.Equal(expected, version.OnCall.ContactAt(Utc(instant)));
        Assert.Equal(rotaAlone, rota.OnCall.ContactAt(Utc(instant)));
    }

    [Theory]
    [InlineData("2026-03-28T18:59:59Z", "dr-roux")] // Sat 19:59:59 CET: the rota
    [InlineData("2026-03-28T19:00:00Z", "accueil")] // Sat 20:00 CET
    [InlineData("2026-03-29T00:59:59Z", "accueil")] // Sun 01:59:59 CET, just before the clocks go forward
    [InlineData("2026-03-29T01:00:00Z", "dr-roux")] // Sun 03:00 CEST: 02:30 never happened, the override is over
    [InlineData("2026-03-29T06:00:00Z", "dr-roux")] // Sun 08:00 CEST: the short night goes on
    public void ContactAt_OverrideEndingInTheSpringGap_EndsWhenLocalTimeGoesPastIt(string instant, string expected)
    {
        var version = Samples.Compile(WithOverrides("""[{ "contact": "accueil", "from": "2026-03-28T20:00", "to": "2026-03-29T02:30" }]"""));

        Assert.Equal(expected, version.OnCall.ContactAt(Utc(instant)));
    }

    [Theory]
    [InlineData("2026-11-04T11:30:00Z", "accueil")] // Wed 12:30 CET: both cover it; the later-starting one wins
    [InlineData("2026-11-04T14:00:00Z", "dr-roux")] // Wed 15:00 CET: only the week-long one
    [InlineData("2026-11-04T20:00:00Z", "dr-roux")] // Wed 21:00 CET: over dr-martin's rota night
    [InlineData("2026-11-09T17:30:00Z", "dr-martin")] // Mon 18:30 CET, after both: the rota
    public void ContactAt_OverlappingOverrides_TheLatestStartingWins_InAnyOrder(string instant, string expected)
    {
        const string Week = """{ "contact": "dr-roux", "from": "2026-11-02T00:00", "to": "2026-11-09T00:00" }""";
        const string Lunch = """{ "contact": "accueil", "from": "2026-11-04T12:00:00", "to": "2026-11-04T14:00:00" }""";

        Assert.Equal(expected, Samples.Compile(WithOverrides($"[{Week}, {Lunch}]")).OnCall.ContactAt(Utc(instant)));
        Assert.Equal(expected, Samples.Compile(WithOverrides($"[{Lunch}, {Week}]")).OnCall.ContactAt(Utc(instant)));
    }

    [Fact]
    public void Validate_OnCallStepWithOverridesOnly_IsAccepted()
    {
        var json = WithOverrides("""[{ "contact": "dr-roux", "from": "2026-12-24T18:00", "to": "2026-12-27T08:00" }]""");
        json["onCall"] = new JsonArray();

        var version = Samples.Compile(json);

        Assert.False(version.OnCall.IsEmpty);
        Assert.Equal("dr-roux", version.OnCall.ContactAt(Utc("2026-12-25T12:00:00Z")));
        Assert.Null(version.OnCall.ContactAt(Utc("2026-12-28T12:00:00Z")));
    }

    [Fact]
    public void Validate_OnCallStepWithOnlyInvalidOverrides_IsRefusedOnTheStepToo()
    {
        var json = WithOverrides("""[{ "contact": "dr-nobody", "from": "2026-12-24T18:00", "to": "2026-12-27T08:00" }]""");
        json["onCall"] = new JsonArray();

        var errors = Errors(json);

        Assert.Contains("onCallOverrides[0].contact", errors.Keys);
        Assert.Contains(errors["escalation.critical.steps[0].notify"], m => m.Contains("$onCall", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_FaultyOverrides_AreEachNamedByIndexAndField()
    {
        var json = WithOverrides("""
            [
              { "contact": "dr-nobody", "from": "2026-12-24T18:30", "to": "2026-12-26T08:30" },
              { "contact": "dr-roux", "from": "2026-12-24T18:30", "to": "2026-12-24T18:30" },
              { "contact": "dr-roux", "from": "2026-12-24T18:30", "to": "2026-12-24T08:30" },
              { "contact": "dr-roux", "from": "2026-12-24 18:30", "to": "2026-12-26T08:30" },
              { "contact": "dr-roux", "from": "2026-12-24T18:30", "to": "26/12/2026 08:30" },
              { "contact": "dr-roux", "to": "2026-12-26T08:30" },
              { "from": "2026-12-24T18:30", "to": "2026-12-26T08:30" },
              { "contact": "dr-roux", "from": "2026-13-01T00:00", "to": "2026-12-26T08:30" },
              { "contact": "dr-roux", "from": "1999-12-31T18:00", "to": "2000-01-02T08:00" },
              { "contact": "dr-roux", "from": "2026-12-24", "to": "2026-12-26T08:60" },
              { "contact": "dr-roux", "from": "2026-12-24T18:30Z", "to": "2026-12-26T08:30:00.5" },
              { "contact": "dr-roux", "from": "2026-12-24T18:30:00", "to": "2026-12-26T08:30:00" },
              { "contact": "dr-roux", "from": "2026-12-24T18:30", "to": "2026-12-24T18:31" }
            ]
            """);

        var keys = Errors(json).Keys.Where(k => k.StartsWith("onCallOverrides", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

        string[] expected =
        [
            "onCallOverrides[0].contact",
            "onCallOverrides[10].from",
            "onCallOverrides[10].to",
            "onCallOverrides[1].to",
            "onCallOverrides[2].to",
            "onCallOverrides[3].from",
            "onCallOverrides[4].to",
            "onCallOverrides[5].from",
            "onCallOverrides[6].contact",
            "onCallOverrides[7].from",
            "onCallOverrides[8].from",
            "onCallOverrides[9].from",
            "onCallOverrides[9].to",
        ];
        Assert.Equal(expected, keys);
    }

    [Fact]
    public void Validate_TooManyOverrides_IsRefusedAsAWhole()
    {
        var entries = Enumerable.Range(0, ConfigurationValidator.MaxOnCallOverrides + 1)
            .Select(i => $$"""{ "contact": "dr-roux", "from": "2027-01-01T00:00", "to": "2027-01-01T{{i % 24:D2}}:59" }""");

        var errors = Errors(WithOverrides($"[{string.Join(',', entries)}]"));

        Assert.Contains("onCallOverrides", errors.Keys);
        Assert.DoesNotContain(errors.Keys, k => k.StartsWith("onCallOverrides[", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0.05", true)] // 3 seconds
    [InlineData("1", true)]
    [InlineData("10.5", true)]
    [InlineData("1440", true)]
    [InlineData("0", false)]
    [InlineData("-1", false)]
    [InlineData("1440.01", false)]
    [InlineData("1441", false)]
    public void Validate_AckWithinMinutes_IsAboveZeroAndAtMostADay(string minutes, bool valid)
    {
        var json = Samples.AltheaJson();
        json["escalation"]!["critical"]!["steps"]![0]!["ackWithinMinutes"] = JsonNode.Parse(minutes);

        var errors = Errors(json);

        Assert.Equal(valid, !errors.ContainsKey("escalation.critical.steps[0].ackWithinMinutes"));
        Assert.Equal(valid, errors.Count == 0);
        if (valid)
        {
            Assert.Equal(decimal.Parse(minutes, System.Globalization.CultureInfo.InvariantCulture),
                Samples.Compile(json).Configuration.Escalation!.Critical!.Steps![0].AckWithinMinutes);
        }
    }
}
