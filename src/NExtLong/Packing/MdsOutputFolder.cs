using NExtLong.Output.Mds;
using NExtLong.Pipeline;

namespace NExtLong.Packing;

/// <summary>
/// Claims the folder of a derived MDS dataset before writing it: never over one of its inputs, never over another
/// dataset unasked, never in a folder of someone else's (<see cref="OutputFolder"/>).
/// </summary>
internal static class MdsOutputFolder
{
    public static OutputFolder Prepare(string outDir, IEnumerable<string> inputs, bool overwrite, OutputKind kind)
    {
        string output = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar);
        foreach (string input in inputs)
        {
            string full = Path.GetFullPath(input).TrimEnd(Path.DirectorySeparatorChar);
            if (full == output || full.StartsWith(output + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new ArgumentException($"{outDir}: the output folder holds the input {input}; write elsewhere");
        }
        var folder = OutputFolder.Claim(outDir, kind, overwrite);
        if (MdsDataset.IsDataset(outDir) && !overwrite)
        {
            folder.Dispose();
            throw new IOException($"{outDir}: already holds an MDS dataset; pass --overwrite to replace it");
        }
        if (overwrite) folder.Withdraw();
        return folder;
    }
}
