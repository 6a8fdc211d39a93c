using KernelGen;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Samples;
using KernelGen.Tensors;
using KernelGen.Variants;

// Runs every generated variant of the annotated layers on a small random input and compares it with the generic
// kernel (fp32) or prints the int8 error (W8A8) — the "annotate and build" loop end to end.
var random = new Random(1);
float[] Normal(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

using var session = AcceleratorSession.Open(args.Length > 0 ? AcceleratorSession.ParseChoice(args[0]) : AcceleratorChoice.Cpu);
Console.WriteLine($"device: {session.Description}");
var generic = new GenericImplicitGemm(session.Accelerator);
foreach (var layer in GeneratedLayers.All)
{
    // A random 300-site input on a small grid (GPU-style kernels with barriers are slow on the CPU accelerator).
    var shape = new SpatialShape(12, 12, 12);
    var sites = Enumerable.Range(0, (int)shape.CellCount).OrderBy(_ => random.Next()).Take(300)
        .SelectMany(cell => new[] { 0, cell / 144, cell / 12 % 12, cell % 12 }).ToArray();
    var input = new SparseTensor(Normal(300 * layer.InChannels), sites, layer.InChannels, shape);
    var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
    var weights = new ConvWeights(Normal(layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels),
        layer.OutChannels, layer.Geometry.Kernel, layer.InChannels, layer.HasBias ? Normal(layer.OutChannels) : null);
    var expected = generic.Run(input, map, weights, layer.Activation).Features;
    Console.WriteLine($"{layer.Name}: {layer.Geometry}, {input.Count} -> {map.OutputCount} sites");

    // Weights packed once; the W8A8 copy takes s_x from the input and SmoothQuant factors from one documented place.
    var f32 = new LayerWeights(weights);
    var w8a8 = layer.HasW8A8 ? f32.Quantized(LayerQuantization.FromInput(weights, input.Features, layer.SmoothQuant, layer.Alpha)) : null;
    foreach (var variant in layer.Kernels)
    {
        var output = new float[expected.Length];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!variant.CanRun(session.Accelerator, out var reason))
        {
            Console.WriteLine($"  {variant.Name,-36} skipped: {reason}");
            continue;
        }
        // One contract for every kernel: generated GPU-style, barrier-free, CPU SIMD, and the generic ones.
        variant.Run(session.Accelerator, new ConvCall
        {
            Map = map,
            Weights = variant.Capabilities.Precision == Precision.W8A8 ? w8a8! : f32,
            Input = input.Features,
            Output = output,
        });
        double maxError = output.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Console.WriteLine($"  {variant.Name,-36} {clock.Elapsed.TotalMilliseconds,8:F1} ms   max |diff| vs generic fp32 {maxError:E2}");
    }
}
