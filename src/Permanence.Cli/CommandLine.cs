namespace Permanence.Cli;

/// <summary>The commands of the <c>permanence</c> tool (README, "Command-line tool").</summary>
public static class CommandLine
{
    public const string Usage = """
        usage: permanence outbox [--last N] [--connection-string S]
               permanence verify <folder>
               permanence download --client ID --period YYYY-MM [--out FOLDER] [--base-url URL] [--api-key KEY]
               permanence verify-certificate <file> [--key KEY | --signing-key KEY]
               permanence certificate-key [--signing-key KEY]
          outbox   lists the emails and SMS written to the 'outbox' container (oldest first);
                   --last N prints the last N in full. Storage: --connection-string, else
                   Permanence__Storage__ConnectionString, else the local Azurite of scripts/run.sh.
          verify   checks a monthly export folder against its manifest.json: each listed file is present with
                   the listed byte count, SHA-256 and (CSV) row count, and no other file is there. One PASS or
                   FAIL line per file, EXTRA for an unlisted file, then a summary.
          download fetches a month's export (GET /api/clients/{ID}/exports/{YYYY-MM}) into FOLDER (default
                   ./ID-YYYY-MM, new or empty), then verifies it as verify does. URL defaults to
                   http://127.0.0.1:7071 (plain http only to this machine); KEY, an auditor key, to the
                   PERMANENCE_API_KEY environment variable (preferred: a key on the command line stays in history).
          verify-certificate checks a deletion or retention certificate's HMAC-SHA256 signature with the
                   deployment's certificate key (--key, else PERMANENCE_CERTIFICATE_KEY; or the agency's signing
                   key: --signing-key, else PERMANENCE_SIGNING_KEY) and prints what it attests: client, when, by
                   which key, the manifest hash, the months, each store's count.
          certificate-key prints the certificate key derived from the signing key (--signing-key, else
                   PERMANENCE_SIGNING_KEY), to hand to an auditor: it checks certificates and signs nothing else.
        exit codes: 0 success (every file passes), 1 a file fails or the download fails, 2 usage error
                    (bad arguments, no folder, no manifest.json or one that cannot be read).
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await output.WriteLineAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return args[0] switch
            {
                "outbox" => await OutboxCommand.RunAsync(Options.Parse(args[1..]), output),
                "verify" => await VerifyCommand.RunAsync(Folder(args[1..]), output, error),
                "download" => await DownloadCommand.RunAsync(Options.Parse(args[1..]), output, error),
                "verify-certificate" when args.Length >= 2 && !args[1].StartsWith("--", StringComparison.Ordinal) =>
                    await VerifyCertificateCommand.RunAsync(args[1], Options.Parse(args[2..]), output, error),
                "verify-certificate" => await Fail(error, "verify-certificate takes the certificate file first"),
                "certificate-key" => await VerifyCertificateCommand.PrintKeyAsync(Options.Parse(args[1..]), output, error),
                _ => await Fail(error, $"unknown command '{args[0]}'"),
            };
        }
        catch (ArgumentException e)
        {
            return await Fail(error, e.Message);
        }
    }

    /// <summary>verify's one argument: the folder.</summary>
    private static string Folder(string[] args) =>
        args is [var folder] && !folder.StartsWith("--", StringComparison.Ordinal) ? folder
        : throw new ArgumentException("verify takes one argument: the export folder");

    private static async Task<int> Fail(TextWriter error, string message)
    {
        await error.WriteLineAsync($"permanence: {message}");
        await error.WriteLineAsync(Usage);
        return 2;
    }
}

/// <summary>"--name value" pairs.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --option value, got '{args[i]}'");
            }
            options._values[args[i][2..]] = args[++i];
        }
        return options;
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    /// <summary>Refuses an option the command does not know (a misspelt one would otherwise be ignored).</summary>
    public void OnlyAllow(params string[] names)
    {
        foreach (var name in _values.Keys.Where(n => !names.Contains(n, StringComparer.Ordinal)))
        {
            throw new ArgumentException($"unknown option --{name}");
        }
    }

    public int? GetInt(string name) =>
        Get(name) is not { } value ? null
        : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0 ? number
        : throw new ArgumentException($"--{name} must be a positive whole number");
}
