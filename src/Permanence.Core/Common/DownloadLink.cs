namespace Permanence.Core.Common;

/// <summary>A stored file with a read-only download link to it that expires (reports and exports alike).</summary>
public sealed record DownloadLink(string Name, long Bytes, Uri Url, DateTimeOffset ExpiresAt);
