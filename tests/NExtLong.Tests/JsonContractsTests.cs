using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using NExtLong.Index;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>
/// nextlong's JSON goes through contracts generated at build time (<see cref="JsonContracts"/>), and trees of
/// <c>object</c> values through <see cref="ObjectTreeConverter"/>: both must write exactly the bytes the
/// reflection-based serializer wrote before them, since config.json, stats.json and plans decide what is fresh.
/// </summary>
public class JsonContractsTests
{
    private static Dictionary<string, object?> Tree() => new()
    {
        ["text"] = "é \"quoted\" <tag> \u2028",
        ["int"] = 7,
        ["long"] = long.MaxValue,
        ["ulong"] = ulong.MaxValue,
        ["short"] = (short)-3,
        ["byte"] = (byte)200,
        ["double"] = 0.1 + 0.2,
        ["negative_zero"] = -0.0,
        ["float"] = 1.1f,
        ["decimal"] = 1.10m,
        ["true"] = true,
        ["char"] = 'é',
        ["bytes"] = new byte[] { 0, 1, 254, 255 },
        ["null"] = null,
        ["list"] = new List<string> { "a", "b" },
        ["ints"] = new[] { 1, 2, 3 },
        ["empty"] = Array.Empty<object>(),
        ["nested"] = new Dictionary<string, object?> { ["deeper"] = new List<object?> { 1, "x", null, new Dictionary<string, object?> { ["k"] = 2.5 } } },
        ["sorted"] = new SortedDictionary<string, int>(StringComparer.Ordinal) { ["b"] = 2, ["a"] = 1 },
        ["by_number"] = new Dictionary<int, string> { [3] = "three", [1] = "one" },
        ["enum"] = DropReason.ShortAfterRetries,
        ["enum_keys"] = new Dictionary<DropReason, int> { [DropReason.AnchorNotIndexed] = 1 },
        ["record"] = new IndexedFields("text", "id"),
        ["records"] = new List<IndexedFields> { new("body", "key") },
        ["node"] = new JsonObject { ["a"] = 1, ["b"] = new JsonArray(1, "two") },
        ["element"] = JsonDocument.Parse("""{"x":[1,2]}""").RootElement,
    };

    private static JsonSerializerOptions Reflection(JsonSerializerOptions settings)
        => new(settings) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    [Fact]
    public void An_object_tree_is_written_as_the_reflection_based_serializer_writes_it()
    {
        foreach (var settings in new[]
                 {
                     new JsonSerializerOptions(),
                     new JsonSerializerOptions { WriteIndented = true },
                     new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true },
                     new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping },
                 })
        {
            var tree = Tree();
            string expected = JsonSerializer.Serialize(tree, Reflection(settings));
            string actual = JsonContracts.Make(new JsonSerializerOptions(settings)).Serialize(tree);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Numbers_that_are_not_finite_follow_the_options_as_the_default_converters_do()
    {
        var tree = new Dictionary<string, object?> { ["min"] = double.NegativeInfinity, ["max"] = double.PositiveInfinity, ["nan"] = float.NaN };
        var named = new JsonSerializerOptions { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
        Assert.Equal(JsonSerializer.Serialize(tree, Reflection(named)), JsonContracts.Make(new JsonSerializerOptions(named)).Serialize(tree));
        Assert.Throws<ArgumentException>(() => JsonContracts.Plain.Serialize(tree));
    }

    [Fact]
    public void A_value_of_a_type_without_a_contract_fails_instead_of_falling_back_to_reflection()
    {
        var tree = new Dictionary<string, object?> { ["value"] = new Uncontracted(1) };
        var e = Assert.Throws<NotSupportedException>(() => JsonContracts.Plain.Serialize(tree));
        Assert.Contains(nameof(Uncontracted), e.Message);
    }

    [Fact]
    public void The_contracts_read_back_what_they_write()
    {
        var source = new IndexedSource("web", [new IndexedFile("a.jsonl", 10, "0123456789abcdef")]);
        var manifest = IndexManifest.Json.Serialize(source);
        Assert.Equal(JsonSerializer.Serialize(source, Reflection(IndexManifest.Json)), manifest);
        var read = IndexManifest.Json.Deserialize<IndexedSource>(manifest)!;
        Assert.Equal("web", read.Name);
        Assert.Equal(10, read.Files[0].Bytes);
        // An object read back is a JsonElement, as the reflection-based default gives.
        var tree = JsonContracts.Plain.Deserialize<Dictionary<string, object>>("""{"a":[1,{"b":null}]}""")!;
        Assert.IsType<JsonElement>(tree["a"]);
        Assert.Equal("""[1,{"b":null}]""", ((JsonElement)tree["a"]).GetRawText());
    }

    private sealed record Uncontracted(int Value);
}
