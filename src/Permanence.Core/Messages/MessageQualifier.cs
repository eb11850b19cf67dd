using System.Globalization;
using System.Net.Mail;
using System.Text;
using Permanence.Core.Common;
using Permanence.Core.Configuration;

namespace Permanence.Core.Messages;

/// <summary>Priority and qualification of a message under the configuration version in force (README, "Messages").</summary>
public static class MessageQualifier
{
    public const string CallerName = "callerName";
    public const string CallerPhone = "callerPhone";
    public const string CallerEmail = "callerEmail";

    public sealed record Result(Priority Priority, Qualification Qualification, string? CallerPhoneE164);

    public static Result Qualify(ContractVersion version, MessageInput input)
    {
        var configuration = version.Configuration;
        var scenario = configuration.Scenarios?.FirstOrDefault(s => s.Id == input.Scenario);
        Priorities.TryParse(configuration.Escalation?.UnknownScenarioPriority, out var unknownPriority);
        var priority = scenario is not null && Priorities.TryParse(scenario.Priority, out var scenarioPriority) ? scenarioPriority : unknownPriority;

        var haystacks = new List<string>();
        if (input.Text is not null)
        {
            haystacks.Add(Fold(input.Text));
        }
        haystacks.AddRange((input.Fields ?? []).Values.Where(v => v is not null).Select(v => Fold(v!)));
        foreach (var keyword in configuration.Keywords ?? [])
        {
            if (keyword.Match is { Length: > 0 } match && Priorities.TryParse(keyword.Priority, out var raised) && raised > priority)
            {
                var needle = Fold(match);
                if (haystacks.Any(h => h.Contains(needle, StringComparison.Ordinal)))
                {
                    priority = raised;
                }
            }
        }

        var phone = PhoneNumberNormalizer.TryNormalize(input.Caller?.Phone, version.Region);
        var missing = new List<string>();
        var invalid = new List<string>();
        if (scenario is null)
        {
            missing.Add("scenario");
        }
        foreach (var field in scenario?.RequiredFields ?? [])
        {
            var value = field switch
            {
                CallerName => input.Caller?.Name,
                CallerPhone => input.Caller?.Phone,
                CallerEmail => input.Caller?.Email,
                _ => input.Fields?.GetValueOrDefault(field),
            };
            if (string.IsNullOrWhiteSpace(value))
            {
                missing.Add(field);
            }
            else if (field == CallerPhone && phone is null)
            {
                invalid.Add(field);
            }
            else if (field == CallerEmail && !(MailAddress.TryCreate(value, out var address) && address.Address == value))
            {
                invalid.Add(field);
            }
        }
        // A caller phone given but unusable is flagged even when the scenario does not require it.
        if (phone is null && !string.IsNullOrWhiteSpace(input.Caller?.Phone) && !invalid.Contains(CallerPhone))
        {
            invalid.Add(CallerPhone);
        }
        var complete = scenario is not null && missing.Count == 0 && invalid.Count == 0;
        return new Result(priority, new Qualification(complete, missing, invalid), phone);
    }

    /// <summary>Case- and accent-insensitive form: "Douleur THORACIQUE" and "douleur thoracique" match.</summary>
    public static string Fold(string value)
    {
        var decomposed = value.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        var lastWasSpace = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                }
                lastWasSpace = true;
                continue;
            }
            lastWasSpace = false;
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString().Normalize(NormalizationForm.FormC);
    }
}
