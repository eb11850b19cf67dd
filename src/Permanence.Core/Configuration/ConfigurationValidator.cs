using System.Globalization;
using System.Net.Mail;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;

namespace Permanence.Core.Configuration;

/// <summary>
/// Validates a contract configuration and compiles it into a <see cref="ContractVersion"/>. Every problem is
/// listed (keyed by JSON path) so one 422 tells the admin all that is wrong.
/// </summary>
public static class ConfigurationValidator
{
    private static readonly LocalDatePattern DatePattern = LocalDatePattern.Iso;

    public static bool TryParseDate(string? value, out LocalDate date)
    {
        var result = DatePattern.Parse(value ?? "");
        date = result.Success ? result.Value : default;
        return result.Success;
    }

    /// <summary>
    /// Validates and compiles. <paramref name="trusted"/> is for configurations read back from storage: they were
    /// validated when written, so a rule tightened since (or a phone-number metadata update) must not make a
    /// client's every event fail; problems are then ignored as long as the version can be compiled.
    /// </summary>
    public static ContractVersion? Validate(string clientId, ClientConfiguration config, ValidationErrors errors, int version = 0, bool trusted = false)
    {
        if (!Identifiers.IsValidClientId(clientId))
        {
            errors.Add("clientId", "must be 1-64 lowercase letters, digits or inner hyphens");
        }
        if (string.IsNullOrWhiteSpace(config.Name))
        {
            errors.Add("name", "is required");
        }
        else
        {
            // Names go into email headers and SMS: one line of bounded text.
            Limits.CheckShortText(config.Name, MaxNameLength, "name", errors);
        }

        var zone = config.TimeZone is null ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(config.TimeZone);
        if (zone is null)
        {
            errors.Add("timeZone", "must be an IANA time zone such as Europe/Paris");
        }

        string? region = null;
        if (!string.IsNullOrEmpty(config.Locale))
        {
            try
            {
                _ = CultureInfo.GetCultureInfo(config.Locale, predefinedOnly: true);
                region = PhoneNumberNormalizer.RegionOf(config.Locale);
            }
            catch (CultureNotFoundException)
            {
                errors.Add("locale", "is not a known culture name such as fr-FR");
            }
        }
        else
        {
            errors.Add("locale", "is required, such as fr-FR");
        }

        if (!TryParseDate(config.EffectiveFrom, out var effectiveFrom))
        {
            errors.Add("effectiveFrom", "must be a date YYYY-MM-DD");
        }
        else if (!Limits.IsInRange(effectiveFrom))
        {
            errors.Add("effectiveFrom", Limits.TimestampRangeMessage);
        }

        var numbers = ValidateNumbers(config.Numbers, region, errors, trusted);
        var contacts = ValidateContacts(config.Contacts, region, errors);
        var (calendar, bandNames) = ValidateCalendar(config.Calendar, zone, errors);
        var rota = ValidateOnCall(config.OnCall, config.OnCallOverrides, contacts, zone, errors);
        ValidateScenarios(config.Scenarios, config.Keywords, errors);
        ValidateEscalation(config.Escalation, contacts, rota, errors);
        ValidateSla(config.Sla, bandNames, errors);
        ValidateRecipients(config.ReportRecipients, contacts, errors);
        if (config.Retention?.Months is { } months && (months < 1 || months > 240))
        {
            errors.Add("retention.months", "must be between 1 and 240");
        }

        if ((!trusted && !errors.IsEmpty) || zone is null || calendar is null || rota is null)
        {
            return null;
        }
        return new ContractVersion
        {
            ClientId = clientId,
            Version = version,
            EffectiveFrom = effectiveFrom,
            Configuration = config with { Numbers = numbers.ToList() },
            Zone = zone,
            Calendar = calendar,
            OnCall = rota,
            Numbers = numbers,
            Region = region,
        };
    }

    /// <summary>Escalation bounds (docs/configuration.md): a policy's steps, and the contacts one step notifies.</summary>
    public const int MaxSteps = 10;
    public const int MaxNotifyPerStep = 20;
    public const int MaxNameLength = 200;

    /// <summary>Numbers a client may list in one version (README, "Limits").</summary>
    public const int MaxNumbers = 200;

    private static List<string> ValidateNumbers(List<string>? numbers, string? region, ValidationErrors errors, bool trusted)
    {
        var normalized = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (!trusted && numbers is { Count: > MaxNumbers })
        {
            errors.Add("numbers", $"must list at most {MaxNumbers} numbers");
            return normalized;
        }
        for (var i = 0; i < (numbers?.Count ?? 0); i++)
        {
            // Stored numbers were normalised when saved: kept as they are, whatever a later metadata update says.
            var e164 = trusted && PhoneNumberNormalizer.LooksLikeE164(numbers![i]) ? numbers[i] : PhoneNumberNormalizer.TryNormalize(numbers![i], region);
            if (e164 is null)
            {
                errors.Add($"numbers[{i}]", "is not a valid phone number (E.164 expected, such as +33186950000)");
            }
            else if (!seen.Add(e164))
            {
                errors.Add($"numbers[{i}]", "is listed twice");
            }
            else
            {
                normalized.Add(e164);
            }
        }
        return normalized;
    }

    private static Dictionary<string, ContactConfiguration> ValidateContacts(List<ContactConfiguration>? contacts, string? region, ValidationErrors errors)
    {
        var byId = new Dictionary<string, ContactConfiguration>(StringComparer.Ordinal);
        for (var i = 0; i < (contacts?.Count ?? 0); i++)
        {
            var contact = contacts![i];
            var path = $"contacts[{i}]";
            if (contact is null)
            {
                errors.Add(path, "is required");
                continue;
            }
            if (!Identifiers.IsValidExternalId(contact.Id))
            {
                errors.Add($"{path}.id", "is required: letters, digits, '.', '_', ':' or '-'");
            }
            else if (!byId.TryAdd(contact.Id!, contact))
            {
                errors.Add($"{path}.id", "is used by another contact");
            }
            Limits.CheckShortText(contact.Name, MaxNameLength, $"{path}.name", errors);
            if (contact.Email is not null && !IsEmail(contact.Email))
            {
                errors.Add($"{path}.email", "is not a valid email address");
            }
            if (contact.Phone is not null && PhoneNumberNormalizer.TryNormalize(contact.Phone, region) is null)
            {
                errors.Add($"{path}.phone", "is not a valid phone number");
            }
            if (contact.Webhook is { } webhook)
            {
                if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
                {
                    errors.Add($"{path}.webhook.url", "must be an absolute http(s) URL");
                }
                else if (url.UserInfo.Length > 0)
                {
                    errors.Add($"{path}.webhook.url", "must not carry a user name or password: authenticate receivers by the signature");
                }
                else if (webhook.Url!.Length > 2_000)
                {
                    errors.Add($"{path}.webhook.url", "must be at most 2000 characters");
                }
                if (!IsWebhookSecret(webhook.Secret))
                {
                    errors.Add($"{path}.webhook.secret", "must be a Standard Webhooks secret: 'whsec_' followed by base64 of 24 to 64 bytes");
                }
            }
        }
        return byId;
    }

    private static bool IsEmail(string value)
    {
        return MailAddress.TryCreate(value, out var address) && address.Address == value && value.Contains('.', StringComparison.Ordinal);
    }

    private static bool IsWebhookSecret(string? secret)
    {
        if (secret is null || !secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return false;
        }
        try
        {
            var bytes = Convert.FromBase64String(secret["whsec_".Length..]);
            return bytes.Length is >= 24 and <= 64;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static (ClientCalendar? Calendar, HashSet<string> BandNames) ValidateCalendar(CalendarConfiguration? calendar, DateTimeZone? zone, ValidationErrors errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (calendar is null)
        {
            errors.Add("calendar", "is required");
            return (null, names);
        }
        if (!HolidayCalendars.TryGet(calendar.Holidays, out var isHoliday))
        {
            errors.Add("calendar.holidays", $"must be one of {string.Join(", ", HolidayCalendars.Codes)} or none");
        }

        var closures = new List<Closure>();
        for (var i = 0; i < (calendar.Closures?.Count ?? 0); i++)
        {
            var closure = calendar.Closures![i];
            var fromOk = TryParseDate(closure?.From, out var from);
            var toOk = TryParseDate(closure?.To, out var to);
            if (!fromOk)
            {
                errors.Add($"calendar.closures[{i}].from", "must be a date YYYY-MM-DD");
            }
            if (!toOk)
            {
                errors.Add($"calendar.closures[{i}].to", "must be a date YYYY-MM-DD");
            }
            if (fromOk && !Limits.IsInRange(from))
            {
                errors.Add($"calendar.closures[{i}].from", Limits.TimestampRangeMessage);
            }
            else if (toOk && !Limits.IsInRange(to))
            {
                errors.Add($"calendar.closures[{i}].to", Limits.TimestampRangeMessage);
            }
            else if (fromOk && toOk)
            {
                if (to < from)
                {
                    errors.Add($"calendar.closures[{i}].to", "is before from");
                }
                else
                {
                    closures.Add(new Closure(from, to, closure!.Label));
                }
            }
        }

        if (string.IsNullOrWhiteSpace(calendar.OtherBand))
        {
            errors.Add("calendar.otherBand", "is required, such as closed");
        }
        else
        {
            names.Add(calendar.OtherBand);
        }

        var bands = new List<Band>();
        var coveredBy = new Dictionary<int, int>();
        for (var i = 0; i < (calendar.Bands?.Count ?? 0); i++)
        {
            var band = calendar.Bands![i];
            var path = $"calendar.bands[{i}]";
            var window = ParseWindow(band?.Days, band?.From, band?.To, path, errors);
            if (string.IsNullOrWhiteSpace(band?.Name))
            {
                errors.Add($"{path}.name", "is required");
                continue;
            }
            if (!names.Add(band.Name))
            {
                errors.Add($"{path}.name", band.Name == calendar.OtherBand ? "is the otherBand name" : "is used by another band");
            }
            if (window is null)
            {
                continue;
            }
            var overlaps = new SortedSet<int>();
            foreach (var minute in window.WeekMinutes())
            {
                if (!coveredBy.TryAdd(minute, i))
                {
                    overlaps.Add(coveredBy[minute]);
                }
            }
            foreach (var other in overlaps)
            {
                errors.Add(path, $"overlaps calendar.bands[{other}] ({calendar.Bands[other]?.Name})");
            }
            bands.Add(new Band(band.Name, window));
        }

        if (zone is null || calendar.OtherBand is null)
        {
            return (null, names);
        }
        return (new ClientCalendar(zone, bands, calendar.OtherBand, isHoliday, closures), names);
    }

    private static WeeklyWindow? ParseWindow(List<string>? days, string? from, string? to, string path, ValidationErrors errors)
    {
        var ok = true;
        var parsedDays = new List<IsoDayOfWeek>();
        if (days is null || days.Count == 0)
        {
            errors.Add($"{path}.days", "must list at least one of Mon, Tue, Wed, Thu, Fri, Sat, Sun");
            ok = false;
        }
        else
        {
            foreach (var day in days)
            {
                if (WeeklyWindow.TryParseDay(day, out var parsed))
                {
                    parsedDays.Add(parsed);
                }
                else
                {
                    errors.Add($"{path}.days", $"'{day}' is not one of Mon, Tue, Wed, Thu, Fri, Sat, Sun");
                    ok = false;
                }
            }
        }
        if (!WeeklyWindow.TryParseTime(from, out var fromTime))
        {
            errors.Add($"{path}.from", "must be a local time HH:mm");
            ok = false;
        }
        if (!WeeklyWindow.TryParseTime(to, out var toTime))
        {
            errors.Add($"{path}.to", "must be a local time HH:mm");
            ok = false;
        }
        else if (ok && toTime == fromTime)
        {
            errors.Add($"{path}.to", "must differ from from");
            ok = false;
        }
        return ok ? new WeeklyWindow(parsedDays, fromTime, toTime) : null;
    }

    /// <summary>Dated on-call overrides a version may hold (README, "Limits").</summary>
    public const int MaxOnCallOverrides = 500;

    private static readonly LocalDateTimePattern OverrideMinutePattern = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm");
    private static readonly LocalDateTimePattern OverrideSecondPattern = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss");

    private static bool TryParseLocalDateTime(string? value, out LocalDateTime local)
    {
        var result = OverrideMinutePattern.Parse(value ?? "");
        if (!result.Success)
        {
            result = OverrideSecondPattern.Parse(value ?? "");
        }
        local = result.Success ? result.Value : default;
        return result.Success && Limits.IsInRange(local.Date);
    }

    private static OnCallRota? ValidateOnCall(List<OnCallEntry>? onCall, List<OnCallOverride>? overrides, Dictionary<string, ContactConfiguration> contacts, DateTimeZone? zone, ValidationErrors errors)
    {
        var swaps = new List<OnCallSwap>();
        if (overrides is { Count: > MaxOnCallOverrides })
        {
            errors.Add("onCallOverrides", $"must hold at most {MaxOnCallOverrides} entries");
        }
        for (var i = 0; i < Math.Min(overrides?.Count ?? 0, MaxOnCallOverrides); i++)
        {
            var entry = overrides![i];
            var path = $"onCallOverrides[{i}]";
            var ok = true;
            if (entry?.Contact is null || !contacts.ContainsKey(entry.Contact))
            {
                errors.Add($"{path}.contact", $"'{entry?.Contact}' is not a contact id");
                ok = false;
            }
            if (!TryParseLocalDateTime(entry?.From, out var from))
            {
                errors.Add($"{path}.from", "must be a local date-time such as 2026-12-24T18:30");
                ok = false;
            }
            if (!TryParseLocalDateTime(entry?.To, out var to))
            {
                errors.Add($"{path}.to", "must be a local date-time such as 2026-12-26T08:30");
                ok = false;
            }
            else if (ok && to <= from)
            {
                errors.Add($"{path}.to", "must be after from");
                ok = false;
            }
            if (ok)
            {
                swaps.Add(new OnCallSwap(entry!.Contact!, from, to));
            }
        }

        var entries = new List<(string, WeeklyWindow)>();
        for (var i = 0; i < (onCall?.Count ?? 0); i++)
        {
            var entry = onCall![i];
            var path = $"onCall[{i}]";
            var window = ParseWindow(entry?.Days, entry?.From, entry?.To, path, errors);
            if (entry?.Contact is null || !contacts.ContainsKey(entry.Contact))
            {
                errors.Add($"{path}.contact", $"'{entry?.Contact}' is not a contact id");
                continue;
            }
            if (window is not null)
            {
                entries.Add((entry.Contact, window));
            }
        }
        return zone is null ? null : new OnCallRota(zone, entries, swaps);
    }

    private static void ValidateScenarios(List<ScenarioConfiguration>? scenarios, List<KeywordRule>? keywords, ValidationErrors errors)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (scenarios?.Count ?? 0); i++)
        {
            var scenario = scenarios![i];
            var path = $"scenarios[{i}]";
            if (!Identifiers.IsValidExternalId(scenario?.Id))
            {
                errors.Add($"{path}.id", "is required: letters, digits, '.', '_', ':' or '-'");
            }
            else if (!ids.Add(scenario!.Id!))
            {
                errors.Add($"{path}.id", "is used by another scenario");
            }
            if (!Priorities.TryParse(scenario?.Priority, out _))
            {
                errors.Add($"{path}.priority", "must be standard, important or critical");
            }
            foreach (var field in scenario?.RequiredFields ?? [])
            {
                if (string.IsNullOrWhiteSpace(field))
                {
                    errors.Add($"{path}.requiredFields", "must not contain blank names");
                }
            }
        }
        for (var i = 0; i < (keywords?.Count ?? 0); i++)
        {
            if (string.IsNullOrWhiteSpace(keywords![i]?.Match))
            {
                errors.Add($"keywords[{i}].match", "is required");
            }
            if (!Priorities.TryParse(keywords[i]?.Priority, out _))
            {
                errors.Add($"keywords[{i}].priority", "must be standard, important or critical");
            }
        }
    }

    private static void ValidateEscalation(EscalationConfiguration? escalation, Dictionary<string, ContactConfiguration> contacts, OnCallRota? rota, ValidationErrors errors)
    {
        if (escalation is null)
        {
            errors.Add("escalation", "is required");
            return;
        }
        if (!Priorities.TryParse(escalation.UnknownScenarioPriority, out _))
        {
            errors.Add("escalation.unknownScenarioPriority", "must be standard, important or critical");
        }
        ValidatePolicy("escalation.standard", escalation.Standard);
        ValidatePolicy("escalation.important", escalation.Important);
        ValidatePolicy("escalation.critical", escalation.Critical);

        void ValidatePolicy(string path, EscalationPolicy? policy)
        {
            if (policy?.Steps is not { Count: > 0 } steps)
            {
                errors.Add($"{path}.steps", "must have at least one step");
                return;
            }
            if (steps.Count > MaxSteps)
            {
                errors.Add($"{path}.steps", $"must have at most {MaxSteps} steps");
                return;
            }
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                var stepPath = $"{path}.steps[{i}]";
                if (step?.Notify is not { Count: > 0 })
                {
                    errors.Add($"{stepPath}.notify", "must list at least one contact id or $onCall");
                }
                else if (step.Notify.Count > MaxNotifyPerStep)
                {
                    errors.Add($"{stepPath}.notify", $"must list at most {MaxNotifyPerStep} contacts");
                }
                if (step?.Channels is { Count: > 0 } listed && listed.Distinct(StringComparer.Ordinal).Count() != listed.Count)
                {
                    errors.Add($"{stepPath}.channels", "must not list a channel twice");
                }
                foreach (var target in step?.Notify ?? [])
                {
                    if (target == Channels.OnCallPlaceholder)
                    {
                        if (rota is null || rota.IsEmpty)
                        {
                            errors.Add($"{stepPath}.notify", "$onCall needs an onCall rota or onCallOverrides with at least one valid entry");
                        }
                    }
                    else if (target is null || !contacts.ContainsKey(target))
                    {
                        errors.Add($"{stepPath}.notify", $"'{target}' is not a contact id");
                    }
                }
                if (step?.Channels is not { Count: > 0 })
                {
                    errors.Add($"{stepPath}.channels", "must list at least one of email, sms, webhook");
                }
                foreach (var channel in step?.Channels ?? [])
                {
                    if (channel is null || !Channels.All.Contains(channel))
                    {
                        errors.Add($"{stepPath}.channels", $"'{channel}' is not one of email, sms, webhook");
                    }
                }
                if (step?.AckWithinMinutes is { } minutes && (minutes <= 0 || minutes > 24 * 60))
                {
                    errors.Add($"{stepPath}.ackWithinMinutes", "must be a number of minutes above 0 and at most 1440 (decimals allowed)");
                }
            }
        }
    }

    private static void ValidateSla(SlaConfiguration? sla, HashSet<string> bandNames, ValidationErrors errors)
    {
        if (sla is null)
        {
            return;
        }
        if (sla.ShortAbandonSeconds is < 0 or > 600)
        {
            errors.Add("sla.shortAbandonSeconds", "must be between 0 and 600");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (sla.Targets?.Count ?? 0); i++)
        {
            var target = sla.Targets![i];
            var path = $"sla.targets[{i}]";
            if (target?.Band is null || !bandNames.Contains(target.Band))
            {
                errors.Add($"{path}.band", $"'{target?.Band}' is not a band of the calendar");
            }
            else if (!seen.Add(target.Band))
            {
                errors.Add($"{path}.band", "has another target");
            }
            Rate($"{path}.answerRate", target?.AnswerRate);
            Rate($"{path}.serviceLevel", target?.ServiceLevel);
            Rate($"{path}.transmissionRate", target?.TransmissionRate);
            if (target?.ServiceLevel is not null && target.ServiceLevelSeconds is null)
            {
                errors.Add($"{path}.serviceLevelSeconds", "is required with serviceLevel");
            }
            if (target?.ServiceLevelSeconds is <= 0)
            {
                errors.Add($"{path}.serviceLevelSeconds", "must be positive");
            }
            if (target?.TransmissionRate is not null && target.TransmissionMinutes is null)
            {
                errors.Add($"{path}.transmissionMinutes", "is required with transmissionRate");
            }
            if (target?.TransmissionMinutes is <= 0)
            {
                errors.Add($"{path}.transmissionMinutes", "must be positive");
            }
        }
        Rate("sla.maxQualificationErrorRate", sla.MaxQualificationErrorRate);
        if (sla.VolumeRevision is { } revision)
        {
            Rate("sla.volumeRevision.tolerance", revision.Tolerance);
            Rate("sla.volumeRevision.relaxPoints", revision.RelaxPoints);
            if (revision.ForecastMonthlyCalls is not > 0)
            {
                errors.Add("sla.volumeRevision.forecastMonthlyCalls", "must be a positive number of calls");
            }
        }
        if (sla.Penalties is { } penalties && (penalties.PerPointEuros < 0 || penalties.CapEuros < 0))
        {
            errors.Add("sla.penalties", "amounts must not be negative");
        }

        void Rate(string path, double? value)
        {
            if (value is { } rate && (double.IsNaN(rate) || rate < 0 || rate > 1))
            {
                errors.Add(path, "must be a fraction between 0 and 1");
            }
        }
    }

    private static void ValidateRecipients(List<string>? recipients, Dictionary<string, ContactConfiguration> contacts, ValidationErrors errors)
    {
        for (var i = 0; i < (recipients?.Count ?? 0); i++)
        {
            if (recipients![i] is not { } id || !contacts.ContainsKey(id))
            {
                errors.Add($"reportRecipients[{i}]", $"'{recipients[i]}' is not a contact id");
            }
        }
    }
}
