using Azure.Storage.Blobs;

namespace Permanence.Infrastructure.Storage;

public static class BlobContainers
{
    /// <summary>A container client whose container is created on first use (once per process).</summary>
    public static CreatedOnce<BlobContainerClient> CreatedOnFirstUse(BlobServiceClient blobs, string name) => new(async () =>
    {
        var container = blobs.GetBlobContainerClient(name);
        await container.CreateIfNotExistsAsync();
        return container;
    });
}
