#:package Microsoft.ML.Tokenizers.Data.Cl100kBase
// Writes tests/NExtLong.Tests/Data/cl100k-first4096.tiktoken: the first 4096 ranks of cl100k_base (MIT,
// shipped in Microsoft.ML.Tokenizers.Data.Cl100kBase) in tiktoken's "base64 rank" format. A rank prefix of a
// BPE rank table is itself a valid table (every merge's parts rank lower than the merge; ranks 0-255 are the
// single bytes), so this is a small, real tokenizer for tests.
// Run from the repository root:  dotnet run tools/tokenizers/make-test-tiktoken.cs
using System.IO.Compression;
using System.Reflection;
using System.Text;

const int Ranks = 4096;
var data = Assembly.Load("Microsoft.ML.Tokenizers.Data.Cl100kBase");
string resource = data.GetManifestResourceNames().Single(n => n.EndsWith(".tiktoken.deflate", StringComparison.Ordinal));
using var reader = new StreamReader(new DeflateStream(data.GetManifestResourceStream(resource)!, CompressionMode.Decompress), Encoding.UTF8);
// The embedded copy starts with a "Capacity: N" header, then one base64 token per line in rank order.
if (reader.ReadLine() is not { } header || !header.StartsWith("Capacity:", StringComparison.Ordinal))
    throw new InvalidDataException("unexpected cl100k_base resource layout");
var output = new StringBuilder();
for (int rank = 0; rank < Ranks; rank++)
{
    string line = reader.ReadLine() ?? throw new InvalidDataException("cl100k_base has fewer ranks than expected");
    string token = line.Split(' ')[0];
    if (rank < 256 && Convert.FromBase64String(token).Length != 1)
        throw new InvalidDataException($"cl100k_base rank {rank} is not a single byte");
    output.Append(token).Append(' ').Append(rank).Append('\n');
}
string path = Path.Combine("tests", "NExtLong.Tests", "Data", $"cl100k-first{Ranks}.tiktoken");
File.WriteAllText(path, output.ToString(), new UTF8Encoding(false));
Console.WriteLine($"{path}: {Ranks} ranks");
