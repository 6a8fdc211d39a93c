using System.Diagnostics;
using ILGPU.Runtime;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Networks;

/// <summary>
/// Runs a network node by node on host arrays (<see cref="IConvKernel.Run"/>): the CPU path, where the host SIMD kernels
/// are the fast ones. Only the outputs a later node still reads stay alive; the others go back to
/// <see cref="ActivationBuffers"/> for the next node of the same size.
/// </summary>
internal static class HostExecutor
{
    public static NetworkRun Run(Accelerator accelerator, NodePreparation nodes, bool keepOutputs)
    {
        var buffers = new ActivationBuffers();
        var plan = nodes.Plan;
        // The last node that reads each output: after it runs, the output can go.
        var lastUse = plan.Network.Network.LastReaders();
        var live = new Dictionary<string, SparseTensor>(StringComparer.Ordinal) { [SparseNetwork.InputName] = plan.Input };
        var liveInt8 = new Dictionary<string, sbyte[]>(StringComparer.Ordinal);
        var kept = new Dictionary<string, SparseTensor>(StringComparer.Ordinal);
        var runs = new List<NodeRun>();
        SparseTensor last = plan.Input;
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            var (node, layer, map, _) = plan.Nodes[i];
            var kernel = nodes.Kernels[i];
            var needs = nodes.Needs[i];
            var input = needs.Int8Input ? null : live[node.From];
            var weights = nodes.WeightsOf(i, () => LayerQuantizer.ChannelMaxima(input!.Features, layer.InChannels));
            var reader = nodes.ReaderWeightsOf(i)?.Int8;
            int elements = map.OutputCount * layer.OutChannels;
            var output = needs.Int8Output ? null : buffers.Rent<float>(elements);
            var outputInt8 = needs.Int8Output ? buffers.Rent<sbyte>(elements) : null;
            long start = Stopwatch.GetTimestamp();
            kernel.Run(accelerator, new ConvCall
            {
                Map = map, Weights = weights,
                Input = input?.Features, InputInt8 = needs.Int8Input ? liveInt8[node.From] : null,
                Output = output, OutputInt8 = outputInt8, OutputMultipliers = reader?.ActivationMultipliers, OutputFormat = reader?.Format ?? default,
                Residual = node.Residual is { } residual ? live[residual].Features : null,
            });
            runs.Add(new NodeRun(node.Name, kernel.Name, needs.Precision, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            if (outputInt8 is not null)
            {
                liveInt8[node.Name] = outputInt8;
            }
            else
            {
                last = new SparseTensor(output!, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize);
                live[node.Name] = last;
                if (keepOutputs)
                {
                    kept[node.Name] = last;
                }
            }
            foreach (var name in live.Keys.Concat(liveInt8.Keys).Where(n => n != node.Name && lastUse.GetValueOrDefault(n, -1) <= i).ToList())
            {
                // Recycled unless the caller sees it: the network's input or an output kept for the caller.
                if (live.Remove(name, out var dead) && name != SparseNetwork.InputName && !keepOutputs)
                {
                    buffers.Return(dead.Features);
                }
                if (liveInt8.Remove(name, out var deadInt8))
                {
                    buffers.Return(deadInt8);
                }
            }
        }
        return new NetworkRun(last, runs, kept);
    }
}
