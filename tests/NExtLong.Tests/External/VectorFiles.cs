using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Tests.External;

/// <summary>Small writers of the vector formats `index --vectors` reads, as numpy, safetensors and pyarrow would write them.</summary>
internal static class VectorFiles
{
    /// <summary>np.save of a (rows, d) float32 or float16 array.</summary>
    public static void WriteNpy(string path, ReadOnlySpan<float> vectors, int d, bool half = false)
    {
        int rows = vectors.Length / d;
        string dict = $"{{'descr': '<f{(half ? 2 : 4)}', 'fortran_order': False, 'shape': ({rows}, {d}), }}";
        int total = 10 + dict.Length + 1;
        string header = dict.PadRight(dict.Length + (64 - total % 64) % 64) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, .. "NUMPY"u8, 1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        file.Write(length);
        file.Write(Encoding.ASCII.GetBytes(header));
        file.Write(Payload(vectors, half));
    }

    /// <summary>safetensors' save_file({name: tensor}) of a (rows, d) F32 or F16 tensor.</summary>
    public static void WriteSafetensors(string path, ReadOnlySpan<float> vectors, int d, bool half = false, string name = "embeddings")
    {
        var payload = Payload(vectors, half);
        string json = $"{{\"__metadata__\":{{\"format\":\"pt\"}},\"{name}\":{{\"dtype\":\"{(half ? "F16" : "F32")}\",\"shape\":[{vectors.Length / d},{d}],\"data_offsets\":[0,{payload.Length}]}}}}";
        var header = Encoding.UTF8.GetBytes(json.PadRight(json.Length + (8 - json.Length % 8) % 8));
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Write(length);
        file.Write(header);
        file.Write(payload);
    }

    /// <summary>A pyarrow-style table (chunk_id int64, embedding list&lt;float32&gt; or binary), in row groups of <paramref name="rowGroup"/> rows.</summary>
    public static void WriteParquet(string path, IReadOnlyList<long> chunkIds, ReadOnlySpan<float> vectors, int d, bool binary = false, int rowGroup = 64)
    {
        var copy = vectors.ToArray();
        Task.Run(async () =>
        {
            var ids = new DataField<long>("chunk_id");
            var element = new DataField<float>("element", nullable: true);
            var list = new ListField("embedding", element);
            var blob = new DataField<byte[]>("embedding");
            var schema = binary ? new ParquetSchema(ids, blob) : new ParquetSchema(ids, list);
            await using var file = File.Create(path);
            await using var writer = await ParquetWriter.CreateAsync(schema, file);
            for (int start = 0; start < chunkIds.Count; start += rowGroup)
            {
                int rows = Math.Min(rowGroup, chunkIds.Count - start);
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<long>(ids, chunkIds.Skip(start).Take(rows).ToArray().AsMemory(), null, null, default);
                if (binary)
                    await group.WriteAsync(blob, Enumerable.Range(start, rows).Select(r => MemoryMarshal.AsBytes(copy.AsSpan(r * d, d)).ToArray()).ToList(), null);
                else
                {
                    ReadOnlyMemory<float> values = copy.AsMemory(start * d, rows * d);
                    var repetition = Enumerable.Range(0, rows * d).Select(i => i % d == 0 ? 0 : 1).ToArray();
                    var definition = Enumerable.Repeat(element.MaxDefinitionLevel, rows * d).ToArray();
                    await group.WriteAllPartsAsync<float>(element, values, definition.AsMemory(), repetition.AsMemory(), default);
                }
                group.CompleteValidate();
            }
        }).GetAwaiter().GetResult();
    }

    private static byte[] Payload(ReadOnlySpan<float> vectors, bool half)
    {
        if (!half) return MemoryMarshal.AsBytes(vectors).ToArray();
        var halves = new Half[vectors.Length];
        for (int i = 0; i < halves.Length; i++) halves[i] = (Half)vectors[i];
        return MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
    }
}
