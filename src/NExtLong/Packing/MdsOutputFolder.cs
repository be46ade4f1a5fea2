using NExtLong.Output.Mds;

namespace NExtLong.Packing;

/// <summary>Checks before writing a derived MDS dataset: never over one of its inputs, never over another dataset unasked.</summary>
internal static class MdsOutputFolder
{
    public static void Prepare(string outDir, IEnumerable<string> inputs, bool overwrite)
    {
        string output = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar);
        foreach (string input in inputs)
        {
            string full = Path.GetFullPath(input).TrimEnd(Path.DirectorySeparatorChar);
            if (full == output || full.StartsWith(output + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new ArgumentException($"{outDir}: the output folder holds the input {input}; write elsewhere");
        }
        if (MdsDataset.IsDataset(outDir) && !overwrite)
            throw new IOException($"{outDir}: already holds an MDS dataset; pass --overwrite to replace it");
    }
}
