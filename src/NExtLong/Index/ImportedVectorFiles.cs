namespace NExtLong.Index;

/// <summary>
/// What an index built from vectors computed elsewhere records of them (manifest <c>imported_vectors</c>): the files by
/// name, size and XxHash3, and whether nextlong L2-normalised them; an index is reused only for the same files.
/// </summary>
/// <param name="Normalized">Whether the vectors were L2-normalised on import (--normalize) rather than required to be unit length.</param>
/// <param name="Files">The vector files, in the order read, by name, size and XxHash3.</param>
public sealed record ImportedVectorFiles(bool Normalized, IReadOnlyList<IndexedFile> Files)
{
    /// <summary>True when both are null, or both record the same normalisation and the same files (name, size, checksum) in order.</summary>
    public static bool Same(ImportedVectorFiles? a, ImportedVectorFiles? b)
        => a is null ? b is null : b is not null && a.Normalized == b.Normalized && a.Files.SequenceEqual(b.Files);
}
