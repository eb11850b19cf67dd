using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;

namespace Permanence.Core.Common;

/// <summary>
/// JSON of stored records and queue bodies, kept apart from the HTTP options so that changing one cannot change
/// the other. Characters are written as themselves, not as \u escapes: the default encoder makes text with
/// accents or '&lt;&gt;&amp;+' up to six times longer, which storage limits would then refuse.
/// </summary>
public static class StorageJson
{
    public static readonly JsonSerializerOptions Options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb);

    /// <summary>The same, indented: files people read (export and offboarding JSON, certificates).</summary>
    public static readonly JsonSerializerOptions Readable = new(Options) { WriteIndented = true };
}
