using System.Text.Json.Nodes;

namespace Permanence.Integration.Tests.Contract;

/// <summary>docs/openapi.json as committed (the build regenerates it from the Standalone routes).</summary>
internal static class ApiDocument
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Path => System.IO.Path.Combine(RepositoryRoot, "docs", "openapi.json");

    public static JsonObject Load() => JsonNode.Parse(File.ReadAllText(Path))!.AsObject();

    /// <summary>(METHOD, /api/path) of every operation of the document.</summary>
    public static IReadOnlySet<string> Operations(JsonObject document) =>
        document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => $"{operation.Key.ToUpperInvariant()} {path.Key}"))
            .ToHashSet();

    public static IReadOnlySet<int> DeclaredStatuses(string method, string path) =>
        Load()["paths"]?[path]?[method.ToLowerInvariant()]?["responses"] is JsonObject responses
            ? responses.Select(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet()
            : new HashSet<int>();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Functions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (Functions.sln) was not found above the test binaries.");
    }
}
