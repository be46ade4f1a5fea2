namespace NExtLong.Pipeline;

/// <summary>Writes a whole file under a temporary name and renames it, so readers see the old file or the new one, never half of it.</summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string contents)
    {
        // A temporary name of its own: ranks on several nodes may write the same file (a work folder's plan) at once.
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, contents);
        File.Move(temp, path, overwrite: true);
    }
}
