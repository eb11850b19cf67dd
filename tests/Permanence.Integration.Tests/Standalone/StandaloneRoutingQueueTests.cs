using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Standalone;

/// <summary>The Standalone host's routing queue: Storage queue "routing" on its own account (README "Messages").</summary>
public sealed class StandaloneRoutingQueueTests(HostFixture<StandaloneHost.Factory> fixture) : IClassFixture<HostFixture<StandaloneHost.Factory>>
{
    internal static JsonObject PersonalMessage(string clientId) => new()
    {
        ["clientId"] = clientId,
        ["callId"] = "aircall:1234567",
        ["scenario"] = "urgence",
        ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "06 12 34 56 78", ["email"] = "durand@patients.example" },
        ["fields"] = new JsonObject { ["symptoms"] = "douleur thoracique" },
        ["text"] = "Rappeler Mme Durand au 06 12 34 56 78",
        ["operatorId"] = "op-12",
        ["takenAt"] = "2026-10-05T19:42:10Z",
    };

    [Fact]
    public async Task PostMessage_RoutingQueueMessage_CarriesIdentifiersOnly()
    {
        // README "Messages": queue messages carry identifiers only (claim check): exactly these five keys.
        var http = fixture.Host.CreateClient();
        var (clientId, _) = await Seed.ClientAsync(http);
        var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, PersonalMessage(clientId)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;

        var queue = fixture.Host.Services.GetRequiredService<QueueServiceClient>().GetQueueClient("routing");
        var text = await TakeAsync(queue, id);

        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(["kind", "clientId", "messageId", "step", "attempt"], body.Select(p => p.Key));
        Assert.Equal("route", (string?)body["kind"]);
        Assert.Equal(clientId, (string?)body["clientId"]);
        Assert.Equal(id, (string?)body["messageId"]);
        Assert.Equal(0, (int?)body["step"]);
        Assert.Equal(0, (int?)body["attempt"]);
        foreach (var personal in new[] { "Durand", "612345678", "12 34 56 78", "patients.example", "thoracique", "Rappeler", "op-12" })
        {
            Assert.DoesNotContain(personal, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// Finds the command of one message on the real queue and deletes it. Messages are received (not peeked),
    /// so a long queue is read whole; every other message is made visible again at once.
    /// </summary>
    private static async Task<string> TakeAsync(QueueClient queue, string messageId)
    {
        var others = new List<QueueMessage>();
        try
        {
            for (var round = 0; round < 100; round++)
            {
                var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
                if (batch.Length == 0)
                {
                    break;
                }
                foreach (var message in batch)
                {
                    var text = message.Body.ToString();
                    if (text.Contains(messageId, StringComparison.Ordinal))
                    {
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                        return text;
                    }
                    others.Add(message);
                }
            }
        }
        finally
        {
            foreach (var other in others)
            {
                await queue.UpdateMessageAsync(other.MessageId, other.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }
        }
        throw new Xunit.Sdk.XunitException($"No routing command for {messageId} on queue {queue.Name} ({others.Count} others).");
    }
}
