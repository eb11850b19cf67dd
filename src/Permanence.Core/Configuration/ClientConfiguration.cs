namespace Permanence.Core.Configuration;

// The contract configuration ("annexes") as PUT by admins, README, "Client configuration". Every member is nullable so that
// a document with missing or wrong parts still reaches the validator, which lists every problem at once.

public sealed record ClientConfiguration
{
    public string? Name { get; init; }
    public string? TimeZone { get; init; }
    public string? Locale { get; init; }
    public string? EffectiveFrom { get; init; }
    public List<string>? Numbers { get; init; }
    public CalendarConfiguration? Calendar { get; init; }
    public List<ContactConfiguration>? Contacts { get; init; }
    public List<OnCallEntry>? OnCall { get; init; }
    public List<OnCallOverride>? OnCallOverrides { get; init; }
    public List<ScenarioConfiguration>? Scenarios { get; init; }
    public List<KeywordRule>? Keywords { get; init; }
    public EscalationConfiguration? Escalation { get; init; }
    public SlaConfiguration? Sla { get; init; }
    public List<string>? ReportRecipients { get; init; }
    public RetentionConfiguration? Retention { get; init; }
}

public sealed record CalendarConfiguration
{
    public string? Holidays { get; init; }
    public List<ClosureConfiguration>? Closures { get; init; }
    public List<BandConfiguration>? Bands { get; init; }
    public string? OtherBand { get; init; }
}

public sealed record ClosureConfiguration
{
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Label { get; init; }
}

public sealed record BandConfiguration
{
    public string? Name { get; init; }
    public List<string>? Days { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
}

public sealed record ContactConfiguration
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public WebhookConfiguration? Webhook { get; init; }
}

public sealed record WebhookConfiguration
{
    public string? Url { get; init; }
    public string? Secret { get; init; }
}

public sealed record OnCallEntry
{
    public string? Contact { get; init; }
    public List<string>? Days { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
}

/// <summary>A dated on-call swap (local date-times): wins over the weekly rota while it lasts.</summary>
public sealed record OnCallOverride
{
    public string? Contact { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
}

public sealed record ScenarioConfiguration
{
    public string? Id { get; init; }
    public string? Label { get; init; }
    public string? Priority { get; init; }
    public List<string>? RequiredFields { get; init; }
}

public sealed record KeywordRule
{
    public string? Match { get; init; }
    public string? Priority { get; init; }
}

public sealed record EscalationConfiguration
{
    public string? UnknownScenarioPriority { get; init; }
    public EscalationPolicy? Standard { get; init; }
    public EscalationPolicy? Important { get; init; }
    public EscalationPolicy? Critical { get; init; }
}

public sealed record EscalationPolicy
{
    public List<EscalationStep>? Steps { get; init; }
}

public sealed record EscalationStep
{
    public List<string>? Notify { get; init; }
    public List<string>? Channels { get; init; }
    /// <summary>Minutes to wait for an acknowledgement before the next step; decimals allowed (0.05 = 3 s).</summary>
    public decimal? AckWithinMinutes { get; init; }
}

public sealed record SlaConfiguration
{
    public int? ShortAbandonSeconds { get; init; }
    public List<SlaTarget>? Targets { get; init; }
    public double? MaxQualificationErrorRate { get; init; }
    public VolumeRevisionConfiguration? VolumeRevision { get; init; }
    public PenaltyConfiguration? Penalties { get; init; }
}

public sealed record SlaTarget
{
    public string? Band { get; init; }
    public double? AnswerRate { get; init; }
    public int? ServiceLevelSeconds { get; init; }
    public double? ServiceLevel { get; init; }
    public int? TransmissionMinutes { get; init; }
    public double? TransmissionRate { get; init; }
}

public sealed record VolumeRevisionConfiguration
{
    public int? ForecastMonthlyCalls { get; init; }
    public double? Tolerance { get; init; }
    public double? RelaxPoints { get; init; }
}

public sealed record PenaltyConfiguration
{
    public decimal? PerPointEuros { get; init; }
    public decimal? CapEuros { get; init; }
}

public sealed record RetentionConfiguration
{
    public int? Months { get; init; }
}

public static class ClientConfigurationSecrets
{
    public const string SecretMask = "whsec_********";

    /// <summary>Webhook secrets are write-only: an admin can replace them, nobody reads them back (API answers, exports).</summary>
    public static ClientConfiguration WithSecretsMasked(this ClientConfiguration configuration) => configuration with
    {
        Contacts = configuration.Contacts?.Select(c => c.Webhook is null ? c : c with { Webhook = c.Webhook with { Secret = SecretMask } }).ToList(),
    };
}
