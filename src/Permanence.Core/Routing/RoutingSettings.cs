namespace Permanence.Core.Routing;

/// <param name="PublicBaseUrl">Where contacts reach the API (ack links), without a trailing slash.</param>
/// <param name="FallbackEmail">The agency's supervisor, told when a message could not be delivered at all; null → the outbox.</param>
public sealed record RoutingSettings(string PublicBaseUrl, string? FallbackEmail)
{
    public string AckUrl(string token) => $"{PublicBaseUrl.TrimEnd('/')}/api/acks/{token}";
}
