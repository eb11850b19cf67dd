using NodaTime;

namespace Permanence.Core.Routing;

/// <summary>Port: acknowledgements, and the SMS reply codes that lead back to a message.</summary>
public interface IAcknowledgementStore
{
    /// <summary>Adds the contact's acknowledgement; false when that contact had already acknowledged.</summary>
    Task<bool> AddAsync(Acknowledgement acknowledgement, CancellationToken cancellationToken);

    Task<IReadOnlyList<Acknowledgement>> ListAsync(string messageId, CancellationToken cancellationToken);

    Task AddReplyCodeAsync(SmsReplyCode code, CancellationToken cancellationToken);

    /// <summary>The codes sent to <paramref name="phone"/> since <paramref name="since"/>, most recent first.</summary>
    Task<IReadOnlyList<SmsReplyCode>> ListReplyCodesAsync(string phone, Instant since, CancellationToken cancellationToken);
}
