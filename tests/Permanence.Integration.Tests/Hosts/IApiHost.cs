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
    IApiHost Create(IDictionary<string, string?> settings);
}
