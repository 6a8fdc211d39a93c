using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Networks;

/// <summary>
/// Runs a network with every activation in the accelerator's memory from node to node (<see cref="IConvKernel.Launch"/>):
/// only the input, the kernel maps and the output cross to and from the host — and no rulebook a device builder made,
/// which its map keeps where it was built — and dynamic W8A8 scales come from per-channel maxima reduced on the device. Activation and rulebook buffers come from pools, so frames after the first
/// reuse them.
/// </summary>
internal sealed class DeviceResidentExecutor(Accelerator accelerator) : IDisposable
{
    private readonly DeviceBufferPool<float> _activations = new(accelerator);
    private readonly DeviceBufferPool<int> _rulebooks = new(accelerator);
    private readonly DeviceBufferPool<sbyte> _int8Activations = new(accelerator);
    private readonly DeviceBufferPool<ushort> _halfActivations = new(accelerator);

    /// <summary>Buffers kept for later frames (activations, fp32 and int8, and rulebooks).</summary>
    public int BuffersAllocated => _activations.Allocated + _int8Activations.Allocated + _halfActivations.Allocated + _rulebooks.Allocated;

    /// <summary>Node outputs written as fp16 tensors so far (for fp16 readers: half the gathered bytes).</summary>
    public int HalfOutputs { get; private set; }

    /// <summary>Rulebooks uploaded from the host so far: the rulebooks of maps a device builder made are read where they are, every run.</summary>
    public int RulebookUploads { get; private set; }

    /// <summary>Of those, the int8 activation buffers: the outputs of nodes chained in int8 on the device.</summary>
    public int Int8BuffersAllocated => _int8Activations.Allocated;

    /// <summary>Network inputs uploaded from the host so far (a frame's device voxels are copied on the device instead).</summary>
    public int InputUploads { get; private set; }

    /// <summary>
    /// Runs the prepared nodes; <paramref name="deviceInput"/>, when given, is the plan's input features already on this
    /// accelerator (the device voxelizer's), copied on the device instead of uploaded.
    /// </summary>
    public NetworkRun Run(NodePreparation nodes, bool keepOutputs, ArrayView<float>? deviceInput = null)
    {
        var plan = nodes.Plan;
        var stream = accelerator.DefaultStream;
        var lastUse = plan.Network.Network.LastReaders();
        // The rulebooks travel once per kernel map (nodes sharing an indice key share the map); a map the device builder
        // made has its rulebook here already (it keeps it: read, never uploaded, never returned to the pool).
        var outIns = new Dictionary<KernelMap, ArrayView<int>>(ReferenceEqualityComparer.Instance);
        var uploaded = new List<MemoryBuffer1D<int, Stride1D.Dense>>();
        var inputBuffer = _activations.Rent(plan.Input.Features.Length);
        if (deviceInput is { } voxelFeatures && voxelFeatures.Length == plan.Input.Features.Length)
        {
            inputBuffer.View.SubView(0, voxelFeatures.Length).CopyFrom(stream, voxelFeatures);
        }
        else
        {
            inputBuffer.View.SubView(0, plan.Input.Features.Length).CopyFromCPU(stream, plan.Input.Features);
            InputUploads++;
        }
        var live = new Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>>(StringComparer.Ordinal) { [SparseNetwork.InputName] = inputBuffer };
        var liveInt8 = new Dictionary<string, MemoryBuffer1D<sbyte, Stride1D.Dense>>(StringComparer.Ordinal);
        var liveHalf = new Dictionary<string, MemoryBuffer1D<ushort, Stride1D.Dense>>(StringComparer.Ordinal);
        var halfOutput = nodes.HalfOutputs();
        var kept = new Dictionary<string, SparseTensor>(StringComparer.Ordinal);
        var runs = new List<NodeRun>();
        SparseTensor? last = null;
        try
        {
            for (int i = 0; i < plan.Nodes.Count; i++)
            {
                var (node, layer, map, _) = plan.Nodes[i];
                var kernel = nodes.Kernels[i];
                var needs = nodes.Needs[i];
                long inputElements = Math.Max(1, (long)map.InputCount * layer.InChannels);
                ArrayView<ushort>? inputHalf = liveHalf.TryGetValue(node.From, out var halves) ? halves.View.SubView(0, inputElements) : null;
                ArrayView<float>? input = needs.Int8Input || inputHalf is not null ? null : live[node.From].View.SubView(0, inputElements);
                ArrayView<sbyte>? inputInt8 = needs.Int8Input ? liveInt8[node.From].View.SubView(0, inputElements) : null;
                // Dynamic scales from this input's per-channel maxima, reduced on the device: Cin floats come back.
                var weights = nodes.WeightsOf(i, () => map.InputCount == 0
                    ? new float[layer.InChannels]
                    : DeviceChannelMaxima.For(accelerator).Compute(stream, input!.Value, layer.InChannels));
                weights.OnDevice(accelerator); // uploaded outside the node's time, as the host path quantizes outside it
                if (needs.Precision == Precision.F16 && (input is not null || inputHalf is not null) && map.InputCount > 0)
                {
                    // fp16 operands: an input past fp16's range would enter the kernel as ∞ (ConvKernelGuard checks host
                    // arrays); an fp16 tensor holds one where the previous fp16 layer's output overflowed.
                    var maxima = inputHalf is { } halfTensor
                        ? DeviceChannelMaxima.For(accelerator).Compute(stream, halfTensor, layer.InChannels)
                        : DeviceChannelMaxima.For(accelerator).Compute(stream, input!.Value, layer.InChannels);
                    int channel = Array.FindIndex(maxima, m => !(m <= Fp16Range.Max));
                    if (channel >= 0)
                    {
                        throw new ArgumentException($"node {node.Name}: " + Fp16Range.Beyond("input feature", maxima[channel], $"channel {channel}"));
                    }
                }
                // An int8 output is requantized into its readers' domain, from a reader's weights on the device.
                var reader = nodes.ReaderWeightsOf(i);
                ArrayView<float>? readerMultipliers = reader?.OnDevice(accelerator).ActivationMultipliers;
                if (!outIns.TryGetValue(map, out var outIn))
                {
                    if (map.DeviceOutIn(accelerator) is { } onDevice)
                    {
                        outIn = outIns[map] = onDevice;
                    }
                    else
                    {
                        var buffer = _rulebooks.Rent(map.OutIn.Length);
                        uploaded.Add(buffer);
                        outIn = outIns[map] = buffer.View;
                        outIn.SubView(0, map.OutIn.Length).CopyFromCPU(stream, map.OutIn);
                        RulebookUploads++;
                    }
                }
                int elements = map.OutputCount * layer.OutChannels;
                var outputView = Math.Max(1, elements);
                ArrayView<float>? output = null;
                ArrayView<sbyte>? outputInt8 = null;
                ArrayView<ushort>? outputHalf = null;
                if (halfOutput[i])
                {
                    var buffer = _halfActivations.Rent(elements);
                    liveHalf[node.Name] = buffer;
                    outputHalf = buffer.View.SubView(0, outputView);
                    HalfOutputs++;
                }
                else if (needs.Int8Output)
                {
                    var buffer = _int8Activations.Rent(elements);
                    liveInt8[node.Name] = buffer;
                    outputInt8 = buffer.View.SubView(0, outputView);
                }
                else
                {
                    var buffer = _activations.Rent(elements);
                    live[node.Name] = buffer;
                    output = buffer.View.SubView(0, outputView);
                }
                stream.Synchronize();
                long start = Stopwatch.GetTimestamp();
                kernel.Launch(stream, new DeviceConvCall
                {
                    Map = map,
                    OutIn = outIn.SubView(0, Math.Max(1, (long)map.OutputCount * map.KernelVolume)),
                    Weights = weights,
                    Input = input,
                    InputInt8 = inputInt8,
                    InputHalf = inputHalf,
                    Output = output,
                    OutputInt8 = outputInt8,
                    OutputHalf = outputHalf,
                    OutputMultipliers = readerMultipliers,
                    OutputFormat = reader?.Int8!.Format ?? default,
                    Residual = node.Residual is { } residual && live.TryGetValue(residual, out var residualFloats) ? residualFloats.View.SubView(0, outputView) : null,
                    ResidualHalf = node.Residual is { } halfResidual && liveHalf.TryGetValue(halfResidual, out var residualHalves) ? residualHalves.View.SubView(0, outputView) : null,
                });
                stream.Synchronize();
                runs.Add(new NodeRun(node.Name, kernel.Name, needs.Precision, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
                bool isLast = i == plan.Nodes.Count - 1;
                if ((output is not null || outputHalf is not null) && (keepOutputs || isLast))
                {
                    var features = new float[elements];
                    if (output is { } written)
                    {
                        written.SubView(0, elements).CopyToCPU(stream, features);
                    }
                    else
                    {
                        var bits = new ushort[elements];
                        outputHalf!.Value.SubView(0, elements).CopyToCPU(stream, bits);
                        for (int e = 0; e < elements; e++)
                        {
                            features[e] = __Internals.TensorCore.HalfToFloat(bits[e]);
                        }
                    }
                    stream.Synchronize();
                    last = new SparseTensor(features, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize);
                    if (keepOutputs)
                    {
                        kept[node.Name] = last;
                    }
                }
                foreach (var name in live.Keys.Concat(liveInt8.Keys).Concat(liveHalf.Keys).Where(n => n != node.Name && lastUse.GetValueOrDefault(n, -1) <= i).ToList())
                {
                    if (live.Remove(name, out var floats))
                    {
                        _activations.Return(floats);
                    }
                    if (liveInt8.Remove(name, out var bytes))
                    {
                        _int8Activations.Return(bytes);
                    }
                    if (liveHalf.Remove(name, out var halfBuffer))
                    {
                        _halfActivations.Return(halfBuffer);
                    }
                }
            }
        }
        finally
        {
            stream.Synchronize(); // nothing may still read a buffer that the next frame takes
            foreach (var buffer in live.Values)
            {
                _activations.Return(buffer);
            }
            foreach (var buffer in liveInt8.Values)
            {
                _int8Activations.Return(buffer);
            }
            foreach (var buffer in liveHalf.Values)
            {
                _halfActivations.Return(buffer);
            }
            foreach (var buffer in uploaded)
            {
                _rulebooks.Return(buffer);
            }
        }
        return new NetworkRun(last ?? plan.Input, runs, kept);
    }

    public void Dispose()
    {
        _activations.Dispose();
        _int8Activations.Dispose();
        _halfActivations.Dispose();
        _rulebooks.Dispose();
    }
}
