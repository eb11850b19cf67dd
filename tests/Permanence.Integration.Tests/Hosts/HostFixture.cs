namespace Permanence.Integration.Tests.Hosts;

/// <summary>One host per test class, on its host kind's storage account of the Azurite the test command started.</summary>
public sealed class HostFixture<TFactory> : IAsyncLifetime where TFactory : IApiHostFactory, new()
{
    public IApiHostFactory Factory { get; } = new TFactory();

    public IApiHost Host { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Host = Factory.Create(TestKeys.Settings(Factory.StorageConnectionString));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
