using KernelGen.Accelerators;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tuning;
using MyDetector;

// A user's detector backbone end to end, with KernelGen as a package: describe (JSON, or Backbone.Describe() in C#),
// validate, voxelize a scan, plan the kernel maps, tune every node on this device (cached), run fp32 and W8A8 +
// SmoothQuant. Usage: dotnet run -c Release [-- SCAN.bin|SCAN.bin.gz|SCAN.pcap [WEIGHTS.safetensors]]; with -- --kernels,
// every generated kernel of the layers against the generic one instead (KernelCheck).
if (args is ["--kernels"])
{
    using var cpu = AcceleratorSession.Open(AcceleratorChoice.Cpu);
    KernelCheck.Run(cpu.Accelerator);
    return;
}
var description = NetworkJson.Load(Path.Combine(AppContext.BaseDirectory, "mydetector.json"));
if (description != Backbone.Describe())
{
    throw new InvalidOperationException("mydetector.json and Backbone.Describe() disagree");
}
var network = NetworkValidator.Validate(description);
var weights = args.Length > 1 ? NetworkWeights.FromSafeTensors(network, args[1]) : NetworkWeights.Synthetic(network);
var cloud = args.Length > 0 ? ScanReader.Read(args[0]) : SyntheticScan();
var voxels = Voxelizer.Voxelize(cloud.ScaledTo(network.Network.Input.IntensityMax), network.Voxels).Tensor;

using var session = AcceleratorSession.Open(AcceleratorChoice.Auto);
using var runner = new NetworkRunner(session.Accelerator);
var plan = runner.Plan(network, voxels);
var tuner = new LayerTuner(session.Accelerator, new TuningCache(TuningCache.DefaultPath()));
Console.WriteLine($"{network.Network.Name}: {cloud.Count} points → {voxels.Count} voxels, {session.Description}");
NetworkRun? reference = null;
foreach (var precision in new[] { PrecisionPlan.F32, PrecisionPlan.DynamicW8A8(smoothQuant: true) })
{
    var kernels = runner.Tune(plan, precision, tuner);
    var run = runner.Run(plan, weights, kernels, precision);
    Console.WriteLine($"{precision}: {run.TotalMs:F1} ms, output {run.Output.Count} sites × {run.Output.Channels} channels");
    foreach (var node in run.Nodes)
    {
        Console.WriteLine($"  {node.Node,-12} {node.Kernel,-36} {node.Ms,8:F2} ms");
    }
    if (reference is null)
    {
        reference = run;
    }
    else
    {
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < run.Output.Features.Length; i++)
        {
            dot += run.Output.Features[i] * (double)reference.Output.Features[i];
            a += run.Output.Features[i] * (double)run.Output.Features[i];
            b += reference.Output.Features[i] * (double)reference.Output.Features[i];
        }
        Console.WriteLine($"  cosine vs fp32: {dot / Math.Sqrt(a * b):F5}");
    }
}

// Without a scan: points on a few planes and boxes in the KITTI range, as a stand-in.
static PointCloud SyntheticScan()
{
    var random = new Random(1);
    var points = new float[20_000 * 4];
    for (int i = 0; i < 20_000; i++)
    {
        bool ground = i % 2 == 0;
        points[i * 4] = (float)(random.NextDouble() * 40);
        points[i * 4 + 1] = (float)(random.NextDouble() * 40 - 20);
        points[i * 4 + 2] = ground ? -1.7f : (float)(random.NextDouble() * 2 - 1.7);
        points[i * 4 + 3] = (float)random.NextDouble();
    }
    return new PointCloud(points, "synthetic scan");
}
