using System.Globalization;

namespace NExtLong.Packing;

/// <summary>One dataset of a mixture and its ratio, from "PATH" or "PATH@RATIO" (e.g. "nextlong-512k@1").</summary>
/// <param name="Path">The MDS dataset folder.</param>
/// <param name="Ratio">Its share of the mixture's samples, relative to the other inputs'; positive.</param>
public sealed record MixInput(string Path, double Ratio)
{
    /// <summary>Parses "PATH" (ratio 1) or "PATH@RATIO"; an '@' not followed by a number belongs to the path.</summary>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is null, empty or white space.</exception>
    /// <exception cref="FormatException">The ratio after '@' is zero, negative or not finite.</exception>
    public static MixInput Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        int at = spec.LastIndexOf('@');
        if (at > 0 && double.TryParse(spec.AsSpan(at + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double ratio))
        {
            return double.IsFinite(ratio) && ratio > 0
                ? new MixInput(spec[..at], ratio)
                : throw new FormatException($"mix input '{spec}': the ratio after '@' must be a positive number");
        }
        return new MixInput(spec, 1);
    }
}
