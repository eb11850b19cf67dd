using NodaTime;

namespace Permanence.Core.Sla;

/// <summary>The monthly SLA figures of one client (docs/architecture.md, "SLA calculator"); rates are fractions, null when nothing to divide.</summary>
public sealed record SlaReport
{
    public required string ClientId { get; init; }
    public required string Period { get; init; }

    /// <summary>Set by the caller (the monthly job) once the month is closed; the calculator never sets it.</summary>
    public bool Final { get; init; }

    public required CallCounts Calls { get; init; }
    public required IReadOnlyList<BandFigures> Bands { get; init; }
    public required BandFigures Overall { get; init; }
    public required MessageFigures Messages { get; init; }
    public required VolumeRevisionFigures VolumeRevision { get; init; }
    public required IReadOnlyList<ComplianceLine> Compliance { get; init; }
    public required PenaltyFigures Penalties { get; init; }
    public required IReadOnlyList<VolumeShare> VolumesByDay { get; init; }

    /// <summary>One entry per local day of the month, in order, with the same outcomes as <see cref="Calls"/>.</summary>
    public required IReadOnlyList<DayFigures> Days { get; init; }

    /// <summary>Pickup delays of the month's answered calls, in fixed buckets (0, 10, 20, 30, 45, 60, 120 s, open).</summary>
    public required IReadOnlyList<PickupDelayBucket> PickupDelays { get; init; }
    public required IReadOnlyList<VolumeShare> VolumesByBand { get; init; }
    public required IReadOnlyList<VolumeShare> VolumesByScenario { get; init; }
}

public sealed record CallCounts(int Inbound, int Answered, int Abandoned, int ShortAbandoned, int Missed, int Offered);

public sealed record BandFigures
{
    public required string Band { get; init; }
    public int Inbound { get; init; }
    public int Answered { get; init; }
    public int Abandoned { get; init; }
    public int ShortAbandoned { get; init; }
    public int Missed { get; init; }
    public int Offered { get; init; }
    public decimal? AnswerRate { get; init; }
    public decimal? AsaSeconds { get; init; }
    public decimal? P90PickupSeconds { get; init; }
    public decimal? ServiceLevel { get; init; }
    public decimal? TransmissionRate { get; init; }
}

public sealed record MessageFigures(
    int Total,
    int Incomplete,
    decimal? QualificationErrorRate,
    IReadOnlyDictionary<string, int> ByPriority,
    IReadOnlyDictionary<string, int> ByScenario);

public sealed record VolumeRevisionFigures(bool Applied, int? ForecastMonthlyCalls, decimal? Tolerance, decimal? RelaxPoints, decimal? Threshold);

public static class SlaIndicators
{
    public const string AnswerRate = "answerRate";
    public const string ServiceLevel = "serviceLevel";
    public const string TransmissionRate = "transmissionRate";
    public const string QualificationErrorRate = "qualificationErrorRate";
}

/// <summary>One target judged; <see cref="Band"/> is null for the overall qualificationErrorRate.</summary>
public sealed record ComplianceLine(string Indicator, string? Band, decimal Target, decimal? Actual, bool? Met, int PenaltyPoints, decimal PenaltyEuros);

public sealed record PenaltyFigures(decimal Total, decimal Uncapped, decimal? PerPointEuros, decimal? CapEuros, bool Capped);

/// <summary>One local day's inbound calls; <see cref="Date"/> is yyyy-MM-dd.</summary>
public sealed record DayFigures(string Date, int Inbound, int Answered, int Abandoned, int ShortAbandoned, int Missed);

/// <summary>Answered calls picked up after FromSeconds or more and less than ToSeconds (null: no upper edge).</summary>
public sealed record PickupDelayBucket(int FromSeconds, int? ToSeconds, int Count);

/// <summary>A count and its share of the whole (null when the whole is 0).</summary>
public sealed record VolumeShare(string Key, int Count, decimal? Share);

/// <summary>What routing recorded for one message: its steps and its delivery attempts.</summary>
public sealed record MessageDeliveries(IReadOnlyList<Routing.StepRecord> Steps, IReadOnlyList<Routing.DeliveryAttempt> Attempts)
{
    public static readonly MessageDeliveries None = new([], []);
}

internal static class SlaPeriod
{
    public static string Format(YearMonth month) => $"{month.Year:D4}-{month.Month:D2}";
}
