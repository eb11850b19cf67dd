namespace Permanence.Core.Routing;

/// <summary>Port: the steps and delivery attempts of each message, written intent first, result after.</summary>
public interface IDeliveryStore
{
    Task<StepRecord?> GetStepAsync(string messageId, int step, CancellationToken cancellationToken);

    /// <summary>Writes the step if no one did; returns the stored step (this one, or the one written first) and whether this call wrote it.</summary>
    Task<(StepRecord Step, bool Added)> AddStepAsync(StepRecord step, CancellationToken cancellationToken);

    Task MarkNextScheduledAsync(StepRecord step, CancellationToken cancellationToken);

    Task<IReadOnlyList<StepRecord>> ListStepsAsync(string messageId, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeliveryAttempt>> ListAttemptsAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Writes the intent of an attempt; false when that attempt already exists (another consumer has it).</summary>
    Task<bool> TryAddAttemptAsync(DeliveryAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Records the result of an attempt whose intent was written.</summary>
    Task UpdateAttemptAsync(DeliveryAttempt attempt, CancellationToken cancellationToken);
}
