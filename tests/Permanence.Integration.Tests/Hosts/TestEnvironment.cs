namespace Permanence.Integration.Tests.Hosts;

/// <summary>
/// What the test command provides: the connection string of the Azurite it started. That Azurite has two
/// storage accounts (scripts/test.sh sets AZURITE_ACCOUNTS): Standalone runs on the default one, Functions on
/// <see cref="FunctionsAccount"/>, so the two hosts, running in parallel with their own frozen clocks, never
/// share a table, a queue or a container (the routing outbox is one partition per account).
/// </summary>
public static class TestEnvironment
{
    public const string StorageVariable = "PERMANENCE_TEST_STORAGE";

    /// <summary>The second account: the same name and key as FUNCTIONS_ACCOUNT and FUNCTIONS_ACCOUNT_KEY in scripts/lib.sh.</summary>
    public const string FunctionsAccount = "functionsaccount";

    public const string FunctionsAccountKey = "cGVybWFuZW5jZS1mdW5jdGlvbnMtdGVzdC1hY2NvdW50LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFi";

    /// <summary>The third account (ROUTING_ACCOUNT in scripts/lib.sh): end-to-end routing hosts with running workers.</summary>
    public const string RoutingAccount = "routingaccount";

    public const string RoutingAccountKey = "cGVybWFuZW5jZS1yb3V0aW5nLWUyZS10ZXN0LWFjY291bnQta2V5LW5vdC1hLXNlY3JldC0wMTIz";

    public static string RoutingStorageConnectionString => WithAccount(StorageConnectionString, RoutingAccount, RoutingAccountKey);

    /// <summary>The fourth account (JOBS_ACCOUNT in scripts/lib.sh): monthly job runs, which walk every client of their account.</summary>
    public const string JobsAccount = "jobsaccount";

    public const string JobsAccountKey = "cGVybWFuZW5jZS1tb250aGx5LWpvYnMtdGVzdC1hY2NvdW50LWtleS1ub3QtYS1zZWNyZXQtMDE=";

    public static string JobsStorageConnectionString => WithAccount(StorageConnectionString, JobsAccount, JobsAccountKey);

    /// <summary>The account of the Standalone host.</summary>
    public static string StorageConnectionString =>
        Environment.GetEnvironmentVariable(StorageVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{StorageVariable} is not set: run the tests with scripts/test.sh, which starts Azurite and sets it.");

    /// <summary>The account of the Functions host: the same Azurite endpoints, another account.</summary>
    public static string FunctionsStorageConnectionString => WithAccount(StorageConnectionString, FunctionsAccount, FunctionsAccountKey);

    /// <summary>
    /// The connection string of another account on the same Azurite: Azurite addresses accounts by path
    /// (http://host:port/account), so each endpoint's account segment is replaced, with the name and the key.
    /// </summary>
    public static string WithAccount(string connectionString, string account, string key)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("AccountName", out var current) || current.Length == 0)
        {
            throw new InvalidOperationException($"{StorageVariable} must name its account (AccountName=...) with explicit endpoints.");
        }
        var derived = new List<string>();
        foreach (var (name, value) in parts)
        {
            derived.Add(name switch
            {
                _ when name.Equals("AccountName", StringComparison.OrdinalIgnoreCase) => $"{name}={account}",
                _ when name.Equals("AccountKey", StringComparison.OrdinalIgnoreCase) => $"{name}={key}",
                _ when name.EndsWith("Endpoint", StringComparison.OrdinalIgnoreCase) => $"{name}={EndpointFor(value, current, account)}",
                _ => $"{name}={value}",
            });
        }
        return string.Join(';', derived) + ";";
    }

    private static string EndpointFor(string endpoint, string current, string account)
    {
        var uri = new Uri(endpoint);
        var path = uri.AbsolutePath.TrimEnd('/');
        if (!path.EndsWith("/" + current, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Endpoint {endpoint} is not path-style for account {current} (Azurite's form).");
        }
        return new UriBuilder(uri) { Path = path[..^current.Length] + account }.Uri.ToString().TrimEnd('/');
    }

    /// <summary>A connection string to a port nothing listens on: storage is unreachable.</summary>
    public const string UnreachableStorage =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;";

    public static string NewClientId(string prefix = "c") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
}

/// <summary>The API keys every test host is configured with.</summary>
public static class TestKeys
{
    public const string Admin = "test-admin-key-0000000000000000";
    public const string Operator = "test-operator-key-0000000000000";
    public const string Auditor = "test-auditor-key-00000000000000";
    public const string ScopedAdmin = "test-scoped-admin-key-000000000";
    public const string ScopedOperator = "test-scoped-operator-key-000000";
    public const string TwilioAuthToken = "test-twilio-auth-token-0123456789";
    public const string AircallToken = "test-aircall-token";

    /// <summary>A second operator key scoped to every client (idempotency keys belong to one API key).</summary>
    public const string OtherOperator = "test-other-operator-key-0000000";

    /// <summary>
    /// Where Twilio reaches the platform: deliberately another origin than the test server's own address
    /// (http://127.0.0.1:7071), so a test can tell a signature checked against PublicBaseUrl (README, HTTP API)
    /// from one checked against the request's URL.
    /// </summary>
    public const string PublicBaseUrl = "https://permanence.example";


    /// <summary>The only client the scoped admin key may see.</summary>
    public static readonly string ScopedClient = TestEnvironment.NewClientId("scoped");

    public static Dictionary<string, string?> Settings(string storageConnectionString) => new()
    {
        ["Permanence:Storage:ConnectionString"] = storageConnectionString,
        ["Permanence:PublicBaseUrl"] = PublicBaseUrl,
        ["Permanence:Signing:Key"] = "test-signing-key-0123456789abcdef0123456789",
        ["Permanence:Webhooks:AllowPrivateNetworks"] = "true",
        ["Permanence:Aircall:Tokens:0"] = "test-aircall-token",
        ["Permanence:Twilio:AuthToken"] = TwilioAuthToken,
        ["Permanence:Standalone:BackgroundWorkers"] = "false",
        ["Permanence:ApiKeys:0:Key"] = Admin,
        ["Permanence:ApiKeys:0:Role"] = "admin",
        ["Permanence:ApiKeys:0:Clients:0"] = "*",
        ["Permanence:ApiKeys:1:Key"] = Operator,
        ["Permanence:ApiKeys:1:Role"] = "operator",
        ["Permanence:ApiKeys:1:Clients:0"] = "*",
        ["Permanence:ApiKeys:2:Key"] = Auditor,
        ["Permanence:ApiKeys:2:Role"] = "auditor",
        ["Permanence:ApiKeys:2:Clients:0"] = "*",
        ["Permanence:ApiKeys:3:Key"] = ScopedAdmin,
        ["Permanence:ApiKeys:3:Role"] = "admin",
        ["Permanence:ApiKeys:3:Clients:0"] = ScopedClient,
        ["Permanence:ApiKeys:4:Key"] = ScopedOperator,
        ["Permanence:ApiKeys:4:Role"] = "operator",
        ["Permanence:ApiKeys:4:Clients:0"] = ScopedClient,
        ["Permanence:ApiKeys:5:Key"] = OtherOperator,
        ["Permanence:ApiKeys:5:Role"] = "operator",
        ["Permanence:ApiKeys:5:Clients:0"] = "*",
    };
}
