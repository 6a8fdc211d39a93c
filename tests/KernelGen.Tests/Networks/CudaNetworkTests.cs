using KernelGen.Kernels;
using KernelGen.KernelMaps;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Support;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Tests.Networks;

/// <summary>
/// Both networks on a CUDA device: tuned there (the accelerator kernels timed on device-resident tensors), run with the
/// activations kept on the device from node to node, every node against the generic fp32 kernel on the CPU accelerator,
/// and the device-resident run equal to the host-array run of the same kernels.
/// </summary>
[Collection(CudaAcceleratorCollection.Name)]
public sealed class CudaNetworkTests(CudaAcceleratorFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-cuda-net-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("centerpoint")]
    [InlineData("second")]
    public void Tuned_device_resident_runs_match_the_generic_fp32_path_and_the_host_array_run(string model)
    {
        Assert.SkipWhen(fixture.Session is null, "no CUDA device on this machine");
        var network = BuiltInModels.Load(model);
        var voxels = new RandomSparse().Tensor(new SpatialShape(41, 160, 160), 5, density: 0.002);
        var weights = NetworkWeights.Synthetic(network);
        using var cpu = KernelGen.Accelerators.AcceleratorSession.Open(KernelGen.Accelerators.AcceleratorChoice.Cpu);
        using var cpuRunner = new NetworkRunner(cpu.Accelerator);
        var cpuPlan = cpuRunner.Plan(network, voxels);
        var reference = cpuRunner.Run(cpuPlan, weights, cpuPlan.Nodes.Select(n => n.Layer.GenericKernel(Precision.F32)).ToList(), PrecisionPlan.F32, keepOutputs: true);

        using var runner = new NetworkRunner(fixture.Session!.Accelerator);
        var plan = runner.Plan(network, voxels);
        var tuner = new LayerTuner(fixture.Session.Accelerator, new TuningCache(Path.Combine(_folder, "tuning.json")), options: new TuningOptions(Warmup: 1, Repeats: 3));
        foreach (var precision in new[] { PrecisionPlan.F32, PrecisionPlan.F16, PrecisionPlan.DynamicW8A8(smoothQuant: true) })
        {
            var kernels = runner.Tune(plan, precision, tuner);
            Assert.All(kernels, k => Assert.Equal(KernelDevice.AnyAccelerator, k.Capabilities.Device));
            var resident = runner.Run(plan, weights, kernels, precision, keepOutputs: true); // device-resident: the default on a GPU
            var host = runner.Run(plan, weights, kernels, precision, keepOutputs: true, deviceResident: false);
            foreach (var node in plan.Nodes)
            {
                string name = node.Node.Name;
                if (precision == PrecisionPlan.F16)
                {
                    // Device-resident fp16 nodes pass fp16 tensors to fp16 readers (rounded once more than the host-array run's fp32 ones).
                    var drift = ErrorMetrics.Compare(resident.Outputs[name].Features, host.Outputs[name].Features.Select(v => (double)v).ToArray());
                    Assert.True(drift.Cosine >= 0.9999, $"{model} {name}: fp16 tensors between fp16 nodes drift to cosine {drift.Cosine} from the fp32 tensors");
                }
                else
                {
                    Assert.True(host.Outputs[name].Features.AsSpan().SequenceEqual(resident.Outputs[name].Features), $"{model} {precision} {name}: device-resident and host-array runs differ");
                }
                if (precision == PrecisionPlan.F32)
                {
                    var error = OutputComparison.Of(resident.Outputs[name].Features, reference.Outputs[name].Features.Select(v => (double)v).ToArray());
                    Assert.True(error.RelativeL2Error <= 1e-5, $"{model} {name}: relative L2 {error.RelativeL2Error} against the generic fp32 path ({resident.Nodes.Single(n => n.Node == name).Kernel})");
                }
            }
            if (precision == PrecisionPlan.F16)
            {
                // fp16 operands, fp32 sums: the output keeps about three decimal digits through the 21 layers.
                Assert.All(plan.Nodes.Zip(kernels), n => Assert.Equal(Precision.F16, n.Second.Capabilities.Precision));
                var fp16Error = ErrorMetrics.Compare(resident.Output.Features, reference.Output.Features.Select(v => (double)v).ToArray());
                Assert.True(fp16Error.Cosine >= 0.9999, $"{model}: fp16 output cosine {fp16Error.Cosine} against fp32");
            }
            if (precision == PrecisionPlan.DynamicW8A8(smoothQuant: true))
            {
                var int8Error = ErrorMetrics.Compare(resident.Output.Features, reference.Output.Features.Select(v => (double)v).ToArray());
                Assert.True(int8Error.Cosine >= 0.98, $"{model}: W8A8 + SmoothQuant output cosine {int8Error.Cosine} against fp32");
            }
        }
    }
}
