using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Notifications;

/// <summary>
/// The "outbox" container: where email and SMS go when no SendGrid key or Twilio account is configured (the
/// local default), one readable file each: <c>{clientId}/{messageId}/{step}.{contact}.email.eml</c> (MIME,
/// opens in any mail client) or <c>…{step}.{contact}.sms.txt</c>. A retry of the same delivery rewrites the same file.
/// </summary>
public sealed class OutboxWriter(BlobServiceClient blobs)
{
    private readonly CreatedOnce<BlobContainerClient> _container = BlobContainers.CreatedOnFirstUse(blobs, StorageNames.OutboxContainer);

    public async Task<string> WriteAsync(string clientId, string messageId, string deliveryId, string extension, string contentType, string content, CancellationToken cancellationToken)
    {
        var container = await _container.GetAsync().WaitAsync(cancellationToken);
        var suffix = deliveryId.StartsWith(messageId + ".", StringComparison.Ordinal) ? deliveryId[(messageId.Length + 1)..] : deliveryId;
        var name = $"{clientId}/{messageId}/{suffix}.{extension}";
        await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(content), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
        }, cancellationToken);
        return name;
    }
}

public sealed class OutboxEmailSender(OutboxWriter outbox, TimeProvider time) : IEmailSender
{
    public async Task<DeliveryOutcome> SendAsync(EmailNotification email, CancellationToken cancellationToken) =>
        new DeliveryOutcome.Sent(await outbox.WriteAsync(email.ClientId, email.MessageId, email.DeliveryId, "eml", "message/rfc822; charset=utf-8",
            Mime(email, time.GetUtcNow()), cancellationToken));

    /// <summary>
    /// A multipart/alternative message in UTF-8, 8-bit: readable as text, and opens in a mail client. With
    /// attachments, it is the first part of a multipart/mixed message whose other parts are the files, in base64.
    /// </summary>
    internal static string Mime(EmailNotification email, DateTimeOffset date)
    {
        var boundary = $"permanence-{Guid.NewGuid():N}";
        var mixed = email.Attachments is { Count: > 0 } ? $"permanence-mixed-{Guid.NewGuid():N}" : null;
        var mime = new StringBuilder();
        mime.Append("Date: ").Append(date.ToString("r", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n");
        mime.Append("To: ").Append(email.ToName is { Length: > 0 } name ? $"\"{name.Replace("\"", "'", StringComparison.Ordinal)}\" <{email.To}>" : email.To).Append("\r\n");
        mime.Append("Subject: ").Append(email.Subject).Append("\r\n");
        mime.Append("Content-Language: ").Append(email.Locale).Append("\r\n");
        mime.Append("X-Permanence-Message: ").Append(email.MessageId).Append("\r\n");
        mime.Append("MIME-Version: 1.0\r\n");
        if (mixed is not null)
        {
            mime.Append("Content-Type: multipart/mixed; boundary=\"").Append(mixed).Append("\"\r\n\r\n");
            mime.Append("--").Append(mixed).Append("\r\n");
        }
        mime.Append("Content-Type: multipart/alternative; boundary=\"").Append(boundary).Append("\"\r\n\r\n");
        mime.Append("--").Append(boundary).Append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        mime.Append(email.Text).Append("\r\n");
        mime.Append("--").Append(boundary).Append("\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        mime.Append(email.Html).Append("\r\n");
        mime.Append("--").Append(boundary).Append("--\r\n");
        if (mixed is not null)
        {
            foreach (var attachment in email.Attachments!)
            {
                mime.Append("--").Append(mixed).Append("\r\nContent-Type: ").Append(attachment.ContentType)
                    .Append("\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"")
                    .Append(attachment.FileName.Replace("\"", "", StringComparison.Ordinal)).Append("\"\r\n\r\n")
                    .Append(Convert.ToBase64String(attachment.Content.Span, Base64FormattingOptions.InsertLineBreaks)).Append("\r\n");
            }
            mime.Append("--").Append(mixed).Append("--\r\n");
        }
        return mime.ToString();
    }
}

public sealed class OutboxSmsSender(OutboxWriter outbox) : ISmsSender
{
    public async Task<DeliveryOutcome> SendAsync(SmsNotification sms, CancellationToken cancellationToken) =>
        new DeliveryOutcome.Sent(await outbox.WriteAsync(sms.ClientId, sms.MessageId, sms.DeliveryId, "txt", "text/plain; charset=utf-8",
            $"To: {sms.To}\n\n{sms.Body}\n", cancellationToken));
}

/// <summary>Fallback emails: to <c>Permanence:FallbackEmail</c> through the email channel, or to the outbox when it is not set.</summary>
public sealed class FallbackEmailSender(IEmailSender email, OutboxEmailSender outbox, string? fallbackEmail) : IFallbackEmailSender
{
    public Task<DeliveryOutcome> SendAsync(EmailNotification notification, CancellationToken cancellationToken) =>
        fallbackEmail is { Length: > 0 } address
            ? email.SendAsync(notification with { To = address, ToName = null }, cancellationToken)
            : outbox.SendAsync(notification with { To = "fallback (Permanence:FallbackEmail is not set)", ToName = null }, cancellationToken);
}
