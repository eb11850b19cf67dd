using System.Globalization;
using System.Text;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;

namespace Permanence.Core.Sla;

/// <summary>
/// The SLA report as one self-contained, printable HTML page (A4): no script, no external asset, charts as inline SVG
/// readable in black and white. French for fr-* locales, English (en-GB) otherwise.
/// </summary>
/// <remarks>
/// Every figure that is also in sla-report.json is rendered from the same value and carries it: <c>data-field</c>
/// names its JSON path (<c>bands.{band}.answerRate</c>, <c>compliance.{indicator}.{band|overall}.met</c>…) and
/// <c>data-value</c> the raw invariant value (empty for null), so the page can be checked against the JSON.
/// Shown rates are rounded to a tenth of a point towards the unfavourable side (down for rates that must reach a
/// target, up for the qualification error rate), so a rounded figure never looks like it meets a target it misses.
/// </remarks>
public static class SlaReportHtml
{
    private const string Missing = "—";
    private const string OverallKey = "overall";

    public static string Render(SlaReport report, string clientName, string locale)
    {
        var words = locale.StartsWith("fr", StringComparison.OrdinalIgnoreCase) ? French : English;
        return new Page(report, words).Render(clientName);
    }

    private sealed record Words(
        string Culture,
        string Decimal,
        string Group,
        string PercentFormat,
        string EurosFormat,
        string Title,
        string PeriodFromTo,
        string Final,
        string Provisional,
        string Summary,
        string TargetsMet,
        string NotJudged,
        string Penalties,
        string CappedNote,
        string RevisionNotice,
        string ByBand,
        string Band,
        string BandCaption,
        string Colon,
        string Overall,
        string Indicator,
        string Value,
        string Target,
        string Result,
        string Met,
        string NotMet,
        string Unjudged,
        string Inbound,
        string Answered,
        string Abandoned,
        string ShortAbandoned,
        string MissedCalls,
        string Offered,
        string AnswerRate,
        string Asa,
        string P90,
        string ServiceLevel,
        string TransmissionRate,
        string QualificationErrorRate,
        string ComplianceTitle,
        string Actual,
        string PenaltyPoints,
        string Amount,
        string Total,
        string Charts,
        string DailyChart,
        string RatesChart,
        string PickupChart,
        string TargetLine,
        string Messages,
        string MessagesTotal,
        string MessagesIncomplete,
        string ByPriority,
        string Priority,
        string Standard,
        string Important,
        string Critical,
        string Scenarios,
        string Scenario,
        string Count,
        string Share,
        string None,
        string Rounding);

    private static readonly Words French = new(
        Culture: "fr-FR", Decimal: ",", Group: "\u202F", PercentFormat: "{0}\u202F%", EurosFormat: "{0}\u00A0€",
        Title: "Rapport SLA", PeriodFromTo: "du {0} au {1}", Final: "Rapport définitif", Provisional: "Rapport provisoire (mois en cours)",
        Summary: "Synthèse", TargetsMet: "Objectifs atteints : {0} sur {1} jugés", NotJudged: "{0} non jugé(s), faute d'activité",
        Penalties: "Pénalités", CappedNote: "plafonnées à {0} (avant plafond : {1})",
        RevisionNotice: "Révision des volumes appliquée : {0} appels reçus, au-delà du seuil de {1} (prévision {2}, tolérance {3}). "
            + "Les objectifs de taux de réponse et de niveau de service sont abaissés de {4} points.",
        ByBand: "Indicateurs par tranche horaire", Band: "Tranche", BandCaption: "Tranche « {0} »", Colon: "\u00A0: ", Overall: "Ensemble", Indicator: "Indicateur", Value: "Valeur",
        Target: "Objectif", Result: "Résultat", Met: "✓ Atteint", NotMet: "✗ Non atteint", Unjudged: "Non jugé",
        Inbound: "Appels reçus", Answered: "Appels répondus", Abandoned: "Appels abandonnés", ShortAbandoned: "Abandons courts",
        MissedCalls: "Appels manqués", Offered: "Appels offerts", AnswerRate: "Taux de réponse", Asa: "Délai moyen de décroché",
        P90: "Délai de décroché (90e centile)", ServiceLevel: "Niveau de service", TransmissionRate: "Taux de transmission",
        QualificationErrorRate: "Taux d'erreur de qualification", ComplianceTitle: "Conformité et pénalités", Actual: "Réalisé",
        PenaltyPoints: "Points de pénalité", Amount: "Montant", Total: "Total", Charts: "Graphiques",
        DailyChart: "Volume quotidien des appels", RatesChart: "Taux de réponse et niveau de service par tranche",
        PickupChart: "Répartition des délais de décroché (appels répondus)", TargetLine: "Objectif",
        Messages: "Messages", MessagesTotal: "Messages pris", MessagesIncomplete: "Messages incomplets", ByPriority: "Par priorité",
        Priority: "Priorité", Standard: "Standard", Important: "Important", Critical: "Critique",
        Scenarios: "Motifs d'appel par scénario", Scenario: "Scénario", Count: "Nombre", Share: "Part", None: "Aucun message.",
        Rounding: "Les taux affichés sont arrondis au dixième de point dans le sens défavorable ; les valeurs exactes figurent "
            + "dans les exports de données du rapport.");

    private static readonly Words English = new(
        Culture: "en-GB", Decimal: ".", Group: ",", PercentFormat: "{0}%", EurosFormat: "€{0}",
        Title: "SLA report", PeriodFromTo: "from {0} to {1}", Final: "Final report", Provisional: "Provisional report (month to date)",
        Summary: "Summary", TargetsMet: "Targets met: {0} of {1} judged", NotJudged: "{0} not judged (no activity)",
        Penalties: "Penalties", CappedNote: "capped at {0} (before the cap: {1})",
        RevisionNotice: "Volume revision applied: {0} calls received, above the threshold of {1} (forecast {2}, tolerance {3}). "
            + "Answer-rate and service-level targets are lowered by {4} points.",
        ByBand: "Figures per time band", Band: "Band", BandCaption: "Band “{0}”", Colon: ": ", Overall: "Overall", Indicator: "Indicator", Value: "Value",
        Target: "Target", Result: "Result", Met: "✓ Met", NotMet: "✗ Not met", Unjudged: "Not judged",
        Inbound: "Calls received", Answered: "Calls answered", Abandoned: "Calls abandoned", ShortAbandoned: "Short abandons",
        MissedCalls: "Calls missed", Offered: "Calls offered", AnswerRate: "Answer rate", Asa: "Average speed of answer",
        P90: "Pickup delay (90th percentile)", ServiceLevel: "Service level", TransmissionRate: "Transmission rate",
        QualificationErrorRate: "Qualification error rate", ComplianceTitle: "Compliance and penalties", Actual: "Actual",
        PenaltyPoints: "Penalty points", Amount: "Amount", Total: "Total", Charts: "Charts",
        DailyChart: "Daily call volume", RatesChart: "Answer rate and service level per band",
        PickupChart: "Pickup delays (answered calls)", TargetLine: "Target",
        Messages: "Messages", MessagesTotal: "Messages taken", MessagesIncomplete: "Incomplete messages", ByPriority: "By priority",
        Priority: "Priority", Standard: "Standard", Important: "Important", Critical: "Critical",
        Scenarios: "Call reasons per scenario", Scenario: "Scenario", Count: "Count", Share: "Share", None: "No message.",
        Rounding: "Rates are shown rounded to a tenth of a point on the unfavourable side; the exact values are in the report's "
            + "data exports.");

    // Light inline styles only: the page must print to PDF on A4 as it shows, charts and tables kept whole.
    private const string Style = """
        body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: #111; margin: 2rem auto; max-width: 960px; padding: 0 1rem; font-size: 14px; line-height: 1.4; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.2rem; border-bottom: 2px solid #111; padding-bottom: .2rem; margin-top: 2rem; }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
        caption { text-align: left; font-weight: bold; padding: .25rem 0; }
        th, td { border: 1px solid #999; padding: .2rem .5rem; text-align: left; vertical-align: top; }
        th { background: #eee; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .kpis { display: flex; flex-wrap: wrap; gap: .75rem; }
        .kpi { border: 1px solid #999; padding: .5rem .75rem; min-width: 12rem; }
        .kpi strong { display: block; font-size: 1.3rem; }
        .notice { border: 2px solid #111; padding: .5rem .75rem; margin: 1rem 0; }
        .bands { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 0 1.5rem; }
        .not-met { font-weight: bold; }
        figure { margin: 1rem 0; }
        figcaption { font-weight: bold; margin-bottom: .25rem; }
        svg { width: 100%; height: auto; font-family: inherit; }
        .note { font-size: .85rem; color: #444; }
        @page { size: A4; margin: 15mm 12mm; }
        @media print {
          body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
          h2 { break-after: avoid; page-break-after: avoid; }
          table, figure, svg, .kpi, .notice { break-inside: avoid; page-break-inside: avoid; }
          thead { display: table-header-group; }
          .bands { display: block; }
        }
        """;

    private sealed class Page(SlaReport report, Words words)
    {
        private readonly StringBuilder _html = new();
        private readonly NumberFormatInfo _numbers = new() { NumberDecimalSeparator = words.Decimal, NumberGroupSeparator = words.Group };
        private readonly CultureInfo _culture = CultureInfo.GetCultureInfo(words.Culture);

        public string Render(string clientName)
        {
            var month = YearMonthPattern.Iso.Parse(report.Period).Value;
            var days = month.ToDateInterval();
            var title = $"{words.Title} — {clientName} — {LocalDatePattern.Create("MMMM uuuu", _culture).Format(days.Start)}";
            _html.Append($"<!DOCTYPE html>\n<html lang=\"{words.Culture[..2]}\">\n<head>\n<meta charset=\"utf-8\">\n");
            // Nothing to fetch and nothing to run: the page stays inert even if a value ever escaped encoding.
            _html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
            _html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
            _html.Append($"<title>{E(title)}</title>\n<style>\n{Style}\n</style>\n</head>\n<body>\n");
            _html.Append($"<header>\n<h1>{E(words.Title)} — {E(clientName)}</h1>\n");
            _html.Append($"<p>{E(string.Format(_culture, words.PeriodFromTo, Date(days.Start), Date(days.End)))} · ");
            _html.Append($"{E(report.Final ? words.Final : words.Provisional)}</p>\n</header>\n");
            Headline();
            BandTables();
            ComplianceTable();
            Charts();
            MessagesSection();
            _html.Append($"<p class=\"note\">{E(words.Rounding)}</p>\n</body>\n</html>\n");
            return _html.ToString();
        }

        private void Headline()
        {
            var judged = report.Compliance.Count(c => c.Met is not null);
            var met = report.Compliance.Count(c => c.Met == true);
            var unjudged = report.Compliance.Count - judged;
            _html.Append($"<section>\n<h2>{E(words.Summary)}</h2>\n<div class=\"kpis\">\n");
            _html.Append($"<div class=\"kpi\">{E(string.Format(_culture, words.TargetsMet, Count(met), Count(judged)))}");
            if (unjudged > 0)
            {
                _html.Append($"<br>{E(string.Format(_culture, words.NotJudged, Count(unjudged)))}");
            }
            _html.Append("</div>\n");
            _html.Append($"<div class=\"kpi\">{E(words.Penalties)}<strong{Hook("penalties.total", Raw(report.Penalties.Total))}>{E(Euros(report.Penalties.Total))}</strong>");
            if (report.Penalties.Capped)
            {
                var cap = report.Penalties.CapEuros is { } c ? Euros(c) : Missing;
                _html.Append(E(string.Format(_culture, words.CappedNote, cap, Euros(report.Penalties.Uncapped))));
            }
            _html.Append("</div>\n");
            _html.Append($"<div class=\"kpi\">{E(words.Inbound)}<strong{Hook("calls.inbound", Raw(report.Calls.Inbound))}>{E(Count(report.Calls.Inbound))}</strong></div>\n");
            _html.Append($"<div class=\"kpi\">{E(words.Answered)}<strong{Hook("calls.answered", Raw(report.Calls.Answered))}>{E(Count(report.Calls.Answered))}</strong></div>\n");
            _html.Append("</div>\n");
            var revision = report.VolumeRevision;
            if (revision.Applied)
            {
                _html.Append("<p class=\"notice\" role=\"note\">");
                _html.Append(E(string.Format(_culture, words.RevisionNotice,
                    Count(report.Calls.Inbound),
                    revision.Threshold is { } t ? Number(t) : Missing,
                    revision.ForecastMonthlyCalls is { } f ? Count(f) : Missing,
                    Percent(revision.Tolerance, MidpointRounding.AwayFromZero),
                    revision.RelaxPoints is { } r ? Number(r * 100) : Missing)));
                _html.Append("</p>\n");
            }
            _html.Append("</section>\n");
        }

        private void BandTables()
        {
            _html.Append($"<section>\n<h2>{E(words.ByBand)}</h2>\n<div class=\"bands\">\n");
            foreach (var band in report.Bands)
            {
                BandTable(string.Format(_culture, words.BandCaption, band.Band), $"bands.{band.Band}", band, band.Band);
            }
            BandTable(words.Overall, OverallKey, report.Overall, null);
            _html.Append("</div>\n</section>\n");
        }

        private void BandTable(string caption, string prefix, BandFigures figures, string? band)
        {
            _html.Append($"<table>\n<caption>{E(caption)}</caption>\n");
            _html.Append($"<thead><tr><th>{E(words.Indicator)}</th><th class=\"num\">{E(words.Value)}</th><th class=\"num\">{E(words.Target)}</th><th>{E(words.Result)}</th></tr></thead>\n<tbody>\n");
            CountRow(words.Inbound, $"{prefix}.inbound", figures.Inbound);
            CountRow(words.Answered, $"{prefix}.answered", figures.Answered);
            CountRow(words.Abandoned, $"{prefix}.abandoned", figures.Abandoned);
            CountRow(words.ShortAbandoned, $"{prefix}.shortAbandoned", figures.ShortAbandoned);
            CountRow(words.MissedCalls, $"{prefix}.missed", figures.Missed);
            CountRow(words.Offered, $"{prefix}.offered", figures.Offered);
            RateRow(words.AnswerRate, prefix, SlaIndicators.AnswerRate, figures.AnswerRate, band);
            SecondsRow(words.Asa, $"{prefix}.asaSeconds", figures.AsaSeconds);
            SecondsRow(words.P90, $"{prefix}.p90PickupSeconds", figures.P90PickupSeconds);
            RateRow(words.ServiceLevel, prefix, SlaIndicators.ServiceLevel, figures.ServiceLevel, band);
            RateRow(words.TransmissionRate, prefix, SlaIndicators.TransmissionRate, figures.TransmissionRate, band);
            _html.Append("</tbody>\n</table>\n");
        }

        private void CountRow(string label, string field, int value) =>
            _html.Append($"<tr><th scope=\"row\">{E(label)}</th>{Td(field, Raw(value), Count(value))}<td></td><td></td></tr>\n");

        private void SecondsRow(string label, string field, decimal? value) =>
            _html.Append($"<tr><th scope=\"row\">{E(label)}</th>{Td(field, Raw(value), Seconds(value))}<td></td><td></td></tr>\n");

        /// <summary>A rate and, when the band has a target for it, that compliance line's target and verdict.</summary>
        private void RateRow(string label, string prefix, string indicator, decimal? value, string? band)
        {
            _html.Append($"<tr><th scope=\"row\">{E(label)}</th>{Td($"{prefix}.{indicator}", Raw(value), Percent(value, MidpointRounding.ToZero))}");
            var line = band is null ? null : report.Compliance.FirstOrDefault(c => c.Indicator == indicator && c.Band == band);
            if (line is null)
            {
                _html.Append("<td></td><td></td></tr>\n");
                return;
            }
            var key = ComplianceKey(line);
            _html.Append(Td($"{key}.target", Raw(line.Target), TargetText(line)));
            _html.Append(MetCell($"{key}.met", line.Met)).Append("</tr>\n");
        }

        private void ComplianceTable()
        {
            _html.Append($"<section>\n<h2>{E(words.ComplianceTitle)}</h2>\n<table>\n<thead><tr><th>{E(words.Indicator)}</th><th>{E(words.Band)}</th>");
            _html.Append($"<th class=\"num\">{E(words.Target)}</th><th class=\"num\">{E(words.Actual)}</th><th>{E(words.Result)}</th>");
            _html.Append($"<th class=\"num\">{E(words.PenaltyPoints)}</th><th class=\"num\">{E(words.Amount)}</th></tr></thead>\n<tbody>\n");
            foreach (var line in report.Compliance)
            {
                var key = ComplianceKey(line);
                _html.Append($"<tr><td>{E(IndicatorName(line.Indicator))}</td><td>{E(line.Band ?? words.Overall)}</td>");
                _html.Append(Td($"{key}.target", Raw(line.Target), TargetText(line)));
                _html.Append(Td($"{key}.actual", Raw(line.Actual), Percent(line.Actual, Unfavourable(line.Indicator))));
                _html.Append(MetCell($"{key}.met", line.Met));
                _html.Append(Td($"{key}.penaltyPoints", Raw(line.PenaltyPoints), Count(line.PenaltyPoints)));
                _html.Append(Td($"{key}.penaltyEuros", Raw(line.PenaltyEuros), Euros(line.PenaltyEuros))).Append("</tr>\n");
            }
            _html.Append("</tbody>\n<tfoot><tr><th scope=\"row\" colspan=\"6\">");
            _html.Append(E(words.Total));
            if (report.Penalties.Capped)
            {
                var cap = report.Penalties.CapEuros is { } c ? Euros(c) : Missing;
                _html.Append(" — ").Append(E(string.Format(_culture, words.CappedNote, cap, Euros(report.Penalties.Uncapped))));
            }
            _html.Append("</th>").Append(Td("penalties.total", Raw(report.Penalties.Total), Euros(report.Penalties.Total)));
            _html.Append("</tr></tfoot>\n</table>\n</section>\n");
        }

        private void Charts()
        {
            _html.Append($"<section>\n<h2>{E(words.Charts)}</h2>\n");
            DailyChart();
            RatesChart();
            PickupChart();
            _html.Append("</section>\n");
        }

        private void MessagesSection()
        {
            var messages = report.Messages;
            _html.Append($"<section>\n<h2>{E(words.Messages)}</h2>\n<table>\n<tbody>\n");
            _html.Append($"<tr><th scope=\"row\">{E(words.MessagesTotal)}</th>{Td("messages.total", Raw(messages.Total), Count(messages.Total))}</tr>\n");
            _html.Append($"<tr><th scope=\"row\">{E(words.MessagesIncomplete)}</th>{Td("messages.incomplete", Raw(messages.Incomplete), Count(messages.Incomplete))}</tr>\n");
            _html.Append($"<tr><th scope=\"row\">{E(words.QualificationErrorRate)}</th>");
            _html.Append(Td("messages.qualificationErrorRate", Raw(messages.QualificationErrorRate), Percent(messages.QualificationErrorRate, MidpointRounding.ToPositiveInfinity)));
            _html.Append("</tr>\n</tbody>\n</table>\n");

            _html.Append($"<table>\n<caption>{E(words.ByPriority)}</caption>\n<thead><tr><th>{E(words.Priority)}</th><th class=\"num\">{E(words.Count)}</th></tr></thead>\n<tbody>\n");
            foreach (var (priority, count) in messages.ByPriority)
            {
                _html.Append($"<tr><td>{E(PriorityName(priority))}</td>{Td($"messages.byPriority.{priority}", Raw(count), Count(count))}</tr>\n");
            }
            _html.Append("</tbody>\n</table>\n");

            _html.Append($"<h3>{E(words.Scenarios)}</h3>\n");
            if (messages.ByScenario.Count == 0)
            {
                _html.Append($"<p>{E(words.None)}</p>\n");
            }
            else
            {
                _html.Append($"<table>\n<thead><tr><th>{E(words.Scenario)}</th><th class=\"num\">{E(words.Count)}</th><th class=\"num\">{E(words.Share)}</th></tr></thead>\n<tbody>\n");
                foreach (var (scenario, count) in messages.ByScenario)
                {
                    var share = report.VolumesByScenario.FirstOrDefault(v => v.Key == scenario)?.Share;
                    _html.Append($"<tr><td>{E(scenario)}</td>{Td($"messages.byScenario.{scenario}", Raw(count), Count(count))}");
                    _html.Append(Td($"volumesByScenario.{scenario}.share", Raw(share), Percent(share, MidpointRounding.AwayFromZero))).Append("</tr>\n");
                }
                _html.Append("</tbody>\n</table>\n");
            }
            _html.Append("</section>\n");
        }

        // ---- Charts: inline SVG, greys and hatching plus printed values, so that they read in black and white.

        private void DailyChart()
        {
            const double width = 720, height = 280, left = 40, right = 10, top = 40, bottom = 30;
            var plotWidth = width - left - right;
            var plotHeight = height - top - bottom;
            var max = AxisMax(report.Days.Count == 0 ? 0 : report.Days.Max(d => d.Inbound));
            var slot = plotWidth / Math.Max(1, report.Days.Count);
            var series = new (string Name, string Label, string Fill, Func<DayFigures, int> Value)[]
            {
                ("answered", words.Answered, "#333", d => d.Answered),
                ("abandoned", words.Abandoned, "url(#daily-hatch)", d => d.Abandoned),
                ("shortAbandoned", words.ShortAbandoned, "#bbb", d => d.ShortAbandoned),
                ("missed", words.MissedCalls, "url(#daily-dots)", d => d.Missed),
            };
            OpenSvg("daily", width, height, words.DailyChart);
            _html.Append("<defs><pattern id=\"daily-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">");
            _html.Append("<rect width=\"6\" height=\"6\" fill=\"#fff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#000\" stroke-width=\"2\"/></pattern>");
            _html.Append("<pattern id=\"daily-dots\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\">");
            _html.Append("<rect width=\"4\" height=\"4\" fill=\"#fff\"/><circle cx=\"2\" cy=\"2\" r=\"0.9\" fill=\"#000\"/></pattern></defs>\n");
            Legend(series.Select(s => (s.Label, s.Fill)).ToList(), left, 14, false);
            Axis(left, top, plotWidth, plotHeight, max, Count);
            for (var i = 0; i < report.Days.Count; i++)
            {
                var day = report.Days[i];
                var x = left + i * slot + slot * 0.15;
                var y = top + plotHeight;
                var date = LocalDatePattern.Iso.Parse(day.Date).Value;
                foreach (var (name, label, fill, value) in series)
                {
                    var count = value(day);
                    if (count == 0)
                    {
                        continue;
                    }
                    var h = plotHeight * count / max;
                    y -= h;
                    _html.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(slot * 0.7)}\" height=\"{N(h)}\" fill=\"{fill}\" stroke=\"#000\" stroke-width=\"0.5\"{Hook($"days.{day.Date}.{name}", Raw(count))}>");
                    _html.Append($"<title>{E($"{Date(date)} — {label}{words.Colon}{Count(count)}")}</title></rect>\n");
                }
                if (day.Inbound > 0)
                {
                    _html.Append($"<text x=\"{N(x + slot * 0.35)}\" y=\"{N(y - 2)}\" font-size=\"8\" text-anchor=\"middle\"{Hook($"days.{day.Date}.inbound", Raw(day.Inbound))}>{E(Count(day.Inbound))}</text>\n");
                }
                _html.Append($"<text x=\"{N(x + slot * 0.35)}\" y=\"{N(top + plotHeight + 12)}\" font-size=\"8\" text-anchor=\"middle\">{date.Day.ToString(CultureInfo.InvariantCulture)}</text>\n");
            }
            _html.Append("</svg>\n</figure>\n");
        }

        private void RatesChart()
        {
            const double width = 720, height = 280, left = 40, right = 10, top = 40, bottom = 40;
            var plotWidth = width - left - right;
            var plotHeight = height - top - bottom;
            var slot = plotWidth / Math.Max(1, report.Bands.Count);
            var bars = new (string Indicator, string Label, string Fill, Func<BandFigures, decimal?> Value)[]
            {
                (SlaIndicators.AnswerRate, words.AnswerRate, "#555", b => b.AnswerRate),
                (SlaIndicators.ServiceLevel, words.ServiceLevel, "url(#rates-hatch)", b => b.ServiceLevel),
            };
            OpenSvg("rates", width, height, words.RatesChart);
            _html.Append("<defs><pattern id=\"rates-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">");
            _html.Append("<rect width=\"6\" height=\"6\" fill=\"#fff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#000\" stroke-width=\"2\"/></pattern></defs>\n");
            Legend(bars.Select(b => (b.Label, b.Fill)).Append((words.TargetLine, "")).ToList(), left, 14, true);
            Axis(left, top, plotWidth, plotHeight, 1, v => Percent(v, MidpointRounding.AwayFromZero));
            for (var i = 0; i < report.Bands.Count; i++)
            {
                var band = report.Bands[i];
                var barWidth = slot * 0.3;
                for (var j = 0; j < bars.Length; j++)
                {
                    var (indicator, _, fill, value) = bars[j];
                    var rate = value(band);
                    var x = left + i * slot + slot * 0.15 + j * (barWidth + slot * 0.1);
                    var h = rate is { } r ? plotHeight * (double)Math.Clamp(r, 0, 1) : 0;
                    var y = top + plotHeight - h;
                    var field = $"bands.{band.Band}.{indicator}";
                    if (h > 0)
                    {
                        _html.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(barWidth)}\" height=\"{N(h)}\" fill=\"{fill}\" stroke=\"#000\" stroke-width=\"0.5\"/>\n");
                    }
                    var labelY = y;
                    if (report.Compliance.FirstOrDefault(c => c.Indicator == indicator && c.Band == band.Band) is { } line)
                    {
                        var ty = top + plotHeight * (1 - (double)Math.Clamp(line.Target, 0, 1));
                        _html.Append($"<line x1=\"{N(x - 3)}\" y1=\"{N(ty)}\" x2=\"{N(x + barWidth + 3)}\" y2=\"{N(ty)}\" stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"4 2\"{Hook($"{ComplianceKey(line)}.target", Raw(line.Target))}>");
                        _html.Append($"<title>{E($"{words.TargetLine}{words.Colon}{TargetText(line)}")}</title></line>\n");
                        // The value goes above the target line too, so the dashes never cross its digits.
                        labelY = Math.Min(y, ty);
                    }
                    _html.Append($"<text x=\"{N(x + barWidth / 2)}\" y=\"{N(labelY - 4)}\" font-size=\"9\" text-anchor=\"middle\"{Hook(field, Raw(rate))}>{E(Percent(rate, MidpointRounding.ToZero))}</text>\n");
                }
                _html.Append($"<text x=\"{N(left + i * slot + slot / 2)}\" y=\"{N(top + plotHeight + 14)}\" font-size=\"10\" text-anchor=\"middle\">{E(band.Band)}</text>\n");
            }
            _html.Append("</svg>\n</figure>\n");
        }

        private void PickupChart()
        {
            const double width = 720, height = 240, left = 40, right = 10, top = 20, bottom = 30;
            var plotWidth = width - left - right;
            var plotHeight = height - top - bottom;
            var max = AxisMax(report.PickupDelays.Count == 0 ? 0 : report.PickupDelays.Max(b => b.Count));
            var slot = plotWidth / Math.Max(1, report.PickupDelays.Count);
            OpenSvg("pickup", width, height, words.PickupChart);
            Axis(left, top, plotWidth, plotHeight, max, Count);
            for (var i = 0; i < report.PickupDelays.Count; i++)
            {
                var bucket = report.PickupDelays[i];
                var x = left + i * slot + slot * 0.15;
                var h = plotHeight * bucket.Count / max;
                var y = top + plotHeight - h;
                var range = bucket.ToSeconds is { } to
                    ? $"{bucket.FromSeconds.ToString(CultureInfo.InvariantCulture)}–{to.ToString(CultureInfo.InvariantCulture)} s"
                    : $"≥ {bucket.FromSeconds.ToString(CultureInfo.InvariantCulture)} s";
                if (h > 0)
                {
                    _html.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(slot * 0.7)}\" height=\"{N(h)}\" fill=\"#777\" stroke=\"#000\" stroke-width=\"0.5\"/>\n");
                }
                _html.Append($"<text x=\"{N(x + slot * 0.35)}\" y=\"{N(y - 3)}\" font-size=\"10\" text-anchor=\"middle\"{Hook($"pickupDelays.{bucket.FromSeconds.ToString(CultureInfo.InvariantCulture)}.count", Raw(bucket.Count))}>{E(Count(bucket.Count))}</text>\n");
                _html.Append($"<text x=\"{N(x + slot * 0.35)}\" y=\"{N(top + plotHeight + 14)}\" font-size=\"10\" text-anchor=\"middle\">{E(range)}</text>\n");
            }
            _html.Append("</svg>\n</figure>\n");
        }

        private void OpenSvg(string id, double width, double height, string title)
        {
            _html.Append($"<figure>\n<figcaption id=\"{id}-caption\">{E(title)}</figcaption>\n");
            _html.Append($"<svg role=\"img\" aria-labelledby=\"{id}-title\" viewBox=\"0 0 {N(width)} {N(height)}\" width=\"{N(width)}\" height=\"{N(height)}\">\n");
            _html.Append($"<title id=\"{id}-title\">{E(title)}</title>\n");
        }

        /// <summary>The y axis with its 0, half and top ticks, and light grid lines.</summary>
        private void Axis(double left, double top, double plotWidth, double plotHeight, decimal max, Func<decimal, string> label)
        {
            foreach (var fraction in new[] { 0m, 0.5m, 1m })
            {
                var y = top + plotHeight * (1 - (double)fraction);
                _html.Append($"<line x1=\"{N(left)}\" y1=\"{N(y)}\" x2=\"{N(left + plotWidth)}\" y2=\"{N(y)}\" stroke=\"{(fraction == 0 ? "#000" : "#ccc")}\" stroke-width=\"1\"/>\n");
                _html.Append($"<text x=\"{N(left - 4)}\" y=\"{N(y + 3)}\" font-size=\"9\" text-anchor=\"end\">{E(label(max * fraction))}</text>\n");
            }
        }

        /// <summary>The top of a count axis: even, so that its middle tick is a whole number of calls.</summary>
        private static int AxisMax(int max) => Math.Max(2, max + max % 2);

        private void Legend(IReadOnlyList<(string Label, string Fill)> entries, double x, double y, bool lastIsLine)
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var (label, fill) = entries[i];
                if (lastIsLine && i == entries.Count - 1)
                {
                    _html.Append($"<line x1=\"{N(x)}\" y1=\"{N(y - 4)}\" x2=\"{N(x + 14)}\" y2=\"{N(y - 4)}\" stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>\n");
                }
                else
                {
                    _html.Append($"<rect x=\"{N(x)}\" y=\"{N(y - 10)}\" width=\"14\" height=\"10\" fill=\"{fill}\" stroke=\"#000\" stroke-width=\"0.5\"/>\n");
                }
                _html.Append($"<text x=\"{N(x + 18)}\" y=\"{N(y)}\" font-size=\"10\">{E(label)}</text>\n");
                x += 30 + label.Length * 6;
            }
        }

        // ---- Cells and formats.

        private static string ComplianceKey(ComplianceLine line) => $"compliance.{line.Indicator}.{line.Band ?? OverallKey}";

        private string Td(string field, string raw, string text) => $"<td class=\"num\"{Hook(field, raw)}>{E(text)}</td>";

        private string MetCell(string field, bool? met) =>
            $"<td{(met == false ? " class=\"not-met\"" : "")}{Hook(field, Raw(met))}>{E(met switch { true => words.Met, false => words.NotMet, null => words.Unjudged })}</td>";

        private static string Hook(string field, string raw) => $" data-field=\"{E(field)}\" data-value=\"{E(raw)}\"";

        private string TargetText(ComplianceLine line) =>
            $"{(line.Indicator == SlaIndicators.QualificationErrorRate ? "≤" : "≥")} {Percent(line.Target, MidpointRounding.AwayFromZero)}";

        /// <summary>Rounds against the client: down for rates that must reach a target, up for the error rate that must stay under one.</summary>
        private static MidpointRounding Unfavourable(string indicator) =>
            indicator == SlaIndicators.QualificationErrorRate ? MidpointRounding.ToPositiveInfinity : MidpointRounding.ToZero;

        private string IndicatorName(string indicator) => indicator switch
        {
            SlaIndicators.AnswerRate => words.AnswerRate,
            SlaIndicators.ServiceLevel => words.ServiceLevel,
            SlaIndicators.TransmissionRate => words.TransmissionRate,
            SlaIndicators.QualificationErrorRate => words.QualificationErrorRate,
            _ => indicator,
        };

        private string PriorityName(string priority) => priority switch
        {
            "standard" => words.Standard,
            "important" => words.Important,
            "critical" => words.Critical,
            _ => priority,
        };

        private string Date(LocalDate date) => LocalDatePattern.Create("d MMMM uuuu", _culture).Format(date);

        private string Count(int value) => value.ToString("#,0", _numbers);

        private string Count(decimal value) => value.ToString("#,0", _numbers);

        private string Number(decimal value) => value.ToString("#,0.##", _numbers);

        private string Percent(decimal? rate, MidpointRounding rounding) => rate is { } r
            ? string.Format(CultureInfo.InvariantCulture, words.PercentFormat, Math.Round(r * 100, 1, rounding).ToString("#,0.0", _numbers))
            : Missing;

        private string Seconds(decimal? seconds) => seconds is { } s
            ? $"{Math.Round(s, 1, MidpointRounding.AwayFromZero).ToString("#,0.0", _numbers)}\u00A0s"
            : Missing;

        private string Euros(decimal euros) =>
            string.Format(CultureInfo.InvariantCulture, words.EurosFormat, euros.ToString("#,0.00", _numbers));

        private static string Raw(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

        private static string Raw(int value) => value.ToString(CultureInfo.InvariantCulture);

        private static string Raw(bool? value) => value switch { true => "true", false => "false", null => "" };

        private static string N(double value) => Math.Round(value, 2).ToString(CultureInfo.InvariantCulture);

        private static string E(string? value) => Html.Encode(value);
    }
}
