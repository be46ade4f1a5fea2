using System.Globalization;
using System.Text.RegularExpressions;

namespace NExtLong;

/// <summary>
/// An option outside its allowed range, or two options that make no sense together. Thrown by the options
/// records' <c>Validate()</c> methods before any file is created. <see cref="Property"/> and <see cref="Value"/>
/// name what was wrong; <see cref="Allowed"/> says what would be right. The message uses property names
/// ("TargetTokens must be in [1, 16777216], not 0"); <see cref="Describe(Func{string, string})"/> renders the same with other names
/// (the CLI's flags: "--target-tokens must be in [1, 16777216] (got 0)"). Property names of other options inside
/// <see cref="Allowed"/> and <see cref="Reason"/> are written in braces, e.g. "{Method}", so both renderings can
/// name them.
/// </summary>
public sealed partial class OptionValidationException : ArgumentException
{
    private OptionValidationException(string property, object? value, string allowed, string? reason, string? conflictsWith, object? conflictValue)
    {
        Property = property;
        Value = value;
        Allowed = allowed;
        Reason = reason;
        ConflictsWith = conflictsWith;
        ConflictValue = conflictValue;
    }

    /// <summary>The option's property name, e.g. "TargetTokens".</summary>
    public string Property { get; }

    /// <summary>The refused value.</summary>
    public object? Value { get; }

    /// <summary>What the value must be, e.g. "in [1, 1024]" or "at least 1" (empty for a conflict).</summary>
    public string Allowed { get; }

    /// <summary>Why, when the range alone does not say it.</summary>
    public string? Reason { get; }

    /// <summary>For a conflict: the other option's property name, whose value makes this one meaningless.</summary>
    public string? ConflictsWith { get; }

    /// <summary>For a conflict: the other option's value, shown after its name in the message; null shows only the name.</summary>
    public object? ConflictValue { get; }

    /// <summary>The error in property names: "TargetTokens must be in [1, 16777216], not 0", or for a conflict "X makes no sense with Y".</summary>
    public override string Message => Describe(name => name, library: true);

    /// <summary>The message with every property name passed through <paramref name="name"/> (e.g. to a CLI flag).</summary>
    public string Describe(Func<string, string> name) => Describe(name, library: false);

    private string Describe(Func<string, string> name, bool library)
    {
        string because = Reason is null ? "" : $": {Fill(Reason, name)}";
        if (ConflictsWith is { } other)
        {
            string otherValue = ConflictValue is null ? "" : $" {Show(ConflictValue)}";
            string value = Value is true ? "" : $" {Show(Value)}";
            return $"{name(Property)}{value} makes no sense with {name(other)}{otherValue}{because}";
        }
        return library
            ? $"{name(Property)} must be {Fill(Allowed, name)}, not {Show(Value)}{because}"
            : $"{name(Property)} must be {Fill(Allowed, name)} (got {Show(Value)}){because}";
    }

    private static string Fill(string text, Func<string, string> name) => PropertyReference().Replace(text, m => name(m.Groups[1].Value));

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex PropertyReference();

    /// <summary>A value as a user would type it: enums in lower case, strings quoted, numbers invariant.</summary>
    public static string Show(object? value) => value switch
    {
        null => "nothing",
        string s => $"'{s}'",
        bool b => b ? "true" : "false",
        Enum e => e.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A value outside its range.</summary>
    public static OptionValidationException OutOfRange(string property, object? value, string allowed, string? reason = null)
        => new(property, value, allowed, reason, null, null);

    /// <summary>An option given a value that makes no sense with another option's value.</summary>
    public static OptionValidationException Conflict(string property, object? value, string conflictsWith, object? conflictValue, string reason)
        => new(property, value, "", reason, conflictsWith, conflictValue);

    /// <summary>Throws unless <paramref name="value"/> is in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static void InRange(string property, long value, long min, long max, string? reason = null)
    {
        if (value < min || value > max)
            throw OutOfRange(property, value, max == long.MaxValue || (max == int.MaxValue && min >= 0) ? $"at least {N(min)}" : $"in [{N(min)}, {N(max)}]", reason);
    }

    /// <summary>Throws unless <paramref name="value"/> is at least <paramref name="min"/>.</summary>
    public static void AtLeast(string property, long value, long min, string? reason = null) => InRange(property, value, min, long.MaxValue, reason);

    /// <summary>Throws unless <paramref name="value"/> is finite and in (<paramref name="lowExclusive"/>, <paramref name="high"/>].</summary>
    public static void InLeftOpen(string property, double value, double lowExclusive, double high, string? reason = null)
    {
        if (!double.IsFinite(value) || value <= lowExclusive || value > high)
            throw OutOfRange(property, value, $"in ({lowExclusive.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}]", reason);
    }

    /// <summary>Throws unless <paramref name="value"/> is a named member of its enum.</summary>
    public static void Defined<T>(string property, T value) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw OutOfRange(property, Convert.ToInt64(value, CultureInfo.InvariantCulture), $"one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
    }

    /// <summary>Returns <paramref name="value"/>, or throws when it is null (a group of options left out).</summary>
    public static T NotNull<T>(string property, T? value, string allowed) where T : class
        => value ?? throw OutOfRange(property, null, allowed);

    /// <summary>Throws when <paramref name="value"/> is null, empty or only white space.</summary>
    public static void NotBlank(string property, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw OutOfRange(property, value, "a non-empty text");
    }

    /// <summary>Throws when <paramref name="values"/> is null or empty, or holds a blank entry.</summary>
    public static void NotEmpty(string property, IReadOnlyList<string>? values)
    {
        if (values is null || values.Count == 0)
            throw OutOfRange(property, "", "at least one path");
        foreach (string v in values) NotBlank(property, v);
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
