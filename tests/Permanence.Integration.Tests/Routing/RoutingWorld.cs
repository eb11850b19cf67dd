using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Permanence.Core.Routing;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// The routing queue as a test controls it: commands kept with the time they are due on the fake clock, handed
/// to the host's real dispatcher by <see cref="RoutingWorld.PumpAsync"/>. Everything else is the real composition.
/// </summary>
public sealed class ManualRoutingQueue(TimeProvider time) : IRoutingQueue
{
    private readonly Lock _gate = new();
    private readonly List<(RoutingCommand Command, DateTimeOffset Due)> _pending = [];
    private readonly List<(RoutingCommand Command, TimeSpan Delay)> _history = [];

    public IReadOnlyList<(RoutingCommand Command, TimeSpan Delay)> History
    {
        get
        {
            lock (_gate)
            {
                return _history.ToList();
            }
        }
    }

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public Task EnqueueAsync(RoutingCommand command, TimeSpan delay, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _pending.Add((command, time.GetUtcNow() + delay));
            _history.Add((command, delay));
        }
        return Task.CompletedTask;
    }

    public List<RoutingCommand> TakeDue()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var due = _pending.Where(p => p.Due <= now).OrderBy(p => p.Due).ToList();
            _pending.RemoveAll(p => p.Due <= now);
            return due.Select(d => d.Command).ToList();
        }
    }

    public TimeSpan? NextDueIn()
    {
        lock (_gate)
        {
            return _pending.Count == 0 ? null : _pending.Min(p => p.Due) - time.GetUtcNow();
        }
    }
}

/// <summary>A Standalone host (real composition, Azurite storage) whose routing queue and clock the test drives.</summary>
public sealed class RoutingWorld : IAsyncDisposable
{
    /// <summary>Tuesday 1 December 2026, 20:00 in Paris: Dr Martin is on call (Mon–Wed from 18:30).</summary>
    public static readonly DateTimeOffset TuesdayEveningParis = new(2026, 12, 1, 19, 0, 0, TimeSpan.Zero);

    private readonly StandaloneHost _host;

    public RoutingWorld(DateTimeOffset now, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var all = TestKeys.Settings(TestEnvironment.StorageConnectionString);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        _host = new StandaloneHost(all, services =>
        {
            services.RemoveAll<IRoutingQueue>();
            services.AddSingleton<ManualRoutingQueue>();
            services.AddSingleton<IRoutingQueue>(sp => sp.GetRequiredService<ManualRoutingQueue>());
            configure?.Invoke(services);
        });
        Http = _host.CreateClient();
        Time = _host.Services.GetRequiredService<FakeTimeProvider>();
        Time.SetUtcNow(now);
        Queue = _host.Services.GetRequiredService<ManualRoutingQueue>();
    }

    public HttpClient Http { get; }
    public FakeTimeProvider Time { get; }
    public ManualRoutingQueue Queue { get; }
    public IServiceProvider Services => _host.Services;

    /// <summary>Hands every due command to the host's dispatcher, as a queue consumer does, until none is due.</summary>
    public async Task<int> PumpAsync()
    {
        var dispatcher = _host.Services.GetRequiredService<RoutingDispatcher>();
        var handled = 0;
        for (var round = 0; round < 50; round++)
        {
            var due = Queue.TakeDue();
            if (due.Count == 0)
            {
                return handled;
            }
            foreach (var command in due)
            {
                await dispatcher.DispatchAsync(command.ToJson(), command.DeduplicationId, CancellationToken.None);
                handled++;
            }
        }
        throw new InvalidOperationException("The routing queue never settled.");
    }

    public async Task AdvanceAsync(TimeSpan by)
    {
        Time.Advance(by);
        await PumpAsync();
    }

    /// <summary>Records step 0 of a message as started now, as a consumer that then stopped would have left it.</summary>
    public async Task AddStepAsync(string messageId, string clientId, NodaTime.Instant at) =>
        await _host.Services.GetRequiredService<IDeliveryStore>().AddStepAsync(new StepRecord
        {
            MessageId = messageId,
            ClientId = clientId,
            Step = 0,
            Status = StepStatus.Ran,
            Contacts = ["accueil"],
            StartedAt = at,
        }, CancellationToken.None);

    public async Task<string> PutClientAsync(JsonObject configuration, string? clientId = null)
    {
        clientId ??= TestEnvironment.NewClientId();
        var response = await Http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, configuration));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return clientId;
    }

    /// <summary>The sample configuration with a number of its own, effective well before the test's clock.</summary>
    public static JsonObject Althea(Action<JsonObject>? change = null)
    {
        var configuration = Api.Althea(Api.NewNumber());
        change?.Invoke(configuration);
        return configuration;
    }

    public async Task<string> PostMessageAsync(string clientId, string scenario, string? text = null)
    {
        var message = new JsonObject
        {
            ["clientId"] = clientId,
            ["scenario"] = scenario,
            ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "06 12 34 56 78" },
            // The symptoms raise any scenario to critical (the sample's keyword): only the urgent scenario has them.
            ["fields"] = scenario == "urgence" ? new JsonObject { ["symptoms"] = "douleur thoracique" } : new JsonObject { ["preferredDate"] = "mardi" },
            ["text"] = text ?? "Rappeler au plus vite",
            ["operatorId"] = "op-12",
            ["takenAt"] = Time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        var response = await Http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, message));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (string)(await response.JsonAsync())["id"]!;
    }

    public async Task<JsonObject> GetMessageAsync(string id)
    {
        var response = await Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    /// <summary>The deliveries of a message as (step, contact, channel, status), in record order.</summary>
    public async Task<List<(int Step, string Contact, string Channel, string Status)>> DeliveriesAsync(string id) =>
        (await GetMessageAsync(id))["deliveries"]!.AsArray()
            .Select(d => ((int)d!["step"]!, (string)d["contact"]!, (string)d["channel"]!, (string)d["status"]!))
            .ToList();

    /// <summary>The outbox files of a message (email .eml, SMS .sms.txt), by name.</summary>
    public async Task<Dictionary<string, string>> OutboxAsync(string clientId, string messageId)
    {
        var container = _host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("outbox");
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!await container.ExistsAsync())
        {
            return files;
        }
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{clientId}/{messageId}/", CancellationToken.None))
        {
            var content = await container.GetBlobClient(blob.Name).DownloadContentAsync();
            files[blob.Name[($"{clientId}/{messageId}/".Length)..]] = content.Value.Content.ToString();
        }
        return files;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
