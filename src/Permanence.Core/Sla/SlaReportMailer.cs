using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Clients;
using Permanence.Core.Jobs;
using Permanence.Core.Routing;

namespace Permanence.Core.Sla;

public enum ReportMailOutcome
{
    Sent,

    /// <summary>No recipient is configured, or none has an email address: nothing to send.</summary>
    NoRecipient,

    /// <summary>The report is not there (not final yet), or a recipient's provider failed for now: the next run tries again.</summary>
    RetryLater,
}

/// <summary>
/// Emails a closed month's report to the contacts listed in <c>reportRecipients</c> (README, "Monthly SLA report"):
/// the HTML page as the body, the CSV attached, through the email channel (SendGrid, or the outbox locally).
/// </summary>
public sealed class SlaReportMailer(ClientDirectory clients, IReportStore reports, IEmailSender email, IMonthlyJobIndex sent, ILogger<SlaReportMailer> logger)
{
    public async Task<ReportMailOutcome> SendAsync(string clientId, YearMonth period, CancellationToken cancellationToken)
    {
        var latest = (await clients.GetHistoryAsync(clientId, cancellationToken))?.Latest;
        var configuration = latest?.Configuration;
        var recipients = (configuration?.ReportRecipients ?? [])
            .Select(id => configuration!.Contacts?.FirstOrDefault(c => c.Id == id))
            .Where(c => c?.Email is { Length: > 0 })
            .ToList();
        if (recipients.Count == 0)
        {
            return ReportMailOutcome.NoRecipient;
        }
        var html = await reports.ReadAsync(clientId, period, SlaReportJob.HtmlFile, cancellationToken);
        var csv = await reports.ReadAsync(clientId, period, SlaReportJob.CsvFile, cancellationToken);
        if (html is null || csv is null)
        {
            return ReportMailOutcome.RetryLater;
        }
        var french = configuration!.Locale?.StartsWith("fr", StringComparison.OrdinalIgnoreCase) == true;
        var culture = CultureInfo.GetCultureInfo(french ? "fr-FR" : "en-GB");
        var month = period.OnDayOfMonth(1).ToDateTimeUnspecified().ToString("MMMM yyyy", culture);
        var subject = french ? $"Rapport SLA – {month} – {configuration.Name}" : $"SLA report – {month} – {configuration.Name}";
        var text = french
            ? $"Le rapport SLA de {month} est joint (CSV) et affiché dans ce message (HTML)."
            : $"The SLA report for {month} is attached (CSV) and shown in this message (HTML).";
        var periodText = SlaPeriod.Format(period);
        var outcome = ReportMailOutcome.Sent;
        foreach (var contact in recipients)
        {
            if (await sent.WasEmailedAsync(clientId, period, contact!.Id!, cancellationToken))
            {
                continue; // each recipient gets a month's report once, whatever happens to the others' sends
            }
            var result = await email.SendAsync(new EmailNotification(
                DeliveryId: $"sla-report-{periodText}.{contact.Id}",
                ClientId: clientId,
                MessageId: $"sla-report-{periodText}",
                To: contact.Email!,
                ToName: contact.Name,
                Subject: subject,
                Html: Encoding.UTF8.GetString(html.Value.Span),
                Text: text,
                Locale: culture.Name,
                Attachments: [new EmailAttachment($"sla-report-{periodText}.csv", "text/csv", csv.Value)]), cancellationToken);
            logger.LogInformation("SLA report of client {ClientId} for {Period} emailed to contact {ContactId}: {Outcome}",
                clientId, periodText, contact.Id, result.GetType().Name);
            if (result is DeliveryOutcome.Transient)
            {
                outcome = ReportMailOutcome.RetryLater;
            }
            else
            {
                await sent.MarkEmailedAsync(clientId, period, contact.Id!, cancellationToken);
            }
        }
        return outcome;
    }
}
