using System.Globalization;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Sla;

namespace Permanence.Core.Tests;

/// <summary>
/// The SLA calculator as it was before its fast path (commit 9525069), kept verbatim but for names as the oracle of
/// <see cref="SlaCalculatorEquivalenceTests"/>: straightforward per-call BandAt, InZone and sorted dictionaries.
/// </summary>
/// <remarks>
/// Targets: those of the last version in force during the month (the one in force at its end). A target changed
/// mid-month is therefore judged on the whole month with its final value; bands, by contrast, are each call's
/// band under the version in force at its own start.
/// Pickup delays are kept to the millisecond in the histograms, so percentiles, means and the service-level
/// threshold are exact; figures are reported in seconds with their millisecond fraction.
/// </remarks>
internal static class SlaCalculatorOracle
{
    // Lower edges of the pickup-delay buckets, in seconds; the last bucket is open.
    private static readonly int[] PickupEdges = [0, 10, 20, 30, 45, 60, 120];

    /// <summary>Over stored messages and delivery histories already in memory (tests, small months).</summary>
    public static SlaReport Calculate(
        ContractHistory history,
        YearMonth month,
        IEnumerable<CallRecord> calls,
        IEnumerable<Message> messages,
        Func<string, MessageDeliveries> deliveries) =>
        CalculateAsync(
            history,
            month,
            calls.ToAsyncEnumerable(),
            messages.Select(m => new MessageIndexEntry(m.Id, m.TakenAt, m.Priority, m.Scenario, m.Qualification.Complete)).ToAsyncEnumerable(),
            id => Task.FromResult(deliveries(id)),
            CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>Over streams read from storage: one pass, nothing of the month held but counters.</summary>
    public static async ValueTask<SlaReport> CalculateAsync(
        ContractHistory history,
        YearMonth month,
        IAsyncEnumerable<CallRecord> calls,
        IAsyncEnumerable<MessageIndexEntry> messages,
        Func<string, Task<MessageDeliveries>> deliveries,
        CancellationToken cancellationToken)
    {
        var last = history.Versions.LastOrDefault(v => v.EffectiveFrom <= month.OnDayOfMonth(month.Calendar.GetDaysInMonth(month.Year, month.Month)))
            ?? history.Versions.FirstOrDefault()
            ?? throw new InvalidOperationException("No contract version.");
        // The month is read in the zone of the version in force at its end: a zone change mid-month is not split.
        var zone = last.Zone;
        var start = month.OnDayOfMonth(1).AtStartOfDayInZone(zone).ToInstant();
        var end = month.PlusMonths(1).OnDayOfMonth(1).AtStartOfDayInZone(zone).ToInstant();
        var inForce = history.VersionsDuring(start, end).LastOrDefault() ?? last;
        var sla = inForce.Configuration.Sla;
        var shortAbandonMs = (long)(sla?.ShortAbandonSeconds ?? 0) * 1000;
        var targets = (sla?.Targets ?? []).Where(t => t.Band is not null).GroupBy(t => t.Band!).ToDictionary(g => g.Key, g => g.Last());

        var bands = new Dictionary<string, BandAccumulator>();
        foreach (var name in inForce.Calendar.Bands.Select(b => b.Name).Append(inForce.Calendar.OtherBand).Concat(targets.Keys))
        {
            bands.TryAdd(name, new BandAccumulator(name));
        }
        var overall = new BandAccumulator("overall");
        var days = new SortedDictionary<LocalDate, DayAccumulator>();
        for (var day = month.OnDayOfMonth(1); day.Month == month.Month; day = day.PlusDays(1))
        {
            days[day] = new DayAccumulator();
        }
        var pickupBuckets = new int[PickupEdges.Length];

        await foreach (var call in calls.WithCancellation(cancellationToken))
        {
            if (call.Direction != CallDirections.Inbound || call.StartedAt is not { } started || started < start || started >= end)
            {
                continue;
            }
            var version = history.VersionAt(started) ?? inForce;
            var band = Band(bands, version.Calendar.BandAt(started));
            var kind = Classify(call, started, shortAbandonMs);
            long? pickupMs = call.AnsweredAt is { } answered ? (answered - started).BclCompatibleTicks / NodaConstants.TicksPerMillisecond : null;
            band.AddCall(kind, pickupMs);
            overall.AddCall(kind, pickupMs);
            days[started.InZone(zone).Date].Add(kind);
            if (pickupMs is { } delay)
            {
                pickupBuckets[PickupBucket(delay)]++;
            }
        }

        var byPriority = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byScenario = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int total = 0, incomplete = 0;
        await foreach (var message in messages.WithCancellation(cancellationToken))
        {
            if (message.TakenAt < start || message.TakenAt >= end)
            {
                continue;
            }
            total++;
            if (!message.Complete)
            {
                incomplete++;
            }
            Increment(byPriority, message.Priority.ToWire());
            Increment(byScenario, message.Scenario);
            var version = history.VersionAt(message.TakenAt) ?? inForce;
            var band = Band(bands, version.Calendar.BandAt(message.TakenAt));
            band.Messages++;
            if (targets.TryGetValue(band.Name, out var target) && target.TransmissionMinutes is { } minutes
                && FirstDelivery(await deliveries(message.Id)) is { } delivered
                && delivered - message.TakenAt <= Duration.FromMinutes(minutes))
            {
                band.TransmittedInTime++;
            }
        }

        // Volume revision (docs/architecture.md, "SLA calculator"): decimals so that configured fractions compare exactly.
        var revision = sla?.VolumeRevision;
        decimal? tolerance = Dec(revision?.Tolerance), relax = Dec(revision?.RelaxPoints);
        decimal? threshold = revision?.ForecastMonthlyCalls is { } forecast ? forecast * (1 + (tolerance ?? 0)) : null;
        var applied = threshold is { } limit && overall.Inbound > limit;
        var lowering = applied ? relax ?? 0 : 0;

        var bandFigures = bands.Values.Select(b => b.Figures(targets.GetValueOrDefault(b.Name))).ToList();
        var compliance = new List<ComplianceLine>();
        var perPoint = sla?.Penalties?.PerPointEuros;
        foreach (var figures in bandFigures)
        {
            if (!targets.TryGetValue(figures.Band, out var target))
            {
                continue;
            }
            if (Dec(target.AnswerRate) is { } answerRate)
            {
                compliance.Add(AtLeast(SlaIndicators.AnswerRate, figures.Band, answerRate - lowering, figures.AnswerRate, perPoint));
            }
            if (Dec(target.ServiceLevel) is { } serviceLevel)
            {
                compliance.Add(AtLeast(SlaIndicators.ServiceLevel, figures.Band, serviceLevel - lowering, figures.ServiceLevel, perPoint));
            }
            if (Dec(target.TransmissionRate) is { } transmissionRate)
            {
                compliance.Add(AtLeast(SlaIndicators.TransmissionRate, figures.Band, transmissionRate, figures.TransmissionRate, perPoint));
            }
        }
        decimal? qualificationErrorRate = total == 0 ? null : (decimal)incomplete / total;
        if (Dec(sla?.MaxQualificationErrorRate) is { } maxErrors)
        {
            bool? met = qualificationErrorRate is { } rate ? rate <= maxErrors : null;
            compliance.Add(Line(SlaIndicators.QualificationErrorRate, null, maxErrors, qualificationErrorRate, met, perPoint));
        }

        var uncapped = compliance.Sum(c => c.PenaltyEuros);
        var cap = sla?.Penalties?.CapEuros;
        var penaltyTotal = cap is { } c && uncapped > c ? c : uncapped;

        var overallFigures = overall.Figures(null);
        return new SlaReport
        {
            ClientId = inForce.ClientId,
            Period = $"{month.Year:D4}-{month.Month:D2}",
            Calls = new CallCounts(overall.Inbound, overall.Answered, overall.Abandoned, overall.ShortAbandoned, overall.Missed, overall.Offered),
            Bands = bandFigures,
            Overall = overallFigures,
            Messages = new MessageFigures(total, incomplete, qualificationErrorRate, byPriority, byScenario),
            VolumeRevision = new VolumeRevisionFigures(applied, revision?.ForecastMonthlyCalls, tolerance, relax, threshold),
            Compliance = compliance,
            Penalties = new PenaltyFigures(penaltyTotal, uncapped, perPoint, cap, penaltyTotal != uncapped),
            VolumesByDay = days.Select(d => Share(Date(d.Key), d.Value.Inbound, overall.Inbound)).ToList(),
            Days = days.Select(d => d.Value.Figures(Date(d.Key))).ToList(),
            PickupDelays = PickupEdges
                .Select((from, i) => new PickupDelayBucket(from, i + 1 < PickupEdges.Length ? PickupEdges[i + 1] : null, pickupBuckets[i]))
                .ToList(),
            VolumesByBand = bandFigures.Select(b => Share(b.Band, b.Inbound, overall.Inbound)).ToList(),
            VolumesByScenario = byScenario.Select(s => Share(s.Key, s.Value, total)).ToList(),
        };
    }

    /// <summary>
    /// A configured double as the decimal it was written as (its shortest round-trip text), so that 0.07 − 0.05 is
    /// exactly 0.02; a binary conversion would carry the double's representation error.
    /// </summary>
    public static decimal? Dec(double? value) => value is { } v
        ? decimal.Parse(v.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture)
        : null;

    /// <summary>
    /// When the first step that ran was first delivered: the earliest sent attempt of the lowest step with status
    /// "ran". The fallback email (step 99) is not a delivery to the client's contacts.
    /// </summary>
    public static Instant? FirstDelivery(MessageDeliveries deliveries)
    {
        var firstRan = deliveries.Steps
            .Where(s => s.Status == StepStatus.Ran && s.Step != RoutingService.FallbackStep)
            .Select(s => (int?)s.Step)
            .Min();
        if (firstRan is not { } step)
        {
            return null;
        }
        return deliveries.Attempts
            .Where(a => a.Step == step && a.Status == DeliveryStatus.Sent && a.SentAt is not null)
            .Select(a => a.SentAt)
            .Min();
    }

    private static ComplianceLine AtLeast(string indicator, string band, decimal target, decimal? actual, decimal? perPoint) =>
        Line(indicator, band, target, actual, actual is { } a ? a >= target : null, perPoint);

    private static ComplianceLine Line(string indicator, string? band, decimal target, decimal? actual, bool? met, decimal? perPoint)
    {
        var points = met == false ? (int)Math.Ceiling(Math.Abs(target - actual!.Value) * 100) : 0;
        return new ComplianceLine(indicator, band, target, actual, met, points, points * (perPoint ?? 0));
    }

    private static string Date(LocalDate day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// The bucket whose lower edge is the highest not above the delay (compared in milliseconds, so 9.999 s is in
    /// 0–10 and 10 s in 10–20). A negative delay (answer stamped before the start by another clock) goes to the first
    /// bucket, so the buckets always add up to the answered calls.
    /// </summary>
    private static int PickupBucket(long delayMs)
    {
        var bucket = 0;
        while (bucket + 1 < PickupEdges.Length && delayMs >= PickupEdges[bucket + 1] * 1000L)
        {
            bucket++;
        }
        return bucket;
    }

    private static VolumeShare Share(string key, int count, int whole) =>
        new(key, count, whole == 0 ? null : (decimal)count / whole);

    private static void Increment(SortedDictionary<string, int> counts, string key) =>
        counts[key] = counts.GetValueOrDefault(key) + 1;

    private static BandAccumulator Band(Dictionary<string, BandAccumulator> bands, string name)
    {
        if (!bands.TryGetValue(name, out var band))
        {
            // A band of an earlier version of the month, absent from the last one.
            band = new BandAccumulator(name);
            bands[name] = band;
        }
        return band;
    }

    private static CallKind Classify(CallRecord call, Instant started, long shortAbandonMs)
    {
        if (call.AnsweredAt is not null)
        {
            return CallKind.Answered;
        }
        if (call.Outcome != CallOutcomes.Abandoned)
        {
            return CallKind.Missed;
        }
        // Without an end, the call's length is unknown: it is not shown to be short.
        return call.EndedAt is { } ended && (ended - started).BclCompatibleTicks < shortAbandonMs * NodaConstants.TicksPerMillisecond
            ? CallKind.ShortAbandoned
            : CallKind.Abandoned;
    }

    private enum CallKind { Answered, Abandoned, ShortAbandoned, Missed }

    private sealed class DayAccumulator
    {
        private int _answered, _abandoned, _shortAbandoned, _missed;

        public int Inbound => _answered + _abandoned + _shortAbandoned + _missed;

        public void Add(CallKind kind)
        {
            switch (kind)
            {
                case CallKind.Answered: _answered++; break;
                case CallKind.Abandoned: _abandoned++; break;
                case CallKind.ShortAbandoned: _shortAbandoned++; break;
                default: _missed++; break;
            }
        }

        public DayFigures Figures(string date) => new(date, Inbound, _answered, _abandoned, _shortAbandoned, _missed);
    }

    private sealed class BandAccumulator(string name)
    {
        public string Name { get; } = name;
        public int Inbound { get; private set; }
        public int Answered { get; private set; }
        public int Abandoned { get; private set; }
        public int ShortAbandoned { get; private set; }
        public int Missed { get; private set; }
        public int Offered => Inbound - ShortAbandoned;
        public int Messages { get; set; }
        public int TransmittedInTime { get; set; }

        // Pickup delay in milliseconds → number of calls: bounded by distinct delays, not by calls.
        private readonly SortedDictionary<long, int> _pickups = [];
        private long _pickupSumMs;

        public void AddCall(CallKind kind, long? pickupMs)
        {
            Inbound++;
            switch (kind)
            {
                case CallKind.Answered: Answered++; break;
                case CallKind.Abandoned: Abandoned++; break;
                case CallKind.ShortAbandoned: ShortAbandoned++; break;
                default: Missed++; break;
            }
            if (pickupMs is { } ms)
            {
                _pickups[ms] = _pickups.GetValueOrDefault(ms) + 1;
                _pickupSumMs += ms;
            }
        }

        public BandFigures Figures(SlaTarget? target)
        {
            var answeredCount = _pickups.Values.Sum();
            decimal? serviceLevel = null;
            if (target?.ServiceLevelSeconds is { } seconds && Offered > 0)
            {
                var within = _pickups.Where(p => p.Key <= seconds * 1000L).Sum(p => p.Value);
                serviceLevel = (decimal)within / Offered;
            }
            return new BandFigures
            {
                Band = Name,
                Inbound = Inbound,
                Answered = Answered,
                Abandoned = Abandoned,
                ShortAbandoned = ShortAbandoned,
                Missed = Missed,
                Offered = Offered,
                AnswerRate = Offered == 0 ? null : (decimal)Answered / Offered,
                AsaSeconds = answeredCount == 0 ? null : _pickupSumMs / 1000m / answeredCount,
                P90PickupSeconds = NearestRank(answeredCount, 0.9m) is { } ms ? ms / 1000m : null,
                ServiceLevel = serviceLevel,
                TransmissionRate = target?.TransmissionMinutes is not null && Messages > 0 ? (decimal)TransmittedInTime / Messages : null,
            };
        }

        /// <summary>The ⌈p·n⌉-th smallest delay (nearest rank), in milliseconds.</summary>
        private long? NearestRank(int count, decimal p)
        {
            if (count == 0)
            {
                return null;
            }
            var rank = (int)Math.Ceiling(p * count);
            var seen = 0;
            foreach (var (ms, n) in _pickups)
            {
                seen += n;
                if (seen >= rank)
                {
                    return ms;
                }
            }
            return _pickups.Keys.Last();
        }
    }
}
