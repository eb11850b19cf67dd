using System.Globalization;
using System.Text.Json.Nodes;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Sla;

namespace Permanence.Core.Tests;

/// <summary>
/// A realistic October 2026 for Althéa, computed by the calculator: business calls Mon 5 – Fri 9 Oct (10 a day:
/// 8 answered in 3, 8, 12, 15, 18, 25, 40, 70 s, one abandoned, one short abandon; plus one missed on Friday), two
/// Saturday calls (5 s, 130 s), one missed call on Sunday (closed), no evening call (its rates are null). Twelve
/// business messages on Mon 5 Oct (rdv ×8, resultats ×3, urgence ×1), one incomplete, ten delivered in 5 minutes.
/// Business answer rate 40/46 = 0.8696 (shown 86,9 %), all four business/overall lines missed: 2550 € capped at 1500 €.
/// </summary>
internal static class SlaSamples
{
    public static readonly YearMonth October = new(2026, 10);

    public static SlaReport Report(Action<JsonObject>? change = null)
    {
        var json = Samples.AltheaJson();
        change?.Invoke(json);
        var history = new ContractHistory([Samples.Compile(json) with { Version = 1 }]);

        var calls = new List<CallRecord>();
        double[] pickups = [3, 8, 12, 15, 18, 25, 40, 70];
        for (var day = 5; day <= 9; day++)
        {
            var at = Instant.FromUtc(2026, 10, day, 8, 0);
            calls.AddRange(pickups.Select((s, i) => Call(at + Duration.FromMinutes(i), s)));
            calls.Add(Call(at + Duration.FromMinutes(20), outcome: CallOutcomes.Abandoned, endAfter: 30));
            calls.Add(Call(at + Duration.FromMinutes(21), outcome: CallOutcomes.Abandoned, endAfter: 2));
        }
        calls.Add(Call(Instant.FromUtc(2026, 10, 9, 9, 0), outcome: CallOutcomes.Missed));
        calls.Add(Call(Instant.FromUtc(2026, 10, 10, 8, 0), 5));
        calls.Add(Call(Instant.FromUtc(2026, 10, 10, 8, 5), 130));
        calls.Add(Call(Instant.FromUtc(2026, 10, 11, 8, 0), outcome: CallOutcomes.Missed));

        var taken = Instant.FromUtc(2026, 10, 5, 8, 0);
        var scenarios = Enumerable.Repeat("rdv", 8).Concat(Enumerable.Repeat("resultats", 3)).Append("urgence").ToList();
        var messages = scenarios.Select((scenario, i) => new Message
        {
            Id = $"m{i}",
            ClientId = "althea",
            Scenario = scenario,
            TakenAt = taken,
            ReceivedAt = taken,
            Priority = scenario switch { "urgence" => Priority.Critical, "resultats" => Priority.Important, _ => Priority.Standard },
            Qualification = new Qualification(i != 0, i != 0 ? [] : ["callerPhone"], []),
            ConfigurationVersion = 1,
            RequestHash = "h",
            SubmittedBy = "op",
        }).ToList();

        return SlaCalculator.Calculate(history, October, calls, messages, id => int.Parse(id[1..], CultureInfo.InvariantCulture) < 10
            ? new MessageDeliveries(
                [new StepRecord { MessageId = id, ClientId = "althea", Step = 0, Status = StepStatus.Ran, Contacts = ["accueil"], StartedAt = taken }],
                [new DeliveryAttempt
                {
                    MessageId = id, ClientId = "althea", Step = 0, ContactId = "accueil", Channel = "email", Attempt = 0,
                    Status = DeliveryStatus.Sent, CreatedAt = taken, SentAt = taken + Duration.FromMinutes(5),
                }])
            : MessageDeliveries.None);
    }

    private static int _callId;

    private static CallRecord Call(Instant start, double? answerAfter = null, string? outcome = null, double? endAfter = null) => new()
    {
        Provider = "test",
        CallId = $"s{Interlocked.Increment(ref _callId)}",
        Direction = CallDirections.Inbound,
        StartedAt = start,
        AnsweredAt = answerAfter is { } a ? start + Duration.FromMilliseconds((long)(a * 1000)) : null,
        EndedAt = endAfter is { } e ? start + Duration.FromMilliseconds((long)(e * 1000)) : null,
        ReportedOutcome = outcome ?? (answerAfter is null ? CallOutcomes.Missed : CallOutcomes.Answered),
    };

    /// <summary>Renames a band in the calendar and in its target, as a client's configuration could.</summary>
    public static void RenameBand(JsonObject json, string from, string to)
    {
        foreach (var band in json["calendar"]!["bands"]!.AsArray())
        {
            if ((string?)band!["name"] == from)
            {
                band["name"] = to;
            }
        }
        if ((string?)json["calendar"]!["otherBand"] == from)
        {
            json["calendar"]!["otherBand"] = to;
        }
        foreach (var target in json["sla"]!["targets"]!.AsArray())
        {
            if ((string?)target!["band"] == from)
            {
                target["band"] = to;
            }
        }
    }
}
