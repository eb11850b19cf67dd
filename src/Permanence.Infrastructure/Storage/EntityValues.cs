using Azure.Data.Tables;
using NodaTime;

namespace Permanence.Infrastructure.Storage;

internal static class EntityValues
{
    public static DateTimeOffset? ToStored(this Instant? instant) => instant?.ToDateTimeOffset();

    public static Instant? GetInstant(this TableEntity entity, string name) =>
        entity.GetDateTimeOffset(name) is { } value ? Instant.FromDateTimeOffset(value) : null;
}
