using System.Globalization;
using NodaTime.Text;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Routing;

namespace Permanence.Http.Endpoints;

/// <summary>
/// The acknowledgement page (docs/guides/routing.md, "Acknowledging"): what is being acknowledged and one button that POSTs
/// to the same address. Self-contained: no script, no external asset.
/// </summary>
public static class AckPage
{
    private sealed record Words(string Lang, string Title, string Client, string Scenario, string Caller, string TakenAt, string Priority,
        string Button, string Done, string Already, string Expired, string NotFound);

    private static readonly Words French = new("fr", "Accusé de réception", "Client", "Motif", "Appelant", "Pris le", "Priorité",
        "Je prends en charge", "Merci : la prise en charge est enregistrée. L'escalade est arrêtée.",
        "Ce message a déjà été pris en charge le {0}.", "Ce lien a expiré.", "Ce lien n'est pas valide.");

    private static readonly Words English = new("en", "Acknowledgement", "Client", "Reason", "Caller", "Taken at", "Priority",
        "I'm handling it", "Thank you: your acknowledgement is recorded. The escalation is stopped.",
        "This message was already acknowledged on {0}.", "This link has expired.", "This link is not valid.");

    private static Words For(string culture) => culture.StartsWith("fr", StringComparison.Ordinal) ? French : English;

    /// <summary>Security headers of every ack page: not cached, not indexed, no referrer, nothing loaded.</summary>
    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["Cache-Control"] = "no-store",
        ["X-Robots-Tag"] = "noindex, nofollow",
        ["Referrer-Policy"] = "no-referrer",
        ["X-Content-Type-Options"] = "nosniff",
        ["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    };

    public static string Render(AckView view, bool justAcknowledged)
    {
        var words = For(view.Culture);
        var culture = CultureInfo.GetCultureInfo(view.Culture);
        string E(string? value) => Html.Encode(value ?? "");
        string When(NodaTime.ZonedDateTime at) => LocalDateTimePattern.Create("dd/MM/uuuu HH':'mm", culture).Format(at.LocalDateTime);
        var rows = new List<(string, string)>
        {
            (words.Client, view.ClientName),
            (words.Scenario, view.ScenarioLabel),
            (words.Priority, view.Priority.ToWire()),
        };
        if (view.CallerName is { Length: > 0 } caller)
        {
            rows.Add((words.Caller, caller));
        }
        rows.Add((words.TakenAt, When(view.TakenAt)));
        var table = string.Concat(rows.Select(r => $"<tr><th>{E(r.Item1)}</th><td>{E(r.Item2)}</td></tr>"));
        string action;
        if (justAcknowledged)
        {
            action = $"<p class=\"ok\">{E(words.Done)}</p>";
        }
        else if (view.Acknowledged is { } ack)
        {
            action = $"<p class=\"ok\">{E(string.Format(culture, words.Already, When(ack.At.InZone(view.TakenAt.Zone))))}</p>";
        }
        else
        {
            action = $"<form method=\"post\"><button type=\"submit\">{E(words.Button)}</button></form>";
        }
        return Page(words, $"<table>{table}</table>{action}");
    }

    public static string RenderError(string? culture, bool expired)
    {
        var words = For(culture ?? "fr-FR");
        return Page(words, $"<p>{E(expired ? words.Expired : words.NotFound)}</p>");

        static string E(string value) => Html.Encode(value);
    }

    private static string Page(Words words, string content) =>
        $"<!DOCTYPE html><html lang=\"{words.Lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
        $"<title>{Html.Encode(words.Title)}</title><style>" +
        "body{font-family:Arial,Helvetica,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}" +
        "th{text-align:left;padding:.3rem 1rem .3rem 0;vertical-align:top}td{padding:.3rem 0}" +
        "button{font-size:1.1rem;padding:.7rem 1.4rem;background:#b00020;color:#fff;border:0;border-radius:.3rem;cursor:pointer}" +
        ".ok{color:#1b5e20;font-weight:bold}</style></head>" +
        $"<body><h1>{Html.Encode(words.Title)}</h1>{content}</body></html>";
}
