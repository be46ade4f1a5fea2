namespace NExtLong.Index;

/// <summary>
/// Lists read in place from a memory-mapped <see cref="IvfIndexFile"/>: list l holds the vectors
/// [starts[l], starts[l+1]) of the file's list order, its codes at codeOffsets[l] with a compact tail, and its
/// ids (4 or 8 bytes each) in the id section.
/// </summary>
internal sealed unsafe class MappedIvfLists(MappedFile file, long[] starts, long[] codeOffsets, long idsOffset, int idBytes) : IvfLists
{
    public override int Count(int list) => (int)(starts[list + 1] - starts[list]);

    public override PanelRun Run(int list)
    {
        int count = Count(list);
        byte* ids = file.Data + idsOffset + starts[list] * idBytes;
        return new PanelRun(file.Data + codeOffsets[list], count, count % PanelKernel.Lanes, 0,
            ids32: idBytes == 4 ? (uint*)ids : null, ids64: idBytes == 8 ? (long*)ids : null);
    }

    public override void Dispose() => file.Dispose();
}
