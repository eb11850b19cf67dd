namespace Permanence.Integration.Tests.Hosts;

/// <summary>One of the two hosts, reached through an HttpClient whatever the host is.</summary>
public interface IApiHost : IAsyncDisposable
{
    string Name { get; }

    HttpClient CreateClient();

    IServiceProvider Services { get; }
}

public interface IApiHostFactory
{
    /// <summary>The storage account of this kind of host (TestEnvironment): every host it creates for a test uses it.</summary>
    string StorageConnectionString { get; }

    IApiHost Create(IDictionary<string, string?> settings);
}
