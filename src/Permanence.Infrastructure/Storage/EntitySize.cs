using Azure.Data.Tables;

namespace Permanence.Infrastructure.Storage;

/// <summary>
/// The size Azure Table storage counts for an entity (1 MiB at most, strings 64 KiB each), computed before
/// writing: the emulator accepts larger entities than Azure does, so the limit is checked in code.
/// </summary>
public static class EntitySize
{
    public const long MaxEntityBytes = 1024 * 1024;
    public const int MaxPropertyBytes = 64 * 1024;

    /// <summary>Leaves room for the system properties (Timestamp, ETag) and rounding in the service's count.</summary>
    private const long Margin = 8 * 1024;

    public static long Of(TableEntity entity)
    {
        long size = 4 + (entity.PartitionKey.Length + entity.RowKey.Length) * 2L;
        foreach (var (name, value) in entity)
        {
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")
            {
                continue;
            }
            size += 8 + name.Length * 2L + value switch
            {
                string s => 4 + s.Length * 2L,
                byte[] b => 4 + b.Length,
                BinaryData d => 4 + d.ToMemory().Length,
                bool => 1,
                int => 4,
                long or double or DateTimeOffset or DateTime => 8,
                Guid => 16,
                null => 0,
                _ => 8,
            };
        }
        return size;
    }

    public static bool Fits(TableEntity entity) =>
        Of(entity) <= MaxEntityBytes - Margin &&
        entity.Select(p => p.Value).OfType<string>().All(s => s.Length * 2L <= MaxPropertyBytes);
}
