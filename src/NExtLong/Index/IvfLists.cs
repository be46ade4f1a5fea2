namespace NExtLong.Index;

/// <summary>The inverted lists of an IVF index: per list, its vectors' codes as a <see cref="PanelRun"/> and their ids.</summary>
internal abstract class IvfLists : IDisposable
{
    public abstract int Count(int list);

    /// <summary>The list's codes and ids; valid until the lists are changed or disposed.</summary>
    public abstract PanelRun Run(int list);

    public virtual void Dispose() { }
}
