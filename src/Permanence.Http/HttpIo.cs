using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Permanence.Core.Clients;

namespace Permanence.Http;

/// <summary>Reading request bodies the same way in both hosts: size cap, content type, JSON errors by field.</summary>
public static class HttpIo
{
    public const int MaxBodyBytes = 256 * 1024;

    public sealed record BodyResult(byte[]? Body, IResult? Problem);

    /// <summary>Reads at most <see cref="MaxBodyBytes"/>; a larger body is a 413 whatever its Content-Length says.</summary>
    public static async Task<BodyResult> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return new BodyResult(null, Problems.PayloadTooLarge());
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return new BodyResult(null, Problems.PayloadTooLarge());
            }
            buffer.Write(chunk, 0, read);
        }
        return new BodyResult(buffer.ToArray(), null);
    }

    public static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type &&
        (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ||
         (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.Contains("+json", StringComparison.OrdinalIgnoreCase)));

    /// <summary>A body declared as JSON, read within the size cap, and valid UTF-8 (JSON's encoding).</summary>
    private static async Task<BodyResult> ReadJsonBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request))
        {
            return new BodyResult(null, Problems.UnsupportedMediaType("application/json"));
        }
        var body = await ReadBodyAsync(request, cancellationToken);
        return body.Body is { } bytes && !System.Text.Unicode.Utf8.IsValid(bytes)
            ? new BodyResult(null, Problems.BadRequest("The body is not valid UTF-8.", "body", "is not valid UTF-8"))
            : body;
    }

    public sealed record DocumentResult(JsonDocument? Document, byte[]? Raw, IResult? Problem);

    /// <summary>A JSON body of any shape (object or array), parsed once; the caller disposes the document.</summary>
    public static async Task<DocumentResult> ReadJsonDocumentAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await ReadJsonBodyAsync(request, cancellationToken);
        if (body.Problem is not null)
        {
            return new DocumentResult(null, null, body.Problem);
        }
        try
        {
            return new DocumentResult(JsonDocument.Parse(body.Body), body.Body, null);
        }
        catch (JsonException)
        {
            return new DocumentResult(null, null, Problems.BadRequest("The body is not valid JSON.", "body", "is malformed"));
        }
    }

    public sealed record JsonResult<T>(T? Value, byte[]? Raw, IResult? Problem);

    public static async Task<JsonResult<T>> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        var body = await ReadJsonBodyAsync(request, cancellationToken);
        if (body.Problem is not null)
        {
            return new JsonResult<T>(null, null, body.Problem);
        }
        try
        {
            var value = JsonSerializer.Deserialize<T>(body.Body!, ContractService.Json);
            return value is null
                ? new JsonResult<T>(null, null, Problems.BadRequest("The body must be a JSON object.", "body", "is required"))
                : new JsonResult<T>(value, body.Body, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return new JsonResult<T>(null, null, Problems.BadRequest("The body is not valid JSON for this route.", field, "is malformed or of the wrong type"));
        }
        catch (InvalidOperationException)
        {
            // Text that is not valid UTF-16 once unescaped (a lone surrogate such as "\ud800").
            return new JsonResult<T>(null, null, Problems.BadRequest("The body holds text that is not valid Unicode.", "body", "is not valid Unicode text"));
        }
    }
}
