using System.Text.Json.Nodes;
using NExtLong.Index;

namespace NExtLong.Tests;

/// <summary>
/// An index is hashed whole on its first open and again whenever a file changes (a record in the user's cache keeps
/// what was hashed and the identity each file had, and the index folder is left as built); a change that puts the
/// modification time back is still seen, a record that lies is overruled by `verify`, and a file changed just before
/// it was hashed is not recorded. Corpus files' content checksums are kept the same way.
/// </summary>
public class VerifiedFilesTests(SampleIndexFixture fixture) : IClassFixture<SampleIndexFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromTicks(VerifiedFiles.SettledNs / 100) + TimeSpan.FromMilliseconds(200);

    // A copy of the sample index whose files have settled, so that an open records them.
    private string SettledCopy()
    {
        string dir = Path.Combine(TempDir.Create(), "index");
        Directory.CreateDirectory(dir);
        foreach (string file in Directory.EnumerateFiles(fixture.IndexDir))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        Thread.Sleep(Settle);
        return dir;
    }

    private static VerifiedFiles.FileIdentity IdentityOf(string path)
    {
        using var handle = File.OpenHandle(path);
        return VerifiedFiles.Identify(handle)!.Value;
    }

    private static JsonObject Record(string dir) => (JsonObject)JsonNode.Parse(File.ReadAllText(VerifiedFiles.PathFor(dir)!))!["files"]!;

    // Flips one byte of the file in place and puts its modification time back to the nanosecond (touch -r), as a
    // careless tool or a sync that keeps times would.
    private static void FlipByteKeepingMtime(string path, long at)
    {
        string reference = path + ".mtime";
        Touch("-m", "-r", path, reference);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = at;
            int b = stream.ReadByte();
            stream.Position = at;
            stream.WriteByte((byte)(b ^ 0x20));
        }
        Touch("-m", "-r", reference, path);
        File.Delete(reference);
    }

    private static void Touch(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("touch") { UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var touch = System.Diagnostics.Process.Start(info)!;
        touch.WaitForExit();
        Assert.Equal(0, touch.ExitCode);
    }

    [Fact]
    public void A_settled_index_is_recorded_and_a_changed_file_hashed_again_even_with_its_mtime_put_back()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "file identities are read with statx");
        string dir = SettledCopy();
        using (ChunkIndex.Open(dir)) { }
        var manifest = IndexManifest.Read(Path.Combine(dir, ChunkIndexFiles.Manifest));
        var recorded = Record(dir);
        Assert.NotEmpty(manifest.FileChecksums);
        foreach (var (name, checksum) in manifest.FileChecksums)
            Assert.Equal(checksum, recorded[name]?["checksum"]?.GetValue<string>());
        Assert.Equal(Directory.GetFiles(fixture.IndexDir).Select(Path.GetFileName).Order(), Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        string text = Path.Combine(dir, ChunkIndexFiles.ChunkText);
        var before = IdentityOf(text);
        FlipByteKeepingMtime(text, new FileInfo(text).Length / 2);
        Assert.Equal(before with { ChangedNs = 0 }, IdentityOf(text) with { ChangedNs = 0 });
        var error = Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(dir));
        Assert.Contains(text, error.Message);
        Assert.Contains("checksum differs", error.Message);
        Assert.Null(Record(dir)[ChunkIndexFiles.ChunkText]);

        // Put right again, it is hashed (it changed) and found whole.
        FlipByteKeepingMtime(text, new FileInfo(text).Length / 2);
        using (ChunkIndex.Open(dir)) { }
    }

    [Fact]
    public void Verify_hashes_every_file_whatever_the_record_says()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "file identities are read with statx");
        string dir = SettledCopy();
        using (ChunkIndex.Open(dir)) { }
        string text = Path.Combine(dir, ChunkIndexFiles.ChunkText);
        FlipByteKeepingMtime(text, 10);

        // A record that vouches for the damaged file as it now is: an open takes its word (it is not hashed)...
        var record = JsonNode.Parse(File.ReadAllText(VerifiedFiles.PathFor(dir)!))!;
        var now = IdentityOf(text);
        var entry = record["files"]![ChunkIndexFiles.ChunkText]!;
        entry["inode"] = (long)now.Inode;
        entry["size"] = now.Size;
        entry["modifiedNs"] = now.ModifiedNs;
        entry["changedNs"] = now.ChangedNs;
        File.WriteAllText(VerifiedFiles.PathFor(dir)!, record.ToJsonString());
        using (ChunkIndex.Open(dir)) { }

        // ...but a rehash, as `nextlong verify` asks for, does not, and neither does the CLI.
        Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(dir, rehash: true));
        var (code, _, stderr) = CliProcess.Run("verify", dir);
        Assert.Equal(1, code);
        Assert.Contains("checksum differs", stderr);
        FlipByteKeepingMtime(text, 10);
        (code, string stdout, stderr) = CliProcess.Run("verify", dir);
        Assert.True(code == 0, stderr);
        Assert.Contains("every file matches manifest.json's checksum", stdout);
    }

    [Fact]
    public void A_file_changed_just_before_it_was_hashed_is_not_recorded_and_a_garbled_record_is_ignored()
    {
        string dir = Path.Combine(TempDir.Create(), "index");
        Directory.CreateDirectory(dir);
        foreach (string file in Directory.EnumerateFiles(fixture.IndexDir))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        using (ChunkIndex.Open(dir)) { }
        Assert.False(File.Exists(VerifiedFiles.PathFor(dir)!));

        Directory.CreateDirectory(Path.GetDirectoryName(VerifiedFiles.PathFor(dir)!)!);
        File.WriteAllText(VerifiedFiles.PathFor(dir)!, "{\"files\": {\"chunks.text\": {\"checksum\": 7}");
        Thread.Sleep(Settle);
        using (ChunkIndex.Open(dir)) { }
        if (OperatingSystem.IsLinux())
            Assert.NotNull(Record(dir)[ChunkIndexFiles.ChunkText]);

        // No user cache to keep it in (a relative $NEXTLONG_CACHE, as with no home folder): nothing is written anywhere.
        string cwd = TempDir.Create();
        var (code, _, stderr) = CliProcess.Run(TimeSpan.FromMinutes(3), info =>
        {
            info.WorkingDirectory = cwd;
            info.Environment["NEXTLONG_CACHE"] = "relative-cache";
        }, "verify", dir);
        Assert.True(code == 0, stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd));
    }

    [Fact]
    public void A_token_cache_is_recorded_too_and_damage_under_a_kept_mtime_is_caught()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "file identities are read with statx");
        string dir = SettledCopy();
        var tokenizer = TargetTokenizerTests.Get("cl100k_base");
        const string separator = "\n\n";
        string path;
        using (var index = ChunkIndex.Open(dir))
        using (var cache = ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Build, 2)!)
            path = cache.Path;
        Thread.Sleep(Settle);
        using (var index = ChunkIndex.Open(dir))
        using (ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Use, 2)!) { }
        Assert.NotNull(Record(dir)[Path.GetFileName(path)]);

        FlipByteKeepingMtime(path, new FileInfo(path).Length - 3);
        using (var index = ChunkIndex.Open(dir))
        {
            var error = Assert.Throws<InvalidDataException>(() => ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Use, 2));
            Assert.Contains(path, error.Message);
        }
        Assert.Null(Record(dir)[Path.GetFileName(path)]);
    }

    [Fact]
    public void A_settled_corpus_file_is_hashed_once_per_change_and_a_change_under_a_kept_mtime_is_seen()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "file identities are read with statx");
        string dir = TempDir.Create();
        string file = Path.Combine(dir, "part-00.jsonl");
        File.WriteAllText(file, string.Concat(Enumerable.Range(0, 200).Select(i => $"{{\"id\": \"d{i}\", \"text\": \"document number {i} of the corpus\"}}\n")));
        var sources = Pipeline.CorpusInputs.Parse([file], null, null);
        string Checksum() => Pipeline.CorpusInputs.Describe(sources, checksums: true, threads: 2).Single().Files.Single().Xxh3!;

        // Just written: hashed, and not recorded (a write within the same tick could go unseen).
        string original = FileChecksum.ContentOf(file);
        Assert.Equal(original, Checksum());
        Assert.False(File.Exists(VerifiedFiles.PathFor(dir)!));
        Thread.Sleep(Settle);
        Assert.Equal(original, Checksum());
        Assert.Equal(original, Record(dir)["content:part-00.jsonl"]?["checksum"]?.GetValue<string>());

        // The record is taken at its word while the identity holds: one that vouches for other bytes is believed...
        var record = JsonNode.Parse(File.ReadAllText(VerifiedFiles.PathFor(dir)!))!;
        record["files"]!["content:part-00.jsonl"]!["checksum"] = "0123456789abcdef";
        File.WriteAllText(VerifiedFiles.PathFor(dir)!, record.ToJsonString());
        Assert.Equal("0123456789abcdef", Checksum());

        // ...and any change to the file, even one that puts its mtime back, has it hashed again.
        FlipByteKeepingMtime(file, 40);
        string changed = FileChecksum.ContentOf(file);
        Assert.NotEqual(original, changed);
        Assert.Equal(changed, Checksum());
        Thread.Sleep(Settle);
        Assert.Equal(changed, Checksum());
        Assert.Equal(changed, Record(dir)["content:part-00.jsonl"]?["checksum"]?.GetValue<string>());
    }

    [Fact]
    public void Records_of_folders_that_are_gone_are_dropped_once_the_cache_holds_many()
    {
        string records = TempDir.Create(), live = TempDir.Create(), gone = Path.Combine(live, "deleted");
        string Write(string name, string content)
        {
            File.WriteAllText(Path.Combine(records, name), content);
            return Path.Combine(records, name);
        }
        string RecordOf(string folder) => $"{{\"version\": 1, \"folder\": {JsonValue.Create(folder).ToJsonString()}, \"files\": {{}}}}";

        string kept = Write("live.json", RecordOf(live));
        string other = Write("not-a-record.json", "{\"folder\": 3}");
        string notJson = Write("notes.txt", RecordOf(gone));
        for (int i = 0; i < VerifiedFiles.RecordsBeforePruning - 3; i++)
            Write($"gone{i}.json", RecordOf(gone + i));
        VerifiedFiles.DropRecordsOfGoneFolders(records);
        Assert.Equal(VerifiedFiles.RecordsBeforePruning - 1, Directory.GetFiles(records, "*.json").Length); // not yet too many

        Write("gone-last.json", RecordOf(gone));
        Write("gone-last-but-one.json", RecordOf(gone));
        VerifiedFiles.DropRecordsOfGoneFolders(records);
        Assert.Equal([Path.GetFileName(kept), Path.GetFileName(other), Path.GetFileName(notJson)], Directory.GetFiles(records).Select(Path.GetFileName).Order());
    }
}
