// Source-compatible stand-in for Microsoft.Azure.Functions.Worker.Extensions.ServiceBus (README, "The Service Bus extension build mode").
// Compiled only with -p:ServiceBusExtension=compat; publishing such a build is refused by the project file.
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace Microsoft.Azure.Functions.Worker;

[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ServiceBusTriggerAttribute : TriggerBindingAttribute, ISupportCardinality
{
    public ServiceBusTriggerAttribute(string queueName) => QueueName = queueName;

    public ServiceBusTriggerAttribute(string topicName, string subscriptionName)
    {
        TopicName = topicName;
        SubscriptionName = subscriptionName;
    }

    public string? QueueName { get; }
    public string? TopicName { get; }
    public string? SubscriptionName { get; }
    public string? Connection { get; set; }
    public bool IsSessionsEnabled { get; set; }
    public bool AutoCompleteMessages { get; set; } = true;
    [DefaultValue(false)]
    public bool IsBatched { get; set; }

    Cardinality ISupportCardinality.Cardinality
    {
        get => IsBatched ? Cardinality.Many : Cardinality.One;
        set => IsBatched = value == Cardinality.Many;
    }
}
