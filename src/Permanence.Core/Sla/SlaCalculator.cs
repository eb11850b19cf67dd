using System.Globalization;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;

namespace Permanence.Core.Sla;

/// <summary>
/// Computes one month's SLA report in one pass over calls and messages (docs/architecture.md, "SLA calculator"). Memory depends on
/// the number of bands, days, scenarios and distinct pickup delays, never on the number of calls.
/// </summary>
/// <remarks>
/// Targets: those of the last version in force during the month (the one in force at its end). A target changed
/// mid-month is therefore judged on the whole month with its final value; bands, by contrast, are each call's
/// band under the version in force at its own start.
/// Pickup delays are kept to the millisecond in the histograms, so percentiles, means and the service-level
/// threshold are exact; figures are reported in seconds with their millisecond fraction.
/// </remarks>
public static class SlaCalculator
{
    // Lower edges of the pickup-delay buckets, in seconds; the last bucket is open.
    private static readonly int[] PickupEdges = [0, 10, 20, 30, 45, 60, 120];

    /// <summary>Over stored messages and delivery histories already in memory (tests, small months).</summary>
    public static SlaReport Calculate(
        ContractHistory history,
        YearMonth month,
        IEnumerable<CallRecord> calls,
        IEnumerable<Message> messages,
        Func<string, MessageDeliveries> deliveries)
    {
        // The same pass as CalculateAsync without async enumerators, whose per-item cost would dominate the loop.
        var pass = new MonthPass(history, month);
        foreach (var call in calls)
        {
            pass.AddCall(call);
        }
        foreach (var m in messages)
        {
            var message = new MessageIndexEntry(m.Id, m.TakenAt, m.Priority, m.Scenario, m.Qualification.Complete);
            if (pass.AddMessage(message) is { } band)
            {
                pass.AddTransmission(band, message, deliveries(message.Id));
            }
        }
        return pass.Report();
    }

    /// <summary>Over streams read from storage: one pass, nothing of the month held but counters.</summary>
    public static async ValueTask<SlaReport> CalculateAsync(
        ContractHistory history,
        YearMonth month,
        IAsyncEnumerable<CallRecord> calls,
        IAsyncEnumerable<MessageIndexEntry> messages,
        Func<string, Task<MessageDeliveries>> deliveries,
        CancellationToken cancellationToken)
    {
        var pass = new MonthPass(history, month);
        await foreach (var call in calls.WithCancellation(cancellationToken))
        {
            pass.AddCall(call);
        }
        await foreach (var message in messages.WithCancellation(cancellationToken))
        {
            if (pass.AddMessage(message) is { } band)
            {
                pass.AddTransmission(band, message, await deliveries(message.Id));
            }
        }
        return pass.Report();
    }

    /// <summary>
    /// One month's counters. Per call: the version in force (start instants computed once), the local time in the
    /// month's zone through <see cref="LocalClock"/>, the band from a <see cref="MonthBandResolver{T}"/> of that
    /// version's calendar (reusing that local time when the zones are the same), and counts into arrays.
    /// </summary>
    private sealed class MonthPass
    {
        // Local days tabulated before and after the month: another version's zone can put an instant of the month
        // up to a day and more on either side; beyond, the resolvers fall back to BandAt.
        private const int Margin = 2;

        private readonly YearMonth _month;
        private readonly Instant _start, _end;
        private readonly ContractVersion _inForce;
        private readonly SlaConfiguration? _sla;
        private readonly long _shortAbandonMs;
        private readonly Dictionary<string, SlaTarget> _targets;
        private readonly Dictionary<string, BandAccumulator> _bands = [];
        private readonly ContractVersion[] _versions;
        private readonly Instant[] _startsAt;
        private readonly MonthBandResolver<BandAccumulator>?[] _resolvers; // [0]: before the first version
        private readonly LocalClock _clock;
        private readonly int _daysInMonth;
        private readonly int[] _days; // per day of the month, a count per CallKind
        private readonly Dictionary<Priority, int> _byPriority = [];
        private readonly Dictionary<string, int> _byScenario = new(StringComparer.Ordinal);
        private int _total, _incomplete;

        public MonthPass(ContractHistory history, YearMonth month)
        {
            _month = month;
            (_start, _end, var last) = history.MonthBounds(month);
            var zone = last.Zone;
            _inForce = history.VersionsDuring(_start, _end).LastOrDefault() ?? last;
            _sla = _inForce.Configuration.Sla;
            _shortAbandonMs = (long)(_sla?.ShortAbandonSeconds ?? 0) * 1000;
            _targets = (_sla?.Targets ?? []).Where(t => t.Band is not null).GroupBy(t => t.Band!).ToDictionary(g => g.Key, g => g.Last());

            foreach (var name in _inForce.Calendar.Bands.Select(b => b.Name).Append(_inForce.Calendar.OtherBand).Concat(_targets.Keys))
            {
                if (!_bands.ContainsKey(name))
                {
                    _bands[name] = NewBand(name);
                }
            }
            _versions = [.. history.Versions];
            _startsAt = [.. _versions.Select(v => v.StartsAt)];
            _resolvers = new MonthBandResolver<BandAccumulator>?[_versions.Length + 1];
            _daysInMonth = month.Calendar.GetDaysInMonth(month.Year, month.Month);
            _clock = new LocalClock(zone, month.OnDayOfMonth(1).PlusDays(-Margin), _start, _end);
            _days = new int[_daysInMonth * KindCount];
        }

        public void AddCall(CallRecord call)
        {
            if (call.Direction != CallDirections.Inbound || call.StartedAt is not { } started || started < _start || started >= _end)
            {
                return;
            }
            var resolver = ResolverAt(started);
            var local = _clock.LocalNanos(started);
            var band = ReferenceEquals(resolver.Clock, _clock) ? resolver.AtLocal(local, started) : resolver.At(started);
            var kind = Classify(call, started, _shortAbandonMs);
            band.AddCall(kind);
            if (call.AnsweredAt is { } answered)
            {
                band.Pickups.Add((answered - started).BclCompatibleTicks / NodaConstants.TicksPerMillisecond);
            }
            var day = (int)(local / NodaConstants.NanosecondsPerDay) - Margin;
            _days[day * KindCount + (int)kind]++;
        }

        /// <summary>Counts a message; returns its band when its transmission is to be judged (deliveries needed).</summary>
        public BandAccumulator? AddMessage(MessageIndexEntry message)
        {
            if (message.TakenAt < _start || message.TakenAt >= _end)
            {
                return null;
            }
            _total++;
            if (!message.Complete)
            {
                _incomplete++;
            }
            _byPriority[message.Priority] = _byPriority.GetValueOrDefault(message.Priority) + 1;
            _byScenario[message.Scenario] = _byScenario.GetValueOrDefault(message.Scenario) + 1;
            var band = ResolverAt(message.TakenAt).At(message.TakenAt);
            band.Messages++;
            return band.TransmissionLimit is null ? null : band;
        }

        public void AddTransmission(BandAccumulator band, MessageIndexEntry message, MessageDeliveries deliveries)
        {
            if (FirstDelivery(deliveries) is { } delivered && delivered - message.TakenAt <= band.TransmissionLimit!.Value)
            {
                band.TransmittedInTime++;
            }
        }

        public SlaReport Report()
        {
            var sla = _sla;
            var targets = _targets;
            var bands = _bands;
            var overall = new BandAccumulator("overall", null);
            foreach (var band in bands.Values)
            {
                overall.Merge(band);
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
            var total = _total;
            decimal? qualificationErrorRate = total == 0 ? null : (decimal)_incomplete / total;
            if (Dec(sla?.MaxQualificationErrorRate) is { } maxErrors)
            {
                bool? met = qualificationErrorRate is { } rate ? rate <= maxErrors : null;
                compliance.Add(Line(SlaIndicators.QualificationErrorRate, null, maxErrors, qualificationErrorRate, met, perPoint));
            }

            var uncapped = compliance.Sum(c => c.PenaltyEuros);
            var cap = sla?.Penalties?.CapEuros;
            var penaltyTotal = cap is { } c && uncapped > c ? c : uncapped;

            var byPriority = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var (priority, count) in _byPriority)
            {
                byPriority[priority.ToWire()] = byPriority.GetValueOrDefault(priority.ToWire()) + count;
            }
            var byScenario = new SortedDictionary<string, int>(_byScenario, StringComparer.Ordinal);
            var days = Enumerable.Range(0, _daysInMonth).Select(d => (Date: Date(_month.OnDayOfMonth(d + 1)), Kinds: _days.AsSpan(d * KindCount, KindCount).ToArray())).ToList();
            var pickupBuckets = new int[PickupEdges.Length];
            overall.Pickups.ForEach((ms, count) => pickupBuckets[PickupBucket(ms)] += count);

            var overallFigures = overall.Figures(null);
            return new SlaReport
            {
                ClientId = _inForce.ClientId,
                Period = SlaPeriod.Format(_month),
                Calls = new CallCounts(overall.Inbound, overall.Answered, overall.Abandoned, overall.ShortAbandoned, overall.Missed, overall.Offered),
                Bands = bandFigures,
                Overall = overallFigures,
                Messages = new MessageFigures(total, _incomplete, qualificationErrorRate, byPriority, byScenario),
                VolumeRevision = new VolumeRevisionFigures(applied, revision?.ForecastMonthlyCalls, tolerance, relax, threshold),
                Compliance = compliance,
                Penalties = new PenaltyFigures(penaltyTotal, uncapped, perPoint, cap, penaltyTotal != uncapped),
                VolumesByDay = days.Select(d => Share(d.Date, d.Kinds.Sum(), overall.Inbound)).ToList(),
                Days = days.Select(d => new DayFigures(d.Date, d.Kinds.Sum(), d.Kinds[(int)CallKind.Answered], d.Kinds[(int)CallKind.Abandoned],
                    d.Kinds[(int)CallKind.ShortAbandoned], d.Kinds[(int)CallKind.Missed])).ToList(),
                PickupDelays = PickupEdges
                    .Select((from, i) => new PickupDelayBucket(from, i + 1 < PickupEdges.Length ? PickupEdges[i + 1] : null, pickupBuckets[i]))
                    .ToList(),
                VolumesByBand = bandFigures.Select(b => Share(b.Band, b.Inbound, overall.Inbound)).ToList(),
                VolumesByScenario = byScenario.Select(s => Share(s.Key, s.Value, total)).ToList(),
            };
        }

        private MonthBandResolver<BandAccumulator> ResolverAt(Instant instant)
        {
            // As ContractHistory.VersionAt (the last version started by then), on start instants computed once.
            var index = -1;
            for (var i = 0; i < _startsAt.Length; i++)
            {
                if (_startsAt[i] <= instant)
                {
                    index = i;
                }
            }
            return _resolvers[index + 1] ??= NewResolver(index < 0 ? _inForce : _versions[index]);
        }

        private MonthBandResolver<BandAccumulator> NewResolver(ContractVersion version)
        {
            var calendar = version.Calendar;
            var clock = ReferenceEquals(calendar.Zone, _clock.Zone) ? _clock : new LocalClock(calendar.Zone, _clock.Origin, _start, _end);
            return new MonthBandResolver<BandAccumulator>(calendar, clock, _daysInMonth + 2 * Margin, Band);
        }

        private BandAccumulator Band(string name)
        {
            if (!_bands.TryGetValue(name, out var band))
            {
                // A band of an earlier version of the month, absent from the last one.
                band = NewBand(name);
                _bands[name] = band;
            }
            return band;
        }

        private BandAccumulator NewBand(string name) =>
            new(name, _targets.TryGetValue(name, out var target) && target.TransmissionMinutes is { } minutes ? Duration.FromMinutes(minutes) : null);
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
        int? firstRan = null;
        foreach (var s in deliveries.Steps)
        {
            if (s.Status == StepStatus.Ran && s.Step != RoutingService.FallbackStep && (firstRan is null || s.Step < firstRan))
            {
                firstRan = s.Step;
            }
        }
        if (firstRan is not { } step)
        {
            return null;
        }
        Instant? first = null;
        foreach (var a in deliveries.Attempts)
        {
            if (a.Step == step && a.Status == DeliveryStatus.Sent && a.SentAt is { } sent && (first is null || sent < first))
            {
                first = sent;
            }
        }
        return first;
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

    private const int KindCount = 4;

    private sealed class BandAccumulator(string name, Duration? transmissionLimit)
    {
        public string Name { get; } = name;

        /// <summary>The band's transmission target, when it has one: its messages' deliveries are then needed.</summary>
        public Duration? TransmissionLimit { get; } = transmissionLimit;

        public int Inbound { get; private set; }
        public int Answered { get; private set; }
        public int Abandoned { get; private set; }
        public int ShortAbandoned { get; private set; }
        public int Missed { get; private set; }
        public int Offered => Inbound - ShortAbandoned;
        public int Messages { get; set; }
        public int TransmittedInTime { get; set; }
        public PickupHistogram Pickups { get; } = new();

        public void AddCall(CallKind kind)
        {
            Inbound++;
            switch (kind)
            {
                case CallKind.Answered: Answered++; break;
                case CallKind.Abandoned: Abandoned++; break;
                case CallKind.ShortAbandoned: ShortAbandoned++; break;
                default: Missed++; break;
            }
        }

        /// <summary>Adds another band's calls (the overall figures are the sum of the bands'); messages are not overall figures.</summary>
        public void Merge(BandAccumulator other)
        {
            Inbound += other.Inbound;
            Answered += other.Answered;
            Abandoned += other.Abandoned;
            ShortAbandoned += other.ShortAbandoned;
            Missed += other.Missed;
            Pickups.Merge(other.Pickups);
        }

        public BandFigures Figures(SlaTarget? target)
        {
            var answeredCount = Pickups.Count;
            decimal? serviceLevel = null;
            if (target?.ServiceLevelSeconds is { } seconds && Offered > 0)
            {
                serviceLevel = (decimal)Pickups.CountAtMost(seconds * 1000L) / Offered;
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
                AsaSeconds = answeredCount == 0 ? null : Pickups.SumMs / 1000m / answeredCount,
                P90PickupSeconds = Pickups.NearestRank(0.9m) is { } ms ? ms / 1000m : null,
                ServiceLevel = serviceLevel,
                TransmissionRate = target?.TransmissionMinutes is not null && Messages > 0 ? (decimal)TransmittedInTime / Messages : null,
            };
        }
    }

    /// <summary>
    /// Pickup delay in milliseconds → number of calls, exact: an array indexed by the delay for the usual range (grown
    /// on demand up to <see cref="MaxDense"/> ms, about 8.7 min) and a dictionary for the rest (negative delays from
    /// skewed clocks, very long ones). Memory is bounded by the range of delays, never by the number of calls.
    /// </summary>
    private sealed class PickupHistogram
    {
        private const int MaxDense = 1 << 19;
        private int[] _dense = new int[1024];
        private Dictionary<long, int>? _sparse;

        public int Count { get; private set; }
        public long SumMs { get; private set; }

        public void Add(long ms)
        {
            Count++;
            SumMs += ms;
            if ((ulong)ms < (ulong)_dense.Length)
            {
                _dense[ms]++;
            }
            else
            {
                AddOutside(ms, 1);
            }
        }

        public void Merge(PickupHistogram other)
        {
            Count += other.Count;
            SumMs += other.SumMs;
            if (other._dense.Length > _dense.Length)
            {
                Array.Resize(ref _dense, other._dense.Length);
            }
            for (var i = 0; i < other._dense.Length; i++)
            {
                _dense[i] += other._dense[i];
            }
            foreach (var (ms, count) in other._sparse ?? [])
            {
                AddOutside(ms, count);
            }
        }

        /// <summary>Each delay with its count, in increasing order of delay.</summary>
        public void ForEach(Action<long, int> action)
        {
            var sparse = Sparse();
            var next = 0;
            for (; next < sparse.Length && sparse[next].Key < 0; next++)
            {
                action(sparse[next].Key, sparse[next].Value);
            }
            for (var ms = 0; ms < _dense.Length; ms++)
            {
                if (_dense[ms] != 0)
                {
                    action(ms, _dense[ms]);
                }
            }
            for (; next < sparse.Length; next++)
            {
                action(sparse[next].Key, sparse[next].Value);
            }
        }

        public int CountAtMost(long limitMs)
        {
            var count = 0;
            ForEach((ms, n) => count += ms <= limitMs ? n : 0);
            return count;
        }

        /// <summary>The ⌈p·n⌉-th smallest delay (nearest rank), in milliseconds.</summary>
        public long? NearestRank(decimal p)
        {
            if (Count == 0)
            {
                return null;
            }
            var rank = (int)Math.Ceiling(p * Count);
            long seen = 0;
            long? found = null, largest = null;
            ForEach((ms, n) =>
            {
                seen += n;
                largest = ms;
                if (found is null && seen >= rank)
                {
                    found = ms;
                }
            });
            return found ?? largest;
        }

        private void AddOutside(long ms, int count)
        {
            if (ms is >= 0 and < MaxDense)
            {
                var size = _dense.Length;
                while (size <= ms)
                {
                    size *= 2;
                }
                Array.Resize(ref _dense, size);
                _dense[ms] += count;
                return;
            }
            _sparse ??= [];
            _sparse[ms] = _sparse.GetValueOrDefault(ms) + count;
        }

        private KeyValuePair<long, int>[] Sparse() => _sparse is null ? [] : [.. _sparse.OrderBy(p => p.Key)];
    }
}
