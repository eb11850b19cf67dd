using System.Diagnostics;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// Real time that starts at a chosen instant: delays and timers run as the system's, so a Storage queue's
/// visibility delays and the workers' waits agree with it, while the date is one the test picked (a Tuesday
/// evening in Paris, whatever day the suite runs).
/// </summary>
public sealed class ShiftedTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();

    public override DateTimeOffset GetUtcNow() => start + _elapsed.Elapsed;
}
