using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Permanence.Functions;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Storage;

namespace Permanence.Integration.Tests.Infra;

/// <summary>infra/ against the code: every key the app reads is deployed or documented optional; names agree; no secret in settings.</summary>
public partial class InfraTests
{
    private static readonly string Root = FindRepoRoot();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Functions.sln not found above the test binaries.");
    }

    private static string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));

    [GeneratedRegex(@"^\s*([A-Za-z_][A-Za-z0-9_]*):\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex BicepProperty();

    /// <summary>The app settings block of the Function App, as key → Bicep expression.</summary>
    private static Dictionary<string, string> AppSettings()
    {
        var bicep = Read("infra/modules/functionapp.bicep");
        var start = bicep.IndexOf("name: 'appsettings'", StringComparison.Ordinal);
        Assert.True(start > 0, "functionapp.bicep has no appsettings resource");
        var block = bicep[start..];
        block = block[(block.IndexOf("properties: {", StringComparison.Ordinal) + "properties: {".Length)..];
        block = block[..block.IndexOf("\n  }", StringComparison.Ordinal)];
        return BicepProperty().Matches(block).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
    }

    /// <summary>Every leaf of PermanenceOptions as the environment variable the app reads (lists: their first item).</summary>
    public static IEnumerable<string> KeysTheAppReads()
    {
        IEnumerable<string> Walk(Type type, string prefix)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                var name = $"{prefix}__{property.Name}";
                var t = property.PropertyType;
                if (t == typeof(string) || t.IsValueType)
                {
                    yield return name;
                }
                else if (t.IsGenericType && typeof(IEnumerable).IsAssignableFrom(t))
                {
                    var item = t.GetGenericArguments()[0];
                    if (item == typeof(string))
                    {
                        yield return $"{name}__0";
                    }
                    else
                    {
                        foreach (var key in Walk(item, $"{name}__0"))
                        {
                            yield return key;
                        }
                    }
                }
                else
                {
                    foreach (var key in Walk(t, name))
                    {
                        yield return key;
                    }
                }
            }
        }
        // The Functions host's own connections: host storage and the Service Bus trigger's "ServiceBus" connection.
        return Walk(typeof(PermanenceOptions), PermanenceOptions.Section)
            .Concat(["AzureWebJobsStorage__accountName", "ServiceBus__fullyQualifiedNamespace"]);
    }

    [Fact]
    public void MainBicep_SetsEveryKeyTheAppReads_OrDocumentsItAsOptional()
    {
        var settings = AppSettings();
        using var optional = JsonDocument.Parse(Read("infra/optional-settings.json"));
        var documented = optional.RootElement.GetProperty("optional").EnumerateObject().Select(p => p.Name).ToHashSet();

        var missing = KeysTheAppReads().Where(k => !settings.ContainsKey(k) && !documented.Contains(k)).ToList();

        Assert.True(missing.Count == 0, $"Neither set by infra/modules/functionapp.bicep nor listed in infra/optional-settings.json: {string.Join(", ", missing)}");
        Assert.Contains("Permanence__ApiKeys__0__Key", KeysTheAppReads()); // the walk reaches list items
    }

    [Fact]
    public void OptionalSettings_ListOnlyKeysTheAppReads()
    {
        using var optional = JsonDocument.Parse(Read("infra/optional-settings.json"));
        var keys = KeysTheAppReads().ToHashSet();
        Assert.All(optional.RootElement.GetProperty("optional").EnumerateObject(), p => Assert.Contains(p.Name, keys));
    }

    [Fact]
    public void LocalSettingsSample_ListsEveryKeyTheAppReads()
    {
        using var sample = JsonDocument.Parse(Read("local.settings.sample.json"));
        var values = sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToHashSet();
        var missing = KeysTheAppReads().Where(k => k.StartsWith("Permanence__", StringComparison.Ordinal) && !values.Contains(k)).ToList();
        Assert.True(missing.Count == 0, $"Missing from local.settings.sample.json: {string.Join(", ", missing)}");
    }

    [Theory]
    [InlineData("Permanence__SendGrid__ApiKey")]
    [InlineData("Permanence__Twilio__AccountSid")]
    [InlineData("Permanence__Twilio__AuthToken")]
    [InlineData("Permanence__Signing__Key")]
    [InlineData("Permanence__Aircall__Tokens__0")]
    [InlineData("Permanence__ApiKeys__0__Key")]
    [InlineData("Permanence__ApiKeys__1__Key")]
    [InlineData("Permanence__ApiKeys__2__Key")]
    public void AppSettings_Secrets_AreKeyVaultReferences(string key)
    {
        Assert.StartsWith("'@Microsoft.KeyVault(SecretUri=", AppSettings()[key], StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_HoldNoKeyOrConnectionString()
    {
        foreach (var (key, value) in AppSettings())
        {
            Assert.DoesNotContain("AccountKey=", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessKey", value, StringComparison.OrdinalIgnoreCase);
            Assert.False(key.EndsWith("ConnectionString", StringComparison.Ordinal) && key != "APPLICATIONINSIGHTS_CONNECTION_STRING", $"{key} is a connection string");
        }
    }

    [Fact]
    public void Storage_DisallowsSharedKeys()
    {
        Assert.Matches(@"allowSharedKeyAccess:\s*false", Read("infra/modules/storage.bicep"));
        Assert.Matches(@"disableLocalAuth:\s*true", Read("infra/modules/servicebus.bicep"));
        Assert.Matches(@"DisableLocalAuth:\s*true", Read("infra/modules/monitoring.bicep"));
        Assert.Matches(@"enableRbacAuthorization:\s*true", Read("infra/modules/keyvault.bicep"));
    }

    [GeneratedRegex(@"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid();

    [Fact]
    public void RoleAssignments_AreLeastPrivilegeWithExplicitPrincipalType()
    {
        var roles = Read("infra/modules/roles.bicep");
        var granted = Guid().Matches(roles).Select(m => m.Value).ToHashSet();
        string[] forbidden =
        [
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
            "b24988ac-6180-42dd-ab80-d7ad3e0c5b2f", // Contributor
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
            "090c5cfd-751d-490a-894a-3ce6f1109419", // Azure Service Bus Data Owner
            "00482a5a-887f-4fb3-b363-3b7fe8e74483", // Key Vault Administrator
            "17d1049b-9a84-46fb-8f53-869881c3d3ab", // Storage Account Contributor
        ];
        Assert.Empty(granted.Intersect(forbidden));
        Assert.Equal(6, granted.Count);
        var assignments = Regex.Matches(roles, "Microsoft.Authorization/roleAssignments@").Count;
        Assert.Equal(assignments, Regex.Matches(roles, "principalType: 'ServicePrincipal'").Count);
        Assert.Equal(assignments, Regex.Matches(roles, @"name: guid\(").Count);
        Assert.Single(Regex.Matches(Read("infra/modules/identity.bicep"), "userAssignedIdentities@"));
    }

    /// <summary>
    /// Reports, exports, offboarding packages and certificates are evidence: the app's identity writes them (Storage
    /// Blob Data Contributor on the account) and, by the containers' version-level immutability with a time-based
    /// policy, nobody (the app included) deletes or overwrites a version before immutabilityDays. Azurite does not
    /// enforce immutability, so the deployment's declaration is what is checked here.
    /// </summary>
    [Fact]
    public void EvidenceContainers_AreWritableByTheApp_AndImmutableForTheRetentionPeriod()
    {
        var storage = Read("infra/modules/storage.bicep");
        var audit = Regex.Match(storage, @"var auditContainers = \[(?<names>[^\]]*)\]").Groups["names"].Value;
        Assert.Equal(
            new[] { StorageNames.ReportsContainer, StorageNames.ExportsContainer, StorageNames.OffboardingContainer, StorageNames.CertificatesContainer }.Order(),
            Regex.Matches(audit, "'([^']+)'").Select(m => m.Groups[1].Value).Order());
        Assert.Matches(@"immutableStorageWithVersioning:\s*\{\s*enabled:\s*true\s*\}", storage);
        Assert.Matches(@"immutabilityPolicies@[^']+' = \[for \(container, i\) in auditContainers", storage);
        Assert.Matches(@"immutabilityPeriodSinceCreationInDays:\s*immutabilityDays", storage);
        Assert.Matches(@"allowProtectedAppendWrites:\s*false", storage);
        Assert.Matches(@"isVersioningEnabled:\s*true", storage);
        // Storage Blob Data Contributor: read, write, delete blobs; no role that manages the account or its policies.
        Assert.Contains("ba92f5b4-2d11-453d-a403-e96b0029c9fe", Read("infra/modules/roles.bicep"), StringComparison.Ordinal);
    }

    [Fact]
    public void QueueContainerAndTableNames_AgreeWithTheCode()
    {
        var serviceBus = Read("infra/modules/servicebus.bicep");
        Assert.Contains($"name: '{StorageNames.RoutingQueue}'", serviceBus, StringComparison.Ordinal);
        Assert.Matches(@"requiresDuplicateDetection:\s*true", serviceBus);
        Assert.Matches(@"deadLetteringOnMessageExpiration:\s*true", serviceBus);
        Assert.Matches(@"maxDeliveryCount:\s*10", serviceBus);
        Assert.Matches(@"lockDuration:\s*'PT1M'", serviceBus);

        var trigger = typeof(RoutingFunctions).GetMethod(nameof(RoutingFunctions.Route))!.GetParameters()
            .Select(p => p.GetCustomAttribute<ServiceBusTriggerAttribute>()).Single(a => a is not null)!;
        Assert.Equal(StorageNames.RoutingQueue, trigger.QueueName);
        Assert.Equal("ServiceBus", trigger.Connection);

        var storage = Read("infra/modules/storage.bicep");
        foreach (var name in StorageNames.Containers.Concat(StorageNames.Tables))
        {
            Assert.Contains($"'{name}'", storage, StringComparison.Ordinal);
        }
        Assert.Contains("prefixMatch: [ 'raw/' ]", storage, StringComparison.Ordinal);
        Assert.Contains("prefixMatch: [ 'outbox/' ]", storage, StringComparison.Ordinal);
    }
}
