using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;

namespace Permanence.Core.Routing;

/// <summary>What an ack page shows: enough to know what is being acknowledged, nothing more.</summary>
public sealed record AckView(
    string MessageId,
    string ClientName,
    string ScenarioLabel,
    Priority Priority,
    string? CallerName,
    ZonedDateTime TakenAt,
    string Culture,
    Acknowledgement? Acknowledged);

public abstract record AckLookup
{
    public sealed record Found(AckView View, string ContactId) : AckLookup;

    public sealed record Expired : AckLookup;

    public sealed record NotFound : AckLookup;
}

public abstract record SmsReplyResult
{
    public sealed record Acknowledged(string MessageId, string ClientId, string Culture) : SmsReplyResult;

    /// <summary>Not a reply code, or no pending message of this number has it.</summary>
    public sealed record NotRecognised : SmsReplyResult;
}

/// <summary>
/// Acknowledgements (README, "Acknowledgements"): by the signed link of an email or SMS (GET shows, POST
/// acknowledges), or by an SMS reply carrying the 4-digit code. The first one stops the escalation.
/// </summary>
public sealed partial class AcknowledgementService(
    IMessageStore messages,
    ClientDirectory clients,
    IAcknowledgementStore acknowledgements,
    AckTokens tokens,
    TimeProvider time,
    ILogger<AcknowledgementService> logger)
{
    /// <summary>Reads a token and what it acknowledges; changes nothing (mail scanners fetch links).</summary>
    public async Task<AckLookup> LookupAsync(string? token, CancellationToken cancellationToken)
    {
        switch (tokens.Check(token, Now()))
        {
            case AckTokenCheck.Valid valid:
                var view = await ViewAsync(valid.MessageId, cancellationToken);
                return view is null ? new AckLookup.NotFound() : new AckLookup.Found(view, valid.ContactId);
            case AckTokenCheck.Expired expired:
                return await messages.GetAsync(expired.MessageId, cancellationToken) is null ? new AckLookup.NotFound() : new AckLookup.Expired();
            default:
                return new AckLookup.NotFound();
        }
    }

    /// <summary>Acknowledges for the token's contact; a second acknowledgement keeps the first.</summary>
    public async Task<AckLookup> AcknowledgeAsync(string? token, CancellationToken cancellationToken)
    {
        var lookup = await LookupAsync(token, cancellationToken);
        if (lookup is not AckLookup.Found found)
        {
            return lookup;
        }
        var message = await messages.GetAsync(found.View.MessageId, cancellationToken);
        var acknowledgement = new Acknowledgement(message!.Id, message.ClientId, found.ContactId, AcknowledgementChannels.Link, Now());
        if (await acknowledgements.AddAsync(acknowledgement, cancellationToken))
        {
            logger.LogInformation("Message {MessageId} of client {ClientId} acknowledged by contact {ContactId} (link)", message.Id, message.ClientId, found.ContactId);
        }
        return new AckLookup.Found(await ViewAsync(message.Id, cancellationToken) ?? found.View, found.ContactId);
    }

    /// <summary>
    /// An inbound SMS from <paramref name="fromE164"/>: "1234" or "OK 1234" acknowledges the most recent pending
    /// message sent to that number (within the link lifetime) whose code it is.
    /// </summary>
    public async Task<SmsReplyResult> AcknowledgeReplyAsync(string? fromE164, string? body, CancellationToken cancellationToken)
    {
        // Trimmed first: whitespace runs on both sides of an optional '.' or '!' made the pattern backtrack quadratically.
        var match = ReplyPattern().Match((body ?? "").Trim());
        if (!match.Success || fromE164 is null || !PhoneNumberNormalizer.LooksLikeE164(fromE164))
        {
            return new SmsReplyResult.NotRecognised();
        }
        var code = match.Groups["code"].Value;
        var now = Now();
        foreach (var sent in await acknowledgements.ListReplyCodesAsync(fromE164, now - AckTokens.Lifetime, cancellationToken))
        {
            if ((await acknowledgements.ListAsync(sent.MessageId, cancellationToken)).Count > 0)
            {
                continue; // no longer pending
            }
            if (sent.Code != code)
            {
                continue;
            }
            await acknowledgements.AddAsync(new Acknowledgement(sent.MessageId, sent.ClientId, sent.ContactId, AcknowledgementChannels.Sms, now), cancellationToken);
            logger.LogInformation("Message {MessageId} of client {ClientId} acknowledged by contact {ContactId} (SMS reply)", sent.MessageId, sent.ClientId, sent.ContactId);
            var history = await clients.GetHistoryAsync(sent.ClientId, cancellationToken);
            return new SmsReplyResult.Acknowledged(sent.MessageId, sent.ClientId, NotificationTemplates.CultureOf(history?.Latest?.Configuration.Locale));
        }
        return new SmsReplyResult.NotRecognised();
    }

    private async Task<AckView?> ViewAsync(string messageId, CancellationToken cancellationToken)
    {
        var message = await messages.GetAsync(messageId, cancellationToken);
        if (message is null)
        {
            return null;
        }
        var history = await clients.GetHistoryAsync(message.ClientId, cancellationToken);
        var version = history?.VersionAt(message.TakenAt) ?? history?.Versions.FirstOrDefault();
        if (version is null)
        {
            return null;
        }
        var scenario = version.Configuration.Scenarios?.FirstOrDefault(s => s?.Id == message.Scenario);
        var acks = await acknowledgements.ListAsync(message.Id, cancellationToken);
        return new AckView(
            message.Id,
            version.Configuration.Name ?? message.ClientId,
            scenario?.Label ?? message.Scenario,
            message.Priority,
            message.Caller?.Name,
            message.TakenAt.InZone(version.Zone),
            NotificationTemplates.CultureOf(version.Configuration.Locale),
            acks.OrderBy(a => a.At).FirstOrDefault());
    }

    private Instant Now() => Instant.FromDateTimeOffset(time.GetUtcNow());

    [GeneratedRegex(@"^(?:ok\s*)?(?<code>[0-9]{4})\s*[.!]?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex ReplyPattern();
}
