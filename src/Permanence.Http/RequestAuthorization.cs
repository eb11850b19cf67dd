using Microsoft.AspNetCore.Http;
using Permanence.Core.Security;

namespace Permanence.Http;

/// <summary>Bearer API keys with roles and client scope (README, "HTTP API"): 401 without a valid key, 403 outside its scope.</summary>
public sealed class RequestAuthorization(ApiKeyRegistry registry)
{
    public sealed record Outcome(ApiPrincipal? Principal, IResult? Failure);

    public Outcome Authorize(HttpRequest request, ApiRole[] roles, string? clientId = null)
    {
        var principal = registry.Authenticate(BearerToken(request));
        if (principal is null)
        {
            request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return new Outcome(null, Problems.Unauthorized());
        }
        if (!roles.Contains(principal.Role))
        {
            return new Outcome(principal, Problems.Forbidden("This API key's role may not use this route."));
        }
        if (clientId is not null && !principal.CanAccess(clientId))
        {
            return new Outcome(principal, Problems.Forbidden("This API key is not scoped to this client."));
        }
        return new Outcome(principal, null);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
    }
}
