namespace Permanence.Core.Configuration;

public enum Priority
{
    Standard = 0,
    Important = 1,
    Critical = 2,
}

public static class Priorities
{
    public static bool TryParse(string? value, out Priority priority)
    {
        switch (value)
        {
            case "standard": priority = Priority.Standard; return true;
            case "important": priority = Priority.Important; return true;
            case "critical": priority = Priority.Critical; return true;
            default: priority = Priority.Standard; return false;
        }
    }

    public static string ToWire(this Priority priority) => priority switch
    {
        Priority.Critical => "critical",
        Priority.Important => "important",
        _ => "standard",
    };
}

public static class Channels
{
    public const string Email = "email";
    public const string Sms = "sms";
    public const string Webhook = "webhook";
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Email, Sms, Webhook };

    public const string OnCallPlaceholder = "$onCall";
}
