namespace Permanence.Integration.Tests.Fuzz;

/// <summary>
/// Tests that compare snapshots of the whole storage account before and after a request: they run after every
/// parallel test class and alone (xunit runs a collection with parallelization disabled by itself), so no other
/// test writes to Azurite between two snapshots.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StorageSnapshotCollection
{
    public const string Name = "Storage snapshots (run alone)";
}
