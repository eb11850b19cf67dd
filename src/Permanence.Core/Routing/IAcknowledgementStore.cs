using NodaTime;

namespace Permanence.Core.Routing;

/// <summary>Port: acknowledgements, and the SMS reply codes that lead back to a message.</summary>
public interface IAcknowledgementStore
{
    /// <summary>Adds the contact's acknowledgement; false when that contact had already acknowledged.</summary>
    Task<bool> AddAsync(Acknowledgement acknowledgement, CancellationToken cancellationToken);

    Task<IReadOnlyList<Acknowledgement>> ListAsync(string messageId, CancellationToken cancellationToken);

    Task AddReplyCodeAsync(SmsReplyCode code, CancellationToken cancellationToken);

    /// <summary>The messages sent to <paramref name="phone"/> since <paramref name="since"/> with reply code <paramref name="code"/>, most recent first (at most 20).</summary>
    Task<IReadOnlyList<SmsReplyCode>> FindReplyCodesAsync(string phone, string code, Instant since, CancellationToken cancellationToken);

    /// <summary>Wrong codes replied from <paramref name="phone"/> on <paramref name="day"/> (UTC), counted to stop guessing.</summary>
    Task<int> CountReplyFailuresAsync(string phone, LocalDate day, CancellationToken cancellationToken);

    Task RecordReplyFailureAsync(string phone, LocalDate day, CancellationToken cancellationToken);
}
