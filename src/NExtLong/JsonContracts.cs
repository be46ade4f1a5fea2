using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace NExtLong;

/// <summary>
/// Every type nextlong writes or reads as JSON, with its contract generated at build time: no reflection at run time,
/// so a natively compiled (ahead-of-time) build reads and writes exactly what the JIT-compiled one does. A type
/// missing here fails on its first use in any build, which the tests see. Trees of <c>object</c> values (config.json,
/// stats.json, plans) are written by <see cref="ObjectTreeConverter"/>, which every option set here carries.
/// </summary>
[JsonSerializable(typeof(Index.IndexManifest))]
[JsonSerializable(typeof(External.ChunksManifest))]
[JsonSerializable(typeof(Pipeline.EmbedStage.Manifest))]
[JsonSerializable(typeof(Pipeline.SynthesisProgress))]
[JsonSerializable(typeof(Pipeline.CandidateBlock.Line))]
[JsonSerializable(typeof(Synthesis.SynthesisStats))]
[JsonSerializable(typeof(Synthesis.DropReason))]
[JsonSerializable(typeof(Dedup.DedupStats))]
[JsonSerializable(typeof(Embedding.Onnx.OnnxEmbedderSettings))]
[JsonSerializable(typeof(Pipeline.UnitRecord<Pipeline.ChunksStage.UnitStats>), TypeInfoPropertyName = "ChunksUnitRecord")]
[JsonSerializable(typeof(Pipeline.UnitRecord<Pipeline.IndexStage.UnitStats>), TypeInfoPropertyName = "IndexUnitRecord")]
[JsonSerializable(typeof(Pipeline.UnitRecord<Pipeline.EmbedStage.UnitStats>), TypeInfoPropertyName = "EmbedUnitRecord")]
[JsonSerializable(typeof(Pipeline.UnitRecord<Dedup.DedupStage.UnitStats>), TypeInfoPropertyName = "DedupUnitRecord")]
[JsonSerializable(typeof(Pipeline.UnitRecord<Pipeline.SynthesisStage.BlockStats>), TypeInfoPropertyName = "SynthesisUnitRecord")]
[JsonSerializable(typeof(Pipeline.UnitRecord<JsonElement>), TypeInfoPropertyName = "AnyUnitRecord")]
[JsonSerializable(typeof(Pipeline.ChunksStage.UnitStats), TypeInfoPropertyName = "ChunksUnitStats")]
[JsonSerializable(typeof(Pipeline.IndexStage.UnitStats), TypeInfoPropertyName = "IndexUnitStats")]
[JsonSerializable(typeof(Pipeline.EmbedStage.UnitStats), TypeInfoPropertyName = "EmbedUnitStats")]
[JsonSerializable(typeof(Dedup.DedupStage.UnitStats), TypeInfoPropertyName = "DedupUnitStats")]
[JsonSerializable(typeof(Index.IndexedSource))]
[JsonSerializable(typeof(Index.IndexedFields))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(SortedDictionary<string, string>))]
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(float))]
internal sealed partial class JsonContracts : JsonSerializerContext
{
    /// <summary>
    /// <paramref name="options"/> made to take their contracts from here, and to write trees of <c>object</c> values
    /// without reflection: the one way nextlong's JSON options are made.
    /// </summary>
    /// <param name="options">The options to complete.</param>
    /// <param name="userTypes">Also serve types outside nextlong (a library user's stage stats) by reflection, where
    /// the build allows reflection.</param>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reflection only where the build enables it (JsonSerializer.IsReflectionEnabledByDefault, false in a native build).")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Reflection only where the build enables it (JsonSerializer.IsReflectionEnabledByDefault, false in a native build).")]
    public static JsonSerializerOptions Make(JsonSerializerOptions options, bool userTypes = false)
    {
        options.TypeInfoResolver = userTypes && JsonSerializer.IsReflectionEnabledByDefault
            ? JsonTypeInfoResolver.Combine(Default, new DefaultJsonTypeInfoResolver())
            : Default;
        options.Converters.Add(new ObjectTreeConverter());
        return options;
    }

    // Made on first use, not as static fields: the generated Default is itself a static of this class, and the
    // order of static initializers across the partial class's files is not defined.

    /// <summary>Options with nothing but the contracts: the serializer's defaults otherwise.</summary>
    public static JsonSerializerOptions Plain => field ??= Make(new JsonSerializerOptions());

    /// <summary>Options with nothing but the contracts, indented.</summary>
    public static JsonSerializerOptions Indented => field ??= Make(new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>Typed access to a contract through a set of options, as the serializer's non-reflection overloads take it.</summary>
internal static class JsonContractsExtensions
{
    public static JsonTypeInfo<T> Info<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    /// <summary><paramref name="value"/> as JSON, by the contract of <typeparamref name="T"/> these options hold.</summary>
    public static string Serialize<T>(this JsonSerializerOptions options, T value) => JsonSerializer.Serialize(value, options.Info<T>());

    /// <summary>A <typeparamref name="T"/> read from <paramref name="json"/>, by the contract these options hold.</summary>
    public static T? Deserialize<T>(this JsonSerializerOptions options, string json) => JsonSerializer.Deserialize(json, options.Info<T>());

    /// <summary>A <typeparamref name="T"/> read from UTF-8 <paramref name="json"/>, by the contract these options hold.</summary>
    public static T? Deserialize<T>(this JsonSerializerOptions options, ReadOnlySpan<byte> json) => JsonSerializer.Deserialize(json, options.Info<T>());
}
