using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;

namespace Permanence.Integration.Tests.Hosts;

/// <summary>
/// The two hosts run their contract suites in parallel, each with its own frozen clock, so they must not share
/// storage: one host's outbox sweep would otherwise take the other's markers (the routing outbox is one
/// partition, README "Messages"). Each host kind has its own Azurite account.
/// </summary>
public sealed class HostStorageAccountTests(HostFixture<StandaloneHost.Factory> standalone, HostFixture<FunctionsHost.Factory> functions)
    : IClassFixture<HostFixture<StandaloneHost.Factory>>, IClassFixture<HostFixture<FunctionsHost.Factory>>
{
    [Fact]
    public async Task HostKinds_UseTwoAccounts_ThatShareNoTable()
    {
        var standaloneTables = new TableServiceClient(standalone.Factory.StorageConnectionString);
        var functionsTables = new TableServiceClient(functions.Factory.StorageConnectionString);
        Assert.NotEqual(standaloneTables.AccountName, functionsTables.AccountName);

        var name = $"isolation{Guid.NewGuid():N}"[..30];
        await functionsTables.CreateTableAsync(name); // the second account exists and accepts its key
        try
        {
            Assert.Single(await Tables(functionsTables, name));
            Assert.Empty(await Tables(standaloneTables, name));
        }
        finally
        {
            await functionsTables.DeleteTableAsync(name);
        }
    }

    [Fact]
    public void EachHost_TalksToItsOwnAccount()
    {
        foreach (var (fixtureHost, connectionString) in new[]
                 {
                     (standalone.Host, standalone.Factory.StorageConnectionString),
                     (functions.Host, functions.Factory.StorageConnectionString),
                 })
        {
            var account = new TableServiceClient(connectionString).AccountName;
            Assert.Equal(account, fixtureHost.Services.GetRequiredService<TableServiceClient>().AccountName);
            Assert.Equal(account, fixtureHost.Services.GetRequiredService<QueueServiceClient>().AccountName);
            Assert.Equal(account, fixtureHost.Services.GetRequiredService<BlobServiceClient>().AccountName);
        }
        Assert.Equal(TestEnvironment.FunctionsAccount, functions.Host.Services.GetRequiredService<TableServiceClient>().AccountName);
    }

    private static async Task<List<string>> Tables(TableServiceClient client, string name)
    {
        var found = new List<string>();
        await foreach (var table in client.QueryAsync(filter: $"TableName eq '{name}'"))
        {
            found.Add(table.Name);
        }
        return found;
    }
}
