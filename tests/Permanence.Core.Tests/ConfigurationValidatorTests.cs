using System.Text.Json.Nodes;
using Permanence.Core.Common;
using Permanence.Core.Configuration;

namespace Permanence.Core.Tests;

public class ConfigurationValidatorTests
{
    [Fact]
    public void Validate_TheDesignExample_IsValidAndNormalisesNumbers()
    {
        var json = Samples.AltheaJson();
        json["numbers"] = JsonNode.Parse("""["01 86 95 00 00"]""");
        var version = Samples.Compile(json);
        Assert.Equal(["+33186950000"], version.Numbers);
        Assert.Equal("FR", version.Region);
    }

    [Fact]
    public void Validate_EveryFaultAtOnce_ListsEachOfThem()
    {
        var json = Samples.AltheaJson();
        json["timeZone"] = "Europe/Lutece";
        json["numbers"] = JsonNode.Parse("""["+33186950000", "not-a-number"]""");
        json["calendar"]!["bands"] = JsonNode.Parse("""
            [{ "name": "business", "days": ["Mon","Tue","Wed","Thu","Fri"], "from": "08:30", "to": "18:30" },
             { "name": "lunch", "days": ["Mon"], "from": "12:00", "to": "14:00" },
             { "name": "frozen", "days": ["Tue"], "from": "10:00", "to": "10:00" }]
            """);
        json["onCall"] = JsonNode.Parse("""[{ "contact": "dr-nobody", "days": ["Mon"], "from": "18:30", "to": "08:30" }]""");
        json["escalation"]!["standard"] = JsonNode.Parse("""{ "steps": [ { "notify": ["ghost"], "channels": [] } ] }""");
        json["sla"]!["targets"] = JsonNode.Parse("""
            [{ "band": "business", "answerRate": 1.5, "serviceLevelSeconds": 20, "serviceLevel": -0.1 },
             { "band": "weekend", "answerRate": 0.9 }]
            """);

        var errors = new ValidationErrors();
        var version = ConfigurationValidator.Validate("althea", Samples.Parse(json), errors);

        Assert.Null(version);
        var fields = errors.ToDictionary();
        Assert.Contains("timeZone", fields.Keys);
        Assert.Contains("numbers[1]", fields.Keys);
        Assert.Contains(fields["calendar.bands[1]"], m => m.Contains("overlaps calendar.bands[0]", StringComparison.Ordinal));
        Assert.Contains("calendar.bands[2].to", fields.Keys);
        Assert.Contains("onCall[0].contact", fields.Keys);
        Assert.Contains(fields["escalation.standard.steps[0].notify"], m => m.Contains("'ghost'", StringComparison.Ordinal));
        Assert.Contains("escalation.standard.steps[0].channels", fields.Keys);
        Assert.Contains("sla.targets[0].answerRate", fields.Keys);
        Assert.Contains("sla.targets[0].serviceLevel", fields.Keys);
        Assert.Contains("sla.targets[1].band", fields.Keys);
    }

    [Fact]
    public void Validate_OnCallStepWithoutRota_IsRefused()
    {
        var json = Samples.AltheaJson();
        json["onCall"] = new JsonArray();
        var errors = new ValidationErrors();
        Assert.Null(ConfigurationValidator.Validate("althea", Samples.Parse(json), errors));
        Assert.Contains(errors.ToDictionary()["escalation.critical.steps[0].notify"], m => m.Contains("$onCall", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("18:30", "08:30", "22:00", "23:00", false)] // the night covers 22:00-23:00 the same day
    [InlineData("18:30", "08:30", "07:00", "09:00", false)] // and the next morning
    [InlineData("18:30", "08:30", "08:30", "18:30", true)] // touching ends do not overlap
    [InlineData("22:00", "02:00", "01:00", "03:00", false)]
    public void Validate_BandsPassingMidnight_OverlapChecksTheWrap(string fromA, string toA, string fromB, string toB, bool valid)
    {
        var json = Samples.AltheaJson();
        json["calendar"]!["bands"] = JsonNode.Parse($$"""
            [{ "name": "a", "days": ["Mon","Tue","Wed","Thu","Fri"], "from": "{{fromA}}", "to": "{{toA}}" },
             { "name": "b", "days": ["Mon","Tue","Wed","Thu","Fri"], "from": "{{fromB}}", "to": "{{toB}}" }]
            """);
        json["sla"] = null;
        var errors = new ValidationErrors();
        ConfigurationValidator.Validate("althea", Samples.Parse(json), errors);
        Assert.Equal(valid, errors.IsEmpty);
    }

    [Fact]
    public void Validate_SundayNightIntoMonday_OverlapsAMondayMorningBand()
    {
        var json = Samples.AltheaJson();
        json["calendar"]!["bands"] = JsonNode.Parse("""
            [{ "name": "sunday-night", "days": ["Sun"], "from": "20:00", "to": "09:00" },
             { "name": "monday", "days": ["Mon"], "from": "08:00", "to": "12:00" }]
            """);
        json["sla"] = null;
        var errors = new ValidationErrors();
        ConfigurationValidator.Validate("althea", Samples.Parse(json), errors);
        Assert.True(errors.Contains("calendar.bands[1]"));
    }

    [Theory]
    [InlineData("althea", true)]
    [InlineData("cabinet-2", true)]
    [InlineData("Althea", false)]
    [InlineData("a/b", false)]
    [InlineData("-x", false)]
    [InlineData("x#y", false)]
    [InlineData("", false)]
    public void IsValidClientId_UnsafeCharacters_AreRefused(string id, bool valid)
    {
        Assert.Equal(valid, Identifiers.IsValidClientId(id));
    }

    [Fact]
    public void Validate_EscalationAndNamesOutsideTheirBounds_AreEachNamed()
    {
        var json = Samples.AltheaJson();
        json["name"] = "Cabinet\r\nBcc: x@evil.example";
        json["contacts"]![0]!["name"] = "Accueil\n";
        json["contacts"]![3]!["webhook"]!["url"] = "https://user:pass@crm.althea.example/hooks";
        var steps = new JsonArray();
        for (var i = 0; i < ConfigurationValidator.MaxSteps + 1; i++)
        {
            steps.Add(JsonNode.Parse("""{ "notify": ["accueil"], "channels": ["email"] }"""));
        }
        json["escalation"]!["standard"] = new JsonObject { ["steps"] = steps };
        var notify = new JsonArray();
        for (var i = 0; i < ConfigurationValidator.MaxNotifyPerStep + 1; i++)
        {
            notify.Add("accueil");
        }
        json["escalation"]!["important"] = new JsonObject { ["steps"] = new JsonArray(new JsonObject { ["notify"] = notify, ["channels"] = new JsonArray("email", "email") }) };

        var errors = new ValidationErrors();
        Assert.Null(ConfigurationValidator.Validate("althea", Samples.Parse(json), errors));
        var fields = errors.ToDictionary();
        Assert.Contains("name", fields.Keys);
        Assert.Contains("contacts[0].name", fields.Keys);
        Assert.Contains("contacts[3].webhook.url", fields.Keys);
        Assert.Contains("escalation.standard.steps", fields.Keys);
        Assert.Contains("escalation.important.steps[0].notify", fields.Keys);
        Assert.Contains("escalation.important.steps[0].channels", fields.Keys);
    }
}
