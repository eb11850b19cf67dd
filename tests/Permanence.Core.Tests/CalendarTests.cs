using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Configuration;

namespace Permanence.Core.Tests;

public class CalendarTests
{
    private static readonly ClientCalendar Althea = Samples.Compile(Samples.AltheaJson()).Calendar;

    private static Instant Utc(string iso) => InstantPattern.ExtendedIso.Parse(iso).Value;

    [Theory]
    // Friday before the spring change: CET (UTC+1), business starts 07:30Z.
    [InlineData("2026-03-27T07:29:00Z", "closed")]
    [InlineData("2026-03-27T07:31:00Z", "business")]
    // Monday after 29 March 2026: CEST (UTC+2), business starts 06:30Z.
    [InlineData("2026-03-30T06:29:00Z", "closed")]
    [InlineData("2026-03-30T06:31:00Z", "business")]
    [InlineData("2026-03-30T16:29:00Z", "business")]
    [InlineData("2026-03-30T16:31:00Z", "evening")]
    [InlineData("2026-03-30T19:59:00Z", "evening")]
    [InlineData("2026-03-30T20:01:00Z", "closed")]
    // Friday before 25 October 2026: CEST; Monday after: CET again.
    [InlineData("2026-10-23T06:31:00Z", "business")]
    [InlineData("2026-10-26T06:31:00Z", "closed")]
    [InlineData("2026-10-26T07:31:00Z", "business")]
    // Saturday morning band, then Sunday.
    [InlineData("2026-10-03T07:30:00Z", "saturday")]
    [InlineData("2026-10-03T10:30:00Z", "closed")]
    [InlineData("2026-10-04T09:00:00Z", "closed")]
    public void BandAt_AcrossDaylightSavingChanges_UsesLocalTime(string instant, string expected)
    {
        Assert.Equal(expected, Althea.BandAt(Utc(instant)));
    }

    [Theory]
    // The night of 28-29 March 2026 loses an hour at 02:00; 08:00 CEST is 06:00Z.
    [InlineData("2026-03-28T17:31:00Z", "night")] // Sat 18:31 CET
    [InlineData("2026-03-29T00:59:00Z", "night")] // Sun 01:59 CET
    [InlineData("2026-03-29T01:01:00Z", "night")] // Sun 03:01 CEST
    [InlineData("2026-03-29T06:29:00Z", "night")] // Sun 08:29 CEST
    [InlineData("2026-03-29T06:31:00Z", "closed")] // Sun 08:31 CEST
    // The night of 24-25 October 2026 gains an hour; 08:30 CET is 07:30Z.
    [InlineData("2026-10-25T00:30:00Z", "night")] // 02:30 CEST (first pass)
    [InlineData("2026-10-25T01:30:00Z", "night")] // 02:30 CET (second pass)
    [InlineData("2026-10-25T07:29:00Z", "night")] // 08:29 CET
    [InlineData("2026-10-25T07:31:00Z", "closed")]
    public void BandAt_NightBandPassingMidnightOverDaylightSaving_BelongsToItsStartDay(string instant, string expected)
    {
        var json = Samples.AltheaJson();
        json["calendar"]!["bands"] = JsonNode.Parse("""[{ "name": "night", "days": ["Sat"], "from": "18:30", "to": "08:30" }]""");
        json["sla"] = null;
        var calendar = Samples.Compile(json).Calendar;
        Assert.Equal(expected, calendar.BandAt(Utc(instant)));
    }

    [Theory]
    [InlineData("2026-10-09T21:00:00Z", "night")] // Fri 23:00 CEST
    [InlineData("2026-10-10T05:00:00Z", "night")] // Sat 07:00, the Friday night goes on
    [InlineData("2026-10-10T06:31:00Z", "closed")] // Sat 08:31: over
    [InlineData("2026-10-10T21:00:00Z", "closed")] // Sat 23:00: Saturday is not a night day
    [InlineData("2026-10-12T05:00:00Z", "closed")] // Mon 07:00: Sunday night not covered
    [InlineData("2026-10-12T17:00:00Z", "night")] // Mon 19:00
    [InlineData("2026-10-12T12:00:00Z", "business")]
    public void BandAt_BandFrom1830To0830_CoversTheNightIntoTheNextDay(string instant, string expected)
    {
        var json = Samples.AltheaJson();
        json["calendar"]!["bands"] = JsonNode.Parse("""
            [{ "name": "business", "days": ["Mon","Tue","Wed","Thu","Fri"], "from": "08:30", "to": "18:30" },
             { "name": "night", "days": ["Mon","Tue","Wed","Thu","Fri"], "from": "18:30", "to": "08:30" }]
            """);
        json["sla"] = null;
        Assert.Equal(expected, Samples.Compile(json).Calendar.BandAt(Utc(instant)));
    }

    [Theory]
    [InlineData("2026-04-06T08:00:00Z")] // Easter Monday, 10:00 CEST
    [InlineData("2026-05-14T08:00:00Z")] // Ascension Thursday
    [InlineData("2026-05-25T08:00:00Z")] // Whit Monday
    [InlineData("2026-07-14T08:00:00Z")] // Bastille Day, a Tuesday
    [InlineData("2026-05-14T17:00:00Z")] // Ascension, 19:00: the evening band too
    public void BandAt_FrenchPublicHolidayOnAWeekday_IsOtherBand(string instant)
    {
        Assert.Equal("closed", Althea.BandAt(Utc(instant)));
    }

    [Fact]
    public void BandAt_DayAfterAHoliday_IsBusinessAgain()
    {
        Assert.Equal("business", Althea.BandAt(Utc("2026-05-15T08:00:00Z")));
        Assert.Equal("business", Althea.BandAt(Utc("2026-05-13T08:00:00Z")));
    }

    [Theory]
    [InlineData("2026-05-13T23:00:00Z", "closed")] // Thu 14 May 01:00, holiday: the Wednesday night stops at midnight
    [InlineData("2026-05-13T21:00:00Z", "night")] // Wed 23:00, an ordinary night
    [InlineData("2026-05-14T23:00:00Z", "closed")] // Fri 01:00: part after midnight of a night started on the holiday
    [InlineData("2026-05-15T17:00:00Z", "night")] // Fri 19:00: ordinary again
    public void BandAt_NightBandAroundAHoliday_FollowsTheHolidayRule(string instant, string expected)
    {
        var json = Samples.AltheaJson();
        json["calendar"]!["bands"] = JsonNode.Parse("""[{ "name": "night", "days": ["Mon","Tue","Wed","Thu","Fri"], "from": "18:30", "to": "08:30" }]""");
        json["sla"] = null;
        Assert.Equal(expected, Samples.Compile(json).Calendar.BandAt(Utc(instant)));
    }

    [Theory]
    [InlineData("2026-12-23T10:00:00Z", "business")]
    [InlineData("2026-12-24T10:00:00Z", "closed")] // closure, a Thursday
    [InlineData("2026-12-24T18:00:00Z", "closed")] // closure, evening band too
    [InlineData("2026-12-25T10:00:00Z", "closed")] // closure and Christmas
    [InlineData("2026-12-26T08:30:00Z", "closed")] // closure, a Saturday morning
    [InlineData("2026-12-28T10:00:00Z", "business")]
    public void BandAt_ClosureRange_IsOtherBandOnEveryDayOfTheRange(string instant, string expected)
    {
        Assert.Equal(expected, Althea.BandAt(Utc(instant)));
    }

    [Theory]
    // Martinique is UTC-4 all year: no DST; French holidays apply.
    [InlineData("2026-10-05T12:29:00Z", "closed")]
    [InlineData("2026-10-05T12:31:00Z", "business")]
    [InlineData("2026-03-30T12:31:00Z", "business")] // no spring change there
    [InlineData("2026-11-11T14:00:00Z", "closed")] // Armistice, a Wednesday
    public void BandAt_InAmericaMartinique_UsesThatZone(string instant, string expected)
    {
        var json = Samples.AltheaJson();
        json["timeZone"] = "America/Martinique";
        Assert.Equal(expected, Samples.Compile(json).Calendar.BandAt(Utc(instant)));
    }

    [Theory]
    [InlineData("2026-07-21T08:00:00Z", "closed")] // Belgian National Day, a Tuesday
    [InlineData("2026-07-14T08:00:00Z", "business")] // not a Belgian holiday
    public void BandAt_InEuropeBrusselsWithBelgianHolidays_UsesBelgianHolidays(string instant, string expected)
    {
        var json = Samples.AltheaJson();
        json["timeZone"] = "Europe/Brussels";
        json["locale"] = "fr-BE";
        json["calendar"]!["holidays"] = "BE";
        json["numbers"] = JsonNode.Parse("""["+3222345678"]""");
        Assert.Equal(expected, Samples.Compile(json).Calendar.BandAt(Utc(instant)));
    }
}
