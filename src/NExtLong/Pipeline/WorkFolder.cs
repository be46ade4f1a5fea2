using System.IO.Hashing;
using System.Text;

namespace NExtLong.Pipeline;

/// <summary>
/// Where the ranks of a distributed stage put their work before the merge: DIR.work beside the stage's output
/// folder, holding plan.json (the configuration the work is for), units/ (each unit's output, complete once
/// renamed into place), stats/UNIT.json (what the unit did) and completions/UNIT, the marker written last. A
/// marker names the plan's fingerprint, so work done for another configuration never counts as done.
/// </summary>
internal sealed class WorkFolder
{
    public const string PlanFile = "plan.json";

    public WorkFolder(string outputDir, string plan)
    {
        Root = Path.GetFullPath(outputDir).TrimEnd(Path.DirectorySeparatorChar) + ".work";
        Plan = plan;
        Fingerprint = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(plan)).ToString("x16");
    }

    public string Root { get; }

    public string Plan { get; }

    public string Fingerprint { get; }

    public string UnitsDir => Path.Combine(Root, "units");

    public string StatsDir => Path.Combine(Root, "stats");

    public string CompletionsDir => Path.Combine(Root, "completions");

    public string LocksDir => Path.Combine(Root, "locks");

    /// <summary>
    /// Holds the work folder for one rank: a shared claim (the other ranks work beside it, a merge is kept out) and
    /// the rank's own exclusive lock (a second process of the same rank is refused).
    /// </summary>
    public IDisposable OpenForRank(RankAssignment rank)
    {
        var folder = OutputFolder.Claim(Root, OutputKind.Work, shared: true);
        try
        {
            Directory.CreateDirectory(LocksDir);
            var own = FolderLock.Acquire(Path.Combine(LocksDir, RankName(rank)), exclusive: true, what: $"{Root} ({rank})")!;
            return new Holds(folder, own);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Holds the work folder alone for a merge: refused while any rank still works in it.</summary>
    public IDisposable OpenForMerge(string stage)
    {
        if (!Exists) throw new InvalidOperationException($"{Root}: no work to merge; run the {stage} ranks (--rank R --world-size W) first");
        return OutputFolder.Claim(Root, OutputKind.Work);
    }

    private static string RankName(RankAssignment rank) => $"rank-{rank.Rank:D5}-of-{rank.WorldSize:D5}";

    private sealed class Holds(IDisposable folder, IDisposable own) : IDisposable
    {
        public void Dispose()
        {
            own.Dispose();
            folder.Dispose();
        }
    }

    public bool Exists => Directory.Exists(Root);

    /// <summary>Creates the folders and (re)writes plan.json; every rank writes the same bytes, so the race is harmless.</summary>
    public void Prepare()
    {
        foreach (var dir in new[] { UnitsDir, StatsDir, CompletionsDir }) Directory.CreateDirectory(dir);
        string planPath = Path.Combine(Root, PlanFile);
        AtomicFile.WriteAllText(planPath, Plan);
    }

    public string UnitPath(string unit) => Path.Combine(UnitsDir, unit);

    public bool IsComplete(string unit)
    {
        string marker = Path.Combine(CompletionsDir, unit);
        return File.Exists(marker) && File.ReadAllText(marker) == Fingerprint;
    }

    /// <summary>Records a unit as done: its stats first, then the completion marker, each written atomically.</summary>
    public void Complete(string unit, string statsJson)
    {
        AtomicFile.WriteAllText(Path.Combine(StatsDir, unit + ".json"), statsJson);
        AtomicFile.WriteAllText(Path.Combine(CompletionsDir, unit), Fingerprint);
    }

    /// <summary>A completed unit's stats.</summary>
    public string ReadStats(string unit) => File.ReadAllText(Path.Combine(StatsDir, unit + ".json"));

    /// <summary>
    /// Marks a rank as having finished all of its units, with stats/rank-R-of-W.json saying what this run of it did
    /// (for people and schedulers; the unit markers decide what a rerun skips).
    /// </summary>
    public void CompleteRank(RankAssignment rank, int unitsDone, int unitsOwned, double seconds)
    {
        string name = RankName(rank);
        AtomicFile.WriteAllText(Path.Combine(StatsDir, name + ".json"), JsonContracts.Plain.Serialize(new Dictionary<string, object>
        {
            ["rank"] = rank.Rank,
            ["world_size"] = rank.WorldSize,
            ["units_owned"] = unitsOwned,
            ["units_done_by_this_run"] = unitsDone,
            ["seconds"] = Math.Round(seconds, 3),
        }));
        AtomicFile.WriteAllText(Path.Combine(CompletionsDir, name), Fingerprint);
    }

    /// <summary>The units not yet complete, with a message for the merge to fail with when any are missing.</summary>
    public void RequireComplete(IEnumerable<string> units, string stage)
    {
        if (!Exists) throw new InvalidOperationException($"{Root}: no work to merge; run the {stage} ranks (--rank R --world-size W) first");
        var missing = units.Where(u => !IsComplete(u)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"{Root}: {missing.Count} {stage} unit(s) not complete for this configuration ({string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", …" : "")}); rerun the ranks that own them, with the same options");
    }

    public const string MergedStatsFile = "stats.json";

    /// <summary>
    /// After a merge: writes stats.json combining every unit's stats (all units, and per rank: units and seconds),
    /// then removes the unit outputs; the plan, stats and markers stay as the record of the run.
    /// </summary>
    public void FinishMerge(IEnumerable<string> units)
    {
        var all = new System.Text.Json.Nodes.JsonArray();
        var ranks = new SortedDictionary<(int WorldSize, int Rank), (int Units, double Seconds)>();
        foreach (string unit in units)
        {
            string json = ReadStats(unit);
            var record = JsonContracts.Plain.Deserialize<UnitRecord<System.Text.Json.JsonElement>>(json)!;
            var rank = (record.WorldSize, record.Rank);
            var (n, seconds) = ranks.GetValueOrDefault(rank);
            ranks[rank] = (n + 1, seconds + record.Seconds);
            all.Add(System.Text.Json.Nodes.JsonNode.Parse(json));
        }
        var merged = new System.Text.Json.Nodes.JsonObject
        {
            ["units"] = all.Count,
            // Per rank of the world size it ran in: reruns may have used another W for some units.
            ["ranks"] = new System.Text.Json.Nodes.JsonArray(ranks.Select(r => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["rank"] = r.Key.Rank,
                ["world_size"] = r.Key.WorldSize,
                ["units"] = r.Value.Units,
                ["seconds"] = Math.Round(r.Value.Seconds, 3),
            }).ToArray()),
            ["unit_stats"] = all,
        };
        AtomicFile.WriteAllText(Path.Combine(Root, MergedStatsFile), merged.ToJsonString(JsonContracts.Indented));
        // Moved aside first: a kill while deleting must not leave a unit's output half gone beside its completion
        // marker, which says the output is whole. What a killed removal left aside goes with the next one.
        string removing = UnitsDir + ".removing";
        if (Directory.Exists(removing)) Directory.Delete(removing, recursive: true);
        if (Directory.Exists(UnitsDir))
        {
            Directory.Move(UnitsDir, removing);
            Directory.Delete(removing, recursive: true);
        }
    }
}
