namespace NExtLong.Index;

/// <summary>Interleaves row-major float vectors into float32 panels (see <see cref="PanelRun"/>), the last one padded with zeros.</summary>
internal static unsafe class PanelPacker
{
    /// <summary>Floats needed to pack <paramref name="rows"/> vectors.</summary>
    public static long PackedLength(long rows, int dimension) => (rows + PanelKernel.Lanes - 1) / PanelKernel.Lanes * PanelKernel.Lanes * dimension;

    public static void Pack(float* source, int rows, int dimension, float* panels)
    {
        const int lanes = PanelKernel.Lanes;
        for (int first = 0; first < rows; first += lanes)
        {
            int n = Math.Min(lanes, rows - first);
            float* dst = panels + (long)first * dimension;
            float* src = source + (long)first * dimension;
            for (int lane = 0; lane < n; lane++)
            {
                float* row = src + (long)lane * dimension;
                for (int j = 0; j < dimension; j++) dst[j * lanes + lane] = row[j];
            }
            for (int lane = n; lane < lanes; lane++)
                for (int j = 0; j < dimension; j++) dst[j * lanes + lane] = 0;
        }
    }
}
