using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;

namespace NExtLong.Index;

/// <summary>
/// Which files of a folder were last hashed whole: each file's checksum with the identity the file had when hashed
/// (device, inode, size, modification and status-change times in nanoseconds). For an index folder, the files found
/// to match their manifest (<see cref="Confirms"/>); for a folder of corpus files, their content checksums
/// (<see cref="ContentChecksum"/>), which every stage that reads the corpus records and synthesis checks an index's
/// freshness by. A file with that identity and that checksum still recorded is not hashed again; any write, rename,
/// copy or restore changes the identity, and the file is hashed whole again.
/// </summary>
/// <remarks>
/// The record is machine state, not data, so it lives in the user's cache (<see cref="UserCache"/>, "verified/",
/// one JSON file per index folder, named by a hash of its full path) and never in the index folder, whose bytes stay
/// those the build wrote. Status-change time (ctime) cannot be set from user space and moves on every write, even
/// one that puts the modification time back. File times tick coarsely (a few milliseconds), so a file is recorded
/// only when its last change was at least <see cref="SettledNs"/> before its hashing began: a later write within the
/// same tick as the recorded change cannot then go unseen. Where the identity cannot be read (not Linux, no statx)
/// nothing is recorded and every open hashes every file; so does one whose cache cannot be written.
/// </remarks>
internal sealed class VerifiedFiles
{
    /// <summary>How long before hashing began a file must have last changed to be recorded.</summary>
    public const long SettledNs = 2_000_000_000;

    /// <summary>How many records the cache holds before a save drops those of folders that no longer exist.</summary>
    public const int RecordsBeforePruning = 256;

    private readonly string? _path;
    private readonly string _folder;
    private readonly Dictionary<string, (string Checksum, FileIdentity Identity)> _entries;
    private readonly Lock _lock = new();
    private bool _changed;

    private VerifiedFiles(string? path, string folder, Dictionary<string, (string, FileIdentity)> entries)
    {
        _path = path;
        _folder = folder;
        _entries = entries;
    }

    /// <summary>A file as the file system knows it: any change to its bytes changes this.</summary>
    internal readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, long ModifiedNs, long ChangedNs);

    /// <summary>Where the record of index folder <paramref name="dir"/> is kept; null when there is no user cache (no home folder), and then nothing is recorded.</summary>
    public static string? PathFor(string dir)
    {
        string root = UserCache.Root();
        if (!System.IO.Path.IsPathRooted(root)) return null;
        return System.IO.Path.Combine(root, "verified", $"{System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(Folder(dir))):x16}.json");
    }

    private static string Folder(string dir) => System.IO.Path.GetFullPath(dir).TrimEnd(System.IO.Path.DirectorySeparatorChar);

    /// <summary>The record of <paramref name="dir"/>; empty when there is none, it does not parse, or it is another folder's (it is only ever a shortcut).</summary>
    public static VerifiedFiles Load(string dir)
    {
        string? path = PathFor(dir);
        string folder = Folder(dir);
        var entries = new Dictionary<string, (string, FileIdentity)>(StringComparer.Ordinal);
        try
        {
            if (path is not null && File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject root && Text(root, "folder") == folder && root["files"] is JsonObject files)
                foreach (var (name, node) in files)
                    if (node is JsonObject e && Text(e, "checksum") is { } checksum && Number(e, "device") is { } device && Number(e, "inode") is { } inode
                        && Number(e, "size") is { } size && Number(e, "modifiedNs") is { } modified && Number(e, "changedNs") is { } changed)
                        entries[name] = (checksum, new FileIdentity((ulong)device, (ulong)inode, size, modified, changed));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            entries.Clear();
        }
        return new VerifiedFiles(path, folder, entries);
    }

    private static string? Text(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static long? Number(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue(out long n) ? n : null;

    /// <summary>
    /// Whether <paramref name="file"/>, entry <paramref name="name"/> of the folder, holds the bytes whose checksum is
    /// <paramref name="checksum"/>: taken on the record's word when it was hashed whole since its last change (unless
    /// <paramref name="rehash"/>), else hashed by <paramref name="matches"/>, whose outcome is then recorded (a match,
    /// once the file had settled and did not change while hashed) or drops the entry (a mismatch).
    /// </summary>
    public bool Confirms(MappedFile file, string name, string checksum, bool rehash, Func<bool> matches)
    {
        var before = file.Identity();
        lock (_lock)
            if (!rehash && before is { } id && _entries.TryGetValue(name, out var entry) && entry == (checksum, id))
                return true;
        long started = NowNs();
        bool whole = matches();
        var after = file.Identity();
        lock (_lock)
        {
            if (!whole)
                _changed |= _entries.Remove(name);
            else
                Remember(name, checksum, before, after, started);
        }
        return whole;
    }

    // Records a checksum just found (caller holds the lock): only for a file that had settled before its hashing
    // began and whose identity did not move while it was hashed.
    private void Remember(string key, string checksum, FileIdentity? before, FileIdentity? after, long started)
    {
        if (before is { } id && after == before && id.ChangedNs <= started - SettledNs && id.ModifiedNs <= started - SettledNs
            && !(_entries.TryGetValue(key, out var old) && old == (checksum, id)))
        {
            _entries[key] = (checksum, id);
            _changed = true;
        }
    }

    /// <summary>
    /// The content checksum (<see cref="FileChecksum.ContentOf(SafeFileHandle, string, CancellationToken)"/>) of file
    /// <paramref name="name"/> of the folder, open as <paramref name="handle"/>: the recorded one while the file keeps
    /// the identity it had when hashed, else hashed now, and recorded once the file had settled and did not change
    /// while hashed. A corpus of terabytes is then read once per change, not once per stage and run.
    /// </summary>
    public string ContentChecksum(SafeFileHandle handle, string name, string path, CancellationToken ct = default)
    {
        // Keyed apart from the manifest checks of Confirms, whose checksums are of another form.
        string key = ContentKeyPrefix + name;
        var before = Identify(handle);
        lock (_lock)
            if (before is { } id && _entries.TryGetValue(key, out var entry) && entry.Identity == id)
                return entry.Checksum;
        long started = NowNs();
        string checksum = FileChecksum.ContentOf(handle, path, ct);
        var after = Identify(handle);
        lock (_lock)
            Remember(key, checksum, before, after, started);
        return checksum;
    }

    private const string ContentKeyPrefix = "content:";

    /// <summary>Writes the record when it changed, whole or not at all; a cache that cannot take it is left as it is.</summary>
    public void Save()
    {
        JsonObject files;
        lock (_lock)
        {
            if (!_changed || _path is null) return;
            files = [];
            foreach (var (name, (checksum, id)) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                files[name] = new JsonObject
                {
                    ["checksum"] = checksum,
                    ["device"] = (long)id.Device,
                    ["inode"] = (long)id.Inode,
                    ["size"] = id.Size,
                    ["modifiedNs"] = id.ModifiedNs,
                    ["changedNs"] = id.ChangedNs,
                };
            _changed = false;
        }
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
            Pipeline.AtomicFile.WriteAllText(_path, new JsonObject { ["version"] = 1, ["folder"] = _folder, ["files"] = files }.ToJsonString(JsonContracts.Indented) + "\n");
            DropRecordsOfGoneFolders(System.IO.Path.GetDirectoryName(_path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Once <paramref name="records"/> holds more than <see cref="RecordsBeforePruning"/> records, deletes those whose
    /// folder no longer exists (temporary indexes would otherwise leave one each, for ever). Dropping a record only
    /// costs a whole hash on that folder's next open; a file that is not a record is left alone.
    /// </summary>
    internal static void DropRecordsOfGoneFolders(string records)
    {
        string[] paths = Directory.GetFiles(records, "*.json");
        if (paths.Length <= RecordsBeforePruning) return;
        foreach (string path in paths)
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(path)) is JsonObject root && Number(root, "version") == 1 && Text(root, "folder") is { } folder
                    && System.IO.Path.IsPathRooted(folder) && !Directory.Exists(folder))
                    File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
            }
        }
    }

    /// <summary>Unix time now, in nanoseconds, on the clock file times are taken from.</summary>
    private static long NowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>The identity of the file open as <paramref name="handle"/>; null where it cannot be read.</summary>
    public static unsafe FileIdentity? Identify(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux() || s_noStatx) return null;
        // struct statx is the same on every Linux architecture: 256 bytes, fields at fixed offsets.
        byte* buffer = stackalloc byte[256];
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (Statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, buffer) != 0) return null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_noStatx = true;
            return null;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
        uint mask = *(uint*)buffer;
        const uint needed = StatxIno | StatxSize | StatxMtime | StatxCtime;
        if ((mask & needed) != needed) return null;
        static long Ns(byte* at) => *(long*)at * 1_000_000_000 + *(uint*)(at + 8);
        ulong device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        return new FileIdentity(device, *(ulong*)(buffer + 32), (long)*(ulong*)(buffer + 40), Ns(buffer + 112), Ns(buffer + 96));
    }

    private static bool s_noStatx;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff, StatxIno = 0x100, StatxSize = 0x200, StatxMtime = 0x40, StatxCtime = 0x80;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern unsafe int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);
}
