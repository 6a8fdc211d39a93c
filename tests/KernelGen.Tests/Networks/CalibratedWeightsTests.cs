using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Networks;

/// <summary>
/// Data-calibrated synthetic weights: every BatchNorm holds the statistics of its conv's outputs on the calibration
/// scans, so on those scans each node's channels enter the activation with mean β and deviation γ, as a trained
/// network's do — checked on the runner's fp32 activations with the independent dense conv3d in double.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class CalibratedWeightsTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Every_node_enters_its_activation_with_mean_beta_and_deviation_gamma_on_the_calibration_scans()
    {
        var network = BuiltInModels.Load("centerpoint");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var scans = new[] { 11, 12 }.Select(seed => new RandomSparse(seed).Tensor(new SpatialShape(41, 32, 32), 5, density: 0.012)).ToList();
        var weights = NetworkWeights.Calibrated(runner, network, scans, seed: 9);
        var draws = SyntheticDraw.Of(network, 9);
        var plans = scans.Select(s => runner.Plan(network, s)).ToList();
        var runs = plans.Select(p => runner.Run(p, weights, runner.Defaults(p, PrecisionPlan.F32), PrecisionPlan.F32, keepOutputs: true)).ToList();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            var folded = weights[node.Name];
            int cout = layer.OutChannels;
            var sums = new double[cout];
            var squares = new double[cout];
            long rows = 0;
            foreach (var (plan, run) in plans.Zip(runs))
            {
                var input = node.From == SparseNetwork.InputName ? plan.Input : run.Outputs[node.From];
                // Pre-activation, no residual: the folded conv alone, which is the BatchNorm's output.
                var oracle = DenseConv3dOracle.Forward(input, folded.Data, cout, layer.Geometry, folded.Bias, relu: false);
                var map = plan.Nodes[i].Map;
                for (int row = 0; row < map.OutputCount; row++)
                {
                    for (int n = 0; n < cout; n++)
                    {
                        double v = oracle.ValueAt(map, row, n);
                        sums[n] += v;
                        squares[n] += v * v;
                    }
                }
                rows += map.OutputCount;
            }
            Assert.True(rows >= 20, $"{node.Name}: only {rows} output sites; the test grid is too small");
            for (int n = 0; n < cout; n++)
            {
                double mean = sums[n] / rows, deviation = Math.Sqrt(Math.Max(0, squares[n] / rows - mean * mean));
                double gamma = draws[i].Gamma[n], beta = draws[i].Beta[n];
                Assert.True(Math.Abs(mean - beta) <= 1e-3 * gamma, $"{node.Name} channel {n}: mean {mean} but β = {beta}");
                // ε = 1e-3 in the fold shrinks the deviation by √(σ² / (σ² + ε)): at most a few per cent for live channels.
                Assert.True(deviation <= gamma * 1.0001 && deviation >= gamma * 0.95, $"{node.Name} channel {n}: deviation {deviation} but γ = {gamma}");
            }
        }
        // The random statistics' activations grow layer by layer; the calibrated ones stay at a trained network's scale.
        var random = NetworkWeights.Synthetic(network, 9);
        var randomRun = runner.Run(plans[0], random, runner.Defaults(plans[0], PrecisionPlan.F32), PrecisionPlan.F32);
        float calibratedMax = runs[0].Output.Features.Max(), randomMax = randomRun.Output.Features.Max();
        Assert.True(calibratedMax < 60, $"calibrated weights: output max {calibratedMax}");
        Assert.True(randomMax > 4 * calibratedMax, $"random statistics: output max {randomMax} against calibrated {calibratedMax}");
    }

    [Fact]
    public void Calibrating_on_no_voxels_is_an_error_naming_it()
    {
        var network = BuiltInModels.Load("second");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var e = Assert.Throws<ArgumentException>(() => NetworkWeights.Calibrated(runner, network, []));
        Assert.Contains("need at least one scan with voxels", e.Message);
        Assert.Contains("--synthetic 'exact': give calibrated", Assert.Throws<ArgumentException>(() => SyntheticWeightsOption.Parse("exact")).Message);
    }
}
