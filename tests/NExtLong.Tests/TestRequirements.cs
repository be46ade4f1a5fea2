namespace NExtLong.Tests;

/// <summary>
/// A test whose reference tool or privilege is missing: skipped in a bare edit-test loop, failed under ./test.sh
/// (which installs everything first and sets NEXTLONG_REQUIRE_REFERENCES) and on CI, so nothing is skipped there.
/// </summary>
internal static class TestRequirements
{
    public static bool Required => Environment.GetEnvironmentVariable("NEXTLONG_REQUIRE_REFERENCES") == "1"
        || Environment.GetEnvironmentVariable("CI") is { Length: > 0 };

    public static void Missing(string message)
    {
        if (Required) Assert.Fail(message);
        Assert.Skip(message);
    }
}
