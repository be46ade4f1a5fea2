using System.Globalization;

namespace NExtLong.IndexBench;

/// <summary>"--name value" command-line options.</summary>
internal sealed class Args(string[] args)
{
    public string Get(string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public string Required(string name) => Get(name, "") is { Length: > 0 } v ? v : throw new ArgumentException($"{name} is required");

    public int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public long Long(string name, long fallback) => long.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public double Double(string name, double fallback) => double.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
}
