using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Permanence.Integration.Tests.Fuzz;

/// <summary>
/// What the storage account holds, as far as "did this request change anything?" goes: every entity of every
/// table (partition key, row key, ETag), every blob of every container (name, ETag), and how many routing
/// commands the host has sent. Two snapshots are compared with <see cref="Diff"/>. A table or container that
/// exists but is empty counts as absent (creating an empty table on first use stores no data).
/// </summary>
public sealed class StorageSnapshot
{
    private readonly Dictionary<string, string> _items;

    private StorageSnapshot(Dictionary<string, string> items, int routingCommands)
    {
        _items = items;
        RoutingCommands = routingCommands;
    }

    public int RoutingCommands { get; }

    public int Count => _items.Count;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TableServiceClient Tables, BlobServiceClient Blobs)> Clients = new();

    public static async Task<StorageSnapshot> TakeAsync(string connectionString, int routingCommands)
    {
        var (tables, blobs) = Clients.GetOrAdd(connectionString, cs => (new TableServiceClient(cs), new BlobServiceClient(cs)));
        var reads = new List<Task<List<(string, string)>>>();
        await foreach (var table in tables.QueryAsync())
        {
            reads.Add(ReadTableAsync(tables.GetTableClient(table.Name)));
        }
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            reads.Add(ReadContainerAsync(blobs.GetBlobContainerClient(container.Name)));
        }
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, etag) in (await Task.WhenAll(reads)).SelectMany(r => r))
        {
            items[key] = etag;
        }
        return new StorageSnapshot(items, routingCommands);
    }

    private static async Task<List<(string, string)>> ReadTableAsync(TableClient table)
    {
        var items = new List<(string, string)>();
        await foreach (var entity in table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
        {
            items.Add(($"table {table.Name} ({entity.PartitionKey} | {entity.RowKey})", entity.ETag.ToString()));
        }
        return items;
    }

    private static async Task<List<(string, string)>> ReadContainerAsync(BlobContainerClient container)
    {
        var items = new List<(string, string)>();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, CancellationToken.None))
        {
            items.Add(($"blob {container.Name}/{blob.Name}", blob.Properties.ETag?.ToString() ?? ""));
        }
        return items;
    }

    /// <summary>Names of the blobs of <paramref name="container"/> this snapshot has and <paramref name="before"/> had not.</summary>
    public IReadOnlyList<string> AddedBlobs(StorageSnapshot before, string container)
    {
        var prefix = $"blob {container}/";
        return _items.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !before._items.ContainsKey(k)).Select(k => k[prefix.Length..]).ToList();
    }

    /// <summary>This snapshot less some blobs (which the caller deleted).</summary>
    public StorageSnapshot WithoutBlobs(string container, IEnumerable<string> names)
    {
        var items = new Dictionary<string, string>(_items, StringComparer.Ordinal);
        foreach (var name in names)
        {
            items.Remove($"blob {container}/{name}");
        }
        return new StorageSnapshot(items, RoutingCommands);
    }

    public static BlobContainerClient Container(string connectionString, string name) =>
        Clients.GetOrAdd(connectionString, cs => (new TableServiceClient(cs), new BlobServiceClient(cs))).Blobs.GetBlobContainerClient(name);

    /// <summary>Every difference from <paramref name="before"/> to this snapshot, one line each; empty when nothing changed.</summary>
    public IReadOnlyList<string> Diff(StorageSnapshot before)
    {
        var changes = new List<string>();
        foreach (var (key, etag) in _items)
        {
            if (!before._items.TryGetValue(key, out var previous))
            {
                changes.Add($"added {Escape(key)}");
            }
            else if (previous != etag)
            {
                changes.Add($"modified {Escape(key)}");
            }
        }
        changes.AddRange(before._items.Keys.Where(k => !_items.ContainsKey(k)).Select(k => $"deleted {Escape(k)}"));
        if (RoutingCommands != before.RoutingCommands)
        {
            changes.Add($"routing commands sent: {before.RoutingCommands} -> {RoutingCommands}");
        }
        return changes;
    }

    private static string Escape(string value) => FuzzText.Visible(value, 160);
}
