using Microsoft.AspNetCore.Http;
using NodaTime.Text;
using Permanence.Core.Routing;

namespace Permanence.Http.Endpoints;

/// <summary>
/// GET and POST /acks/{token} (docs/guides/routing.md, "Acknowledging"): the signed token is the credential. GET shows the
/// page and changes nothing (mail scanners and link previews fetch links); POST acknowledges.
/// </summary>
public sealed class AckEndpoints(AcknowledgementService acknowledgements)
{
    public async Task<IResult> GetAsync(HttpRequest request, string token)
    {
        var lookup = await acknowledgements.LookupAsync(token, request.HttpContext.RequestAborted);
        return lookup is AckLookup.Found found
            ? Html(request, StatusCodes.Status200OK, AckPage.Render(found.View, justAcknowledged: false))
            : Failure(request, lookup);
    }

    public async Task<IResult> PostAsync(HttpRequest request, string token)
    {
        var lookup = await acknowledgements.AcknowledgeAsync(token, request.HttpContext.RequestAborted);
        if (lookup is not AckLookup.Found found)
        {
            return Failure(request, lookup);
        }
        if (WantsHtml(request))
        {
            // "Thank you" to the contact whose acknowledgement counts; "already acknowledged" to one who came second.
            return Html(request, StatusCodes.Status200OK, AckPage.Render(found.View, justAcknowledged: found.View.Acknowledged?.ContactId == found.ContactId));
        }
        var first = found.View.Acknowledged!;
        SetHeaders(request);
        return TypedResults.Ok(new AcknowledgementResponse(found.View.MessageId, first.ContactId, first.Channel, InstantPattern.ExtendedIso.Format(first.At)));
    }

    private static IResult Failure(HttpRequest request, AckLookup lookup)
    {
        var expired = lookup is AckLookup.Expired;
        if (WantsHtml(request))
        {
            return Html(request, expired ? StatusCodes.Status410Gone : StatusCodes.Status404NotFound, AckPage.RenderError(null, expired));
        }
        SetHeaders(request);
        return expired
            ? Results.Problem(title: "Gone", detail: "This acknowledgement link has expired.", statusCode: StatusCodes.Status410Gone)
            : Problems.NotFound("No such acknowledgement link.");
    }

    /// <summary>A browser (the link in an email or SMS) gets pages; API clients get JSON, also when they refuse text/html with q=0.</summary>
    private static bool WantsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase) && (a.Quality ?? 1) > 0);

    private static void SetHeaders(HttpRequest request)
    {
        foreach (var (name, value) in AckPage.Headers)
        {
            request.HttpContext.Response.Headers[name] = value;
        }
    }

    private static IResult Html(HttpRequest request, int status, string html)
    {
        SetHeaders(request);
        return TypedResults.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }
}
