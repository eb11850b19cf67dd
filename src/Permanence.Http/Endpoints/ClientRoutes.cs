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
    private static readonly ApiRole[] Admin = [ApiRole.Admin];

    /// <summary>
    /// The admin job routes' query <c>?client=…&amp;period=YYYY-MM</c>: 401/403 for the key's role, 400 naming each
    /// malformed parameter, then the client's scope (403) and existence (404).
    /// </summary>
    public async Task<(string ClientId, string Period, YearMonth Month, IResult? Failure)> AuthorizeJobAsync(HttpRequest request)
    {
        var clientId = request.Query["client"].ToString();
        var period = request.Query["period"].ToString();
        var auth = authorization.Authorize(request, Admin);
        if (auth.Failure is not null)
        {
            return (clientId, period, default, auth.Failure);
        }
        var errors = new ValidationErrors();
        if (!Identifiers.IsValidClientId(clientId))
        {
            errors.Add("client", "must be a client id: 1-64 lowercase letters, digits or inner hyphens");
        }
        if (!TryParsePeriod(period, out var month))
        {
            errors.Add("period", "must be a month as YYYY-MM");
        }
        if (!errors.IsEmpty)
        {
            return (clientId, period, default, Problems.BadRequestFields("Invalid query.", errors));
        }
        return (clientId, period, month, (await AuthorizeClientAsync(request, Admin, clientId)).Failure);
    }

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
