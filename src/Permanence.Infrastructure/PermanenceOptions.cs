namespace Permanence.Infrastructure;

/// <summary>The configuration keys of section "Permanence" (README, "Configuration").</summary>
public sealed class PermanenceOptions
{
    public const string Section = "Permanence";

    public StorageOptions Storage { get; set; } = new();
    public ServiceBusOptions ServiceBus { get; set; } = new();
    public string PublicBaseUrl { get; set; } = "";
    public SendGridOptions SendGrid { get; set; } = new();
    public TwilioOptions Twilio { get; set; } = new();
    public AircallOptions Aircall { get; set; } = new();
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];
    public SigningOptions Signing { get; set; } = new();
    public WebhookOptions Webhooks { get; set; } = new();
    public string? FallbackEmail { get; set; }
}

public sealed class StorageOptions
{
    public string? ConnectionString { get; set; }

    // Managed-identity alternative used in Azure: one endpoint per service.
    public string? BlobServiceUri { get; set; }
    public string? TableServiceUri { get; set; }
    public string? QueueServiceUri { get; set; }

    public bool UsesConnectionString => !string.IsNullOrWhiteSpace(ConnectionString);
}

public sealed class ServiceBusOptions
{
    public string? FullyQualifiedNamespace { get; set; }
    public string? ConnectionString { get; set; }
}

public sealed class SendGridOptions
{
    public string? ApiKey { get; set; }
    public string? BaseUrl { get; set; }
    public string? FromEmail { get; set; }
}

public sealed class TwilioOptions
{
    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }
    public string? FromNumber { get; set; }
    public string? BaseUrl { get; set; }
}

public sealed class AircallOptions
{
    public List<string> Tokens { get; set; } = [];
}

public sealed class ApiKeyOptions
{
    public string Key { get; set; } = "";
    public string Role { get; set; } = "";
    public List<string> Clients { get; set; } = [];
}

public sealed class SigningOptions
{
    public string? Key { get; set; }
}

public sealed class WebhookOptions
{
    public bool AllowPrivateNetworks { get; set; }
}
