using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Permanence.Infrastructure.Webhooks;
using StandardWebhooks;
using Xunit.Abstractions;

namespace Permanence.Integration.Tests.Contract;

/// <summary>
/// The verification snippets of docs/guides/webhooks.md verify a signature the project produces, and refuse a
/// tampered body: C# here, Node and Python by running the page's own code when node / python3 are installed.
/// </summary>
public sealed partial class WebhookSnippetTests(ITestOutputHelper output)
{
    private static readonly string Page = File.ReadAllText(Path.Combine(ApiDocument.RepositoryRoot, "docs", "guides", "webhooks.md"));

    private const string Body = """{"id":"msg-1","clientId":"althea","priority":"critical","text":"Rappeler Mme Durand — «urgent» & vite"}""";

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static string Snippet(string language) =>
        SnippetBlock().Matches(Page).Single(m => m.Groups["lang"].Value == language).Groups["code"].Value;

    [Fact]
    public void CSharpSnippet_VerifiesTheProjectsSignature_AndRefusesATamperedBody()
    {
        // The page's C# lines, as written there.
        Assert.Contains("var webhook = new StandardWebhook(secret);", Snippet("csharp"), StringComparison.Ordinal);
        Assert.Contains("webhook.Verify(body, headers);", Snippet("csharp"), StringComparison.Ordinal);
        var secret = NewSecret();
        var signed = WebhookSigner.Sign(secret, "dlv-1", DateTimeOffset.UtcNow, Body);
        var headers = new HeaderDictionary
        {
            ["webhook-id"] = signed.Id,
            ["webhook-timestamp"] = signed.Timestamp,
            ["webhook-signature"] = signed.Signature,
        };
        Assert.StartsWith("v1,", signed.Signature, StringComparison.Ordinal);

        var body = Body;
        var webhook = new StandardWebhook(secret);
        webhook.Verify(body, headers);

        Assert.ThrowsAny<Exception>(() => new StandardWebhook(secret).Verify(body + " ", headers));
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(NewSecret()).Verify(body, headers));
    }

    [Theory]
    [InlineData("node", "javascript")]
    [InlineData("python3", "python")]
    public async Task PageSnippet_VerifiesTheProjectsSignature_AndRefusesATamperedBody(string runtime, string language)
    {
        if (!OnPath(runtime))
        {
            output.WriteLine($"{runtime} is not installed: the {language} snippet of docs/guides/webhooks.md was not run.");
            return;
        }
        var secret = NewSecret();
        var signed = WebhookSigner.Sign(secret, "dlv-2", DateTimeOffset.UtcNow, Body);
        var cases = new JsonArray(
            Case(secret, signed, Body),               // as sent: valid
            Case(secret, signed, Body + " "),         // body changed: invalid
            Case(NewSecret(), signed, Body));         // another secret: invalid
        var harness = language == "javascript"
            ? Snippet(language) + """

                const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
                console.log(input.map((c) => verifyPermanenceWebhook(c.secret, c.headers, c.body)).join(' '));
                """
            : Snippet(language) + """

                import json, sys
                print(" ".join("true" if verify_permanence_webhook(c["secret"], c["headers"], c["body"]) else "false" for c in json.load(sys.stdin)))
                """;
        var file = Path.Combine(Path.GetTempPath(), $"permanence-snippet-{Guid.NewGuid():N}.{(language == "javascript" ? "js" : "py")}");
        await File.WriteAllTextAsync(file, harness);
        try
        {
            var (exitCode, stdout, stderr) = await RunAsync(runtime, file, cases.ToJsonString());
            Assert.True(exitCode == 0, stderr);
            Assert.Equal("true false false", stdout.Trim().ToLowerInvariant());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static JsonObject Case(string secret, WebhookSignatureHeaders signed, string body) => new()
    {
        ["secret"] = secret,
        ["body"] = body,
        ["headers"] = new JsonObject
        {
            ["webhook-id"] = signed.Id,
            ["webhook-timestamp"] = signed.Timestamp,
            ["webhook-signature"] = signed.Signature,
        },
    };

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, program)));

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, string file, string stdin)
    {
        using var process = Process.Start(new ProcessStartInfo(program, [file])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex(@"```(?<lang>csharp|javascript|python)\n(?<code>(?:(?!```).)*)```", RegexOptions.Singleline)]
    private static partial Regex SnippetBlock();
}
