namespace NExtLong.Tests.Formats;

/// <summary>Hex byte vectors written out by hand: whitespace and "|" separate fields, "#" starts a comment to the end of the line.</summary>
internal static class Hex
{
    public static byte[] Parse(string text)
    {
        var digits = new System.Text.StringBuilder();
        foreach (string line in text.Split('\n'))
        {
            int hash = line.IndexOf('#');
            foreach (char c in hash >= 0 ? line[..hash] : line)
            {
                if (Uri.IsHexDigit(c)) digits.Append(c);
                else if (!char.IsWhiteSpace(c) && c != '|') throw new FormatException($"'{c}' in a hex vector");
            }
        }
        return Convert.FromHexString(digits.ToString());
    }

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
