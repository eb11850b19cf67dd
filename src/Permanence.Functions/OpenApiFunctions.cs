using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Permanence.Functions;

/// <summary>GET /api/openapi.json: the document the build generated from the routes (docs/openapi.json), embedded.</summary>
public class OpenApiFunctions
{
    private static readonly Lazy<string> Document = new(() =>
    {
        using var stream = typeof(OpenApiFunctions).Assembly.GetManifestResourceStream("openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded in the Functions app.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    // The trigger's request parameter is the binding itself, even when the function does not read it.
#pragma warning disable IDE0060
    [Function(nameof(GetOpenApiDocument))]
    public IActionResult GetOpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        new ResultAction(TypedResults.Text(Document.Value, "application/json", System.Text.Encoding.UTF8));
#pragma warning restore IDE0060
}
