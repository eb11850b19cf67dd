using System.Collections.Concurrent;
using Azure.Data.Tables;

namespace Permanence.Infrastructure.Storage;

/// <summary>Table clients, each table created on first use (once per process).</summary>
public sealed class Tables(TableServiceClient service)
{
    private readonly ConcurrentDictionary<string, CreatedOnce<TableClient>> _tables = new(StringComparer.Ordinal);

    // Creation is not tied to one request's cancellation: a cancelled first caller must not poison the table for others.
    public Task<TableClient> GetAsync(string name, CancellationToken cancellationToken) =>
        _tables.GetOrAdd(name, n => new CreatedOnce<TableClient>(async () =>
        {
            var client = service.GetTableClient(n);
            await client.CreateIfNotExistsAsync(CancellationToken.None);
            return client;
        })).GetAsync().WaitAsync(cancellationToken);
}

/// <summary>
/// Table properties hold at most 64 KiB (32K UTF-16 characters): long text is split across properties. The
/// entity as a whole is checked with <see cref="EntitySize"/> before it is written.
/// </summary>
public static class ChunkedText
{
    private const int ChunkLength = 30_000;

    public static void Write(TableEntity entity, string prefix, string text)
    {
        var count = (text.Length + ChunkLength - 1) / ChunkLength;
        entity[$"{prefix}Chunks"] = count;
        for (var i = 0; i < count; i++)
        {
            entity[$"{prefix}{i}"] = text.Substring(i * ChunkLength, Math.Min(ChunkLength, text.Length - i * ChunkLength));
        }
    }

    public static string Read(TableEntity entity, string prefix)
    {
        var count = entity.GetInt32($"{prefix}Chunks") ?? 0;
        return string.Concat(Enumerable.Range(0, count).Select(i => entity.GetString($"{prefix}{i}")));
    }
}
