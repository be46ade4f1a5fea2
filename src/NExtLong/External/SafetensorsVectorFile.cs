using System.Buffers.Binary;
using System.Text.Json;

namespace NExtLong.External;

/// <summary>
/// safetensors files holding one 2-D tensor of F32, F16 or BF16 values, rows in chunk order. The tensor is the one
/// named <see cref="TensorName"/>, or the file's only tensor: <c>save_file({"embeddings": emb}, "emb-00000.safetensors")</c>.
/// </summary>
internal static class SafetensorsVectorFile
{
    public const string TensorName = "embeddings";

    public static IVectorShardReader Open(string path)
    {
        long length;
        byte[] header;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            length = fs.Length;
            Span<byte> lead = stackalloc byte[8];
            if (fs.ReadAtLeast(lead, 8, throwOnEndOfStream: false) < 8)
                throw new InvalidDataException($"{path}: not a safetensors file (shorter than its 8-byte header length)");
            ulong headerBytes = BinaryPrimitives.ReadUInt64LittleEndian(lead);
            if (headerBytes > 100_000_000 || 8 + (long)headerBytes > length)
                throw new InvalidDataException($"{path}: not a safetensors file (header length {headerBytes} for a file of {length} bytes)");
            header = new byte[headerBytes];
            fs.ReadExactly(header);
        }
        JsonElement tensor;
        try
        {
            using var doc = JsonDocument.Parse(header);
            var tensors = doc.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToList();
            var chosen = tensors.FirstOrDefault(p => p.Name == TensorName);
            if (chosen.Value.ValueKind == JsonValueKind.Undefined)
                chosen = tensors.Count == 1 ? tensors[0]
                    : throw new InvalidDataException($"{path}: holds {tensors.Count} tensors ({string.Join(", ", tensors.Take(5).Select(t => t.Name))}) and none is named '{TensorName}'; store the vectors as '{TensorName}'");
            tensor = chosen.Value.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a safetensors file (its header is not JSON: {e.Message})", e);
        }
        string dtype = tensor.GetProperty("dtype").GetString() ?? "";
        var element = dtype switch
        {
            "F32" => VectorElement.Float32,
            "F16" => VectorElement.Float16,
            "BF16" => VectorElement.BFloat16,
            _ => throw new InvalidDataException($"{path}: dtype {dtype} is not supported; store F32, F16 or BF16 vectors"),
        };
        var shape = tensor.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToList();
        if (shape.Count != 2 || shape[1] < 1 || shape[1] > int.MaxValue)
            throw new InvalidDataException($"{path}: tensor shape [{string.Join(", ", shape)}] is not [rows, dimension]; store a 2-D tensor, one row per chunk");
        var offsets = tensor.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt64()).ToList();
        long start = 8 + header.Length + offsets[0], bytes = offsets[1] - offsets[0];
        if (bytes != shape[0] * shape[1] * RawVectorShardReader.BytesOf(element) || start + bytes > length)
            throw new InvalidDataException($"{path}: the tensor's data_offsets [{offsets[0]}, {offsets[1]}] do not hold [{shape[0]}, {shape[1]}] {dtype} values within the file; it is truncated or corrupt");
        return new RawVectorShardReader(path, start, shape[0], (int)shape[1], element);
    }
}
