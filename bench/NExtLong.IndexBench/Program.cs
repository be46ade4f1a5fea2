using NExtLong.IndexBench;

// Vector index benchmarks and scale check; see bench/index-vs-faiss.sh and docs/BENCHMARKS-INDEX.md.
//   run           --data DIR --spec SPEC [--k 64] [--threads N] [--reps 1] [--stop-recall 0.95] [--json OUT] [--keep FILE]
//   search        --data DIR --index FILE [--nprobe 4,12] [--k 64] [--threads N] [--reps 5]   (an index kept by run --keep)
//   embed-sample  --out DIR [--corpus PATH]
//   exact         --dir DIR [--n 500000] [--d 100] [--k 64] [--batches 1,8,64,1024] [--threads 1] [--seconds 3] [--json OUT]
//   scale         --dir DIR [--n 10000000] [--d 100] [--spec IVF,SQ8] [--shard 2000000] [--json OUT]
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: NExtLong.IndexBench run|search|embed-sample|exact|scale [options]  (see bench/NExtLong.IndexBench/Program.cs)");
    return 2;
}
var options = new Args(args[1..]);
switch (args[0])
{
    case "run": IndexRun.Run(options); break;
    case "search": SearchRun.Run(options); break;
    case "embed-sample": SampleEmbeddings.Run(options); break;
    case "scale": ScaleCheck.Run(options); break;
    case "exact": ExactSearch.Run(options); break;
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        return 2;
}
return 0;
