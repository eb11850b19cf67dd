using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Permanence.Core.Sla;

namespace Permanence.Core.Tests;

public class SlaReportHtmlTests
{
    // As SlaReportJob writes sla-report.json.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IHtmlDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    private static IHtmlDocument Render(SlaReport report, string locale = "fr-FR", string client = "Cabinet Médical Althéa") =>
        Parse(SlaReportHtml.Render(report, client, locale));

    // Spaces as typed by the formatter (narrow and plain no-break) read as plain spaces in assertions.
    private static string Text(IElement element) => Normalise(element.TextContent);

    private static string Normalise(string text) => text.Replace('\u202F', ' ').Replace('\u00A0', ' ').Trim();

    private static IElement Field(IDocument page, string field) =>
        page.QuerySelectorAll("[data-field]").First(e => e.GetAttribute("data-field") == field);

    /// <summary>
    /// The JSON value a data-field names. Arrays are entered by their key: bands by name, days by date, pickup
    /// buckets by lower edge, scenario shares by key, compliance lines by indicator and band ("overall" for none).
    /// Band names may contain dots, so the field is split around them from both ends.
    /// </summary>
    private static JsonNode? Resolve(JsonObject json, string field)
    {
        static JsonNode? Keyed(JsonNode? array, string key, string value) =>
            Assert.Single(array!.AsArray(), e => e![key]!.ToString() == value);

        static JsonNode? Property(JsonNode? node, string name)
        {
            Assert.True(node!.AsObject().TryGetPropertyValue(name, out var value), $"no JSON property {name}");
            return value;
        }

        var first = field.IndexOf('.', StringComparison.Ordinal);
        var last = field.LastIndexOf('.');
        var head = field[..first];
        var middle = first == last ? "" : field[(first + 1)..last];
        var tail = field[(last + 1)..];
        switch (head)
        {
            case "bands":
                return Property(Keyed(json["bands"], "band", middle), tail);
            case "days":
                return Property(Keyed(json["days"], "date", middle), tail);
            case "pickupDelays":
                return Property(Keyed(json["pickupDelays"], "fromSeconds", middle), tail);
            case "volumesByScenario":
                return Property(Keyed(json["volumesByScenario"], "key", middle), tail);
            case "compliance":
                var dot = middle.IndexOf('.', StringComparison.Ordinal);
                var (indicator, band) = (middle[..dot], middle[(dot + 1)..]);
                var line = Assert.Single(json["compliance"]!.AsArray(),
                    l => (string?)l!["indicator"] == indicator && ((string?)l["band"] ?? "overall") == band);
                return Property(line, tail);
            case "messages" when middle is "byPriority" or "byScenario":
                return Property(json["messages"]![middle], tail);
            default:
                var node = (JsonNode?)json;
                foreach (var part in field.Split('.'))
                {
                    node = Property(node, part);
                }
                return node;
        }
    }

    private static void AssertHooksMatchJson(SlaReport report, IDocument page)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(report, Json))!.AsObject();
        var hooks = page.QuerySelectorAll("[data-field]").ToList();
        Assert.NotEmpty(hooks);
        foreach (var hook in hooks)
        {
            var field = hook.GetAttribute("data-field")!;
            var value = hook.GetAttribute("data-value");
            Assert.True(value is not null, $"{field} has no data-value");
            var expected = Resolve(json, field);
            switch (expected?.GetValueKind())
            {
                case null:
                    Assert.True(value == "", $"{field}: null but data-value '{value}'");
                    if (!field.EndsWith(".met", StringComparison.Ordinal))
                    {
                        Assert.Equal("—", Text(hook));
                    }
                    break;
                case JsonValueKind.Number:
                    Assert.True(decimal.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture) == expected.GetValue<decimal>(),
                        $"{field}: {value} in the page, {expected.ToJsonString()} in the JSON");
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    Assert.Equal(expected.GetValue<bool>() ? "true" : "false", value);
                    break;
                default:
                    Assert.Fail($"{field} names a {expected.GetValueKind()}");
                    break;
            }
        }
    }

    [Theory]
    [InlineData("fr-FR")]
    [InlineData("en-GB")]
    public void Render_EveryDataField_EqualsTheJsonValue_AndTheMainFiguresAreAllHooked(string locale)
    {
        var report = SlaSamples.Report(json => json["sla"]!["volumeRevision"]!["forecastMonthlyCalls"] = 20);
        var page = Render(report, locale);

        AssertHooksMatchJson(report, page);
        var fields = page.QuerySelectorAll("[data-field]").Select(e => e.GetAttribute("data-field")).ToHashSet();
        string[] bandFields =
        [
            "inbound", "answered", "abandoned", "shortAbandoned", "missed", "offered",
            "answerRate", "asaSeconds", "p90PickupSeconds", "serviceLevel", "transmissionRate",
        ];
        var expected = report.Bands.SelectMany(b => bandFields.Select(f => $"bands.{b.Band}.{f}"))
            .Concat(bandFields.Select(f => $"overall.{f}"))
            .Concat(report.Compliance.SelectMany(c => new[] { "actual", "met", "target", "penaltyPoints", "penaltyEuros" }
                .Select(f => $"compliance.{c.Indicator}.{c.Band ?? "overall"}.{f}")))
            .Concat(report.Messages.ByScenario.Keys.Select(s => $"messages.byScenario.{s}"))
            .Concat(report.Messages.ByPriority.Keys.Select(p => $"messages.byPriority.{p}"))
            .Concat(report.PickupDelays.Select(b => $"pickupDelays.{b.FromSeconds}.count"))
            .Concat(["calls.inbound", "messages.total", "messages.incomplete", "messages.qualificationErrorRate", "penalties.total"]);
        Assert.Empty(expected.Except(fields));
        Assert.Equal(6, report.Compliance.Count); // business ×3, evening ×2, qualification errors
    }

    [Fact]
    public void Render_HooksStillResolve_WhenBandNamesAreMarkup()
    {
        var report = SlaSamples.Report(json => SlaSamples.RenameBand(json, "evening", "<img src=x onerror=alert(1)> \"soir\" & nuit"));
        var html = SlaReportHtml.Render(report, "Althéa", "fr");
        var page = Parse(html);

        Assert.Empty(page.QuerySelectorAll("img"));
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        AssertHooksMatchJson(report, page);
        Assert.Equal("Tranche « <img src=x onerror=alert(1)> \"soir\" & nuit »", page.QuerySelectorAll("caption").Select(Text).ElementAt(1));
    }

    [Fact]
    public void Render_ThreeAccessibleCharts_FromDaysRatesAndPickupDelays()
    {
        var report = SlaSamples.Report();
        var page = Render(report);

        var charts = page.QuerySelectorAll("svg").ToList();
        Assert.Equal(3, charts.Count);
        Assert.All(charts, svg =>
        {
            Assert.Equal("img", svg.GetAttribute("role"));
            var title = Assert.Single(svg.Children, c => c.LocalName == "title");
            Assert.NotEqual("", Text(title));
            Assert.Equal(title.Id, svg.GetAttribute("aria-labelledby"));
        });
        Assert.Equal(["Volume quotidien des appels", "Taux de réponse et niveau de service par tranche", "Répartition des délais de décroché (appels répondus)"],
            charts.Select(c => Text(c.Children.First(e => e.LocalName == "title"))));

        // (a) stacked daily bars: Mon 5 Oct has 8 answered, 1 abandoned, 1 short abandon, no missed call.
        Assert.Equal("8", charts[0].QuerySelector("[data-field='days.2026-10-05.answered']")!.GetAttribute("data-value"));
        Assert.Equal("1", charts[0].QuerySelector("[data-field='days.2026-10-05.shortAbandoned']")!.GetAttribute("data-value"));
        Assert.Null(charts[0].QuerySelector("[data-field='days.2026-10-05.missed']"));
        Assert.Equal("11", Text(charts[0].QuerySelector("[data-field='days.2026-10-09.inbound']")!));
        // (b) rates per band with the target drawn as a dashed line: business answer rate shown rounded down.
        Assert.Equal("86,9 %", Text(charts[1].QuerySelector("[data-field='bands.business.answerRate']")!));
        Assert.Equal("0.95", charts[1].QuerySelector("line[data-field='compliance.answerRate.business.target']")!.GetAttribute("data-value"));
        Assert.Equal("—", Text(charts[1].QuerySelector("[data-field='bands.evening.answerRate']")!));
        // (c) pickup delays: 0–10 s holds 3 and 8 s on five days, and Saturday's 5 s.
        Assert.Equal("11", Text(charts[2].QuerySelector("[data-field='pickupDelays.0.count']")!));
        Assert.Equal("1", Text(charts[2].QuerySelector("[data-field='pickupDelays.120.count']")!));
        Assert.Contains("≥ 120 s", Normalise(charts[2].TextContent), StringComparison.Ordinal);
        // Black-and-white legibility: hatching and dots, not only colour.
        Assert.NotEmpty(charts[0].QuerySelectorAll("pattern"));
    }

    [Fact]
    public void Render_SelfContainedAndPrintable_NoScriptNoExternalAsset()
    {
        var html = SlaReportHtml.Render(SlaSamples.Report(), "Althéa", "fr-FR");
        var page = Parse(html);

        Assert.Empty(page.QuerySelectorAll("script"));
        Assert.Empty(page.QuerySelectorAll("link"));
        Assert.Empty(page.QuerySelectorAll("iframe, object, embed, img"));
        foreach (var element in page.All)
        {
            foreach (var attribute in element.Attributes.Where(a => a.LocalName is "src" or "href" or "xlink:href" or "action"))
            {
                Assert.True(attribute.Value.StartsWith('#') || attribute.Value.StartsWith("data:", StringComparison.Ordinal),
                    $"{element.LocalName} {attribute.Name}={attribute.Value}");
            }
            Assert.DoesNotContain(element.Attributes, a => a.Name.StartsWith("on", StringComparison.Ordinal));
        }
        var style = Assert.Single(page.QuerySelectorAll("style")).TextContent;
        Assert.DoesNotContain("@import", style, StringComparison.Ordinal);
        Assert.DoesNotContain("url(", style, StringComparison.Ordinal);
        Assert.DoesNotMatch("(?i)https?:|//", html.Replace("http-equiv", "", StringComparison.Ordinal));
        Assert.Contains("@media print", style, StringComparison.Ordinal);
        Assert.Contains("@page { size: A4;", style, StringComparison.Ordinal);
        Assert.Contains("break-inside: avoid", style, StringComparison.Ordinal);
        Assert.Equal("utf-8", page.QuerySelector("meta[charset]")!.GetAttribute("charset"));
        Assert.Equal("fr", page.DocumentElement.GetAttribute("lang"));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", page.QuerySelector("meta[http-equiv='Content-Security-Policy']")!.GetAttribute("content"), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_French_WordingNumbersAndDates()
    {
        var report = SlaSamples.Report();
        var page = Render(report, "fr-BE");
        var text = Normalise(page.Body!.TextContent);

        Assert.Equal("fr", page.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Rapport SLA — Cabinet Médical Althéa — octobre 2026", Normalise(page.Title!));
        Assert.Contains("du 1 octobre 2026 au 31 octobre 2026", text, StringComparison.Ordinal);
        Assert.Contains("Rapport provisoire", text, StringComparison.Ordinal); // the calculator never sets Final
        Assert.Contains("Objectifs atteints : 0 sur 4 jugés", text, StringComparison.Ordinal);
        Assert.Contains("2 non jugé(s)", text, StringComparison.Ordinal);
        Assert.Equal("1 500,00 €", Text(Field(page, "penalties.total")));
        Assert.Contains("plafonnées à 1 500,00 € (avant plafond : 2 550,00 €)", text, StringComparison.Ordinal);
        Assert.Equal("86,9 %", Text(Field(page, "bands.business.answerRate"))); // 0.8696 rounded down
        Assert.Equal("8,4 %", Text(Field(page, "messages.qualificationErrorRate"))); // 0.0833 rounded up
        Assert.Equal("23,9 s", Text(Field(page, "bands.business.asaSeconds")));
        Assert.Equal("≥ 95,0 %", Text(Field(page, "compliance.answerRate.business.target")));
        Assert.Equal("✗ Non atteint", Text(Field(page, "compliance.answerRate.business.met")));
        Assert.Equal("Non jugé", Text(Field(page, "compliance.answerRate.evening.met")));
        Assert.Equal("450,00 €", Text(Field(page, "compliance.answerRate.business.penaltyEuros")));
        Assert.Contains("Taux de réponse", text, StringComparison.Ordinal);
        Assert.Contains("Motifs d'appel par scénario", text, StringComparison.Ordinal);
        Assert.Equal("66,7 %", Text(Field(page, "volumesByScenario.rdv.share"))); // 8 of 12
        Assert.DoesNotContain("Révision des volumes", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_English_WordingNumbersAndDates_AndTheRevisionNotice()
    {
        // Forecast 20 × 1.2 = 24 calls, 54 received: targets lowered by 5 points.
        var report = SlaSamples.Report(json => json["sla"]!["volumeRevision"]!["forecastMonthlyCalls"] = 20) with { Final = true };
        var page = Render(report, "en-GB");
        var text = Normalise(page.Body!.TextContent);

        Assert.Equal("en", page.DocumentElement.GetAttribute("lang"));
        Assert.Equal("SLA report — Cabinet Médical Althéa — October 2026", Normalise(page.Title!));
        Assert.Contains("from 1 October 2026 to 31 October 2026", text, StringComparison.Ordinal);
        Assert.Contains("Final report", text, StringComparison.Ordinal);
        Assert.Contains("Targets met: 0 of 4 judged", text, StringComparison.Ordinal);
        Assert.Equal("€1,500.00", Text(Field(page, "penalties.total")));
        Assert.Equal("86.9%", Text(Field(page, "bands.business.answerRate")));
        Assert.Equal("≥ 90.0%", Text(Field(page, "compliance.answerRate.business.target")));
        Assert.Equal("✗ Not met", Text(Field(page, "compliance.answerRate.business.met")));
        Assert.Contains("Volume revision applied: 54 calls received, above the threshold of 24 (forecast 20, tolerance 20.0%). "
            + "Answer-rate and service-level targets are lowered by 5 points.", text, StringComparison.Ordinal);
        Assert.Contains("Call reasons per scenario", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Taux", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ClientNameWithMarkup_IsEncodedAsText()
    {
        const string client = "<script>alert(1)</script> & Cie";
        var html = SlaReportHtml.Render(SlaSamples.Report(), client, "fr-FR");
        var page = Parse(html);

        Assert.Empty(page.QuerySelectorAll("script"));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal($"Rapport SLA — {client}", Text(page.QuerySelector("h1")!));
        Assert.Contains(client, page.Title!, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NullRates_ShowDashWithEmptyDataValue()
    {
        var page = Render(SlaSamples.Report(), "en-GB");

        foreach (var field in new[] { "bands.evening.answerRate", "bands.evening.serviceLevel", "bands.evening.asaSeconds", "bands.evening.p90PickupSeconds", "overall.serviceLevel", "compliance.serviceLevel.evening.actual" })
        {
            var cell = Field(page, field);
            Assert.Equal("", cell.GetAttribute("data-value"));
            Assert.Equal("—", Text(cell));
        }
        Assert.Equal("", Field(page, "compliance.answerRate.evening.met").GetAttribute("data-value"));
        Assert.Equal("Not judged", Text(Field(page, "compliance.answerRate.evening.met")));
    }
}
