using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using NExtLong.Index;
using NExtLong.Pipeline;

namespace NExtLong.Tests.External;

/// <summary>`index --vectors`: every format round-trips into the index an in-process build makes, and every bad vector file is refused naming its file and row.</summary>
public class VectorImportTests(ImportFixture f) : IClassFixture<ImportFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private void WriteNpy(int shard, string path) => VectorFiles.WriteNpy(path + ".npy", f.ShardVectors(shard), f.Dimension);

    [Theory]
    [InlineData("npy")]
    [InlineData("safetensors")]
    [InlineData("parquet-list")]
    [InlineData("parquet-binary")]
    public void Imported_vectors_give_the_bytes_of_the_in_process_index(string format)
    {
        string vectors = f.WriteAll((i, path) =>
        {
            switch (format)
            {
                case "npy": WriteNpy(i, path); break;
                case "safetensors": VectorFiles.WriteSafetensors(path + ".safetensors", f.ShardVectors(i), f.Dimension); break;
                default: VectorFiles.WriteParquet(path + ".parquet", f.ShardIds(i), f.ShardVectors(i), f.Dimension, binary: format == "parquet-binary"); break;
            }
        });
        var options = f.Import(vectors);
        var outcome = IndexStage.Run(options, ct: Ct);
        Assert.Equal(f.Manifest.Chunks, outcome.Chunks);

        // Every file but the manifest is the same bytes; the manifest differs only in what made the vectors.
        SplitSample.AssertSameTree(f.Reference, options.OutDir, _ => false, skipFile: name => name == "manifest.json");
        var imported = JsonNode.Parse(File.ReadAllText(Path.Combine(options.OutDir, "manifest.json")))!.AsObject();
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(f.Reference, "manifest.json")))!.AsObject();
        Assert.Equal("vectors:glove-elsewhere", (string?)imported["embedder"]);
        Assert.Equal(f.Manifest.Shards.Count, imported["imported_vectors"]!["files"]!.AsArray().Count);
        imported.Remove("embedder");
        imported.Remove("imported_vectors");
        reference.Remove("embedder");
        Assert.Equal(reference.ToJsonString(), imported.ToJsonString());

        // The same vectors again: the index is reused.
        Assert.True(IndexStage.Run(options, ct: Ct).Reused);
    }

    [Theory]
    [InlineData("npy")]
    [InlineData("safetensors")]
    public void Float16_vectors_import_normalised(string format)
    {
        string vectors = f.WriteAll((i, path) =>
        {
            if (format == "npy") VectorFiles.WriteNpy(path + ".npy", f.ShardVectors(i), f.Dimension, half: true);
            else VectorFiles.WriteSafetensors(path + ".safetensors", f.ShardVectors(i), f.Dimension, half: true);
        });
        var options = f.Import(vectors, normalize: true);
        IndexStage.Run(options, ct: Ct);
        using var index = ChunkIndex.Open(options.OutDir);
        var row = new float[f.Dimension];
        for (long id = 0; id < index.ChunkCount; id += 97)
        {
            index.ReadVector(id, row);
            double dot = 0, norm = 0;
            for (int j = 0; j < row.Length; j++)
            {
                dot += row[j] * f.Vectors[id * f.Dimension + j];
                norm += row[j] * row[j];
            }
            Assert.InRange(Math.Sqrt(norm), 0.9999, 1.0001);
            Assert.True(dot > 0.999, $"chunk {id}: cosine {dot} to the float32 vector");
        }
    }

    private string Refused(IndexStage.Options options)
    {
        var error = Assert.Throws<InvalidDataException>(() => IndexStage.Run(options, ct: Ct));
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(File.Exists(Path.Combine(options.OutDir, "manifest.json")));
        return error.Message;
    }

    [Fact]
    public void Missing_and_extra_rows_and_files_are_refused_naming_the_shard_and_row()
    {
        var rows = f.Manifest.Shards[1].Rows;
        string shortShard = f.WriteAll((i, path) => VectorFiles.WriteNpy(path + ".npy", i == 1 ? f.ShardVectors(i)[..^f.Dimension] : f.ShardVectors(i), f.Dimension));
        Assert.Contains($"emb-00001.npy: {rows - 1} rows, but chunks shard chunks-00001.parquet has {rows}: the vectors of rows {rows - 1}–{rows - 1}", Refused(f.Import(shortShard)));

        string longShard = f.WriteAll((i, path) => VectorFiles.WriteNpy(path + ".npy", i == 1 ? [.. f.ShardVectors(i), .. f.ShardVectors(0)[..f.Dimension]] : f.ShardVectors(i), f.Dimension));
        Assert.Contains($"emb-00001.npy row {rows}: extra vector", Refused(f.Import(longShard)));

        string fewerFiles = f.WriteAll(WriteNpy, shards: f.Manifest.Shards.Count - 1);
        Assert.Contains($"vectors for chunks shard chunks-{f.Manifest.Shards.Count - 1:D5}.parquet", Refused(f.Import(fewerFiles)));

        string moreFiles = f.WriteAll((i, path) => WriteNpy(Math.Min(i, f.Manifest.Shards.Count - 1), path), shards: f.Manifest.Shards.Count + 1);
        Assert.Contains($"emb-{f.Manifest.Shards.Count:D5}.npy: extra vector file", Refused(f.Import(moreFiles)));
    }

    [Fact]
    public void Duplicated_missing_and_extra_chunk_ids_are_refused_naming_the_shard_and_row()
    {
        long first = f.Manifest.Shards[2].FirstChunk;
        string Parquet(Action<long[]> alter) => f.WriteAll((i, path) =>
        {
            var ids = f.ShardIds(i);
            if (i == 2) alter(ids);
            VectorFiles.WriteParquet(path + ".parquet", ids, f.ShardVectors(i), f.Dimension);
        });
        Assert.Contains($"emb-00002.parquet row 5: duplicated vector: chunk_id {first + 4}", Refused(f.Import(Parquet(ids => ids[5] = ids[4]))));
        Assert.Contains($"emb-00002.parquet row 5: the vector of chunk {first + 5} is missing", Refused(f.Import(Parquet(ids => ids[5] = ids[6]))));
        Assert.Contains($"emb-00002.parquet row 7: extra vector: chunk_id {f.Manifest.Chunks + 3}", Refused(f.Import(Parquet(ids => ids[7] = f.Manifest.Chunks + 3))));
    }

    [Fact]
    public void Non_finite_wrong_dimension_and_unnormalised_vectors_are_refused_naming_the_shard_and_row()
    {
        string nan = f.WriteAll((i, path) =>
        {
            var v = f.ShardVectors(i);
            if (i == 1) v[3 * f.Dimension + 7] = float.NaN;
            VectorFiles.WriteSafetensors(path + ".safetensors", v, f.Dimension);
        });
        Assert.Contains("emb-00001.safetensors row 3: non-finite value NaN at dimension 7", Refused(f.Import(nan)));

        string narrow = f.WriteAll((i, path) =>
        {
            var v = f.ShardVectors(i);
            int d = i == 2 ? f.Dimension - 1 : f.Dimension;
            VectorFiles.WriteNpy(path + ".npy", v.AsSpan(0, (int)f.Manifest.Shards[i].Rows * d), d);
        });
        Assert.Contains($"emb-00002.npy: {f.Dimension - 1}-d vectors, but", Refused(f.Import(narrow)));

        string ragged = f.WriteAll((i, path) =>
        {
            var v = f.ShardVectors(i);
            VectorFiles.WriteParquet(path + ".parquet", f.ShardIds(i), v, f.Dimension, binary: true);
            if (i == 1)
            {
                // Row 9 one float short: a binary column's rows carry their own length.
                var rows = Enumerable.Range(0, (int)f.Manifest.Shards[i].Rows).Select(r => r == 9 ? v.AsSpan(r * f.Dimension, f.Dimension - 1).ToArray() : v.AsSpan(r * f.Dimension, f.Dimension).ToArray()).ToList();
                WriteRagged(path + ".parquet", f.ShardIds(i), rows);
            }
        });
        Assert.Contains("emb-00001.parquet row 9: " + (f.Dimension - 1) * 4 + " bytes, not " + f.Dimension + " float32", Refused(f.Import(ragged)));

        string scaled = f.WriteAll((i, path) =>
        {
            var v = f.ShardVectors(i);
            if (i == 0) for (int j = 0; j < f.Dimension; j++) (v[2 * f.Dimension + j], v[5 * f.Dimension + j]) = (v[2 * f.Dimension + j] * 2, 0);
            VectorFiles.WriteNpy(path + ".npy", v, f.Dimension);
        });
        Assert.Contains("emb-00000.npy row 2: L2 norm 2 is not 1 (tolerance 0.001); pass --normalize", Refused(f.Import(scaled)));
        var normalised = f.Import(scaled, normalize: true);
        Assert.Equal(f.Manifest.Chunks, IndexStage.Run(normalised, ct: Ct).Chunks);
        // A zero row (an embedder's vector for a chunk with nothing to embed) is kept as it is.
        using var index = ChunkIndex.Open(normalised.OutDir);
        var row = new float[f.Dimension];
        index.ReadVector(5, row);
        Assert.All(row, x => Assert.Equal(0f, x));
        index.ReadVector(2, row);
        Assert.InRange(Math.Sqrt(row.Sum(x => (double)x * x)), 0.9999, 1.0001);
    }

    [Fact]
    public void Vectors_of_other_chunks_are_refused()
    {
        string other = Path.Combine(f.Root, "chunks-1024");
        ChunksStage.Run(new ChunksStage.Options { Corpus = new() { Inputs = [f.Corpus] }, OutDir = other, Chunking = new() { ChunkChars = 1024 }, Execution = new() { Threads = 1 } }, ct: Ct);
        string vectors = f.WriteAll(WriteNpy);
        Assert.Contains("the chunks were made with chunk_chars 1024, not 2048", Refused(f.Import(vectors, chunks: other)));
        // Beside the vectors: no manifest there or in the parent folder.
        var error = Assert.Throws<FileNotFoundException>(() => IndexStage.Run(f.Import(vectors) with { ChunksDir = null }, ct: Ct));
        Assert.Contains("pass --chunks DIR", error.Message);
    }

    private static void WriteRagged(string path, long[] ids, List<float[]> rows)
    {
        Task.Run(async () =>
        {
            var idField = new Parquet.Schema.DataField<long>("chunk_id");
            var blob = new Parquet.Schema.DataField<byte[]>("embedding");
            await using var file = File.Create(path);
            await using var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(idField, blob), file);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<long>(idField, ids.AsMemory(), null, null, default);
            await group.WriteAsync(blob, rows.Select(r => MemoryMarshal.AsBytes(r.AsSpan()).ToArray()).ToList(), null);
            group.CompleteValidate();
        }).GetAwaiter().GetResult();
    }
}
