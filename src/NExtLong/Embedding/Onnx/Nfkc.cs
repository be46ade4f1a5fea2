using System.Runtime.InteropServices;
using System.Text;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// Unicode NFKC normalisation, as the SentencePiece-family tokenizers apply it before tokenizing. The library runs in
/// globalization-invariant mode, where <see cref="string.Normalize(NormalizationForm)"/> leaves text unchanged, so
/// this calls ICU's unorm2 directly (as .NET itself binds ICU) unless the host process has working normalisation.
/// </summary>
internal static unsafe class Nfkc
{
    private const int BufferOverflowError = 15;
    private static readonly Lazy<Func<string, string>> Implementation = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);
    private static nint _normalizer;
    private static delegate* unmanaged<nint, char*, int, char*, int, int*, int> _normalize;

    /// <summary>The NFKC form of <paramref name="text"/>; ASCII text is returned as is without a native call.</summary>
    public static string Normalize(string text) => Ascii.IsValid(text) ? text : Implementation.Value(text);

    private static Func<string, string> Resolve()
    {
        if ("\uFF41".Normalize(NormalizationForm.FormKC) == "a")
            return s => s.Normalize(NormalizationForm.FormKC);
        if (TryBindIcu())
            return NormalizeWithIcu;
        throw new NotSupportedException(
            "Unicode NFKC normalisation is needed by this tokenizer but unavailable: install ICU (Debian: libicu72) or run the program with InvariantGlobalization=false.");
    }

    private static bool TryBindIcu()
    {
        foreach (var (library, suffix) in IcuCandidates())
        {
            if (!NativeLibrary.TryLoad(library, out nint handle))
                continue;
            if (NativeLibrary.TryGetExport(handle, "unorm2_getNFKCInstance" + suffix, out nint getInstance)
                && NativeLibrary.TryGetExport(handle, "unorm2_normalize" + suffix, out nint normalize))
            {
                int error = 0;
                nint instance = ((delegate* unmanaged<int*, nint>)getInstance)(&error);
                if (error <= 0 && instance != 0)
                {
                    _normalizer = instance;
                    _normalize = (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)normalize;
                    return true;
                }
            }
            NativeLibrary.Free(handle);
        }
        return false;
    }

    private static IEnumerable<(string Library, string Suffix)> IcuCandidates()
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows 10 1903+ ships ICU as icu.dll with unversioned exports.
            yield return ("icu.dll", "");
            yield return ("icuuc.dll", "");
            yield break;
        }
        string extension = OperatingSystem.IsMacOS() ? "dylib" : "so";
        for (int version = 90; version >= 50; version--)
            yield return ($"libicuuc.{extension}.{version}", "_" + version);
    }

    private static string NormalizeWithIcu(string text)
    {
        int capacity = text.Length * 2 + 16;
        while (true)
        {
            char[] buffer = System.Buffers.ArrayPool<char>.Shared.Rent(capacity);
            try
            {
                int error = 0, length;
                fixed (char* source = text)
                fixed (char* destination = buffer)
                    length = _normalize(_normalizer, source, text.Length, destination, buffer.Length, &error);
                if (error == BufferOverflowError)
                {
                    capacity = length;
                    continue;
                }
                if (error > 0)
                    throw new InvalidOperationException($"ICU NFKC normalisation failed with error code {error}.");
                return new string(buffer, 0, length);
            }
            finally
            {
                System.Buffers.ArrayPool<char>.Shared.Return(buffer);
            }
        }
    }
}
