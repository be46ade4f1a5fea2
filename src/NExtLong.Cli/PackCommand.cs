using System.CommandLine;
using NExtLong.Output.Mds;
using NExtLong.Packing;

namespace NExtLong.Cli;

/// <summary>`nextlong pack`: whole documents packed into long training sequences with document spans.</summary>
internal static class PackCommand
{
    public static Command Build()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Tokenized MDS datasets (folders with index.json, e.g. OUT/mds of synthesize --format mds).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "MDS dataset folder to write.", Required = true };
        var length = new Option<int>("--pack-length", "-l") { Description = "Ids per sequence at most, at least 2 (524288 = 512K: eight 64K documents).", DefaultValueFactory = _ => new PackOptions().PackLength };
        var minLength = new Option<int?>("--min-length") { Description = "Drop sequences shorter than this, 1 to --pack-length (default: the pack length, so only full sequences)." };
        var shuffle = new Option<bool>("--shuffle") { Description = "Pack documents in a seeded random order (false: input order).", DefaultValueFactory = _ => true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the order (any whole number in [0, 2^64); only with --shuffle true).", DefaultValueFactory = _ => 42UL };
        var domain = new Option<string?>("--domain") { Description = "The domain column of every sequence (default: its first document's)." };
        var mds = MdsOptions.Create();
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an MDS dataset already in --out." };

        var command = new Command("pack", "Pack whole documents into long sequences (e.g. 64K documents to 512K) with `indices` spans for ProLong's document mask.")
        {
            inputs, output, length, minLength, shuffle, seed, domain, overwrite,
        };
        foreach (var o in mds.All) command.Add(o);
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            if (!r.GetValue(shuffle) && CliErrors.IsGiven(r, seed))
                throw OptionValidationException.Conflict("Seed", r.GetValue(seed), "Shuffle", false, "the seed only orders a shuffle");
            var options = new PackOptions
            {
                PackLength = r.GetValue(length),
                MinLength = r.GetValue(minLength),
                Shuffle = r.GetValue(shuffle),
                Seed = r.GetValue(seed),
                Domain = r.GetValue(domain),
                Mds = mds.Parse(r),
                Overwrite = r.GetValue(overwrite),
            };
            options.Validate();
            string outDir = r.GetValue(output)!;
            var result = StageProgress.Run(make =>
            {
                var bar = make("pack: documents read", "docs", null);
                return SequencePacker.Pack(r.GetValue(inputs)!, outDir, options, (done, total) => bar.Report(done), ct);
            });
            Console.Error.WriteLine($"pack: {result.Sequences:N0} sequences of up to {options.PackLength:N0} ids holding {result.Documents:N0} documents ({result.Tokens:N0} tokens) → {outDir}");
            if (result.DroppedDocuments > 0)
            {
                Console.Error.WriteLine($"  dropped {result.DroppedDocuments:N0} documents ({result.DroppedTokens:N0} tokens): {result.DroppedLongDocuments:N0} longer than --pack-length, "
                    + $"the rest in {result.DroppedShortSequences:N0} sequences shorter than --min-length (documents are {result.ShortestDocument:N0}-{result.LongestDocument:N0} ids)");
            }
            if (result.Sequences == 0)
            {
                Console.Error.WriteLine("nextlong: error: no sequence reached --min-length; documents with BOS/EOS are longer than their text "
                    + "(synthesize with --reserve-special-tokens for exact lengths) or lower --min-length");
                return 2;
            }
            return 0;
        })));
        return command;
    }
}
