using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Permanence.Http;

public static class OpenApiServiceCollectionExtensions
{
    public const string SecuritySchemeName = "apiKey";

    /// <summary>
    /// The OpenAPI 3.1 document of the HTTP API, generated from the routes' metadata: the Standalone host serves it
    /// at /api/openapi.json, and the build writes it to docs/openapi.json, which the Functions app serves.
    /// </summary>
    public static IServiceCollection AddPermanenceOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Permanence API",
                    Version = "1",
                    Description = "Call records from telephony providers, operators' messages and the client contract "
                        + "configuration of a telephone answering service. Errors are RFC 9457 problems "
                        + "(application/problem+json) with an `errors` map for field problems.",
                };
                document.Servers = [];
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "`Authorization: Bearer <api key>`; each key has a role (operator, admin, auditor) and a client scope.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBodyDescription>().FirstOrDefault() is { } body)
                {
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            [body.ContentType] = new() { Schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken) },
                        },
                    };
                }
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiKeyRequirement>().FirstOrDefault() is { } requirement)
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(SecuritySchemeName, context.Document)] = [],
                    });
                    operation.Description = $"API key role: {string.Join(" or ", requirement.Roles)}. A key scoped to other clients gets 403 (404 when reading another client's record by id).";
                }
            });
        });
}
