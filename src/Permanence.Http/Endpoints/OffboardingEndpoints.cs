using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Exports;
using Permanence.Core.Offboarding;
using Permanence.Core.Security;

namespace Permanence.Http.Endpoints;

/// <summary>
/// A client's offboarding (README, "Offboarding and retention"): asked for (202 and a status URL), followed, then
/// confirmed with the SHA-256 of the returned package's manifest, which deletes the client's data and answers
/// with the signed certificate. Admin keys only, scoped as every route.
/// </summary>
public sealed class OffboardingEndpoints(
    OffboardingService offboarding,
    OffboardingRunner runner,
    IOffboardingFiles files,
    ExportEndpoints exportLinks,
    ClientDirectory clients,
    RequestAuthorization authorization,
    JobGate gate,
    ILogger<OffboardingEndpoints> logger)
{
    private static readonly ApiRole[] Admin = [ApiRole.Admin];

    public static string StatusPath(string clientId) => $"/api/admin/clients/{clientId}/offboard";

    private (ApiPrincipal? Principal, IResult? Failure) Authorize(HttpRequest request, string clientId)
    {
        var auth = authorization.Authorize(request, Admin, clientId);
        if (auth.Failure is not null)
        {
            return (null, auth.Failure);
        }
        return Identifiers.IsValidClientId(clientId)
            ? (auth.Principal, null)
            : (null, Problems.BadRequest("Invalid client id.", "clientId", "must be 1-64 lowercase letters, digits or inner hyphens"));
    }

    /// <summary>POST /admin/clients/{clientId}/offboard: 202 with the status URL; 404 unknown client; 409 already offboarded.</summary>
    public async Task<IResult> RequestAsync(HttpRequest request, string clientId)
    {
        var (principal, failure) = Authorize(request, clientId);
        if (failure is not null)
        {
            return failure;
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        switch (await offboarding.RequestAsync(clientId, principal!.KeyId, cancellationToken))
        {
            case OffboardRequestResult.UnknownClient:
                return Problems.NotFound($"No client '{clientId}'.");
            case OffboardRequestResult.AlreadyOffboarded:
                return Problems.Conflict($"Client '{clientId}' was offboarded already.");
            case OffboardRequestResult.Accepted accepted:
                if (accepted.Record.Status == OffboardingStatus.Preparing)
                {
                    runner.Start(clientId);
                }
                return TypedResults.Accepted(StatusPath(clientId), Summary(accepted.Record));
            default:
                throw new InvalidOperationException("Unexpected result.");
        }
    }

    /// <summary>GET /admin/clients/{clientId}/offboard: the status; once ready, the manifest's hash and every file's link (each logged).</summary>
    public async Task<IResult> StatusAsync(HttpRequest request, string clientId)
    {
        var (principal, failure) = Authorize(request, clientId);
        if (failure is not null)
        {
            return failure;
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        if (await offboarding.GetAsync(clientId, cancellationToken) is not { } stored)
        {
            return Problems.NotFound($"No offboarding of client '{clientId}' was asked for.");
        }
        var record = stored.Record;
        switch (record.Status)
        {
            case OffboardingStatus.Preparing or OffboardingStatus.Deleting:
                runner.Start(clientId); // resumes work that stopped with its process; a no-op while it runs
                return TypedResults.Ok(Summary(record));
            case OffboardingStatus.Closed:
                return TypedResults.Ok(Summary(record) with
                {
                    Certificate = await LinkAsync(OffboardingArea.Certificates, clientId, record.Certificate!, cancellationToken),
                });
            case OffboardingStatus.Ready when await clients.GetHistoryAsync(clientId, cancellationToken) is { Latest: not null } history:
                var cut = record.Cut;
                var manifestBytes = await files.ReadAsync(OffboardingArea.Package, clientId, OffboardingService.ManifestName(cut), cancellationToken);
                var manifest = JsonNode.Parse(manifestBytes!.Value.Span)!;
                await offboarding.RecordIssuedAsync(clientId, principal!.KeyId, cancellationToken);
                await exportLinks.LogAsync(clientId, history, principal, "download",
                    [(null, OffboardingService.ManifestName(cut)), (null, OffboardingService.ConfigurationName(cut))], cancellationToken);
                var exported = new List<OffboardingExportResponse>();
                foreach (var entry in manifest["exports"]!.AsArray())
                {
                    if (!ClientRoutes.TryParsePeriod((string?)entry!["period"], out var period))
                    {
                        throw new InvalidOperationException($"The offboarding manifest of client '{clientId}' lists an export without a valid period.");
                    }
                    var folder = new ExportFolder(clientId, period, (bool)entry["partial"]!, cut);
                    if (await exportLinks.LinksAsync(folder, history, principal!, cancellationToken) is { } links)
                    {
                        exported.Add(new OffboardingExportResponse(folder.Name, folder.Partial, (string)entry["manifestSha256"]!, links.Links));
                    }
                }
                return TypedResults.Ok(Summary(record) with
                {
                    Manifest = await LinkAsync(OffboardingArea.Package, clientId, OffboardingService.ManifestName(cut), cancellationToken),
                    Files = [(await LinkAsync(OffboardingArea.Package, clientId, OffboardingService.ConfigurationName(cut), cancellationToken))!],
                    Exports = exported,
                });
            default:
                return TypedResults.Ok(Summary(record));
        }
    }

    /// <summary>POST /admin/clients/{clientId}/offboard/confirm: deletes and certifies; 409 wrong hash or not ready; 400 malformed hash.</summary>
    public async Task<IResult> ConfirmAsync(HttpRequest request, string clientId)
    {
        var (principal, failure) = Authorize(request, clientId);
        if (failure is not null)
        {
            return failure;
        }
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await HttpIo.ReadJsonAsync<OffboardingConfirmRequest>(request, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var hash = body.Value!.ManifestSha256?.ToLowerInvariant();
        if (!OffboardingService.IsSha256(hash))
        {
            return Problems.BadRequest("Invalid manifest hash.", "manifestSha256", "must be the SHA-256 of the offboarding manifest, 64 hexadecimal digits");
        }
        using var run = gate.TryEnter(OffboardingRunner.DeletionGate(clientId));
        if (run is null)
        {
            return Problems.Conflict("A confirmation for this client is in progress; retry when it has ended.");
        }
        // Not cut short by a dropped connection: a deletion once begun runs to its certificate (a repeated
        // confirmation, or reading the status, resumes one whose process stopped).
        switch (await offboarding.ConfirmAsync(clientId, hash!, principal!.KeyId, CancellationToken.None))
        {
            case ConfirmResult.Busy:
                request.HttpContext.Response.Headers.RetryAfter = "5";
                return Problems.Conflict("A configuration save of this client is in progress: nothing was deleted; retry in a moment.");
            case ConfirmResult.NotRequested:
                return await clients.GetHistoryAsync(clientId, cancellationToken) is { Latest: not null }
                    ? Problems.Conflict($"No offboarding of client '{clientId}' was asked for: ask for it first (POST {StatusPath(clientId)}).")
                    : Problems.NotFound($"No client '{clientId}'.");
            case ConfirmResult.NotReady:
                return Problems.Conflict("The offboarding package is still being prepared: confirm once its status is ready.");
            case ConfirmResult.NewDataSinceCut stale:
                return Problems.Conflict($"Data arrived after the package was cut at {NodaTime.Text.InstantPattern.ExtendedIso.Format(stale.CutAt)}: nothing was deleted. "
                    + $"Ask for the offboarding again (POST {StatusPath(clientId)}) to return it too, then confirm the new manifest's hash.");
            case ConfirmResult.WrongHash:
                logger.LogWarning("Offboarding confirmation of client {ClientId} refused: the manifest hash does not match", clientId);
                return Problems.Conflict("The hash is not that of this client's offboarding manifest: nothing was deleted.");
            case ConfirmResult.Certified certified:
                var link = await LinkAsync(OffboardingArea.Certificates, clientId, certified.CertificateName, cancellationToken);
                return TypedResults.Ok(new DeletionCertificateResponse(clientId, "closed", JsonNode.Parse(certified.Certificate.Span)!, link!));
            default:
                throw new InvalidOperationException("Unexpected result.");
        }
    }

    private static OffboardingResponse Summary(OffboardingRecord record) => new(
        record.ClientId,
        record.Status.ToString().ToLowerInvariant(),
        record.RequestedAt.ToDateTimeOffset(),
        new OffboardingProgress(record.MonthsDone, record.MonthsTotal),
        record.ManifestSha256);

    private async Task<DownloadFileResponse?> LinkAsync(OffboardingArea area, string clientId, string name, CancellationToken cancellationToken) =>
        await files.LinkAsync(area, clientId, name, cancellationToken) is { } link ? DownloadFileResponse.From(link) : null;
}
