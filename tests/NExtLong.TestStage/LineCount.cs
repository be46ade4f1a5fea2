using System.Text;
using NExtLong.Pipeline;

namespace NExtLong.TestStage;

/// <summary>
/// A stage is one class: this test stage counts each input file's lines (a unit per file) and its merge lists the
/// counts in file order until they reach <see cref="Enough"/> lines. It has no code of its own for ranks, work
/// folders, markers, locks, Slurm or where it runs, and runs locally, as any number of ranks and as a Slurm job
/// array to the same bytes.
/// </summary>
public sealed class LineCount(IReadOnlyList<string> files) : IDistributedStage<LineCount.Counted>
{
    /// <summary>Lines after which the files that follow are not needed.</summary>
    public const int Enough = 100;

    /// <summary>The merge's output in OUT.</summary>
    public const string ResultFile = "lines.tsv";

    /// <summary>What one unit counted; <paramref name="Lines"/> is −1 for a unit the ones before proved unneeded.</summary>
    public sealed record Counted(string File, int Lines);

    /// <summary>Units this instance ran (not those it skipped or found complete).</summary>
    public int Runs { get; private set; }

    public string Name => "line-count";

    public string Plan => string.Join('\n', files.Select(Path.GetFileName));

    public int UnitCount => files.Count;

    public string UnitName(int unit) => $"file-{unit:D3}";

    public Counted Run(int unit, string output, CancellationToken ct)
    {
        Runs++;
        string name = Path.GetFileName(files[unit]);
        int lines = File.ReadAllLines(files[unit]).Length;
        File.WriteAllText(output, $"{name}\t{lines}\n");
        return new Counted(name, lines);
    }

    public Counted? Unneeded(int unit, Func<int, Counted?> completed)
    {
        int total = 0;
        for (int u = 0; u < unit; u++)
        {
            if (completed(u) is not { } c) return null;
            // An unneeded unit before this one means the ones before it were enough.
            if (c.Lines < 0 || (total += c.Lines) >= Enough) return new Counted(Path.GetFileName(files[unit]), -1);
        }
        return null;
    }

    /// <summary>
    /// Writes OUT/<see cref="ResultFile"/>: the units' outputs in file order until they reach <see cref="Enough"/>
    /// lines (a rank may have counted a unit a local run skips: it is left out all the same), then the total;
    /// returns the total.
    /// </summary>
    public int Merge(MergeSession<Counted> session, string outDir)
    {
        var text = new StringBuilder();
        int total = 0;
        for (int u = 0; u < UnitCount && total < Enough; u++)
        {
            text.Append(File.ReadAllText(session.OutputOf(u)));
            total += session.StatsOf(u).Lines;
        }
        text.Append($"total\t{total}\n");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, ResultFile), text.ToString());
        return total;
    }
}
