using System.Text.Json;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// The Universal Sentence Encoder's vocab.json: [piece, log-probability] pairs in id order, the first 6 reserved
/// (id 0 is the unknown token). Texts are tokenized exactly as its JavaScript tokenizer does (<see cref="UnigramDialect.UseLite"/>).
/// </summary>
internal static class UseVocabulary
{
    private const int ReservedSymbols = 6;

    public static UnigramTokenizer Load(string path)
    {
        var pieces = new List<(string, double?)>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{path}: entry {pieces.Count} is not a [piece, score] pair");
                pieces.Add((entry[0].GetString()!, entry[1].ValueKind == JsonValueKind.Null ? null : entry[1].GetDouble()));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a USE vocabulary ({e.Message})", e);
        }
        if (pieces.Count <= ReservedSymbols)
            throw new InvalidDataException($"{path}: holds {pieces.Count} pieces; a USE vocabulary has its {ReservedSymbols} reserved symbols and then the pieces");
        return new UnigramTokenizer(pieces, id => id < ReservedSymbols, unknownId: 0, UnigramDialect.UseLite, [], [], padId: 0);
    }
}
