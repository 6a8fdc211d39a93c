using Google.Protobuf;
using ILGPU;
using ILGPU.Runtime.CPU;
using KernelGen.IO;
using KernelGen.Models;
using KernelGen.Models.Onnx;
using KernelGen.Networks;
using KernelGen.Profiles;
using KernelGen.Tests.Cli;
using Onnx;
using Half = System.Half;

namespace KernelGen.Tests.Onnx;

/// <summary>
/// NVIDIA's sparse-conv ONNX exports read onto descriptions: the fixtures made by python3-onnx
/// (<c>tools/make_onnx_fixtures.py</c>, CUDA-CenterPoint's x, y, z axes) import to the weights the script wrote beside
/// them, the checkpoint reads back bit-exactly, a PTQ model's scales become a profile; the whole CenterPoint backbone
/// built here in either axis order imports onto the built-in description; broken graphs are one-line errors.
/// </summary>
public sealed class OnnxImportTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Onnx", "Fixtures");
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The fixture's description; its layer classes are the built-in model's, registered when that assembly initializes.</summary>
    internal static ValidatedNetwork Tiny()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(typeof(BuiltInModels).Module.ModuleHandle);
        return NetworkValidator.Validate(NetworkJson.Load(Path.Combine(Fixtures, "tiny-centerpoint.json")));
    }

    [Fact]
    public void The_python_made_fixture_imports_to_the_weights_written_beside_it_and_its_checkpoint_reads_back_exactly()
    {
        var network = Tiny();
        var imported = OnnxImport.Read(Path.Combine(Fixtures, "tiny.scn.onnx"), network);
        Assert.Equal(OnnxAxisOrder.Xyz, imported.AxisOrder);
        Assert.False(imported.Quantized);
        Assert.Equal(["conv_input", "conv1.0.conv1", "conv1.0.conv2", "conv2.down"], imported.Convs.Select(c => c.Node));
        foreach (var conv in imported.Convs)
        {
            // The script's weights in (z, y, x): the importer reversed the kernel axes of the (x, y, z) export.
            var (weight, shape) = Npy.ReadFloat32(Path.Combine(Fixtures, $"expected.{conv.Node}.weight.npy"), 5, "weight");
            Assert.Equal([conv.Weights.OutChannels, 3, 3, 3, conv.Weights.InChannels], shape);
            Assert.Equal(weight, conv.Weights.Data);
            Assert.Equal(Npy.ReadFloat32(Path.Combine(Fixtures, $"expected.{conv.Node}.bias.npy"), 1, "bias").Data, conv.Weights.Bias);
        }
        string checkpoint = Path.Combine(_folder, "tiny.safetensors");
        imported.WriteCheckpoint(network, checkpoint);
        var loaded = NetworkWeights.FromSafeTensors(network, checkpoint);
        foreach (var conv in imported.Convs)
        {
            // Through the identity BatchNorm of conv_input and conv2.down, and the plain bias of conv1.0.conv2: the same bits.
            Assert.Equal(conv.Weights.Data, loaded[conv.Node].Data);
            Assert.Equal(conv.Weights.Bias, loaded[conv.Node].Bias);
        }
    }

    [Fact]
    public void An_onnx_model_is_taken_wherever_weights_are_and_gives_the_imported_checkpoints_weights()
    {
        var network = Tiny();
        string onnx = Path.Combine(Fixtures, "tiny.scn.onnx"), checkpoint = Path.Combine(_folder, "tiny.safetensors");
        OnnxImport.Read(onnx, network).WriteCheckpoint(network, checkpoint);
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        using var runner = new NetworkRunner(accelerator);
        var (direct, text) = ModelWeights.Load(network, onnx, SyntheticStatistics.Calibrated, runner);
        var viaCheckpoint = ModelWeights.Load(network, checkpoint, SyntheticStatistics.Calibrated, runner).Weights;
        Assert.Equal("ONNX model tiny.scn.onnx", text);
        Assert.All(network.Network.Nodes, n =>
        {
            Assert.Equal(viaCheckpoint[n.Name].Data, direct[n.Name].Data);
            Assert.Equal(viaCheckpoint[n.Name].Bias, direct[n.Name].Bias);
        });
        // The same weights hash: a profile made with one fits the other.
        Assert.Equal(ProfileHashes.Weights(network, viaCheckpoint), ProfileHashes.Weights(network, direct));
        var run = CliRunner.Run("run", "--model", Path.Combine(Fixtures, "tiny-centerpoint.json"), "--weights", onnx, "--accelerator", "cpu", "--cache", Path.Combine(_folder, "cache.json"));
        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public void A_ptq_model_gives_nvidias_int8_decisions_as_a_profile_that_runs()
    {
        var network = Tiny();
        var imported = OnnxImport.Read(Path.Combine(Fixtures, "tiny.scn.PTQ.onnx"), network);
        Assert.True(imported.Quantized);
        Assert.Equal([false, false, false, true], imported.Scales.Select(s => s.Int8));
        Assert.Equal([54f, 3.5f, 2.25f, 4.75f], imported.Scales.Select(s => s.InputAmax!.Value));
        Assert.All(imported.Convs, c => Assert.Equal(0, c.WeightAmaxDeviation!.Value, 3)); // the script wrote max |w| (fp16-rounded)

        string checkpoint = Path.Combine(_folder, "tiny.safetensors"), profilePath = Path.Combine(_folder, "profile.json");
        imported.WriteCheckpoint(network, checkpoint);
        var weights = NetworkWeights.FromSafeTensors(network, checkpoint);
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        using var runner = new NetworkRunner(accelerator);
        var profile = new Calibrator(runner, network, weights).Adopt(imported.Scales, imported.Source, CalibrationSet.Of(ShippedCapture.CalibrationScans(sweeps: true)));
        // NVIDIA's symmetric int8: s8 codes, scale amax / 127, on every node that has an amax; int8 where they run int8.
        Assert.Equal([4.75f / 127, 54f / 127], new[] { profile.Layers[3].ActivationScale!.Value, profile.Layers[0].ActivationScale!.Value });
        Assert.All(profile.Layers, l => Assert.Equal(ActivationFormat.S8, l.Format));
        Assert.Equal([false, false, false, true], profile.Layers.Select(l => l.Int8));
        Assert.Equal("imported: tiny.scn.PTQ.onnx", profile.Target);
        Assert.NotEmpty(profile.Sample);
        Assert.InRange(profile.Calibration.WorstCosine, -1, 1);
        profile.Save(profilePath);
        var loaded = QuantizationProfile.Load(profilePath);
        Assert.Equal(profile, loaded);
        var plan = runner.Plan(network, network.Voxelize(ShippedCapture.HeldOutScan(sweeps: true).Cloud));
        Assert.Equal([false, false, false, true], plan.Nodes.Select(loaded.PlanFor(network, weights).IsInt8));
    }

    public static TheoryData<string> AxisOrders() => new() { "xyz", "zyx" };

    [Theory]
    [MemberData(nameof(AxisOrders))]
    public void The_whole_centerpoint_backbone_imports_onto_the_built_in_description_in_either_axis_order(string order)
    {
        var network = BuiltInModels.Load("centerpoint");
        var (model, expected) = CenterPointGraph(network, xyz: order == "xyz");
        var imported = OnnxImport.Parse(model.ToByteArray(), "centerpoint.scn.onnx", network);
        Assert.Equal(order == "xyz" ? OnnxAxisOrder.Xyz : OnnxAxisOrder.Zyx, imported.AxisOrder);
        Assert.Equal(network.Network.Nodes.Select(n => n.Name), imported.Convs.Select(c => c.Node));
        foreach (var conv in imported.Convs)
        {
            Assert.Equal(expected[conv.Node], conv.Weights.Data);
        }
        // Into the built-in names (BatchNorm as the identity): the checkpoint every command's --weights takes.
        string checkpoint = Path.Combine(_folder, "centerpoint.safetensors");
        imported.WriteCheckpoint(network, checkpoint);
        var loaded = NetworkWeights.FromSafeTensors(network, checkpoint);
        Assert.All(imported.Convs, c => Assert.Equal(c.Weights.Data, loaded[c.Node].Data));
    }

    public static TheoryData<string, string> BrokenGraphs() => new()
    {
        { "op", "op Conv is not part of a sparse backbone KernelGen runs" },
        { "initializer", "initializer 'spconv1.weight' is missing from the graph" },
        { "channels", "ONNX node conv1 does not match: description node conv1.0.conv1 (KernelGen.Models.CenterPoint.Subm16) has 16→16 channels, the ONNX conv 16→17" },
        { "dims", "ONNX node conv3: initializer spconv3.weight has 27648 bytes, its dims need 18432" },
        { "residual", "reads tensor '4', which no earlier node of 'tiny.scn.PTQ.onnx' writes" },
        { "missing", "has 3 SparseConvolution nodes but none for description node conv2.down" },
        { "bytes", "'tiny.scn.PTQ.onnx' is not an ONNX model" },
        { "amax", "ONNX node conv3: input_dynamic_range -1 is not a positive finite amax" },
    };

    [Theory]
    [MemberData(nameof(BrokenGraphs))]
    public void A_broken_graph_is_a_one_line_error_naming_what_is_wrong(string breakage, string expected)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures, "tiny.scn.PTQ.onnx"));
        var model = ModelProto.Parser.ParseFrom(bytes);
        var nodes = model.Graph.Node;
        switch (breakage)
        {
            case "op": nodes.First(n => n.Name == "conv1").OpType = "Conv"; break;
            case "initializer": model.Graph.Initializer.Remove(model.Graph.Initializer.First(i => i.Name == "spconv1.weight")); break;
            case "channels": nodes.First(n => n.Name == "conv1").Attribute.First(a => a.Name == "out_channels").I = 17; break;
            case "dims": model.Graph.Initializer.First(i => i.Name == "spconv3.weight").Dims[3] = 2; break;
            case "residual": nodes.Remove(nodes.First(n => n.OpType == "Add")); break;
            case "missing":
                foreach (var name in new[] { "conv3", "scatter4", "reshape5" })
                {
                    nodes.Remove(nodes.First(n => n.Name == name));
                }
                break;
            case "amax": nodes.First(n => n.Name == "conv3").Attribute.First(a => a.Name == "input_dynamic_range").F = -1; break;
        }
        var broken = breakage == "bytes" ? bytes[..100] : model.ToByteArray();
        var e = Assert.Throws<InvalidDataException>(() => OnnxImport.Parse(broken, "tiny.scn.PTQ.onnx", Tiny()));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Kernelgen_import_onnx_writes_the_checkpoint_and_profile_and_refuses_bad_input_in_one_line()
    {
        string model = Path.Combine(Fixtures, "tiny-centerpoint.json"), checkpoint = Path.Combine(_folder, "w.safetensors"), profile = Path.Combine(_folder, "p.json");
        var result = CliRunner.Run("import-onnx", Path.Combine(Fixtures, "tiny.scn.PTQ.onnx"), "--model", model, "--out", checkpoint, "--profile", profile, "--accelerator", "cpu");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("conv2.down       conv3      int8", result.Output);
        Assert.Contains("NVIDIA's scales: 1 of 4 convs int8", result.Output);
        Assert.True(File.Exists(checkpoint) && File.Exists(profile));
        // The files run: kernelgen run --weights --profile on the same description.
        var run = CliRunner.Run("run", "--model", model, "--weights", checkpoint, "--profile", profile, "--accelerator", "cpu", "--cache", Path.Combine(_folder, "cache.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("conv2.down", run.Output);

        foreach (var (args, message) in new (string[], string)[]
        {
            (["import-onnx", Path.Combine(Fixtures, "tiny.scn.onnx"), "--model", model, "--out", checkpoint, "--profile", profile], "carries no PTQ attributes"),
            (["import-onnx", Path.Combine(Fixtures, "tiny.scn.onnx"), "--out", checkpoint], "ONNX node conv3 does not match: description node conv1.1.conv1"),
            (["import-onnx", Path.Combine(Fixtures, "tiny.scn.onnx"), "--model", model, "--out", checkpoint, "--axis-order", "yzx"], "--axis-order must be auto, zyx or xyz"),
            (["import-onnx", Path.Combine(Fixtures, "tiny.scn.onnx"), "--model", model, "--out", Path.Combine(Fixtures, "tiny.scn.onnx")], "is also an input of this command"),
        })
        {
            var bad = CliRunner.Run(args);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains(message, bad.Error);
            Assert.Single(bad.ErrorLines);
        }
    }

    /// <summary>
    /// <paramref name="network"/> as NVIDIA's exporter writes it: BatchNorm folded (random fp16 weights and biases), ReLU
    /// fused into every conv without a residual, Add + Relu after every residual conv, axes (x, y, z) or (z, y, x); and
    /// each node's weights in KernelGen's (z, y, x) layout.
    /// </summary>
    private static (ModelProto Model, Dictionary<string, float[]> Expected) CenterPointGraph(ValidatedNetwork network, bool xyz)
    {
        var random = new Random(35);
        var graph = new GraphProto { Name = "scn" };
        graph.Input.Add(new ValueInfoProto { Name = "0" });
        var tensorOf = new Dictionary<string, string> { [SparseNetwork.InputName] = "0" };
        var expected = new Dictionary<string, float[]>();
        int next = 1;
        var grid = network.Voxels.SpatialShape;
        long[] Axes(int z, int y, int x) => xyz ? [x, y, z] : [z, y, x];
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            var g = layer.Geometry;
            var k = g.Kernel;
            var zyx = new float[layer.OutChannels * k.Product * layer.InChannels];
            for (int j = 0; j < zyx.Length; j++)
            {
                zyx[j] = (float)(Half)(random.NextDouble() - 0.5);
            }
            expected[node.Name] = zyx;
            var stored = new Half[zyx.Length];
            for (int n = 0; n < layer.OutChannels; n++)
            for (int z = 0; z < k.Z; z++)
            for (int y = 0; y < k.Y; y++)
            for (int x = 0; x < k.X; x++)
            for (int c = 0; c < layer.InChannels; c++)
            {
                int from = (((n * k.Z + z) * k.Y + y) * k.X + x) * layer.InChannels + c;
                int to = xyz ? (((n * k.X + x) * k.Y + y) * k.Z + z) * layer.InChannels + c : from;
                stored[to] = (Half)zyx[from];
            }
            var weight = new TensorProto { Name = $"spconv{i}.weight", DataType = 10, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(stored.AsSpan())) };
            weight.Dims.Add([layer.OutChannels, .. Axes(k.Z, k.Y, k.X), layer.InChannels]);
            var bias = new TensorProto { Name = $"spconv{i}.bias", DataType = 1 };
            bias.Dims.Add(layer.OutChannels);
            bias.FloatData.Add(Enumerable.Range(0, layer.OutChannels).Select(_ => (float)random.NextDouble()));
            graph.Initializer.Add(weight);
            graph.Initializer.Add(bias);
            string output = (next++).ToString();
            var conv = new NodeProto { Name = $"conv{i}", OpType = "SparseConvolution" };
            conv.Input.Add([tensorOf[node.From], weight.Name, bias.Name]);
            conv.Output.Add(output);
            void Ints(string name, params long[] values)
            {
                var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
                a.Ints.Add(values);
                conv.Attribute.Add(a);
            }
            void Int(string name, long value) => conv.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
            Int("ndim", 3);
            Int("in_channels", layer.InChannels);
            Int("out_channels", layer.OutChannels);
            Ints("kernel_size", Axes(k.Z, k.Y, k.X));
            Ints("stride", Axes(g.Stride.Z, g.Stride.Y, g.Stride.X));
            Ints("padding", Axes(g.Padding.Z, g.Padding.Y, g.Padding.X));
            Ints("dilation", Axes(g.Dilation.Z, g.Dilation.Y, g.Dilation.X));
            Int("subm", g.Kind == ConvKind.SubManifold ? 1 : 0);
            Int("transposed", 0);
            Int("groups", 1);
            if (i == 0)
            {
                Ints("input_spatial_shape", Axes(grid.Depth, grid.Height, grid.Width));
            }
            conv.Attribute.Add(new AttributeProto { Name = "activation", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(node.Residual is null ? "ReLU" : "None") });
            graph.Node.Add(conv);
            if (node.Residual is not null)
            {
                var add = new NodeProto { Name = $"add{i}", OpType = "Add" };
                add.Input.Add([output, tensorOf[node.Residual]]);
                add.Output.Add((next++).ToString());
                var relu = new NodeProto { Name = $"relu{i}", OpType = "Relu" };
                relu.Input.Add(add.Output[0]);
                relu.Output.Add(output = (next++).ToString());
                graph.Node.Add([add, relu]);
            }
            tensorOf[node.Name] = output;
        }
        return (new ModelProto { IrVersion = 7, Graph = graph }, expected);
    }
}
