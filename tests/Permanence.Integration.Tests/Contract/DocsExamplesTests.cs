using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Permanence.Infrastructure;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Contract;

/// <summary>
/// Docs cannot rot: every request example of README.md and docs/ (an ```http block, or the README's curl
/// commands, each followed by <c>&lt;!-- expect: status --&gt;</c>) is sent to the Standalone host in the order
/// of its page, and must get the status the page says. The published development values are swapped for the
/// test host's, and the demo client, its number and the ids for fresh ones, so pages do not depend on each other.
/// </summary>
public sealed partial class DocsExamplesTests(HostFixture<StandaloneHost.Factory> fixture) : IClassFixture<HostFixture<StandaloneHost.Factory>>
{
    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        foreach (var page in DocumentedPages())
        {
            data.Add(page);
        }
        return data;
    }

    private static IEnumerable<string> DocumentedPages() =>
        new[] { "README.md" }
            .Concat(Directory.EnumerateFiles(Path.Combine(ApiDocument.RepositoryRoot, "docs"), "*.md", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(ApiDocument.RepositoryRoot, f).Replace('\\', '/')))
            .Where(page => Examples(File.ReadAllText(Path.Combine(ApiDocument.RepositoryRoot, page))).Any())
            .Order(StringComparer.Ordinal);

    [Fact]
    public void ThePagesWithExamples_AreFound() =>
        Assert.Superset(new HashSet<string> { "README.md", "docs/configuration.md", "docs/guides/pbx.md", "docs/guides/twilio.md", "docs/guides/aircall.md", "docs/guides/operators.md" },
            DocumentedPages().ToHashSet());

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task EveryExampleOfThePage_GetsTheStatusItSays(string page)
    {
        var text = Substitute(File.ReadAllText(Path.Combine(ApiDocument.RepositoryRoot, page)), out var clientId, out var number);
        var http = fixture.Host.CreateClient();
        if (page != "docs/configuration.md")
        {
            // Every other page takes the demo client as configured.
            var seed = await http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, Api.Althea(number)));
            Assert.True(seed.IsSuccessStatusCode, await seed.Content.ReadAsStringAsync());
        }
        var examples = Examples(text).ToList();
        Assert.NotEmpty(examples);
        foreach (var (requests, expected) in examples)
        {
            Assert.Equal(expected.Count, requests.Count);
            for (var i = 0; i < requests.Count; i++)
            {
                var response = await http.SendAsync(ToRequest(requests[i], number));
                Assert.True((int)response.StatusCode == expected[i],
                    $"{page}: expected {expected[i]}, got {(int)response.StatusCode} for\n{requests[i]}\n{await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    /// <summary>The example blocks of a page with the statuses written under them.</summary>
    internal static IEnumerable<(List<string> Requests, List<int> Expected)> Examples(string text)
    {
        foreach (Match block in ExampleBlock().Matches(text))
        {
            var expected = block.Groups["expect"].Value.Split(',').Select(s => int.Parse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var body = block.Groups["body"].Value;
            var requests = block.Groups["lang"].Value == "http"
                ? [body]
                : Regex.Split(body.Replace("\\\n", " ", StringComparison.Ordinal), @"\n(?=curl )").Where(l => l.TrimStart().StartsWith("curl ", StringComparison.Ordinal)).ToList();
            yield return (requests, expected);
        }
    }

    internal static string Substitute(string text, out string clientId, out string number)
    {
        clientId = TestEnvironment.NewClientId("docs");
        var e164 = Api.NewNumber();
        number = e164;
        // +33 1 86 95 00 00 in the pages: the same fresh number, in the same spaced form.
        var spaced = "+33 " + e164[3..4] + " " + string.Join(' ', Enumerable.Range(0, 4).Select(i => e164.Substring(4 + 2 * i, 2)));
        var run = Guid.NewGuid().ToString("N")[..12];
        var aircallId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000);
        return text
            .Replace("dev-admin-key-0000000000000000", TestKeys.Admin, StringComparison.Ordinal)
            .Replace("dev-operator-key-00000000000000", TestKeys.Operator, StringComparison.Ordinal)
            .Replace("dev-auditor-key-000000000000000", TestKeys.Auditor, StringComparison.Ordinal)
            .Replace("dev-aircall-token", TestKeys.AircallToken, StringComparison.Ordinal)
            .Replace("/clients/althea", $"/clients/{clientId}", StringComparison.Ordinal)
            .Replace("client=althea", $"client={clientId}", StringComparison.Ordinal)
            .Replace("\"clientId\":\"althea\"", $"\"clientId\":\"{clientId}\"", StringComparison.Ordinal)
            .Replace("\"clientId\": \"althea\"", $"\"clientId\": \"{clientId}\"", StringComparison.Ordinal)
            .Replace("+33186950000", e164, StringComparison.Ordinal)
            .Replace("%2B33186950000", "%2B" + e164[1..], StringComparison.Ordinal)
            .Replace("+33 1 86 95 00 00", spaced, StringComparison.Ordinal)
            .Replace("c-00012", $"c-{run}-", StringComparison.Ordinal)
            .Replace("\"id\": 1234567", $"\"id\": {aircallId}", StringComparison.Ordinal)
            .Replace("aircall:1234567", $"aircall:{aircallId}", StringComparison.Ordinal)
            .Replace("CA00000000000000000000000000000001", $"CA{run}00000000000000000001", StringComparison.Ordinal)
            .Replace("7f7c1c1e-2b51-4c7e-9d0e-5b9a6c1f0a11", $"docs-{run}", StringComparison.Ordinal);
    }

    private HttpRequestMessage ToRequest(string example, string number) =>
        example.TrimStart().StartsWith("curl ", StringComparison.Ordinal) ? FromCurl(example) : FromHttp(example, number);

    private HttpRequestMessage FromHttp(string example, string number)
    {
        var parts = example.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", 2);
        var lines = parts[0].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var requestLine = lines[0].Split(' ');
        var request = new HttpRequestMessage(new HttpMethod(requestLine[0]), requestLine[1]);
        var body = parts.Length > 1 ? parts[1].Trim() : null;
        if (body == "@samples/althea.json")
        {
            body = Api.Althea(number).ToJsonString();
        }
        string? contentType = null;
        string? twilioSignature = null;
        foreach (var header in lines.Skip(1).Select(l => l.Split(':', 2)).Select(h => (Name: h[0].Trim(), Value: h[1].Trim())))
        {
            if (header.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = header.Value;
            }
            else if (header.Name == "X-Twilio-Signature")
            {
                twilioSignature = header.Value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(header.Name, header.Value);
            }
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }
        if (twilioSignature is not null)
        {
            // The page explains how to compute it; here it is computed for the test host's token and public URL.
            request.Headers.Add("X-Twilio-Signature", TwilioSignature(requestLine[1], body ?? ""));
        }
        return request;
    }

    private string TwilioSignature(string path, string form)
    {
        var options = fixture.Host.Services.GetRequiredService<IOptions<PermanenceOptions>>().Value;
        var data = new StringBuilder(options.PublicBaseUrl.TrimEnd('/') + path);
        foreach (var (name, values) in QueryHelpers.ParseQuery(form).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var value in values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                data.Append(name).Append(value);
            }
        }
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(options.Twilio.AuthToken!), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>The curl forms the README uses: -X METHOD, URL, -H "Name: value", -d 'body'.</summary>
    internal static HttpRequestMessage FromCurl(string command)
    {
        var tokens = CurlToken().Matches(command).Select(m => m.Groups["q"].Success ? m.Groups["q"].Value : m.Groups["s"].Success ? m.Groups["s"].Value : m.Value).Skip(1).ToList();
        string method = "GET", url = "";
        string? body = null;
        var headers = new List<(string, string)>();
        for (var i = 0; i < tokens.Count; i++)
        {
            switch (tokens[i])
            {
                case "-X": method = tokens[++i]; break;
                case "-H": var h = tokens[++i].Split(':', 2); headers.Add((h[0].Trim(), h[1].Trim())); break;
                case "-d": body = tokens[++i]; if (method == "GET") { method = "POST"; } break;
                default: url = tokens[i]; break;
            }
        }
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url).PathAndQuery);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(headers.FirstOrDefault(h => h.Item1.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Item2 ?? "application/x-www-form-urlencoded");
        }
        foreach (var (name, value) in headers.Where(h => !h.Item1.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    [GeneratedRegex(@"```(?<lang>http|bash)\n(?<body>(?:(?!```).)*)```\n<!-- expect: (?<expect>[0-9, ]+) -->", RegexOptions.Singleline)]
    private static partial Regex ExampleBlock();

    [GeneratedRegex("""'(?<s>[^']*)'|"(?<q>[^"]*)"|\S+""")]
    private static partial Regex CurlToken();
}
