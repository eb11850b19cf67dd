namespace Permanence.Infrastructure.Storage;

/// <summary>Every table, container and queue name the code uses; infra/ and the tests check against these.</summary>
public static class StorageNames
{
    public const string ContractsTable = "Contracts";
    public const string NumbersTable = "PhoneNumbers";
    public const string CallsTable = "Calls";
    public const string MessagesTable = "Messages";
    public const string RoutingOutboxTable = "RoutingOutbox";
    public const string DeliveriesTable = "Deliveries";
    public const string AcknowledgementsTable = "Acknowledgements";
    public const string SmsReplyCodesTable = "SmsReplyCodes";
    public const string CallsByMonthTable = "CallsByMonth";
    public const string MessagesByMonthTable = "MessagesByMonth";
    public const string MonthlyJobsTable = "MonthlyJobs";
    public const string ExportAccessLogTable = "ExportAccessLog";
    public const string OffboardingsTable = "Offboardings";

    public static readonly IReadOnlyList<string> Tables =
        [ContractsTable, NumbersTable, CallsTable, MessagesTable, RoutingOutboxTable, DeliveriesTable, AcknowledgementsTable, SmsReplyCodesTable, CallsByMonthTable, MessagesByMonthTable, MonthlyJobsTable, ExportAccessLogTable, OffboardingsTable];

    public const string RawContainer = "raw";
    public const string OutboxContainer = "outbox";
    public const string ReportsContainer = "reports";
    public const string ExportsContainer = "exports";
    public const string OffboardingContainer = "offboarding";
    public const string CertificatesContainer = "certificates";

    public static readonly IReadOnlyList<string> Containers = [RawContainer, OutboxContainer, ReportsContainer, ExportsContainer, OffboardingContainer, CertificatesContainer];

    public const string RoutingQueue = "routing";
}
