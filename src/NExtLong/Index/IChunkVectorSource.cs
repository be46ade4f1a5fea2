namespace NExtLong.Index;

/// <summary>
/// Where the index builder gets each batch's vectors, in chunk order: embedded here (<see cref="EmbeddedChunkVectors"/>)
/// or read from vectors computed elsewhere (<see cref="External.ImportedVectors"/>).
/// </summary>
internal interface IChunkVectorSource
{
    /// <summary>What made the vectors, recorded as the manifest's embedder: an embedder spec, or vectors:NAME.</summary>
    string Spec { get; }

    int Dimension { get; }

    /// <summary>For imported vectors, the files they came from (recorded in the manifest); null for an embedder.</summary>
    ImportedVectorFiles? Imported => null;

    /// <summary>Fills <paramref name="destination"/> (row-major) with the vectors of the next <paramref name="texts"/>, the chunks in index order.</summary>
    void Fill(IReadOnlyList<string> texts, float[] destination, CancellationToken ct);

    /// <summary>Called after the last chunk, before the index is completed: a source with vectors left over refuses here.</summary>
    void Complete()
    {
    }
}
