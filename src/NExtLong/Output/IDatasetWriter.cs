using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Writes synthesized documents in one output format. Documents arrive in their final order; nothing the writer
/// leaves behind may look complete until <see cref="Complete"/> returns (temporary names, then rename).
/// Disposing without completing abandons the unfinished files.
/// </summary>
public interface IDatasetWriter : IDisposable
{
    void Write(string id, SynthesizedDocument document);

    /// <summary>Closes every open file and returns the names (relative to the dataset folder) of the files written.</summary>
    IReadOnlyList<string> Complete();
}
