using System.Collections;
using System.Globalization;
using System.Text.Json;
using NExtLong.Corpus;
using NExtLong.Output;
using NExtLong.Output.Megatron;
using NExtLong.Output.Mds;
using NExtLong.Output.Parquet;
using Parquet;
using Parquet.Schema;
using ZstdSharp;

namespace NExtLong.Inspection;

/// <summary>
/// `nextlong inspect`: reads any output back — a dataset folder (every format in it), an MDS folder, a Megatron
/// prefix (or its .idx/.bin), Parquet files or folders, JSON lines .jsonl.zst files — and prints its schema, its
/// counts and one sample.
/// </summary>
public static class DatasetInspector
{

    /// <summary>
    /// Prints what <paramref name="path"/> holds, then a "verify:" line with what <see cref="DatasetVerifier"/> finds
    /// (its quick checks when <see cref="InspectOptions.Scan"/> is off).
    /// </summary>
    /// <exception cref="InvalidDataException">The data is corrupt; the message names the file and the sample.</exception>
    public static void Inspect(string path, TextWriter output, InspectOptions options)
    {
        options.Validate();
        var found = DatasetLocator.FindOrThrow(path);
        string? unreadable = null;
        for (int i = 0; i < found.Count && unreadable is null; i++)
        {
            if (i > 0) output.WriteLine();
            var (kind, target) = found[i];
            try
            {
                switch (kind)
                {
                    case DatasetLocator.Mds: Mds(target, output, options); break;
                    case DatasetLocator.Megatron: Megatron(target, output, options); break;
                    case DatasetLocator.Parquet: ParquetFiles(target, output, options); break;
                    default: JsonLines(target, output, options); break;
                }
            }
            catch (InvalidDataException e)
            {
                // The verifier names the first bad sample more precisely; this stands if it finds nothing.
                unreadable = e.Message;
            }
        }
        var result = DatasetVerifier.Verify(path, new VerifyOptions { Quick = !options.Scan, Tokenizer = options.Tokenizer });
        string? failure = result.Failure ?? unreadable;
        output.WriteLine();
        output.WriteLine(failure is null ? $"verify: ok ({result.Counts})" : $"verify: FAILED: {failure}");
        if (failure is not null)
            throw new InvalidDataException(failure);
    }

    private static void Mds(string dir, TextWriter o, InspectOptions options)
    {
        using var dataset = MdsDataset.Open(dir);
        var shards = dataset.Shards;
        var folders = shards.Select(s => Path.GetDirectoryName(s.RawData.Basename) ?? "").Distinct().ToList();
        o.WriteLine($"MDS dataset {dir}");
        o.WriteLine($"  samples: {N(dataset.SampleCount)} in {N(shards.Count)} shard(s){(folders.Any(f => f.Length > 0) ? $" in {folders.Count} folder(s): {string.Join(", ", folders)}" : "")}");
        o.WriteLine($"  bytes: {N(shards.Sum(s => s.RawData.Bytes))} raw, {N(shards.Sum(s => (s.ZipData ?? s.RawData).Bytes))} stored; "
            + $"compression: {shards.Select(s => s.Compression ?? "none").Distinct().DefaultIfEmpty("none").First()}; "
            + $"hashes: {(shards.Count == 0 || shards[0].Hashes.Count == 0 ? "none" : string.Join(", ", shards[0].Hashes))}; "
            + $"size limit: {(shards.Count == 0 ? "-" : N(shards[0].SizeLimit ?? 0))}");
        o.WriteLine($"  columns: {string.Join(", ", dataset.Columns.Select(c => $"{c.Name} ({c.Encoding})"))}");
        if (dataset.SampleCount == 0)
            return;
        if (options.Scan && dataset.Columns.Any(c => c.Name == "input_ids" && c.Encoding.IsNDArray))
        {
            var lengths = new List<long>();
            long documents = 0;
            for (long i = 0; i < dataset.SampleCount; i++)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                var s = dataset.Read(i);
                lengths.Add(s.GetNdArray(s.Column("input_ids")).Count);
                documents += s.Column("indices") is int ix and >= 0 ? s.GetNdArray(ix).Shape[0] : 1;
            }
            o.WriteLine($"  tokens: {N(lengths.Sum())} (per sample mean {N(lengths.Average())}, min {N(lengths.Min())}, max {N(lengths.Max())}); documents by indices: {N(documents)}");
        }
        long k = Clamp(options.Sample, dataset.SampleCount);
        var sample = dataset.Read(k);
        o.WriteLine($"  sample {k} ({sample.Location}):");
        for (int c = 0; c < sample.Columns.Count; c++)
            o.WriteLine($"    {sample.Columns[c].Name}: {sample.Describe(c, options.MaxChars, options.MaxItems)}");
        if (options.Tokenizer is not null && sample.Column("input_ids") is int ids and >= 0)
        {
            var array = sample.GetNdArray(ids);
            var buffer = new int[array.Count];
            array.CopyToInt32(buffer);
            o.WriteLine($"    input_ids decoded ({options.Tokenizer.Name}): {MdsSample.Quote(options.Tokenizer.Inner.Decode(buffer.Take(Math.Max(options.MaxChars, 1))) ?? "", options.MaxChars)}");
        }
    }

    private static void Megatron(string prefix, TextWriter o, InspectOptions options)
    {
        using var dataset = MegatronDataset.Open(prefix);
        o.WriteLine($"Megatron indexed dataset {prefix} (.idx/.bin)");
        o.WriteLine($"  MMIDIDX version 1, dtype {dataset.DType.ToString().ToLowerInvariant()} (code {(byte)dataset.DType}); sequences: {N(dataset.Lengths.Count)}, documents: {N(dataset.DocumentIndices.Count - 1)}; .bin {N(dataset.BinBytes)} bytes");
        if (dataset.Lengths.Count == 0)
            return;
        o.WriteLine($"  tokens: {N(dataset.Lengths.Sum(l => (long)l))} (per sequence mean {N(dataset.Lengths.Average())}, min {N(dataset.Lengths.Min())}, max {N(dataset.Lengths.Max())})");
        int k = (int)Clamp(options.Sample, dataset.Lengths.Count);
        var ids = dataset.ReadSequence(k);
        o.WriteLine($"  sequence {k}: {N(ids.Length)} ids [{string.Join(", ", ids.Take(options.MaxItems))}{(ids.Length > options.MaxItems ? ", …" : "")}]");
        if (options.Tokenizer is not null)
            o.WriteLine($"    decoded ({options.Tokenizer.Name}): {MdsSample.Quote(options.Tokenizer.Inner.Decode(ids.Take(Math.Max(options.MaxChars, 1)).Select(i => (int)i)) ?? "", options.MaxChars)}");
    }

    private static void ParquetFiles(string path, TextWriter o, InspectOptions options)
    {
        var files = DatasetLocator.Files(path, "*.parquet");
        o.WriteLine($"Parquet {path}");
        long rows = 0, tokens = 0;
        ParquetSchema? schema = null;
        var counts = new List<long>();
        foreach (string file in files)
        {
            using var stream = File.OpenRead(file);
            var reader = Sync(() => ParquetReader.CreateAsync(stream, leaveStreamOpen: true), file);
            schema ??= reader.Schema;
            if (!reader.Schema.Equals(schema))
                throw new InvalidDataException($"{file}: its schema differs from {files[0]}'s");
            long fileRows = reader.RowGroups.Sum(g => g.RowCount);
            counts.Add(fileRows);
            rows += fileRows;
            var numTokens = schema.DataFields.FirstOrDefault(f => f.Path.ToString() == "num_tokens" && f.MaxRepetitionLevel == 0);
            if (options.Scan && numTokens is not null && numTokens.ClrType == typeof(int))
            {
                for (int g = 0; g < reader.RowGroupCount; g++)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    var group = reader.OpenRowGroupReader(g);
                    var values = new int[group.RowCount];
                    Sync(async () => { await group.ReadRawAsync(numTokens, values.AsMemory(), null, null); return 0; }, file);
                    tokens += values.Sum(v => (long)v);
                }
            }
        }
        o.WriteLine($"  files: {files.Count}, rows: {N(rows)}{(tokens > 0 ? $", num_tokens: {N(tokens)}" : "")}");
        o.WriteLine("  schema:");
        foreach (var field in schema!.Fields)
            o.WriteLine($"    {Describe(field)}");
        if (rows == 0)
            return;
        long k = Clamp(options.Sample, rows);
        int fileIndex = 0;
        while (k >= counts[fileIndex]) k -= counts[fileIndex++];
        using var sampleFile = File.OpenRead(files[fileIndex]);
        var sampleReader = Sync(() => ParquetReader.CreateAsync(sampleFile, leaveStreamOpen: true), files[fileIndex]);
        int groupIndex = 0;
        while (k >= sampleReader.RowGroups[groupIndex].RowCount) k -= sampleReader.RowGroups[groupIndex++].RowCount;
        var data = Sync(() => ParquetRowAssembler.ReadAsync(sampleReader, groupIndex, options.Cancellation), files[fileIndex]);
        o.WriteLine($"  row {Clamp(options.Sample, rows)} ({Path.GetFileName(files[fileIndex])}, row group {groupIndex}):");
        foreach (var (name, value) in data[(int)k])
            o.WriteLine($"    {name}: {Value(value, options)}");
    }

    private static void JsonLines(string path, TextWriter o, InspectOptions options)
    {
        var files = DatasetLocator.Files(path, "*.jsonl.zst");
        o.WriteLine($"JSON lines {path}");
        long lines = 0, tokens = 0;
        string? sample = null, sampleAt = null;
        foreach (string file in files)
        {
            using var fileStream = File.OpenRead(file);
            // DecompressionStream leaves the stream it reads open.
            using var stream = file.EndsWith(".zst", StringComparison.Ordinal) ? new DecompressionStream(fileStream) : (Stream)fileStream;
            using var reader = new StreamReader(stream);
            long lineNumber = 0;
            for (string? line; (line = ReadLine(reader, file)) is not null;)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                lineNumber++;
                if (line.Length == 0) continue;
                if (lines++ == options.Sample)
                {
                    sample = line;
                    sampleAt = $"{Path.GetFileName(file)}:{lineNumber}";
                    if (!options.Scan) break;
                }
                if (!options.Scan) continue;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.TryGetProperty("num_tokens", out var n) && n.TryGetInt64(out long t)) tokens += t;
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"{file}:{lineNumber}: not a JSON object ({e.Message})", e);
                }
            }
            if (!options.Scan && sample is not null)
                break;
        }
        o.WriteLine(options.Scan
            ? $"  files: {files.Count}, documents: {N(lines)}{(tokens > 0 ? $", num_tokens: {N(tokens)}" : "")}"
            : $"  files: {files.Count}");
        if (sample is null)
        {
            if (lines > 0) Clamp(options.Sample, lines);
            return;
        }
        using var record = JsonDocument.Parse(sample);
        o.WriteLine($"  keys: {string.Join(", ", record.RootElement.EnumerateObject().Select(p => p.Name))}");
        o.WriteLine($"  record {options.Sample} ({sampleAt}):");
        foreach (var p in record.RootElement.EnumerateObject())
            o.WriteLine($"    {p.Name}: {Json(p.Value, options)}");
    }

    private static string? ReadLine(StreamReader reader, string file)
    {
        try
        {
            return reader.ReadLine();
        }
        catch (Exception e) when (e is ZstdException or EndOfStreamException)
        {
            throw new InvalidDataException($"{file}: the zstd stream is truncated or corrupt ({e.Message})", e);
        }
    }

    private static string Json(JsonElement e, InspectOptions options) => e.ValueKind switch
    {
        JsonValueKind.String => MdsSample.Quote(e.GetString()!, options.MaxChars),
        JsonValueKind.Array => $"[{e.GetArrayLength()} items] " + Cut(string.Join(", ", e.EnumerateArray().Take(options.MaxItems).Select(x => x.GetRawText())), options.MaxChars),
        _ => Cut(e.GetRawText(), options.MaxChars),
    };

    private static string Value(object? value, InspectOptions options) => value switch
    {
        null => "null",
        string s => MdsSample.Quote(s, options.MaxChars),
        KeyValuePair<object?, object?> entry => $"{Value(entry.Key, options)}: {Value(entry.Value, options)}",
        IReadOnlyDictionary<string, object?> d => Cut("{" + string.Join(", ", d.Select(p => $"{p.Key}: {Value(p.Value, options)}")) + "}", options.MaxChars),
        IList list => $"[{list.Count} items] " + Cut(string.Join(", ", list.Cast<object?>().Take(options.MaxItems).Select(x => Value(x, options))), options.MaxChars),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? "",
    };

    private static string Describe(Field field) => field switch
    {
        DataField d => $"{d.Name}: {TypeName(d.ClrType)}{(d.IsNullable ? "?" : "")}{(d.IsArray ? "[]" : "")}",
        StructField s => $"{s.Name}: struct {{{string.Join(", ", s.Fields.Select(Describe))}}}",
        ListField l => $"{l.Name}: list<{Describe(l.Item)}>",
        MapField m => $"{m.Name}: map<{Describe(m.Key)}, {Describe(m.Value)}>",
        _ => field.Name,
    };

    private static string TypeName(Type t) => t == typeof(string) || t == typeof(ReadOnlyMemory<char>) ? "string"
        : t == typeof(bool) ? "bool"
        : t == typeof(byte[]) ? "binary"
        : t.Name.ToLowerInvariant();

    private static string Cut(string text, int maxChars) => text.Length <= maxChars ? text : text[..maxChars] + "…";

    private static long Clamp(long sample, long count) =>
        sample >= 0 && sample < count ? sample : throw new ArgumentOutOfRangeException(nameof(sample), sample, $"--sample must be 0..{count - 1}");

    private static string N(double value) => value.ToString("#,0.##", CultureInfo.InvariantCulture);

    // Parquet.Net is async only; run it off any synchronization context, and name the file in its errors.
    private static T Sync<T>(Func<Task<T>> work, string file)
    {
        try
        {
            return Task.Run(work).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not (IOException or OperationCanceledException))
        {
            throw new InvalidDataException($"{file}: cannot be read as Parquet ({e.Message})", e);
        }
    }
}
