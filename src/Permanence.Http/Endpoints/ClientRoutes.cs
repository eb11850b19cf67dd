using Microsoft.AspNetCore.Http;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Security;

namespace Permanence.Http.Endpoints;

/// <summary>What the per-client routes of reports and exports check first, the same way.</summary>
public sealed class ClientRoutes(ClientDirectory clients, RequestAuthorization authorization)
{
    /// <summary>401/403 as every route; then 400 for a malformed id and 404 for a client that does not exist.</summary>
    public async Task<(ApiPrincipal? Principal, ContractHistory? History, IResult? Failure)> AuthorizeClientAsync(HttpRequest request, ApiRole[] roles, string clientId)
    {
        var auth = authorization.Authorize(request, roles, clientId);
        if (auth.Failure is not null)
        {
            return (null, null, auth.Failure);
        }
        if (!Identifiers.IsValidClientId(clientId))
        {
            return (null, null, Problems.BadRequest("Invalid client id.", "clientId", "must be 1-64 lowercase letters, digits or inner hyphens"));
        }
        return await clients.GetHistoryAsync(clientId, request.HttpContext.RequestAborted) is { IsEmpty: false } history
            ? (auth.Principal, history, null)
            : (null, null, Problems.NotFound($"No client '{clientId}'."));
    }

    /// <summary>Exactly YYYY-MM (no traversal, no other form): periods end up in blob paths.</summary>
    public static bool TryParsePeriod(string? value, out YearMonth month)
    {
        month = default;
        if (value is not { Length: 7 } || value[4] != '-' || !value.Remove(4, 1).All(char.IsAsciiDigit))
        {
            return false;
        }
        var parsed = YearMonthPattern.Iso.Parse(value);
        if (!parsed.Success || parsed.Value.Year < 2000)
        {
            return false;
        }
        month = parsed.Value;
        return true;
    }
}
