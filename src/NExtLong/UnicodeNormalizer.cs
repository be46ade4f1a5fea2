using System.Runtime.InteropServices;
using System.Text;

namespace NExtLong;

/// <summary>
/// Unicode normalisation: NFKC, as the SentencePiece-family tokenizers apply it before tokenizing, NFD, as word
/// shingles are normalised (<see cref="Chunking.Shingles"/>), and NFC, as exact duplicates are compared (<see cref="Dedup.ExactKey"/>). The library runs in globalization-invariant mode,
/// where <see cref="string.Normalize(NormalizationForm)"/> leaves text unchanged, so this calls ICU's unorm2
/// directly (as .NET itself binds ICU) unless the host process has working normalisation.
/// </summary>
internal sealed unsafe class UnicodeNormalizer
{
    public static readonly UnicodeNormalizer Nfkc = new(NormalizationForm.FormKC, "unorm2_getNFKCInstance", "\uFF41", "a");
    public static readonly UnicodeNormalizer Nfd = new(NormalizationForm.FormD, "unorm2_getNFDInstance", "\u00E9", "e\u0301");
    public static readonly UnicodeNormalizer Nfc = new(NormalizationForm.FormC, "unorm2_getNFCInstance", "e\u0301", "\u00E9");

    private const int BufferOverflowError = 15;
    private readonly NormalizationForm _form;
    private readonly string _icuInstance;
    private readonly Lazy<Func<string, string>> _implementation;
    private nint _normalizer;
    private delegate* unmanaged<nint, char*, int, char*, int, int*, int> _normalize;

    // probe/expected: a string whose normal form shows whether the host normalises at all.
    private UnicodeNormalizer(NormalizationForm form, string icuInstance, string probe, string expected)
    {
        _form = form;
        _icuInstance = icuInstance;
        _implementation = new(() => Resolve(probe, expected), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The normal form of <paramref name="text"/>; ASCII text is returned as is without a native call.</summary>
    public string Normalize(string text) => Ascii.IsValid(text) ? text : _implementation.Value(text);

    private Func<string, string> Resolve(string probe, string expected)
    {
        if (probe.Normalize(_form) == expected)
            return s => s.Normalize(_form);
        if (TryBindIcu())
            return NormalizeWithIcu;
        throw new NotSupportedException(
            $"Unicode {_form} normalisation is needed but unavailable: install ICU (Debian: libicu72) or run the program with InvariantGlobalization=false.");
    }

    private bool TryBindIcu()
    {
        foreach (var (library, suffix) in IcuCandidates())
        {
            if (!NativeLibrary.TryLoad(library, out nint handle))
                continue;
            if (NativeLibrary.TryGetExport(handle, _icuInstance + suffix, out nint getInstance)
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

    private string NormalizeWithIcu(string text)
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
                    throw new InvalidOperationException($"ICU {_form} normalisation failed with error code {error}.");
                return new string(buffer, 0, length);
            }
            finally
            {
                System.Buffers.ArrayPool<char>.Shared.Return(buffer);
            }
        }
    }
}
