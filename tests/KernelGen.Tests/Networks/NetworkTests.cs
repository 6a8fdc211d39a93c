using KernelGen.Points;
using KernelGen.IO;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Generated;
using KernelGen.Tests.Support;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Tests.Networks;

/// <summary>
/// Network descriptions: the built-in ones load and validate, JSON round-trips, every validation error names its node,
/// and both networks plan, tune (small, on the CPU accelerator) and run through the one runner, every node checked
/// against the generic fp32 path.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class NetworkTests(CpuAcceleratorFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-net-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Built_in_descriptions_load_validate_and_round_trip_through_json()
    {
        var centerpoint = BuiltInModels.Load("centerpoint");
        Assert.Equal(21, centerpoint.Network.Nodes.Count);
        Assert.Equal(8, centerpoint.Network.Nodes.Count(n => n.Residual is not null));
        Assert.Equal(5, centerpoint.FeatureChannels.Count);
        var second = BuiltInModels.Load("second");
        Assert.Equal(12, second.Network.Nodes.Count);
        Assert.All(second.Network.Nodes, n => Assert.Null(n.Residual));
        Assert.Equal([0, 1, 2, 3], second.FeatureChannels);
        Assert.Equal(new SpatialShape(41, 1600, 1408), second.Voxels.SpatialShape);
        Assert.Equal(["conv_input", "conv1.0", "conv2.0", "conv2.1", "conv2.2", "conv3.0", "conv3.1", "conv3.2", "conv4.0", "conv4.1", "conv4.2", "conv_out"],
            second.Network.Nodes.Select(n => n.Name));
        foreach (var network in new[] { centerpoint.Network, second.Network })
        {
            var text = NetworkJson.Serialize(network);
            Assert.Equal(network, NetworkJson.Parse(text, "round trip"));
        }
        var e = Assert.Throws<ArgumentException>(() => BuiltInModels.Load("pointpillars"));
        Assert.Contains("no built-in model 'pointpillars'; built-in: centerpoint, second", e.Message);
    }

    [Fact]
    public void A_network_built_in_csharp_equals_the_same_network_from_json()
    {
        var built = new NetworkBuilder("tiny", new NetworkInput("kitti", ["x", "y", "z", "intensity"]))
            .Conv("down", DownConv.Layer, "down1", weight: "down.weight", from: "input")
            .Build();
        Assert.Throws<NetworkValidationException>(() => NetworkValidator.Validate(built)); // DownConv takes 12 channels
        var json = NetworkJson.Serialize(built);
        Assert.Contains("\"format\": 1", json);
        Assert.Equal(built, NetworkJson.Parse(json, "tiny.json"));
    }

    public static TheoryData<string, string> BrokenDescriptions() => new()
    {
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z","intensity"]},"nodes":[{"name":"a","layer":"No.Such.Layer","indiceKey":"k","from":"input","weights":{"weight":"w"}}]}""", "node a: no generated layer class 'No.Such.Layer'" },
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z"]},"nodes":[{"name":"a","layer":"KernelGen.Models.Second.SecondInput","indiceKey":"k","from":"input","weights":{"weight":"w"}}]}""", "node a: SecondInput takes Cin=4 but 'input' gives 3 channels" },
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z","intensity"]},"nodes":[{"name":"a","layer":"KernelGen.Models.Second.SecondInput","indiceKey":"k","from":"b","weights":{"weight":"w"}},{"name":"b","layer":"KernelGen.Models.Second.SecondSubm16","indiceKey":"k","from":"a","weights":{"weight":"w"}}]}""", "node a: reads 'b', which runs later (or is itself)" },
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z","intensity"]},"nodes":[{"name":"a","layer":"KernelGen.Models.Second.SecondInput","indiceKey":"k","from":"input","weights":{"weight":"w"}},{"name":"b","layer":"KernelGen.Models.Second.SecondDown16To32","indiceKey":"d","from":"a","residual":"a","weights":{"weight":"w"}}]}""", "node b: residual 'a' has 16 channels on other sites" },
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z","intensity"]},"nodes":[{"name":"a","layer":"KernelGen.Models.Second.SecondInput","indiceKey":"k","from":"input","weights":{"weight":"w"}},{"name":"b","layer":"KernelGen.Models.Second.SecondDown16To32","indiceKey":"k","from":"a","weights":{"weight":"w"}}]}""", "node b: indice key 'k' is shared with a" },
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z","intensity"]},"nodes":[{"name":"a","layer":"KernelGen.Models.Second.SecondInput","indiceKey":"k","from":"input","weights":{"weight":"w"}},{"name":"a","layer":"KernelGen.Models.Second.SecondSubm16","indiceKey":"k","from":"a","weights":{"weight":"w"}}]}""", "node a: the name is used twice" },
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z","reflectance"]},"nodes":[]}""", "input feature 'reflectance' is not one of x, y, z, intensity, time" },
        { """{"format":1,"name":"n","input":{"voxels":"waymo","features":["x"]},"nodes":[]}""", "voxel config 'waymo' is not one of nusc, kitti" },
        { """{"format":1,"name":"n","input":{"voxels":"kitti","features":["x","y","z","intensity"]},"nodes":[{"name":"a","op":"concat","layer":"KernelGen.Models.Second.SecondInput","indiceKey":"k","from":"input","weights":{"weight":"w"}}]}""", "node a: unknown op 'concat'" },
    };

    [Theory]
    [MemberData(nameof(BrokenDescriptions))]
    public void Every_validation_error_names_the_problem_and_the_node(string json, string expected)
    {
        _ = BuiltInModels.Names; // loads the models assembly, whose module initializer registers its layer classes
        var e = Assert.Throws<NetworkValidationException>(() => NetworkValidator.Validate(NetworkJson.Parse(json, "broken.json")));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("not json", "broken.json: not a network description")]
    [InlineData("""{"format":2,"name":"n"}""", "format 2 is not supported; this KernelGen reads format 1")]
    [InlineData("""{"format":1,"name":"n","input":{"voxels":"kitti","features":["x"]},"nodes":[{"name":"a","layer":"L","from":"input","weights":{"weight":"w"}}]}""", "node a has no \"indiceKey\"")]
    [InlineData("""{"format":1,"name":"n","input":{"voxels":"kitti","features":["x"]},"nodes":[],"extra":1}""", "broken.json: not a network description")]
    public void A_file_that_is_not_a_description_is_a_format_error(string json, string expected)
    {
        var e = Assert.Throws<NetworkFormatException>(() => NetworkJson.Parse(json, "broken.json"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Weights_load_by_the_description_names_and_a_missing_tensor_names_the_node()
    {
        var second = BuiltInModels.Load("second");
        var synthetic = NetworkWeights.Synthetic(second);
        var random = new Random(5);
        var tensors = new List<SafeTensor>();
        foreach (var (node, layer) in second.Network.Nodes.Zip(second.Layers))
        {
            var k = layer.Geometry.Kernel;
            tensors.Add(new SafeTensor(node.Weights.Weight, [layer.OutChannels, k.Z, k.Y, k.X, layer.InChannels], synthetic[node.Name].Data));
            float[] Values(double offset) => Enumerable.Range(0, layer.OutChannels).Select(_ => (float)(offset + random.NextDouble())).ToArray();
            tensors.Add(new SafeTensor(node.Weights.BatchNorm + ".weight", [layer.OutChannels], Values(0.5)));
            tensors.Add(new SafeTensor(node.Weights.BatchNorm + ".bias", [layer.OutChannels], Values(-0.5)));
            tensors.Add(new SafeTensor(node.Weights.BatchNorm + ".running_mean", [layer.OutChannels], Values(-0.5)));
            tensors.Add(new SafeTensor(node.Weights.BatchNorm + ".running_var", [layer.OutChannels], Values(0.5)));
        }
        string path = Path.Combine(_folder, "second.safetensors");
        SafeTensors.Write(path, tensors);
        var loaded = NetworkWeights.FromSafeTensors(second, path);
        Assert.Equal(12, loaded.Count);
        Assert.Equal(synthetic["conv3.1"].Data.Length, loaded["conv3.1"].Data.Length);
        Assert.NotNull(loaded["conv3.1"].Bias); // the folded BatchNorm

        SafeTensors.Write(path, tensors.Where(t => t.Name != "backbone_3d.conv4.1.1.running_var"));
        var e = Assert.Throws<ArgumentException>(() => NetworkWeights.FromSafeTensors(second, path));
        Assert.Contains("node conv4.1:", e.Message);
        Assert.Contains("backbone_3d.conv4.1.1.running_var", e.Message);
    }

    [Theory]
    [InlineData("second")]
    [InlineData("centerpoint")]
    public void Both_networks_plan_tune_and_run_every_node_equal_to_the_generic_fp32_path(string model)
    {
        var network = BuiltInModels.Load(model);
        var accelerator = fixture.Session.Accelerator;
        using var runner = new NetworkRunner(accelerator);
        // A few hundred voxels in a small grid whose depth matches the model's (41), so every stride leaves sites.
        var voxels = new RandomSparse().Tensor(new SpatialShape(41, 40, 40), 5, density: 0.01);
        var plan = runner.Plan(network, voxels);
        Assert.Equal(network.Network.Nodes.Count, plan.Nodes.Count);
        Assert.True(plan.Nodes[^1].Map.OutputCount > 0, "the last node has output sites");
        var weights = NetworkWeights.Synthetic(network);

        var generic = plan.Nodes.Select(n => n.Layer.GenericKernel(Precision.F32)).ToList();
        var reference = runner.Run(plan, weights, generic, PrecisionPlan.F32, keepOutputs: true);

        var tuner = new LayerTuner(accelerator, new TuningCache(Path.Combine(_folder, "tuning.json")), options: new TuningOptions(Warmup: 0, Repeats: 1))
        {
            TuneRows = 256, ProbeRows = 16,
        };
        int tunings = 0;
        var tuned = runner.Tune(plan, PrecisionPlan.F32, tuner, (_, _) => tunings++);
        Assert.InRange(tunings, 1, plan.Nodes.Count);
        var run = runner.Run(plan, weights, tuned, PrecisionPlan.F32, keepOutputs: true);
        foreach (var node in plan.Nodes)
        {
            var error = OutputComparison.Of(run.Outputs[node.Node.Name].Features, reference.Outputs[node.Node.Name].Features.Select(v => (double)v).ToArray());
            Assert.True(error.RelativeL2Error <= 1e-5, $"{model} {node.Node.Name}: relative L2 {error.RelativeL2Error} against the generic fp32 path ({run.Nodes.Single(n => n.Node == node.Node.Name).Kernel})");
        }
        Assert.Equal(reference.Output.Coordinates, run.Output.Coordinates);

        // Each indice key's map is built once and shared by every node that names it.
        Assert.Equal(network.Network.Nodes.Select(n => n.IndiceKey).Distinct().Count(), plan.MapsBuilt);
        foreach (var group in plan.Nodes.GroupBy(n => n.Node.IndiceKey))
        {
            Assert.All(group, n => Assert.Same(group.First().Map, n.Map));
        }

        // A lean run recycles the activations no later node reads (same-size outputs share arrays): bit for bit the
        // run that keeps every output, and so is the next lean run, whatever the arrays held before.
        for (int repeat = 0; repeat < 2; repeat++)
        {
            var recycled = runner.Run(plan, weights, tuned, PrecisionPlan.F32);
            Assert.Equal(run.Output.Features, recycled.Output.Features);
        }

        // A deployed run keeps only what later nodes read; W8A8 with SmoothQuant stays close to fp32.
        var lean = runner.Run(plan, weights, runner.Defaults(plan, PrecisionPlan.DynamicW8A8(smoothQuant: true)), PrecisionPlan.DynamicW8A8(smoothQuant: true));
        Assert.Empty(lean.Outputs);
        Assert.Contains(lean.Nodes, n => n.Precision == Precision.W8A8);
        var int8Error = ErrorMetrics.Compare(lean.Output.Features, reference.Output.Features.Select(v => (double)v).ToArray());
        Assert.True(int8Error.Cosine >= 0.98, $"{model}: W8A8 + SmoothQuant output cosine {int8Error.Cosine} against fp32");
    }

    [Theory]
    [InlineData("centerpoint", "fp32")]
    [InlineData("centerpoint", "w8a8-smooth")]
    [InlineData("second", "w8a8")]
    public void Device_resident_runs_equal_host_array_runs_node_for_node(string model, string quant)
    {
        var precision = PrecisionPlan.Parse(quant);
        // The same accelerator kernels (barrier-free, and the generic ones where a use has no generated kernel), once with
        // the activations kept on the device from node to node and W8A8 scales reduced there, once through host arrays.
        var network = BuiltInModels.Load(model);
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var plan = runner.Plan(network, new RandomSparse().Tensor(new SpatialShape(41, 24, 24), 5, density: 0.01));
        var weights = NetworkWeights.Synthetic(network);
        var kernels = runner.Defaults(plan, precision).Select((chosen, i) =>
        {
            var needs = new KernelNeeds(chosen.Capabilities.Precision, Residual: plan.Nodes[i].Node.Residual is not null);
            return plan.Nodes[i].Layer.KernelsFor(needs).First(k => k.Shape == KernelShape.BarrierFree);
        }).ToList();

        var host = runner.Run(plan, weights, kernels, precision, keepOutputs: true, deviceResident: false);
        var resident = runner.Run(plan, weights, kernels, precision, keepOutputs: true, deviceResident: true);
        Assert.Equal(host.Nodes.Select(n => (n.Node, n.Kernel, n.Precision)), resident.Nodes.Select(n => (n.Node, n.Kernel, n.Precision)));
        foreach (var node in plan.Nodes)
        {
            string name = node.Node.Name;
            Assert.True(host.Outputs[name].Features.AsSpan().SequenceEqual(resident.Outputs[name].Features), $"{model} {precision} {name}: the device-resident output differs");
        }
        Assert.Equal(host.Output.Features, resident.Output.Features);

        // A second frame reuses the first one's device buffers.
        int allocated = runner.DeviceBuffersAllocated;
        Assert.True(allocated > 0);
        var again = runner.Run(plan, weights, kernels, precision, deviceResident: true);
        Assert.Equal(allocated, runner.DeviceBuffersAllocated);
        Assert.Equal(resident.Output.Features, again.Output.Features);

        // Host kernels cannot keep activations on the device: asked to, the runner names the node.
        var e = Assert.Throws<ArgumentException>(() => runner.Run(plan, weights, runner.Defaults(plan, precision), precision, deviceResident: true));
        Assert.Contains("runs on the host, so the activations cannot stay on the device", e.Message);
    }

    [Fact]
    public void The_runner_plans_with_the_accelerators_map_builder_and_the_device_builder_gives_the_same_plan()
    {
        // On the CPU accelerator the host builder; on a GPU the device hash-table builder, whose maps are the same.
        var network = BuiltInModels.Load("centerpoint");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        Assert.IsType<CpuKernelMapBuilder>(runner.MapBuilder);
        var voxels = new RandomSparse(5).Tensor(new SpatialShape(41, 24, 24), 5, density: 0.01);
        var host = runner.Plan(network, voxels);
        var builder = new IlgpuKernelMapBuilder(fixture.Session.Accelerator);
        var device = runner.Plan(network, voxels, new KernelMapCache(builder));
        foreach (var (a, b) in host.Nodes.Zip(device.Nodes))
        {
            Assert.Equal(a.Map.OutIn, b.Map.OutIn);
            Assert.Equal(a.Map.OutputCoordinates, b.Map.OutputCoordinates);
        }
        // Within the plan the voxels' sites are the only ones uploaded (strided maps leave theirs on the device), and every
        // set of sites maps are built on is hashed once, however many maps read it.
        var siteSets = device.Nodes.Where(n => n.Layer.Geometry.Kind != ConvKind.Inverse && n.InputSites.Count > 0)
            .Select(n => n.InputSites.Coordinates).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal((1, siteSets), (builder.SiteUploads, builder.SiteHashes));
        Assert.True(siteSets < device.Nodes.Select(n => n.Map).Distinct().Count(), "CenterPoint has SubM and strided maps on the same sites");
    }

    [Fact]
    public void A_frame_voxelized_on_the_device_starts_its_maps_and_its_input_there()
    {
        // The GPU's frame path on the CPU accelerator: the device voxelizer's voxels stay on the device for the frame, so
        // the plan's maps start from their coordinates there (no site upload: strided maps' outputs stay there too) and
        // the device-resident run copies its input features there (no upload) — the host path's output exactly.
        var network = BuiltInModels.Load("centerpoint");
        var weights = NetworkWeights.Synthetic(network);
        var random = new Random(3607);
        var xyzi = new float[600 * 4];
        for (int p = 0; p < 600; p++)
        {
            xyzi[p * 4] = (float)(random.NextDouble() * 6 + 2);
            xyzi[p * 4 + 1] = (float)(random.NextDouble() * 6 - 3);
            xyzi[p * 4 + 2] = (float)(random.NextDouble() * 2 - 1);
            xyzi[p * 4 + 3] = (float)random.NextDouble();
        }
        var cloud = new PointCloud(xyzi, "patch", timeLag: new float[600]);
        using var device = new NetworkRunner(fixture.Session.Accelerator, deviceFrame: true);
        using var host = new NetworkRunner(fixture.Session.Accelerator);
        Assert.NotNull(device.DeviceVoxelizer);
        var builder = Assert.IsType<IlgpuKernelMapBuilder>(device.MapBuilder);

        var voxels = device.Voxelize(network, cloud);
        var plan = device.Plan(network, voxels);
        var kernels = plan.Nodes.Select(n => n.Layer.KernelsFor(new KernelNeeds(Precision.F32, Residual: n.Node.Residual is not null))
            .First(k => k.Shape == KernelShape.BarrierFree)).ToList();
        var run = device.Run(plan, weights, kernels, PrecisionPlan.F32, deviceResident: true);
        Assert.Equal((0, 0, 0), (builder.SiteUploads, device.InputUploads, device.RulebookUploads - plan.Nodes.Select(n => n.Map).Distinct().Count(m => m.OutputCount == 0)));
        Assert.True(builder.SiteHashes >= 4, $"{builder.SiteHashes} site sets hashed");

        var hostVoxels = host.Voxelize(network, cloud);
        Assert.Equal(hostVoxels.Features, voxels.Features);
        var hostPlan = host.Plan(network, hostVoxels);
        var expected = host.Run(plan: hostPlan, weights, kernels, PrecisionPlan.F32, deviceResident: false);
        Assert.Equal(expected.Output.Coordinates, run.Output.Coordinates);
        Assert.Equal(expected.Output.Features, run.Output.Features);

        // Another tensor than the frame's voxels (the same values in new arrays) is uploaded as before.
        var copy = new SparseTensor((float[])voxels.Features.Clone(), (int[])voxels.Coordinates.Clone(), voxels.Channels, voxels.SpatialShape, voxels.BatchSize);
        var again = device.Run(device.Plan(network, copy), weights, kernels, PrecisionPlan.F32, deviceResident: true);
        Assert.Equal((1, 1), (builder.SiteUploads, device.InputUploads));
        Assert.Equal(expected.Output.Features, again.Output.Features);
    }

    [Fact]
    public void Maps_built_on_the_device_run_there_and_come_to_the_host_only_when_asked()
    {
        // A map the device builder made keeps its rulebook on the device: every device-resident run reads it there, none
        // uploads it, and its host copy is downloaded only when a caller asks (here the host run) — the same outputs and
        // the same rulebooks as the host builder's.
        var network = BuiltInModels.Load("centerpoint");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var voxels = new RandomSparse(7).Tensor(new SpatialShape(41, 24, 24), 5, density: 0.01);
        var weights = NetworkWeights.Synthetic(network);
        var plan = runner.Plan(network, voxels, new KernelMapCache(new IlgpuKernelMapBuilder(fixture.Session.Accelerator)));
        var kernels = plan.Nodes.Select(n => n.Layer.KernelsFor(new KernelNeeds(Precision.F32, Residual: n.Node.Residual is not null))
            .First(k => k.Shape == KernelShape.BarrierFree)).ToList();
        var maps = plan.Nodes.Select(n => n.Map).Distinct().ToList();
        int empty = maps.Count(m => m.OutputCount == 0);
        Assert.True(maps.Count - empty >= 5, "the plan should have several non-empty maps");

        var first = runner.Run(plan, weights, kernels, PrecisionPlan.F32, deviceResident: true);
        Assert.Equal(empty, runner.RulebookUploads);
        var second = runner.Run(plan, weights, kernels, PrecisionPlan.F32, deviceResident: true);
        Assert.Equal(2 * empty, runner.RulebookUploads);
        Assert.All(maps.Where(m => m.OutputCount > 0), m => Assert.False(m.HasHostRulebook));
        var hostPlan = runner.Plan(network, voxels, new KernelMapCache(new CpuKernelMapBuilder()));
        Assert.Equal(hostPlan.Nodes.Select(n => n.Map.PairCount), plan.Nodes.Select(n => n.Map.PairCount)); // counted on the device
        var host = runner.Run(plan, weights, kernels, PrecisionPlan.F32, deviceResident: false);
        Assert.All(maps, m => Assert.True(m.HasHostRulebook));
        Assert.Equal(hostPlan.Nodes.Select(n => n.Map.OutIn), plan.Nodes.Select(n => n.Map.OutIn));
        Assert.Equal(host.Output.Features, first.Output.Features);
        Assert.Equal(host.Output.Features, second.Output.Features);
    }

    [Fact]
    public void Device_resident_runs_chain_int8_between_int8_nodes_with_the_unchained_results()
    {
        // Static scales: on the device too, a chained node writes int8 in its reader's domain (a quarter of the bytes
        // the reader gathers), and the output is the one the unchained run (every node fp32 out) gives, bit for bit.
        var network = BuiltInModels.Load("centerpoint");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var plan = runner.Plan(network, new RandomSparse(11).Tensor(new SpatialShape(41, 24, 24), 5, density: 0.01));
        var weights = NetworkWeights.Synthetic(network);
        var fp32 = runner.Run(plan, weights, runner.Defaults(plan, PrecisionPlan.F32), PrecisionPlan.F32, keepOutputs: true);
        var precision = PrecisionPlan.Static(plan.Nodes.Where(n => n.Layer.HasW8A8).ToDictionary(n => n.Node.Name, n =>
        {
            var input = n.Node.From == SparseNetwork.InputName ? plan.Input : fp32.Outputs[n.Node.From];
            return LayerQuantization.Calibrate(weights[n.Node.Name], LayerQuantizer.ChannelMaxima(input.Features, input.Channels), n.Layer.SmoothQuant, 0.5);
        }));
        var kernels = plan.Nodes.Select(n => n.Layer.KernelsFor(precision.NeedsOf(n)).First(k => k.Shape == KernelShape.BarrierFree)).ToList();
        Assert.Contains(precision.NeedsOf(plan), needs => needs.Int8Output);

        var unchained = runner.Run(plan, weights, kernels, precision, keepOutputs: true, deviceResident: true);
        Assert.Equal(0, runner.DeviceInt8BuffersAllocated);
        var chained = runner.Run(plan, weights, kernels, precision, deviceResident: true);
        Assert.True(runner.DeviceInt8BuffersAllocated > 0, "no node wrote int8 on the device");
        Assert.True(chained.Output.Features.AsSpan().SequenceEqual(unchained.Output.Features), "the device-chained output differs from the unchained one");
        var onHost = runner.Run(plan, weights, kernels, precision, deviceResident: false);
        Assert.True(onHost.Output.Features.AsSpan().SequenceEqual(chained.Output.Features), "the host-array chained output differs from the device-chained one");
    }

    [Theory]
    [InlineData(CpuInstructionSet.AvxVnni256)]
    [InlineData(CpuInstructionSet.Avx512BW)]
    [InlineData(CpuInstructionSet.Avx2)]
    [InlineData(CpuInstructionSet.Portable)]
    public void Static_int8_chaining_gives_exactly_the_unchained_results(CpuInstructionSet path)
    {
        // With static scales, each block's first conv writes int8 straight into its second conv's domain — u8 codes, as every
        // reader after a ReLU takes them; s8 for conv_input's raw input — and the codes are the ones that conv's prologue
        // would make from fp32, so the network output is bit-identical.
        Assert.SkipUnless(CpuFeatures.HardwareSupports(path), $"this CPU lacks {path}");
        using var only = CpuFeatures.Restrict(path, CpuInstructionSet.Portable);
        var network = BuiltInModels.Load("centerpoint");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var plan = runner.Plan(network, new RandomSparse().Tensor(new SpatialShape(41, 24, 24), 5, density: 0.02));
        var weights = NetworkWeights.Synthetic(network);
        var fp32 = runner.Run(plan, weights, runner.Defaults(plan, PrecisionPlan.F32), PrecisionPlan.F32, keepOutputs: true);
        var scales = plan.Nodes.Where(n => n.Layer.HasW8A8).ToDictionary(n => n.Node.Name, n =>
        {
            var input = n.Node.From == SparseNetwork.InputName ? plan.Input : fp32.Outputs[n.Node.From];
            return LayerQuantization.Calibrate(weights[n.Node.Name], LayerQuantizer.ChannelMaxima(input.Features, input.Channels), n.Layer.SmoothQuant, 0.5,
                network.ActivationFormatOf(n.Node.Name));
        });
        Assert.Equal(ActivationFormat.S8, scales["conv_input"].Format);
        Assert.Equal(20, scales.Values.Count(q => q.Format == ActivationFormat.U8));
        var precision = PrecisionPlan.Static(scales);

        var needs = precision.NeedsOf(plan);
        var chained = plan.Nodes.Where((n, i) => needs[i].Int8Output).Select(n => n.Node.Name).ToList();
        // Chained: a block's first conv (read only by its second) and each stage's last conv (read only by the next
        // stage's strided conv, or extra_conv); a block input that is also a residual stays fp32.
        Assert.Equal(
        [
            "conv1.0.conv1", "conv1.1.conv1", "conv1.1.conv2", "conv2.0.conv1", "conv2.1.conv1", "conv2.1.conv2",
            "conv3.0.conv1", "conv3.1.conv1", "conv3.1.conv2", "conv4.0.conv1", "conv4.1.conv1", "conv4.1.conv2",
        ], chained);
        Assert.Equal(
        [
            "conv1.0.conv2", "conv1.1.conv2", "conv2.down", "conv2.0.conv2", "conv2.1.conv2", "conv3.down",
            "conv3.0.conv2", "conv3.1.conv2", "conv4.down", "conv4.0.conv2", "conv4.1.conv2", "extra_conv",
        ], plan.Nodes.Where((n, i) => needs[i].Int8Input).Select(n => n.Node.Name));

        var kernels = runner.Defaults(plan, precision);
        var together = runner.Run(plan, weights, kernels, precision);
        var apart = runner.Run(plan, weights, kernels, precision, keepOutputs: true); // reports keep fp32 outputs: no chaining
        Assert.Contains(kernels, k => k.Capabilities.Precision == Precision.W8A8 && k.Capabilities.InstructionSet == path);
        Assert.True(together.Output.Features.AsSpan().SequenceEqual(apart.Output.Features), $"{path}: chained and unchained outputs differ");
        Assert.Equal(apart.Output.Coordinates, together.Output.Coordinates);

        // A producer left fp32 on a kernel that writes no int8 (the generic fp32 kernel) hands its reader fp32: same bits.
        var mixed = PrecisionPlan.Static(scales.Where(p => p.Key != "conv1.0.conv1").ToDictionary());
        Assert.True(mixed.NeedsOf(plan)[plan.Nodes.ToList().FindIndex(n => n.Node.Name == "conv1.0.conv1")].Int8Output);
        var withGeneric = runner.Defaults(plan, mixed).Select((k, i) => plan.Nodes[i].Node.Name == "conv1.0.conv1" ? plan.Nodes[i].Layer.GenericKernel(Precision.F32) : k).ToList();
        var fallback = runner.Run(plan, weights, withGeneric, mixed);
        var plain = runner.Run(plan, weights, withGeneric, mixed, keepOutputs: true);
        Assert.True(fallback.Output.Features.AsSpan().SequenceEqual(plain.Output.Features), $"{path}: the unchained fallback differs");
    }

    [Fact]
    public void Fp16_runs_every_fp16_node_in_fp16_close_to_fp32_on_host_arrays_and_on_the_device()
    {
        // On the CPU accelerator fp16 runs the generic fp16 kernel (the tensor-core kernels are checked layer by layer
        // here, emulated, and as a network on CUDA): every node of CenterPoint in fp16, within fp16's rounding of the
        // fp32 run, the device-resident run equal to the host-array one.
        var network = BuiltInModels.Load("centerpoint");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var plan = runner.Plan(network, new RandomSparse().Tensor(new SpatialShape(41, 24, 24), 5, density: 0.01));
        var weights = NetworkWeights.Synthetic(network);
        var fp32 = runner.Run(plan, weights, runner.Defaults(plan, PrecisionPlan.F32), PrecisionPlan.F32);
        var defaults = runner.Defaults(plan, PrecisionPlan.F16);
        Assert.All(defaults, k => Assert.Equal(GenericConvKernel.F16Name, k.Name));
        var host = runner.Run(plan, weights, defaults, PrecisionPlan.F16, deviceResident: false);
        Assert.All(host.Nodes, n => Assert.Equal(Precision.F16, n.Precision));
        var error = ErrorMetrics.Compare(host.Output.Features, fp32.Output.Features.Select(v => (double)v).ToArray());
        Assert.True(error.Cosine >= 0.9999 && error.Cosine < 1, $"fp16 output cosine {error.Cosine} against fp32");
        var resident = runner.Run(plan, weights, defaults, PrecisionPlan.F16, deviceResident: true);
        Assert.Equal(host.Output.Features, resident.Output.Features);
    }

    [Fact]
    public void A_batch_of_two_scans_gives_each_scan_what_it_gives_alone()
    {
        // spconv's batching: several scans in one tensor by batch index; sites of different scans never meet.
        var network = BuiltInModels.Load("centerpoint");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var weights = NetworkWeights.Synthetic(network);
        PointCloud Scan(int seed)
        {
            var random = new Random(seed);
            var points = new float[2500 * 4];
            for (int i = 0; i < 2500; i++)
            {
                points[i * 4] = (float)(random.NextDouble() * 6 - 3);
                points[i * 4 + 1] = (float)(random.NextDouble() * 6 - 3);
                points[i * 4 + 2] = (float)(random.NextDouble() * 2 - 1);
                points[i * 4 + 3] = (float)random.NextDouble();
            }
            return new PointCloud(points, $"scan {seed}");
        }
        var (a, b) = (Scan(1), Scan(2));
        NetworkRun Run(params PointCloud[] clouds)
        {
            var plan = runner.Plan(network, Voxelizer.Voxelize(clouds, network.Voxels).Tensor);
            return runner.Run(plan, weights, runner.Defaults(plan, PrecisionPlan.F32), PrecisionPlan.F32);
        }
        var batch = Run(a, b);
        Assert.Equal(2, batch.Output.BatchSize);
        foreach (var (alone, index) in new[] { (Run(a).Output, 0), (Run(b).Output, 1) })
        {
            var rows = Enumerable.Range(0, batch.Output.Count).Where(r => batch.Output.Coordinates[r * 4] == index).ToList();
            Assert.True(alone.Count > 0, $"batch item {index}: the network leaves no output sites");
            Assert.Equal(alone.Count, rows.Count);
            var byCoordinate = rows.ToDictionary(r => (batch.Output.Coordinates[r * 4 + 1], batch.Output.Coordinates[r * 4 + 2], batch.Output.Coordinates[r * 4 + 3]));
            for (int row = 0; row < alone.Count; row++)
            {
                int other = byCoordinate[(alone.Coordinates[row * 4 + 1], alone.Coordinates[row * 4 + 2], alone.Coordinates[row * 4 + 3])];
                var expected = alone.Features.AsSpan(row * alone.Channels, alone.Channels);
                var actual = batch.Output.Features.AsSpan(other * alone.Channels, alone.Channels);
                Assert.True(expected.SequenceEqual(actual), $"batch item {index}, site {row}: the batched output differs from the scan run alone");
            }
        }
    }
}
