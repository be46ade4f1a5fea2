using System.Diagnostics;

namespace NExtLong.IndexBench;

/// <summary>What the benchmark records about the process and the machine around each measurement.</summary>
internal static class Machine
{
    /// <summary>/proc/cpuinfo's model name and the SIMD flags that decide the kernels' speed.</summary>
    public static string Cpu()
    {
        if (!File.Exists("/proc/cpuinfo")) return "unknown";
        var lines = File.ReadLines("/proc/cpuinfo").Take(64).ToList();
        string model = lines.FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown";
        var flags = (lines.FirstOrDefault(l => l.StartsWith("flags"))?.Split(':', 2)[1] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return $"{model}, flags {string.Join(' ', flags.Where(f => f is "avx2" or "fma" || f.StartsWith("avx512")))}";
    }

    /// <summary>The three load averages of /proc/loadavg.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static double Load1() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The CPU's model name as /proc/cpuinfo reports it.</summary>
    public static string CpuModel() => CpuInfo("model name") ?? "?";

    /// <summary>The SIMD flags /proc/cpuinfo reports (avx*, fma, f16c, sse4*, amx*): what decides which kernels run.</summary>
    public static string SimdFlags()
        => string.Join(' ', (CpuInfo("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => f.StartsWith("avx") || f.StartsWith("fma") || f.StartsWith("f16c") || f.StartsWith("sse4") || f.StartsWith("amx")));

    private static string? CpuInfo(string key)
        => File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith(key)).Select(l => l[(l.IndexOf(':') + 1)..].Trim()).FirstOrDefault();

    public static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long PeakRss() => Status("VmHWM:");

    public static long Rss() => Status("VmRSS:");

    /// <summary>Anonymous resident memory: the heap and native buffers, without pages of memory-mapped files.</summary>
    public static long RssAnon() => Status("RssAnon:");

    /// <summary>Resident pages of memory-mapped files (clean page cache that the kernel can drop under pressure).</summary>
    public static long RssFile() => Status("RssFile:");

    private static long Status(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            // "VmHWM:\t   1936 kB": a tab after the key, and no padding left once the number is eight digits long.
            if (line.StartsWith(key)) return long.Parse(line[key.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[0]) * 1024;
        return 0;
    }

    /// <summary>Runs <paramref name="action"/> and returns (wall seconds, process CPU seconds, load1 before).</summary>
    public static (double Wall, double Cpu, double Load) Time(Action action)
    {
        double load = Load1(), cpu = CpuSeconds();
        var clock = Stopwatch.StartNew();
        action();
        return (clock.Elapsed.TotalSeconds, CpuSeconds() - cpu, load);
    }
}
