using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Permanence.Core.Clients;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Security;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Calls;
using Permanence.Infrastructure.Messages;
using Permanence.Infrastructure.Storage;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Adapters;

/// <summary>Failures in the middle of a write, on the real storage adapters (Azurite) with one step made to fail.</summary>
public class HardeningAdapterTests
{
    private static readonly Tables Storage = new(new TableServiceClient(TestEnvironment.StorageConnectionString));

    private static ClientConfiguration Althea(string number) =>
        JsonSerializer.Deserialize<ClientConfiguration>(Api.Althea(number).ToJsonString(), ContractService.Json)!;

    /// <summary>The real contract store, except that saving a version fails (the process died, storage refused).</summary>
    private sealed class SaveFails(IContractStore inner) : DelegatingContractStore(inner)
    {
        public override Task<SaveVersionResult> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, string lockToken, CancellationToken cancellationToken) =>
            throw new IOException("Storage refused the write.");
    }

    [Fact]
    public async Task ContractSave_FailingAfterTheNumbersWereClaimed_LeavesNoClaimBehind()
    {
        var store = new TableContractStore(Storage);
        var number = Api.NewNumber();
        var failing = new ContractService(new SaveFails(store), TimeProvider.System);

        await Assert.ThrowsAsync<IOException>(() => failing.PutAsync(TestEnvironment.NewClientId(), Althea(number), ClientScope.Everyone, CancellationToken.None));

        Assert.Empty(await store.GetNumberClaimsAsync(number, CancellationToken.None));
        var other = await new ContractService(store, TimeProvider.System).PutAsync(TestEnvironment.NewClientId(), Althea(number), ClientScope.Everyone, CancellationToken.None);
        Assert.IsType<PutContractResult.Saved>(other);
    }

    [Fact]
    public async Task ContractSave_FailingAfterANewVersionChangedClaims_RestoresThePreviousClaims()
    {
        var store = new TableContractStore(Storage);
        var clientId = TestEnvironment.NewClientId();
        var (kept, added) = (Api.NewNumber(), Api.NewNumber());
        Assert.IsType<PutContractResult.Saved>(await new ContractService(store, TimeProvider.System).PutAsync(clientId, Althea(kept), ClientScope.Everyone, CancellationToken.None));
        var before = Describe(await store.GetNumberClaimsAsync(kept, CancellationToken.None));
        Assert.Single(before);

        var later = Althea(added) with { EffectiveFrom = "2026-11-01" };
        await Assert.ThrowsAsync<IOException>(() => new ContractService(new SaveFails(store), TimeProvider.System).PutAsync(clientId, later, ClientScope.Everyone, CancellationToken.None));

        Assert.Equal(before, Describe(await store.GetNumberClaimsAsync(kept, CancellationToken.None)));
        Assert.Empty(await store.GetNumberClaimsAsync(added, CancellationToken.None));
    }

    private static List<string> Describe(IEnumerable<NumberClaim> claims) =>
        claims.Select(c => $"{c.ClientId} {(c.Intervals is null ? "(earlier form)" : NumberOwnership.Format(c.Intervals))} v{c.ContractVersion}").ToList();

    /// <summary>The real message store, except that recording the routing state fails.</summary>
    private sealed class StateUpdateFails(IMessageStore inner) : IMessageStore
    {
        public bool CanStore(Message message) => inner.CanStore(message);

        public Task<AddOutcome> AddAsync(Message message, CancellationToken cancellationToken) => inner.AddAsync(message, cancellationToken);

        public Task<Message?> GetAsync(string id, CancellationToken cancellationToken) => inner.GetAsync(id, cancellationToken);

        public IAsyncEnumerable<Message> ListByClientAsync(string clientId, CancellationToken cancellationToken) => inner.ListByClientAsync(clientId, cancellationToken);

        public Task SetRoutingStateAsync(string id, RoutingState state, CancellationToken cancellationToken) => throw new IOException("Storage refused the write.");

        public Task AddPendingRoutingAsync(string id, string clientId, Instant at, CancellationToken cancellationToken) => inner.AddPendingRoutingAsync(id, clientId, at, cancellationToken);

        public Task RemovePendingRoutingAsync(string id, CancellationToken cancellationToken) => inner.RemovePendingRoutingAsync(id, cancellationToken);

        public Task<IReadOnlyList<PendingRouting>> ListPendingRoutingAsync(Instant olderThan, int max, CancellationToken cancellationToken) => inner.ListPendingRoutingAsync(olderThan, max, cancellationToken);

        public Task<bool> TryClaimPendingRoutingAsync(PendingRouting pending, Instant now, CancellationToken cancellationToken) => inner.TryClaimPendingRoutingAsync(pending, now, cancellationToken);
    }

    private sealed class RecordingQueue : IRoutingQueue
    {
        public List<RoutingCommand> Sent { get; } = [];

        public Task EnqueueAsync(RoutingCommand command, TimeSpan delay, CancellationToken cancellationToken)
        {
            Sent.Add(command);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Message_IndexWriteFailing_IsStillAccepted_KeepsItsMarker_AndItsRetryIndexesIt()
    {
        var contracts = new TableContractStore(Storage);
        var contractService = new ContractService(contracts, TimeProvider.System);
        var clientId = TestEnvironment.NewClientId();
        Assert.IsType<PutContractResult.Saved>(await contractService.PutAsync(clientId, Althea(Api.NewNumber()), ClientScope.Everyone, CancellationToken.None));
        var index = new FailingOnceIndex(new TableMessageIndex(Storage));
        var store = new TableMessageStore(Storage);
        var service = new MessageService(
            store, index, new TableCallStore(Storage), new RecordingQueue(),
            new ClientDirectory(contractService, contracts, TimeProvider.System), TimeProvider.System, NullLogger<MessageService>.Instance);
        var input = new MessageInput { ClientId = clientId, Scenario = "rdv", TakenAt = "2026-10-05T19:42:10Z" };
        var principal = new ApiPrincipal("key-test", ApiRole.Operator, ["*"]);
        var key = Guid.NewGuid().ToString("N");

        var accepted = Assert.IsType<AcceptMessageResult.Accepted>(await service.AcceptAsync(input, principal, key, "{}"u8.ToArray(), CancellationToken.None));
        var october = new NodaTime.YearMonth(2026, 10);
        Assert.False(await index.ContainsAsync(clientId, october, accepted.Message.Id, CancellationToken.None));
        // The routing marker stays: the sweeper indexes the message before it removes the marker.
        var pending = await store.ListPendingRoutingAsync(NodaTime.Instant.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(1)), 10_000, CancellationToken.None);
        Assert.Contains(pending, p => p.MessageId == accepted.Message.Id);

        var replay = Assert.IsType<AcceptMessageResult.Accepted>(await service.AcceptAsync(input, principal, key, "{}"u8.ToArray(), CancellationToken.None));
        Assert.True(replay.Replayed);
        Assert.True(await index.ContainsAsync(clientId, october, accepted.Message.Id, CancellationToken.None));
    }

    private sealed class FailingOnceIndex(IMessageIndex inner) : IMessageIndex
    {
        private int _failures = 1;

        public Task UpsertAsync(string clientId, NodaTime.YearMonth month, MessageIndexEntry entry, CancellationToken cancellationToken) =>
            Interlocked.Decrement(ref _failures) >= 0 ? throw new InvalidOperationException("Simulated index failure.") : inner.UpsertAsync(clientId, month, entry, cancellationToken);

        public Task<bool> ContainsAsync(string clientId, NodaTime.YearMonth month, string messageId, CancellationToken cancellationToken) =>
            inner.ContainsAsync(clientId, month, messageId, cancellationToken);

        public IAsyncEnumerable<MessageIndexEntry> ListAsync(string clientId, NodaTime.YearMonth month, CancellationToken cancellationToken) =>
            inner.ListAsync(clientId, month, cancellationToken);
    }

    [Fact]
    public async Task Message_FailureAfterASuccessfulEnqueue_IsStillAccepted()
    {
        var contracts = new TableContractStore(Storage);
        var contractService = new ContractService(contracts, TimeProvider.System);
        var clientId = TestEnvironment.NewClientId();
        Assert.IsType<PutContractResult.Saved>(await contractService.PutAsync(clientId, Althea(Api.NewNumber()), ClientScope.Everyone, CancellationToken.None));
        var queue = new RecordingQueue();
        var service = new MessageService(
            new StateUpdateFails(new TableMessageStore(Storage)), new TableMessageIndex(Storage), new TableCallStore(Storage), queue,
            new ClientDirectory(contractService, contracts, TimeProvider.System), TimeProvider.System, NullLogger<MessageService>.Instance);
        var input = new MessageInput { ClientId = clientId, Scenario = "rdv", TakenAt = "2026-10-05T19:42:10Z" };
        var principal = new ApiPrincipal("key-test", ApiRole.Operator, ["*"]);

        var result = await service.AcceptAsync(input, principal, null, "{}"u8.ToArray(), CancellationToken.None);

        var accepted = Assert.IsType<AcceptMessageResult.Accepted>(result);
        Assert.Equal(accepted.Message.Id, Assert.Single(queue.Sent).MessageId);
        Assert.NotNull(await new TableMessageStore(Storage).GetAsync(accepted.Message.Id, CancellationToken.None));
    }

    private static PermanenceOptions Options(string apiKey, string signingKey) => new()
    {
        Storage = { ConnectionString = "UseDevelopmentStorage=true" },
        PublicBaseUrl = "https://permanence.example",
        Signing = { Key = signingKey },
        ApiKeys = [new() { Key = apiKey, Role = "admin", Clients = ["*"] }],
    };

    private static ValidateOptionsResult Validate(PermanenceOptions options, string? environment)
    {
        var services = new ServiceCollection();
        if (environment is not null)
        {
            services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment });
        }
        using var provider = services.BuildServiceProvider();
        return new PermanenceOptionsValidator(provider).Validate(null, options);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData(null)] // no host environment at all: treated as production
    public void Options_PublishedDevelopmentKeys_AreRefusedOutsideDevelopment(string? environment)
    {
        var devKey = Validate(Options("dev-admin-key-0000000000000000", "a-signing-key-of-our-own-0123456789abcdef"), environment);
        var devSigning = Validate(Options("an-admin-key-of-our-own-0123", "dev-signing-key-not-for-production-0123456789"), environment);

        Assert.True(devKey.Failed);
        Assert.Contains("Permanence:ApiKeys:0:Key is a published development value", devKey.FailureMessage, StringComparison.Ordinal);
        Assert.True(devSigning.Failed);
        Assert.Contains("Permanence:Signing:Key", devSigning.FailureMessage, StringComparison.Ordinal);
        Assert.True(Validate(Options("an-admin-key-of-our-own-0123", "a-signing-key-of-our-own-0123456789abcdef"), environment).Succeeded);
    }

    [Fact]
    public void Options_PublishedDevelopmentKeys_AreAcceptedInDevelopment() =>
        Assert.True(Validate(Options("dev-admin-key-0000000000000000", "dev-signing-key-not-for-production-0123456789"), "Development").Succeeded);

    private sealed class CountingPolicy : HttpPipelineSynchronousPolicy
    {
        public int Requests;

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref Requests);
    }

    [Fact]
    public async Task HealthProbe_AsksTablesBlobsAndQueues_ThenAnswersFromItsCacheForAFewSeconds()
    {
        var counter = new CountingPolicy();
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var queueOptions = new QueueClientOptions();
        queueOptions.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var connection = TestEnvironment.StorageConnectionString;
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-10-05T07:00:00Z"));
        var probe = new StorageHealthProbe(
            new TableServiceClient(connection, tableOptions), new BlobServiceClient(connection, blobOptions), new QueueServiceClient(connection, queueOptions),
            Microsoft.Extensions.Options.Options.Create(new PermanenceOptions()), clock);

        Assert.True(await probe.IsReachableAsync(CancellationToken.None));
        Assert.Equal(3, counter.Requests); // one question to each service
        Assert.True(await probe.IsReachableAsync(CancellationToken.None));
        Assert.Equal(3, counter.Requests);
        clock.Advance(StorageHealthProbe.CacheFor);
        Assert.True(await probe.IsReachableAsync(CancellationToken.None));
        Assert.Equal(6, counter.Requests);
    }
}

public class ContractLockTests
{
    private static readonly TableContractStore Store = new(new Tables(new TableServiceClient(TestEnvironment.StorageConnectionString)));

    private static ClientConfiguration Althea() =>
        JsonSerializer.Deserialize<ClientConfiguration>(Api.Althea(Api.NewNumber()).ToJsonString(), ContractService.Json)!;

    [Fact]
    public async Task Put_WhileAnotherSaveOfTheSameClientHoldsTheLock_IsBusy_ThenSavesOnceReleased()
    {
        var clientId = TestEnvironment.NewClientId();
        var service = new ContractService(Store, TimeProvider.System);
        var token = await Store.TryLockAsync(clientId, service.Now, ContractService.LockLifetime, CancellationToken.None);
        Assert.NotNull(token);

        Assert.IsType<PutContractResult.Busy>(await service.PutAsync(clientId, Althea(), ClientScope.Everyone, CancellationToken.None));
        Assert.Null(await service.GetHistoryAsync(clientId, CancellationToken.None));

        await Store.UnlockAsync(clientId, token!, CancellationToken.None);
        Assert.IsType<PutContractResult.Saved>(await service.PutAsync(clientId, Althea(), ClientScope.Everyone, CancellationToken.None));
    }

    [Fact]
    public async Task Put_LockOfASaveThatDied_IsTakenOverOnceStale()
    {
        var clientId = TestEnvironment.NewClientId();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var service = new ContractService(Store, clock);
        Assert.NotNull(await Store.TryLockAsync(clientId, service.Now, ContractService.LockLifetime, CancellationToken.None)); // never released

        Assert.IsType<PutContractResult.Busy>(await service.PutAsync(clientId, Althea(), ClientScope.Everyone, CancellationToken.None));
        clock.Advance(ContractService.LockLifetime.ToTimeSpan() + TimeSpan.FromSeconds(1));
        Assert.IsType<PutContractResult.Saved>(await service.PutAsync(clientId, Althea(), ClientScope.Everyone, CancellationToken.None));
    }

    /// <summary>The real store; while the save commits, another save takes the lock over (the first one outlived it).</summary>
    private sealed class LockTakenOverDuringSave(TableContractStore inner, FakeTimeProvider clock) : DelegatingContractStore(inner)
    {
        public override async Task<SaveVersionResult> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, string lockToken, CancellationToken cancellationToken)
        {
            var later = Instant.FromDateTimeOffset(clock.GetUtcNow()) + ContractService.LockLifetime + Duration.FromSeconds(1);
            Assert.NotNull(await inner.TryLockAsync(clientId, later, ContractService.LockLifetime, cancellationToken));
            return await base.SaveVersionAsync(clientId, version, expectedLatestVersion, lockToken, cancellationToken);
        }
    }

    [Fact]
    public async Task Put_WhoseLockWasTakenOverBeforeItCommitted_WritesNoVersion()
    {
        var clientId = TestEnvironment.NewClientId();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var service = new ContractService(new LockTakenOverDuringSave(Store, clock), clock);

        Assert.IsType<PutContractResult.Busy>(await service.PutAsync(clientId, Althea(), ClientScope.Everyone, CancellationToken.None));

        Assert.Empty(await Store.GetVersionsAsync(clientId, CancellationToken.None));
    }

    [Fact]
    public void ChunkedText_NeverSplitsASurrogatePair()
    {
        // An emoji straddling the 30,000-character chunk boundary must come back whole.
        var text = new string('a', 29_999) + "😀" + new string('b', 10);
        var entity = new TableEntity("p", "r");
        ChunkedText.Write(entity, "Json", text);
        Assert.All(Enumerable.Range(0, entity.GetInt32("JsonChunks")!.Value), i =>
            Assert.False(char.IsHighSurrogate(entity.GetString($"Json{i}")[^1])));
        Assert.Equal(text, ChunkedText.Read(entity, "Json"));
    }
}

/// <summary>The real contract store, for a test to make one step of it fail.</summary>
internal class DelegatingContractStore(IContractStore inner) : IContractStore
{
    public Task<IReadOnlyList<StoredContractVersion>> GetVersionsAsync(string clientId, CancellationToken cancellationToken) => inner.GetVersionsAsync(clientId, cancellationToken);

    public Task<IReadOnlyList<NumberClaim>> GetNumberClaimsAsync(string number, CancellationToken cancellationToken) => inner.GetNumberClaimsAsync(number, cancellationToken);

    public Task WriteNumberClaimAsync(NumberClaim claim, CancellationToken cancellationToken) => inner.WriteNumberClaimAsync(claim, cancellationToken);

    public Task RemoveNumberClaimAsync(string number, string clientId, CancellationToken cancellationToken) => inner.RemoveNumberClaimAsync(number, clientId, cancellationToken);

    public bool CanStore(string clientId, StoredContractVersion version) => inner.CanStore(clientId, version);

    public Task<string?> TryLockAsync(string clientId, Instant now, Duration staleAfter, CancellationToken cancellationToken) => inner.TryLockAsync(clientId, now, staleAfter, cancellationToken);

    public Task UnlockAsync(string clientId, string lockToken, CancellationToken cancellationToken) => inner.UnlockAsync(clientId, lockToken, cancellationToken);

    public virtual Task<SaveVersionResult> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, string lockToken, CancellationToken cancellationToken) =>
        inner.SaveVersionAsync(clientId, version, expectedLatestVersion, lockToken, cancellationToken);
}
