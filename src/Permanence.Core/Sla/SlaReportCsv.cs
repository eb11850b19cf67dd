using System.Globalization;
using System.Text;

namespace Permanence.Core.Sla;

/// <summary>
/// The SLA report as CSV (RFC 4180, CRLF, invariant numbers): one row per band and indicator, then the overall
/// rows, with the target and verdict of the matching compliance line. Values are the report's own, unrounded.
/// </summary>
public static class SlaReportCsv
{
    public const string Header = "band,indicator,value,target,met";

    // The name of the overall rows; a band named "overall" is still told apart by its row position, not its name.
    private const string OverallBand = "overall";

    public static string Render(SlaReport report)
    {
        var csv = new StringBuilder(Header).Append("\r\n");
        foreach (var band in report.Bands)
        {
            Rows(csv, report, band.Band, band, band.Band);
        }
        Rows(csv, report, OverallBand, report.Overall, null);
        Row(csv, report, OverallBand, null, SlaIndicators.QualificationErrorRate, Number(report.Messages.QualificationErrorRate));
        return csv.ToString();
    }

    private static void Rows(StringBuilder csv, SlaReport report, string label, BandFigures figures, string? complianceBand)
    {
        Row(csv, report, label, complianceBand, "inbound", Number(figures.Inbound));
        Row(csv, report, label, complianceBand, "answered", Number(figures.Answered));
        Row(csv, report, label, complianceBand, "abandoned", Number(figures.Abandoned));
        Row(csv, report, label, complianceBand, "shortAbandoned", Number(figures.ShortAbandoned));
        Row(csv, report, label, complianceBand, "missed", Number(figures.Missed));
        Row(csv, report, label, complianceBand, "offered", Number(figures.Offered));
        Row(csv, report, label, complianceBand, SlaIndicators.AnswerRate, Number(figures.AnswerRate));
        Row(csv, report, label, complianceBand, "asaSeconds", Number(figures.AsaSeconds));
        Row(csv, report, label, complianceBand, "p90PickupSeconds", Number(figures.P90PickupSeconds));
        Row(csv, report, label, complianceBand, SlaIndicators.ServiceLevel, Number(figures.ServiceLevel));
        Row(csv, report, label, complianceBand, SlaIndicators.TransmissionRate, Number(figures.TransmissionRate));
    }

    /// <summary>
    /// One row; <paramref name="complianceBand"/> is the compliance lines' band (null for the overall ones), so that
    /// the overall rows never pick up the lines of a band that happens to be named "overall".
    /// </summary>
    private static void Row(StringBuilder csv, SlaReport report, string label, string? complianceBand, string indicator, string value)
    {
        var line = report.Compliance.FirstOrDefault(c => c.Indicator == indicator && c.Band == complianceBand);
        csv.Append(Field(label)).Append(',')
            .Append(Field(indicator)).Append(',')
            .Append(value).Append(',')
            .Append(line is null ? "" : Number(line.Target)).Append(',')
            .Append(line?.Met is { } met ? (met ? "true" : "false") : "")
            .Append("\r\n");
    }

    private static string Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A text field: a leading = + - @ (or tab, CR) would make a spreadsheet evaluate a client-configured band name as a
    /// formula, so it gets a leading quote (OWASP, "CSV injection"); then RFC 4180 quoting. Numbers never need either.
    /// </summary>
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
