using System.CommandLine;
using NExtLong.Packing;

namespace NExtLong.Cli;

/// <summary>`nextlong mix`: MDS datasets combined by ratio.</summary>
internal static class MixCommand
{
    public static Command Build()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "MDS datasets with the same columns, each PATH or PATH@RATIO (ratios count samples; a positive finite number, default 1), e.g. nextlong-512k@1 nextlong-64k-packed@2.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "MDS dataset folder to write.", Required = true };
        var samples = new Option<long?>("--num-samples", "-n") { Description = "Samples in the mixture, at least 1 (default: as many as the inputs give without repeating one; more repeats samples)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the choice and order of samples (any whole number in [0, 2^64)).", DefaultValueFactory = _ => 42UL };
        var mds = MdsOptions.Create();
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an MDS dataset already in --out." };

        var command = new Command("mix", "Mix MDS datasets by ratio into one (the paper's 512K stage: NExtLong-512K : NExtLong-64K = 1 : 2).")
        {
            inputs, output, samples, seed, overwrite,
        };
        foreach (var o in mds.All) command.Add(o);
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            var mixInputs = r.GetValue(inputs)!.Select(MixInput.Parse).ToList();
            var options = new MixOptions { NumSamples = r.GetValue(samples), Seed = r.GetValue(seed), Mds = mds.Parse(r), Overwrite = r.GetValue(overwrite) };
            options.Validate();
            string outDir = r.GetValue(output)!;
            var result = StageProgress.Run(make =>
            {
                var bar = make("mix: samples written", "samples", null);
                return DatasetMixer.Mix(mixInputs, outDir, options, (done, total) => bar.Report(done), ct);
            });
            Console.Error.WriteLine($"mix: {result.Samples:N0} samples → {outDir}");
            for (int i = 0; i < mixInputs.Count; i++)
                Console.Error.WriteLine($"  {mixInputs[i].Path} @{mixInputs[i].Ratio}: {result.Taken[i]:N0} of {result.Available[i]:N0}{(result.Repeated[i] > 0 ? $" ({result.Repeated[i]:N0} repeats)" : "")}");
            return 0;
        })));
        return command;
    }
}
