using NExtLong.Synthesis;

namespace NExtLong.Tests;

public class HardNegativeCountTests
{
    // k = ceil((T·E·w − S) / (p·s)), worked by hand.
    [Theory]
    // 131072·4·1.5 = 786432; (786432 − 10000)/(5·2048) = 75.82… → 76
    [InlineData(131072, 4.0, 1.5, 10000, 5, 2048, 76)]
    // 65536·4·1.5 = 393216; (393216 − 2048)/(1·2048) = 191 exactly → 191
    [InlineData(65536, 4.0, 1.5, 2048, 1, 2048, 191)]
    // 524288·3.5·1.5 = 2752512; (2752512 − 40960)/(20·2048) = 66.2 → 67
    [InlineData(524288, 3.5, 1.5, 40960, 20, 2048, 67)]
    // s = 512: (131072·4·1.5 − 1500)/(3·512) = 511.02… → 512
    [InlineData(131072, 4.0, 1.5, 1500, 3, 512, 512)]
    // A meta-document already longer than Q still gets one negative per meta-chunk.
    [InlineData(1000, 4.0, 1.5, 100000, 50, 2048, 1)]
    public void Matches_appendix_c1(int t, double e, double w, long s, int p, int chunk, int expected)
        => Assert.Equal(expected, HardNegativeCount.Compute(t, e, w, s, p, chunk));

    [Fact]
    public void Rejects_nonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HardNegativeCount.Compute(0, 4, 1.5, 10, 1, 2048));
        Assert.Throws<ArgumentOutOfRangeException>(() => HardNegativeCount.Compute(10, 0, 1.5, 10, 1, 2048));
        Assert.Throws<ArgumentOutOfRangeException>(() => HardNegativeCount.Compute(10, 4, 1.5, 10, 0, 2048));
    }
}
