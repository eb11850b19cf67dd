using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Permanence.Cli;

/// <summary><c>permanence outbox</c>: what routing wrote instead of sending, while no SendGrid or Twilio account is configured.</summary>
public static class OutboxCommand
{
    /// <summary>The Azurite started by scripts/run.sh (the emulator's published development account).</summary>
    public const string LocalAzurite = "UseDevelopmentStorage=true";

    public static async Task<int> RunAsync(Options options, TextWriter output)
    {
        var last = options.GetInt("last"); // a bad value is refused before anything is read
        var connectionString = options.Get("connection-string")
            ?? Environment.GetEnvironmentVariable("Permanence__Storage__ConnectionString")
            ?? LocalAzurite;
        var container = new BlobContainerClient(connectionString, "outbox");
        if (!await container.ExistsAsync())
        {
            await output.WriteLineAsync("The outbox is empty: no email or SMS was written yet.");
            return 0;
        }
        var blobs = new List<BlobItem>();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, CancellationToken.None))
        {
            blobs.Add(blob);
        }
        blobs = blobs.OrderBy(b => b.Properties.LastModified).ThenBy(b => b.Name, StringComparer.Ordinal).ToList();
        if (last is { } count)
        {
            foreach (var blob in blobs.TakeLast(count))
            {
                var content = await container.GetBlobClient(blob.Name).DownloadContentAsync();
                await output.WriteLineAsync($"===== {blob.Name} ({blob.Properties.LastModified:u})");
                await output.WriteLineAsync(content.Value.Content.ToString());
            }
            return 0;
        }
        foreach (var blob in blobs)
        {
            await output.WriteLineAsync($"{blob.Properties.LastModified:u}  {blob.Name}");
        }
        await output.WriteLineAsync($"{blobs.Count} file(s). 'permanence outbox --last N' prints the last N.");
        return 0;
    }
}
