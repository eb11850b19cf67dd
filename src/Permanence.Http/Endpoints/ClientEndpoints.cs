using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using NodaTime.Text;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Security;

namespace Permanence.Http.Endpoints;

/// <summary>PUT and GET /clients/{clientId}: the contract configuration and its versions (README, "Client configuration").</summary>
public sealed class ClientEndpoints(ContractService contracts, ClientDirectory directory, RequestAuthorization authorization, ILogger<ClientEndpoints> logger)
{
    private static readonly ApiRole[] Admin = [ApiRole.Admin];

    public async Task<IResult> PutAsync(HttpRequest request, string clientId)
    {
        var auth = authorization.Authorize(request, Admin, clientId);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        if (!Identifiers.IsValidClientId(clientId))
        {
            return Problems.BadRequest("Invalid client id.", "clientId", "must be 1-64 lowercase letters, digits or inner hyphens");
        }
        var body = await HttpIo.ReadJsonAsync<ClientConfiguration>(request, request.HttpContext.RequestAborted);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var result = await contracts.PutAsync(clientId, body.Value!, auth.Principal!, request.HttpContext.RequestAborted);
        switch (result)
        {
            case PutContractResult.Invalid invalid:
                return Problems.Unprocessable(invalid.Errors);
            case PutContractResult.Busy:
                request.HttpContext.Response.Headers.RetryAfter = "1";
                return Problems.Conflict("Another change to this client's configuration is being saved; retry in a moment.");
            case PutContractResult.Offboarded:
                return Problems.Conflict($"Client '{clientId}' was offboarded: its data was deleted and its id cannot be configured again.");
            case PutContractResult.Saved saved:
                if (saved.Changed)
                {
                    directory.EvictAll();
                }
                logger.LogInformation("Client {ClientId} configuration version {Version} effective {EffectiveFrom} saved by key {KeyId} (changed: {Changed})",
                    clientId, saved.Version, LocalDatePattern.Iso.Format(saved.EffectiveFrom), auth.Principal!.KeyId, saved.Changed);
                var response = new ClientSavedResponse(clientId, saved.Version, LocalDatePattern.Iso.Format(saved.EffectiveFrom));
                return saved.ClientCreated ? TypedResults.Created($"/api/clients/{clientId}", response) : TypedResults.Ok(response);
            default:
                throw new InvalidOperationException("Unexpected result.");
        }
    }

    public async Task<IResult> GetAsync(HttpRequest request, string clientId)
    {
        var auth = authorization.Authorize(request, Admin, clientId);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        var history = await contracts.GetHistoryAsync(clientId, request.HttpContext.RequestAborted);
        if (history is null)
        {
            return Problems.NotFound($"No client '{clientId}'.");
        }
        var now = contracts.Now;
        var current = history.VersionAt(now) ?? history.Versions[0];
        return TypedResults.Ok(new ClientResponse(
            clientId,
            current.Version,
            LocalDatePattern.Iso.Format(current.EffectiveFrom),
            current.StartsAt <= now,
            current.Configuration.WithSecretsMasked(),
            history.Versions.Select(v => new ClientVersionResponse(
                v.Version,
                LocalDatePattern.Iso.Format(v.EffectiveFrom),
                v.StoredAt?.ToDateTimeOffset(),
                ReferenceEquals(v, history.VersionAt(now)))).ToList()));
    }
}
