using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace MyDetector;

/// <summary>
/// <c>dotnet run -- --kernels</c>: every kernel the generator wrote for this project's layers (GPU-style, barrier-free,
/// CPU SIMD, tensor-core; fp32 and W8A8) run through the one contract on a small random input, against the layer's
/// generic fp32 kernel — the "annotate and build" loop end to end.
/// </summary>
internal static class KernelCheck
{
    public static void Run(ILGPU.Runtime.Accelerator accelerator)
    {
        var random = new Random(1);
        float[] Uniform(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        foreach (var layer in GeneratedLayers.All)
        {
            // A random 300-site input on a small grid (GPU-style kernels with barriers are slow on the CPU accelerator).
            var shape = new SpatialShape(12, 12, 12);
            var sites = Enumerable.Range(0, (int)shape.CellCount).OrderBy(_ => random.Next()).Take(300)
                .SelectMany(cell => new[] { 0, cell / 144, cell / 12 % 12, cell % 12 }).ToArray();
            var input = new SparseTensor(Uniform(300 * layer.InChannels), sites, layer.InChannels, shape);
            var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
            var weights = new ConvWeights(Uniform(layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels),
                layer.OutChannels, layer.Geometry.Kernel, layer.InChannels, layer.HasBias ? Uniform(layer.OutChannels) : null);
            // Weights packed once; the W8A8 copy takes s_x from the input and SmoothQuant factors from one documented place.
            var f32 = new LayerWeights(weights);
            var w8a8 = layer.HasW8A8 ? f32.Quantized(LayerQuantization.FromInput(weights, input.Features, layer.SmoothQuant, layer.Alpha)) : null;
            var expected = layer.GenericKernel(Precision.F32).Run(accelerator, input, map, f32).Features;
            Console.WriteLine($"{layer.Name}: {layer.Geometry}, {input.Count} -> {map.OutputCount} sites");
            foreach (var kernel in layer.Kernels)
            {
                if (!kernel.CanRun(accelerator, out var reason))
                {
                    Console.WriteLine($"  {kernel.Name,-40} skipped: {reason}");
                    continue;
                }
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var output = kernel.Run(accelerator, input, map, kernel.Capabilities.Precision == Precision.W8A8 ? w8a8! : f32).Features;
                double maxError = output.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
                Console.WriteLine($"  {kernel.Name,-40} {clock.Elapsed.TotalMilliseconds,8:F1} ms   max |diff| vs generic fp32 {maxError:E2}");
            }
        }
    }
}
