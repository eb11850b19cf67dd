using AngleSharp.Html.Parser;
using NodaTime;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;

namespace Permanence.Core.Tests;

/// <summary>
/// The words of emails and SMS per locale (French for fr-*, English otherwise): subjects name the priority, the
/// scenario and the caller on one line; message values are HTML-encoded in the HTML body; the ack link is there only
/// when an acknowledgement is asked for; an SMS keeps to two segments with its link and code whole.
/// </summary>
public sealed class NotificationTemplatesTests
{
    private const string AckUrl = "https://permanence.example/api/acks/msg-0199a1b2c3d47e8f9a0b1c2d3e4f5a6b~dr-martin~1791307870~Zr8xK_2-qW9mBn4TtY7c1A";

    private static readonly ZonedDateTime TakenAt =
        Instant.FromUtc(2026, 10, 5, 17, 31).InZone(DateTimeZoneProviders.Tzdb["Europe/Paris"]);

    private static NotificationContent Content(
        Priority priority = Priority.Critical,
        string scenarioLabel = "Urgence",
        string? callerName = "Mme Durand",
        string? text = "Douleur thoracique depuis ce matin.",
        string? ackUrl = null,
        string? replyCode = null) =>
        new(
            "msg-0199a1b2c3d47e8f9a0b1c2d3e4f5a6b",
            "Cabinet Médical Althéa",
            scenarioLabel,
            priority,
            new CallerInput { Name = callerName, Phone = "+33612345678", Email = "durand@example.org" },
            new Dictionary<string, string?> { ["symptoms"] = "douleur", ["preferredDate"] = null },
            text,
            TakenAt,
            new Qualification(false, ["preferredDate"], []),
            ackUrl,
            replyCode);

    [Theory]
    [InlineData("fr-FR", Priority.Critical, "Urgence", "[URGENT] Urgence – Mme Durand")]
    [InlineData("fr-FR", Priority.Important, "Résultats d'analyse", "[Important] Résultats d'analyse – Mme Durand")]
    [InlineData("fr-FR", Priority.Standard, "Prise de rendez-vous", "[Standard] Prise de rendez-vous – Mme Durand")]
    [InlineData("en-GB", Priority.Critical, "Emergency", "[URGENT] Emergency – Mme Durand")]
    [InlineData("en-GB", Priority.Important, "Test results", "[Important] Test results – Mme Durand")]
    [InlineData("en-GB", Priority.Standard, "Appointment", "[Standard] Appointment – Mme Durand")]
    public void Subject_CarriesPriorityScenarioAndCaller(string locale, Priority priority, string scenario, string expected) =>
        Assert.Equal(expected, NotificationTemplates.Subject(Content(priority, scenario), locale));

    [Fact]
    public void Subject_NoCallerName_HasNoDanglingDash() =>
        Assert.Equal("[URGENT] Urgence", NotificationTemplates.Subject(Content(callerName: null), "fr-FR"));

    [Theory]
    [InlineData("fr-FR", "fr-FR", "Appelant: Mme Durand", "Pris le: 05/10/2026 à 19:31 (Europe/Paris)")]
    [InlineData("fr", "fr-FR", "Téléphone: +33612345678", "Qualification: incomplète (manquant: preferredDate)")]
    [InlineData("FR-ca", "fr-FR", "Client: Cabinet Médical Althéa", "Message transmis par votre permanence téléphonique.")]
    [InlineData("en-GB", "en-GB", "Caller: Mme Durand", "Taken at: 05/10/2026 at 19:31 (Europe/Paris)")]
    [InlineData("de-DE", "en-GB", "Phone: +33612345678", "Qualification: incomplete (missing: preferredDate)")]
    [InlineData(null, "en-GB", "Client: Cabinet Médical Althéa", "Message passed on by your telephone answering service.")]
    public void TextBody_Locale_IsWrittenInFrenchForFrAndEnglishOtherwise(string? locale, string culture, string line, string other)
    {
        var text = NotificationTemplates.TextBody(Content(), locale);

        Assert.Equal(culture, NotificationTemplates.CultureOf(locale));
        Assert.StartsWith("[URGENT] Urgence", text, StringComparison.Ordinal);
        Assert.Contains(line, text, StringComparison.Ordinal);
        Assert.Contains(other, text, StringComparison.Ordinal);
        Assert.Contains("Douleur thoracique depuis ce matin.", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fr-FR")]
    [InlineData("en-GB")]
    public void HtmlBody_MarkupInMessageValues_IsEncodedNotInterpreted(string locale)
    {
        const string Script = "<script>alert(1)</script>";
        const string Image = "<img src=x onerror=alert(2)>";
        var content = Content(callerName: Script, scenarioLabel: "Urgence \"<b>\"", text: $"Texte {Image} & fin", ackUrl: AckUrl + "?a=1&b=\"><script>x</script>") with
        {
            Fields = new Dictionary<string, string?> { ["symptoms"] = "<iframe src=//evil.example></iframe>" },
        };

        var document = new HtmlParser().ParseDocument(NotificationTemplates.HtmlBody(content, locale));

        Assert.Empty(document.QuerySelectorAll("script, img, iframe, b"));
        Assert.Equal(locale[..2], document.DocumentElement.GetAttribute("lang"));
        Assert.Equal($"[URGENT] Urgence \"<b>\" – {Script}", document.Title);
        var cells = document.QuerySelectorAll("td").Select(td => td.TextContent).ToArray();
        Assert.Contains(Script, cells);
        Assert.Contains("<iframe src=//evil.example></iframe>", cells);
        Assert.Contains(document.QuerySelectorAll("p"), p => p.TextContent == $"Texte {Image} & fin");
        var link = Assert.Single(document.QuerySelectorAll("a"));
        Assert.Equal(AckUrl + "?a=1&b=\"><script>x</script>", link.GetAttribute("href"));
    }

    [Theory]
    [InlineData("Mme Durand\r\nBcc: victim@example.org")]
    [InlineData("Mme Durand\nSubject: other")]
    [InlineData("Mme\u0000Durand\u0085\u001b[31m")]
    public void Subject_ControlCharactersInTheCallerName_AreNotKept(string name)
    {
        foreach (var locale in new[] { "fr-FR", "en-GB" })
        {
            var subject = NotificationTemplates.Subject(Content(callerName: name), locale);
            var fallback = NotificationTemplates.FallbackSubject(Content(callerName: name), locale);

            Assert.DoesNotContain(subject, char.IsControl);
            Assert.DoesNotContain(fallback, char.IsControl);
            Assert.StartsWith("[URGENT] Urgence – Mme", subject, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("fr-FR", "Merci de confirmer la prise en charge :", "Je prends en charge")]
    [InlineData("en-GB", "Please confirm you are handling it:", "I'm handling it")]
    public void Bodies_WithAnAckLink_CarryIt_AndWithoutOne_DoNot(string locale, string prompt, string button)
    {
        var withLink = Content(ackUrl: AckUrl);
        var text = NotificationTemplates.TextBody(withLink, locale);
        var html = new HtmlParser().ParseDocument(NotificationTemplates.HtmlBody(withLink, locale));

        Assert.Contains($"{prompt}{Environment.NewLine}{AckUrl}{Environment.NewLine}", text, StringComparison.Ordinal);
        var link = Assert.Single(html.QuerySelectorAll("a"));
        Assert.Equal(AckUrl, link.GetAttribute("href"));
        Assert.Equal(button, link.TextContent);

        var withoutLink = Content(ackUrl: null);
        var plain = NotificationTemplates.TextBody(withoutLink, locale);
        var page = NotificationTemplates.HtmlBody(withoutLink, locale);
        Assert.DoesNotContain("/api/acks/", plain, StringComparison.Ordinal);
        Assert.DoesNotContain(prompt, plain, StringComparison.Ordinal);
        Assert.DoesNotContain("/api/acks/", page, StringComparison.Ordinal);
        Assert.Empty(new HtmlParser().ParseDocument(page).QuerySelectorAll("a"));

        // The fallback email goes to the agency: never an ack link, even when the content has one.
        Assert.DoesNotContain("/api/acks/", NotificationTemplates.FallbackText(withLink, locale), StringComparison.Ordinal);
        Assert.DoesNotContain("/api/acks/", NotificationTemplates.FallbackHtml(withLink, locale), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fr-FR", "[URGENT] Urgence", "rappeler +33612345678", "Accuser réception: ", " ou répondre 0427")]
    [InlineData("en-GB", "[URGENT] Urgence", "call back +33612345678", "Acknowledge: ", " or reply 0427")]
    public void Sms_CriticalWithAckLinkAndCode_FitsTwoSegmentsAndKeepsLinkAndCodeWhole(string locale, string head, string callback, string ack, string reply)
    {
        var longText = string.Concat(Enumerable.Repeat("Douleur thoracique, essoufflement, ", 600))[..20_000];
        var content = Content(text: longText, callerName: "Mme Durand-" + new string('é', 500), ackUrl: AckUrl, replyCode: "0427");

        var sms = NotificationTemplates.Sms(content, locale);

        Assert.InRange(SmsText.Septets(sms), 1, SmsText.MaxSeptets);
        Assert.StartsWith(head, sms, StringComparison.Ordinal);
        Assert.Contains(callback, sms, StringComparison.Ordinal);
        Assert.EndsWith($"{ack}{AckUrl}{reply}", sms, StringComparison.Ordinal);
        Assert.Contains("Douleur thoracique", sms, StringComparison.Ordinal);
    }

    [Fact]
    public void Sms_ShortMessageWithoutAck_IsOneLineOfAllItsParts()
    {
        var sms = NotificationTemplates.Sms(Content(priority: Priority.Standard, scenarioLabel: "Prise de rendez-vous", text: "Rappeler avant 18h 📞"), "fr-FR");

        Assert.Equal("[Standard] Prise de rendez-vous - Mme Durand - rappeler +33612345678 - Rappeler avant 18h ?", sms);
    }
}
