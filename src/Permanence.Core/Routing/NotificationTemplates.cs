using System.Globalization;
using System.Text;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;

namespace Permanence.Core.Routing;

/// <summary>What a notification says about a message, resolved for one client's configuration.</summary>
public sealed record NotificationContent(
    string MessageId,
    string ClientName,
    string ScenarioLabel,
    Priority Priority,
    CallerInput? Caller,
    IReadOnlyDictionary<string, string?> Fields,
    string? Text,
    ZonedDateTime TakenAt,
    Qualification Qualification,
    string? AckUrl,
    string? ReplyCode);

/// <summary>
/// The words of emails and SMS, per locale (README, "Routing"): French for fr-*, English otherwise. Values from
/// messages are HTML-encoded in the HTML body; the text body and SMS carry them as typed.
/// </summary>
public static class NotificationTemplates
{
    private sealed record Words(
        string Culture,
        string Standard,
        string Important,
        string Critical,
        string Message,
        string From,
        string Caller,
        string Phone,
        string Email,
        string TakenAt,
        string Text,
        string Qualification,
        string Complete,
        string Incomplete,
        string Missing,
        string Invalid,
        string AckPrompt,
        string AckButton,
        string SmsCallBack,
        string SmsAck,
        string SmsReply,
        string FallbackSubject,
        string FallbackIntro,
        string Footer);

    private static readonly Words French = new(
        "fr-FR", "Standard", "Important", "URGENT", "Message", "Client", "Appelant", "Téléphone", "Email", "Pris le",
        "Message", "Qualification", "complète", "incomplète", "manquant", "invalide",
        "Merci de confirmer la prise en charge :", "Je prends en charge",
        "rappeler", "Accuser réception", "ou répondre",
        "Message non transmis", "Aucun destinataire n'a pu être joint pour ce message. Il doit être transmis par un autre moyen.",
        "Message transmis par votre permanence téléphonique.");

    private static readonly Words English = new(
        "en-GB", "Standard", "Important", "URGENT", "Message", "Client", "Caller", "Phone", "Email", "Taken at",
        "Message", "Qualification", "complete", "incomplete", "missing", "invalid",
        "Please confirm you are handling it:", "I'm handling it",
        "call back", "Acknowledge", "or reply",
        "Message not delivered", "No recipient could be reached for this message. It must be passed on another way.",
        "Message passed on by your telephone answering service.");

    private static Words For(string? locale) =>
        locale is not null && locale.StartsWith("fr", StringComparison.OrdinalIgnoreCase) ? French : English;

    /// <summary>The culture a locale's emails are written in: fr-FR or en-GB.</summary>
    public static string CultureOf(string? locale) => For(locale).Culture;

    private static string PriorityWord(Words words, Priority priority) => priority switch
    {
        Priority.Critical => words.Critical,
        Priority.Important => words.Important,
        _ => words.Standard,
    };

    private static string When(Words words, ZonedDateTime at) =>
        LocalDateTimePattern.Create(
                words == French ? "dd/MM/uuuu 'à' HH':'mm" : "dd/MM/uuuu 'at' HH':'mm",
                CultureInfo.GetCultureInfo(words.Culture))
            .Format(at.LocalDateTime) + $" ({at.Zone.Id})";

    public static string Subject(NotificationContent content, string? locale)
    {
        var words = For(locale);
        var caller = content.Caller?.Name is { Length: > 0 } name ? $" – {name}" : "";
        return Clean($"[{PriorityWord(words, content.Priority)}] {content.ScenarioLabel}{caller}");
    }

    public static string TextBody(NotificationContent content, string? locale)
    {
        var words = For(locale);
        var text = new StringBuilder();
        text.AppendLine($"[{PriorityWord(words, content.Priority)}] {content.ScenarioLabel}");
        text.AppendLine($"{words.From}: {content.ClientName}");
        foreach (var (label, value) in Lines(words, content))
        {
            text.AppendLine($"{label}: {value}");
        }
        if (!string.IsNullOrEmpty(content.Text))
        {
            text.AppendLine();
            text.AppendLine(content.Text);
        }
        if (content.AckUrl is not null)
        {
            text.AppendLine();
            text.AppendLine(words.AckPrompt);
            text.AppendLine(content.AckUrl);
        }
        text.AppendLine();
        text.AppendLine($"-- {words.Footer} ({content.MessageId})");
        return text.ToString();
    }

    public static string HtmlBody(NotificationContent content, string? locale)
    {
        var words = For(locale);
        string E(string? value) => Html.Encode(value ?? "");
        var html = new StringBuilder();
        html.Append($"<!DOCTYPE html><html lang=\"{words.Culture[..2]}\"><head><meta charset=\"utf-8\"><title>{E(Subject(content, locale))}</title></head>");
        html.Append("<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;max-width:640px\">");
        var colour = content.Priority switch { Priority.Critical => "#b00020", Priority.Important => "#b35c00", _ => "#2f5d8a" };
        html.Append($"<p style=\"color:{colour};font-weight:bold;font-size:18px\">[{E(PriorityWord(words, content.Priority))}] {E(content.ScenarioLabel)}</p>");
        html.Append($"<p>{E(words.From)} : <strong>{E(content.ClientName)}</strong></p>");
        html.Append("<table style=\"border-collapse:collapse\">");
        foreach (var (label, value) in Lines(words, content))
        {
            html.Append($"<tr><th style=\"text-align:left;padding:4px 12px 4px 0;vertical-align:top\">{E(label)}</th><td style=\"padding:4px 0\">{E(value)}</td></tr>");
        }
        html.Append("</table>");
        if (!string.IsNullOrEmpty(content.Text))
        {
            html.Append($"<p style=\"white-space:pre-wrap;border-left:3px solid #ccc;padding-left:8px\">{E(content.Text)}</p>");
        }
        if (content.AckUrl is not null)
        {
            html.Append($"<p>{E(words.AckPrompt)}</p>");
            html.Append($"<p><a href=\"{E(content.AckUrl)}\" style=\"display:inline-block;background:{colour};color:#fff;padding:10px 16px;text-decoration:none;border-radius:4px\">{E(words.AckButton)}</a></p>");
        }
        html.Append($"<p style=\"color:#666;font-size:12px\">{E(words.Footer)} ({E(content.MessageId)})</p>");
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>Priority, scenario, caller, callback number, and the ack link and reply code when one is asked for.</summary>
    public static string Sms(NotificationContent content, string? locale)
    {
        var words = For(locale);
        var callback = content.Caller?.Phone is { Length: > 0 } phone ? $"{words.SmsCallBack} {phone}" : "";
        var parts = new List<(string, bool)>
        {
            ($"[{PriorityWord(words, content.Priority)}] {content.ScenarioLabel}", true),
            (content.Caller?.Name ?? "", true),
            (callback, false),
            (content.Text ?? "", true),
        };
        if (content.AckUrl is not null)
        {
            var reply = content.ReplyCode is null ? "" : $" {words.SmsReply} {content.ReplyCode}";
            parts.Add(($"{words.SmsAck}: {content.AckUrl}{reply}", false));
        }
        return SmsText.Compose(parts);
    }

    /// <summary>What Permanence answers an SMS reply (TwiML message), in the client's language; null: no answer.</summary>
    public static string? SmsReplyAnswer(SmsReplyResult result) => result switch
    {
        SmsReplyResult.Acknowledged ack => For(ack.Culture) == French ? "Prise en charge enregistrée. Merci." : "Acknowledgement recorded. Thank you.",
        SmsReplyResult.Ambiguous ambiguous => For(ambiguous.Culture) == French
            ? "Plusieurs messages en attente ont ce code : merci d'utiliser le lien du message."
            : "Several pending messages have this code: please use the link in the message.",
        _ => null,
    };

    public static string FallbackSubject(NotificationContent content, string? locale) =>
        $"{For(locale).FallbackSubject}: {Subject(content, locale)}";

    public static string FallbackText(NotificationContent content, string? locale) =>
        For(locale).FallbackIntro + Environment.NewLine + Environment.NewLine + TextBody(content with { AckUrl = null }, locale);

    public static string FallbackHtml(NotificationContent content, string? locale) =>
        HtmlBody(content with { AckUrl = null }, locale)
            .Replace("<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;max-width:640px\">",
                $"<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;max-width:640px\"><p><strong>{Html.Encode(For(locale).FallbackIntro)}</strong></p>",
                StringComparison.Ordinal);

    private static IEnumerable<(string Label, string Value)> Lines(Words words, NotificationContent content)
    {
        if (content.Caller?.Name is { Length: > 0 } name)
        {
            yield return (words.Caller, name);
        }
        if (content.Caller?.Phone is { Length: > 0 } phone)
        {
            yield return (words.Phone, phone);
        }
        if (content.Caller?.Email is { Length: > 0 } email)
        {
            yield return (words.Email, email);
        }
        yield return (words.TakenAt, When(words, content.TakenAt));
        foreach (var (field, value) in content.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            yield return (field, value ?? "");
        }
        var qualification = content.Qualification.Complete ? words.Complete : words.Incomplete;
        if (content.Qualification.Missing.Count > 0)
        {
            qualification += $" ({words.Missing}: {string.Join(", ", content.Qualification.Missing)})";
        }
        if (content.Qualification.Invalid.Count > 0)
        {
            qualification += $" ({words.Invalid}: {string.Join(", ", content.Qualification.Invalid)})";
        }
        yield return (words.Qualification, qualification);
    }

    /// <summary>Subjects are one line: line breaks from message values would be header injection in a raw transport.</summary>
    private static string Clean(string value) => new(value.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
