using System.Text.RegularExpressions;

namespace NExtLong.Output.Mds;

/// <summary>
/// One MDS dataset per domain, each in its own subfolder of a root folder, and a root index.json that lists
/// every subfolder's shards ("fineweb/shard.00000.mds"): the layout datatools leaves after merging its indexes.
/// ProLong can then train on the root or weight domains by naming subfolders (<c>ROOT/fineweb@0.6</c>).
/// </summary>
internal sealed partial class MdsDomainWriter : IDisposable
{
    private readonly string _root;
    private readonly IReadOnlyList<MdsColumn> _columns;
    private readonly MdsWriterOptions _options;
    private readonly SortedDictionary<string, MdsWriter> _domains = new(StringComparer.Ordinal);

    /// <param name="root">The root folder; datasets an earlier run left in its subfolders are removed unless resumed.</param>
    /// <param name="columns">The columns every domain's samples hold.</param>
    /// <param name="options">Shard size, compression and hashes, shared by every domain.</param>
    /// <param name="resume">The state a <see cref="Checkpoint"/> returned: each domain continues after its shards.</param>
    public MdsDomainWriter(string root, IReadOnlyList<MdsColumn> columns, MdsWriterOptions options, string? resume = null)
    {
        _root = root;
        _columns = columns;
        _options = options;
        RemoveDatasets(root, keep: resume is null ? [] : DomainStates(resume, root).Keys);
        Directory.CreateDirectory(root);
        if (resume is null)
            return;
        foreach (var (domain, state) in DomainStates(resume, root))
            _domains.Add(domain, new MdsWriter(Path.Combine(root, domain), columns, options, state));
    }

    /// <summary>Every domain's checkpoint: files relative to the root, state a JSON object of domain → state.</summary>
    public WriterCheckpoint Checkpoint()
    {
        var files = new List<string>();
        var states = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (domain, writer) in _domains)
        {
            var c = writer.Checkpoint();
            files.AddRange(c.Files.Select(f => domain + "/" + f));
            states[domain] = c.State;
        }
        return new WriterCheckpoint(files, JsonContracts.Plain.Serialize(states));
    }

    private static Dictionary<string, string> DomainStates(string resume, string root)
    {
        try
        {
            return JsonContracts.Plain.Deserialize<Dictionary<string, string>>(resume) ?? [];
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{root}: cannot resume: unreadable saved state ({e.Message})", e);
        }
    }

    /// <summary>
    /// Deletes the MDS files (index.json, shards) of <paramref name="root"/> and its subfolders: an earlier run's
    /// domains would otherwise linger beside this run's, listed by no index.
    /// </summary>
    public static void RemoveDatasets(string root) => RemoveDatasets(root, []);

    private static void RemoveDatasets(string root, IEnumerable<string> keep)
    {
        if (!Directory.Exists(root))
            return;
        var kept = new HashSet<string>(keep, StringComparer.Ordinal);
        MdsWriter.RemoveDataset(root);
        foreach (string sub in Directory.EnumerateDirectories(root).Where(d => !kept.Contains(Path.GetFileName(d))))
            MdsWriter.RemoveDataset(sub);
    }

    /// <summary>The writer of <paramref name="domain"/>'s subfolder, created on first use.</summary>
    public MdsWriter For(string domain)
    {
        if (_domains.TryGetValue(domain, out var writer))
            return writer;
        if (!FolderName().IsMatch(domain) || domain is "." or "..")
            throw new ArgumentException($"domain \"{domain}\" cannot name a folder (letters, digits, '.', '_', '-')");
        writer = new MdsWriter(Path.Combine(_root, domain), _columns, _options);
        _domains.Add(domain, writer);
        return writer;
    }

    /// <summary>Completes every domain, then writes the root index; returns file names relative to the root.</summary>
    public IReadOnlyList<string> Complete()
    {
        var files = new List<string>();
        var shards = new List<MdsShardInfo>();
        foreach (var (domain, writer) in _domains)
        {
            files.AddRange(writer.Complete().Select(f => domain + "/" + f));
            shards.AddRange(writer.Shards.Select(s => s.InFolder(domain)));
        }
        MdsIndex.Write(_root, shards);
        files.Add(MdsIndex.FileName);
        return files;
    }

    public void Dispose()
    {
        foreach (var writer in _domains.Values) writer.Dispose();
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex FolderName();
}
