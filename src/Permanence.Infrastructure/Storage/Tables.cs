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
        var chunks = new List<string>();
        for (var start = 0; start < text.Length;)
        {
            var length = Math.Min(ChunkLength, text.Length - start);
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]))
            {
                length--; // never split a surrogate pair: each half alone is not valid text and would be replaced
            }
            chunks.Add(text.Substring(start, length));
            start += length;
        }
        entity[$"{prefix}Chunks"] = chunks.Count;
        for (var i = 0; i < chunks.Count; i++)
        {
            entity[$"{prefix}{i}"] = chunks[i];
        }
    }

    public static string Read(TableEntity entity, string prefix)
    {
        var count = entity.GetInt32($"{prefix}Chunks") ?? 0;
        return string.Concat(Enumerable.Range(0, count).Select(i => entity.GetString($"{prefix}{i}")));
    }
}
