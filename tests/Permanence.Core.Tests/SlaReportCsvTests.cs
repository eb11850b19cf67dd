using System.Globalization;
using System.Text;
using Permanence.Core.Sla;

namespace Permanence.Core.Tests;

public class SlaReportCsvTests
{
    private static readonly string[] Indicators =
    [
        "inbound", "answered", "abandoned", "shortAbandoned", "missed", "offered",
        "answerRate", "asaSeconds", "p90PickupSeconds", "serviceLevel", "transmissionRate",
    ];

    /// <summary>A strict RFC 4180 reader: CRLF between records (and after the last), no bare LF outside quotes.</summary>
    private static List<string[]> Parse(string csv)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < csv.Length; i++)
        {
            var c = csv[i];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < csv.Length && csv[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                    Assert.True(i + 1 == csv.Length || csv[i + 1] is ',' or '\r', "a closing quote ends its field");
                }
                continue;
            }
            switch (c)
            {
                case '"':
                    Assert.Equal(0, field.Length);
                    quoted = true;
                    break;
                case ',':
                    row.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    Assert.Equal('\n', csv[i + 1]);
                    i++;
                    row.Add(field.ToString());
                    field.Clear();
                    rows.Add([.. row]);
                    row.Clear();
                    break;
                default:
                    Assert.NotEqual('\n', c);
                    field.Append(c);
                    break;
            }
        }
        Assert.False(quoted);
        Assert.Empty(row);
        Assert.Equal(0, field.Length);
        return rows;
    }

    private static string[] Row(List<string[]> rows, string band, string indicator) =>
        rows.Single(r => r[0] == band && r[1] == indicator);

    private static string Inv(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    [Fact]
    public void Render_HeaderThenElevenRowsPerBandThenOverall_AndQualificationErrorRate()
    {
        var report = SlaSamples.Report();
        var rows = Parse(SlaReportCsv.Render(report));

        Assert.Equal(["band", "indicator", "value", "target", "met"], rows[0]);
        Assert.All(rows, r => Assert.Equal(5, r.Length));
        var expected = report.Bands.Select(b => b.Band).Append("overall")
            .SelectMany(band => Indicators.Select(indicator => (band, indicator)))
            .Append(("overall", "qualificationErrorRate"));
        Assert.Equal(expected, rows.Skip(1).Select(r => (r[0], r[1])));
        Assert.Equal(1 + ((report.Bands.Count + 1) * 11) + 1, rows.Count); // business, evening, saturday, closed + overall
        Assert.Equal(4, report.Bands.Count);
    }

    [Fact]
    public void Render_InvariantNumbersUnderFrenchCulture_NullsEmpty_TargetsAndVerdictsFromCompliance()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("fr-FR");
        try
        {
            var report = SlaSamples.Report();
            var rows = Parse(SlaReportCsv.Render(report));
            var business = report.Bands.Single(b => b.Band == "business");

            // 40 answered of 46 offered against 0.95: not met.
            Assert.Equal(["business", "answerRate", Inv(business.AnswerRate), "0.95", "false"], Row(rows, "business", "answerRate"));
            Assert.StartsWith("0.869565", Row(rows, "business", "answerRate")[2], StringComparison.Ordinal);
            Assert.Equal(["business", "serviceLevel", Inv(business.ServiceLevel), "0.8", "false"], Row(rows, "business", "serviceLevel"));
            Assert.Equal(["business", "transmissionRate", Inv(business.TransmissionRate), "0.95", "false"], Row(rows, "business", "transmissionRate"));
            Assert.Equal(["business", "inbound", "51", "", ""], Row(rows, "business", "inbound"));
            Assert.Equal(["business", "shortAbandoned", "5", "", ""], Row(rows, "business", "shortAbandoned"));
            Assert.Equal(["business", "asaSeconds", Inv(business.AsaSeconds), "", ""], Row(rows, "business", "asaSeconds"));
            Assert.Equal("23.875", Row(rows, "business", "asaSeconds")[2]); // (3+8+12+15+18+25+40+70) / 8

            // No evening call: null rates are empty, their lines are not judged (met empty) but keep their target.
            Assert.Equal(["evening", "answerRate", "", "0.9", ""], Row(rows, "evening", "answerRate"));
            Assert.Equal(["evening", "asaSeconds", "", "", ""], Row(rows, "evening", "asaSeconds"));
            Assert.Equal(["evening", "transmissionRate", "", "", ""], Row(rows, "evening", "transmissionRate"));
            // A band without targets, and the overall rows: no target, no verdict.
            Assert.Equal(["saturday", "answerRate", "1", "", ""], Row(rows, "saturday", "answerRate"));
            Assert.Equal(["overall", "answerRate", Inv(report.Overall.AnswerRate), "", ""], Row(rows, "overall", "answerRate"));
            Assert.Equal(["overall", "serviceLevel", "", "", ""], Row(rows, "overall", "serviceLevel"));
            Assert.Equal(["overall", "inbound", "54", "", ""], Row(rows, "overall", "inbound"));
            // 1 incomplete of 12 against a maximum of 0.05.
            Assert.Equal(["overall", "qualificationErrorRate", Inv(report.Messages.QualificationErrorRate), "0.05", "false"],
                Row(rows, "overall", "qualificationErrorRate"));
            Assert.DoesNotContain(rows.Skip(1), r => r[2].Contains(',', StringComparison.Ordinal));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Render_BandNamesFromConfiguration_QuotedAndFormulasNeutralised()
    {
        const string evening = "=HYPERLINK(\"http://x\"),\"VIP\"";
        const string saturday = "@sam\nedi";
        const string closed = "-closed";
        var report = SlaSamples.Report(json =>
        {
            SlaSamples.RenameBand(json, "evening", evening);
            SlaSamples.RenameBand(json, "saturday", saturday);
            SlaSamples.RenameBand(json, "closed", closed);
            SlaSamples.RenameBand(json, "business", "+33 1 23");
        });
        var csv = SlaReportCsv.Render(report);
        var rows = Parse(csv);

        Assert.Contains("\r\n\"'=HYPERLINK(\"\"http://x\"\"),\"\"VIP\"\"\",answerRate,,0.9,\r\n", csv, StringComparison.Ordinal);
        Assert.Contains("\r\n\"'@sam\nedi\",inbound,2,,\r\n", csv, StringComparison.Ordinal);
        Assert.Contains("\r\n'-closed,inbound,1,,\r\n", csv, StringComparison.Ordinal);
        Assert.Equal(["'+33 1 23", "answerRate", Inv(report.Bands[0].AnswerRate), "0.95", "false"], Row(rows, "'+33 1 23", "answerRate"));
        Assert.Equal(11, rows.Count(r => r[0] == "'" + evening));
        Assert.All(rows.Skip(1), r => Assert.DoesNotMatch("^[=+\\-@]", r[0]));
        Assert.Equal(12, rows.Count(r => r[0] == "overall"));
    }
}
