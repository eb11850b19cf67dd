using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Permanence.Cli;

/// <summary>
/// <c>permanence download</c>: one month's export through the auditor route
/// <c>GET /api/clients/{clientId}/exports/{period}</c>, each file from its read-only link into a new folder,
/// then the same check as <c>permanence verify</c> (README, "Command-line tool").
/// </summary>
public static partial class DownloadCommand
{
    public const string DefaultBaseUrl = "http://127.0.0.1:7071";
    public const string ApiKeyVariable = "PERMANENCE_API_KEY";

    /// <summary>Until the answer's headers; a body is then bounded by <see cref="ReadIdleTimeout"/> per read, whatever its size.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadIdleTimeout = TimeSpan.FromSeconds(60);
    private const int ChunkSize = 64 * 1024;
    private const int MaxListingBytes = 16 * 1024 * 1024;
    private const int MaxProblemBytes = 64 * 1024;

    public static async Task<int> RunAsync(Options options, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        options.OnlyAllow("client", "period", "out", "base-url", "api-key");
        // Everything is checked before the first request: a typo never reaches the server.
        var client = options.Get("client") ?? throw new ArgumentException("download needs --client");
        if (!ClientId().IsMatch(client))
        {
            throw new ArgumentException("--client must be 1 to 64 lowercase letters, digits and inner hyphens");
        }
        var period = options.Get("period") ?? throw new ArgumentException("download needs --period YYYY-MM");
        if (!Period().IsMatch(period))
        {
            throw new ArgumentException("--period must be a month as YYYY-MM (e.g. 2026-10)");
        }
        var baseUrl = BaseUrl(options.Get("base-url") ?? DefaultBaseUrl);
        var apiKey = options.Get("api-key") ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            throw new ArgumentException($"no API key: set {ApiKeyVariable} (or pass --api-key)");
        }
        var folder = options.Get("out") ?? $"{client}-{period}";
        if (File.Exists(folder) || (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any()))
        {
            // Old files would mix with the new ones (and show as EXTRA): an export goes into a folder of its own.
            throw new ArgumentException($"'{folder}' already exists and is not an empty folder: choose another --out");
        }

        using var http = new HttpClient(new SocketsHttpHandler
        {
            // A redirect could carry the key elsewhere; the API and storage links answer directly.
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        })
        { Timeout = RequestTimeout };

        var listing = await ListAsync(http, baseUrl, client, period, apiKey, error, cancellationToken);
        if (listing is null)
        {
            return 1;
        }
        if (listing.Final == false)
        {
            await output.WriteLineAsync($"note: the export of {client} {period} is not final (month to date); it is replaced when the month closes");
        }

        var created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        var root = Path.GetFullPath(folder);
        var written = new List<string>();
        foreach (var file in listing.Files)
        {
            var path = Path.Combine(root, file.Name);
            var problem = await DownloadAsync(http, file, path, cancellationToken);
            if (problem is not null)
            {
                await error.WriteLineAsync($"permanence: {file.Name}: {problem}");
                // Leave no partial export behind: the next attempt starts from an empty folder again.
                foreach (var done in written.Append(path))
                {
                    File.Delete(done);
                }
                if (created && !Directory.EnumerateFileSystemEntries(root).Any())
                {
                    Directory.Delete(root);
                }
                await error.WriteLineAsync("permanence: nothing kept; run the same command again");
                return 1;
            }
            written.Add(path);
            await output.WriteLineAsync($"downloaded {file.Name} ({file.Bytes.ToString(CultureInfo.InvariantCulture)} bytes)");
        }
        await output.WriteLineAsync($"into {root}; verifying:");
        return await VerifyCommand.RunAsync(root, output, error, new VerifyCommand.Expected(client, period), cancellationToken);
    }

    private sealed record ListedFile(string Name, long Bytes, Uri Url);

    private sealed record Listing(bool? Final, IReadOnlyList<ListedFile> Files);

    /// <summary>The listing, or null once the reason was printed.</summary>
    private static async Task<Listing?> ListAsync(HttpClient http, string baseUrl, string client, string period, string apiKey, TextWriter error, CancellationToken cancellationToken)
    {
        var url = $"{baseUrl}/api/clients/{client}/exports/{period}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await error.WriteLineAsync($"permanence: cannot reach {url}: {(e is TaskCanceledException ? "no answer in time" : e.Message)}");
            return null;
        }
        using (response)
        {
            byte[] body;
            try
            {
                body = await ReadCappedAsync(response, response.IsSuccessStatusCode ? MaxListingBytes : MaxProblemBytes, cancellationToken);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidDataException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await error.WriteLineAsync($"permanence: {url}: the answer could not be read ({e.Message})");
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var what = response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => "the API key was refused",
                    HttpStatusCode.Forbidden => $"this key may not read the exports of {client}",
                    HttpStatusCode.NotFound => $"no export of {client} for {period}",
                    HttpStatusCode.Conflict => $"the export of {client} for {period} is not ready",
                    _ => "the server refused the request",
                };
                var detail = ProblemDetail(body);
                // Never print the key, even if an answer were to echo it.
                detail = detail?.Replace(apiKey, "***", StringComparison.Ordinal);
                await error.WriteLineAsync($"permanence: HTTP {status}: {what}" + (detail is null ? "" : $": {ExportNames.Display(detail)}"));
                return null;
            }
            try
            {
                return ReadListing(body, client, period);
            }
            catch (FormatException e)
            {
                await error.WriteLineAsync($"permanence: the server's answer was refused: {e.Message}; nothing downloaded");
                return null;
            }
        }
    }

    /// <summary>The listing, every file name checked before anything is written: one hostile name refuses it all.</summary>
    private static Listing ReadListing(byte[] body, string client, string period)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON ({e.Message})", e);
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("no \"files\" array");
        }
        if ((root.TryGetProperty("clientId", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() != client)
            || (root.TryGetProperty("period", out var p) && p.ValueKind == JsonValueKind.String && p.GetString() != period))
        {
            throw new FormatException($"it is not the export of {client} for {period}");
        }
        var list = new List<ListedFile>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files.EnumerateArray())
        {
            var name = file.ValueKind == JsonValueKind.Object && file.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : null;
            if (!ExportNames.IsPlainFileName(name))
            {
                throw new FormatException($"it lists '{ExportNames.Display(name)}', which is not a plain file name");
            }
            if (!names.Add(name!))
            {
                throw new FormatException($"it lists '{name}' twice");
            }
            var bytes = file.TryGetProperty("bytes", out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetInt64(out var count) && count >= 0 ? count
                : throw new FormatException($"'{name}' has no byte count");
            var url = file.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String
                && Uri.TryCreate(u.GetString(), UriKind.Absolute, out var link) && link.Scheme is "https" or "http" ? link
                : throw new FormatException($"'{name}' has no http(s) link");
            list.Add(new ListedFile(name!, bytes, url));
        }
        if (!names.Contains(ExportNames.Manifest))
        {
            throw new FormatException($"it lists no {ExportNames.Manifest}");
        }
        bool? final = root.TryGetProperty("final", out var f) && f.ValueKind is JsonValueKind.True or JsonValueKind.False ? f.GetBoolean() : null;
        return new Listing(final, list);
    }

    /// <summary>Streams one file to disk; null when done, else what went wrong (the link itself is never printed: it is a credential).</summary>
    private static async Task<string?> DownloadAsync(HttpClient http, ListedFile file, string path, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            // No Authorization header: the link carries its own read-only grant, and the API key stays with the API.
            using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return $"download failed: HTTP {(int)response.StatusCode}"
                    + (response.StatusCode == HttpStatusCode.Forbidden ? " (the links expire within 15 minutes)" : "");
            }
            await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
            // CreateNew: never overwrite, never write through a link that was put there.
            await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            long received = 0;
            while (true)
            {
                idle.CancelAfter(ReadIdleTimeout);
                var read = await source.ReadAsync(buffer.AsMemory(0, ChunkSize), idle.Token);
                if (read == 0)
                {
                    return null;
                }
                received += read;
                if (received > file.Bytes)
                {
                    // More than announced: stop before a faulty or hostile answer fills the disk.
                    return $"the server sent more than the {file.Bytes} bytes it announced";
                }
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return e is OperationCanceledException ? "download stalled (no data in time)" : $"download failed ({e.Message})";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, int max, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            idle.CancelAfter(ReadIdleTimeout);
            var read = await stream.ReadAsync(buffer, idle.Token);
            if (read == 0)
            {
                return body.ToArray();
            }
            if (body.Length + read > max)
            {
                throw new InvalidDataException($"longer than {max} bytes");
            }
            body.Write(buffer, 0, read);
        }
    }

    /// <summary>The <c>detail</c> of an RFC 9457 problem, else its <c>title</c>, else null.</summary>
    private static string? ProblemDetail(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return root.ValueKind != JsonValueKind.Object ? null
                : root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String ? detail.GetString()
                : root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String ? title.GetString()
                : null;
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(body).Trim();
            return text.Length == 0 ? null : text.Length > 200 ? text[..200] : text;
        }
    }

    /// <summary>An absolute http(s) URL without a trailing slash; plain http only to this machine, so the key never crosses a network in clear.</summary>
    private static string BaseUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http")
            || url.Query.Length > 0 || url.Fragment.Length > 0 || url.UserInfo.Length > 0)
        {
            throw new ArgumentException("--base-url must be an http(s) URL such as https://permanence.example.com");
        }
        if (url.Scheme == "http" && !url.IsLoopback)
        {
            throw new ArgumentException("--base-url must use https (plain http only to 127.0.0.1 or localhost): the API key would travel in clear");
        }
        return url.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    [GeneratedRegex(@"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\z")]
    private static partial Regex ClientId();

    [GeneratedRegex(@"\A[0-9]{4}-(?:0[1-9]|1[0-2])\z")]
    private static partial Regex Period();
}
