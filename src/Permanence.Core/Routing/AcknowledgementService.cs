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

    /// <summary>Several pending messages of this number have the code: none is acknowledged.</summary>
    public sealed record Ambiguous(string Culture) : SmsReplyResult;
}

/// <summary>
/// Acknowledgements (docs/guides/routing.md, "Acknowledging"): by the signed link of an email or SMS (GET shows, POST
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

    /// <summary>Wrong codes a number may reply in a day (UTC) before its replies are no longer read: 4 digits must not be guessable.</summary>
    public const int MaxReplyFailuresPerDay = 10;

    /// <summary>
    /// An inbound SMS from <paramref name="fromE164"/>: "1234" or "OK 1234" acknowledges the message sent to that
    /// number within the link lifetime, not acknowledged yet, whose code it is. When two such messages share the
    /// code, nothing is acknowledged (the wrong one could be): the reply asks for the link instead.
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
        var today = now.InUtc().Date;
        if (await acknowledgements.CountReplyFailuresAsync(fromE164, today, cancellationToken) >= MaxReplyFailuresPerDay)
        {
            logger.LogWarning("Inbound SMS reply ignored: too many wrong codes from this number today");
            return new SmsReplyResult.NotRecognised();
        }
        var pending = new List<SmsReplyCode>();
        foreach (var sent in await acknowledgements.FindReplyCodesAsync(fromE164, code, now - AckTokens.Lifetime, cancellationToken))
        {
            if (pending.All(p => p.MessageId != sent.MessageId) && (await acknowledgements.ListAsync(sent.MessageId, cancellationToken)).Count == 0)
            {
                pending.Add(sent);
            }
        }
        if (pending.Count == 0)
        {
            await acknowledgements.RecordReplyFailureAsync(fromE164, today, cancellationToken);
            return new SmsReplyResult.NotRecognised();
        }
        var culture = await CultureOfAsync(pending[0].ClientId, cancellationToken);
        if (pending.Count > 1)
        {
            logger.LogWarning("Inbound SMS reply matches {Count} pending messages: none acknowledged", pending.Count);
            return new SmsReplyResult.Ambiguous(culture);
        }
        var chosen = pending[0];
        await acknowledgements.AddAsync(new Acknowledgement(chosen.MessageId, chosen.ClientId, chosen.ContactId, AcknowledgementChannels.Sms, now), cancellationToken);
        logger.LogInformation("Message {MessageId} of client {ClientId} acknowledged by contact {ContactId} (SMS reply)", chosen.MessageId, chosen.ClientId, chosen.ContactId);
        return new SmsReplyResult.Acknowledged(chosen.MessageId, chosen.ClientId, culture);
    }

    private async Task<string> CultureOfAsync(string clientId, CancellationToken cancellationToken) =>
        NotificationTemplates.CultureOf((await clients.GetHistoryAsync(clientId, cancellationToken))?.Latest?.Configuration.Locale);

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
