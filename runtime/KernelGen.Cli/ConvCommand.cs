using KernelGen;
using System.CommandLine;
using System.Diagnostics;
using KernelGen.Accelerators;
using KernelGen.IO;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Cli;

/// <summary><c>kernelgen conv</c>: one sparse conv on .npy inputs, written to .npy outputs.</summary>
internal static class ConvCommand
{
    public static Command Create(TextWriter output)
    {
        var coords = new Option<string>("--coords") { Description = "input coordinates, int32 [N,4] (batch, z, y, x) .npy", Required = true };
        var features = new Option<string>("--features") { Description = "input features, float32 [N,Cin] .npy", Required = true };
        var weight = new Option<string>("--weight") { Description = "weights, float32 [Cout,kD,kH,kW,Cin] .npy (spconv layout)", Required = true };
        var bias = new Option<string?>("--bias") { Description = "bias, float32 [Cout] .npy" };
        var kind = new Option<string>("--kind") { Description = "subm or sparse", Required = true };
        var kernel = new Option<string>("--kernel") { Description = "kernel size K or KD,KH,KW", Required = true };
        var stride = new Option<string>("--stride") { Description = "stride S or SD,SH,SW (default 1)", DefaultValueFactory = _ => "1" };
        var padding = new Option<string>("--padding") { Description = "padding P or PD,PH,PW (default 0; ignored by subm)", DefaultValueFactory = _ => "0" };
        var dilation = new Option<string>("--dilation") { Description = "dilation D or DD,DH,DW (default 1)", DefaultValueFactory = _ => "1" };
        var spatialShape = new Option<string>("--spatial-shape") { Description = "input grid D,H,W", Required = true };
        var batchSize = new Option<int>("--batch-size") { Description = "batch size (default 1)", DefaultValueFactory = _ => 1 };
        var accelerator = NetworkOptions.NewAccelerator();
        var outCoords = new Option<string>("--out-coords") { Description = "output coordinates, int32 [M,4] .npy", Required = true };
        var outFeatures = new Option<string>("--out-features") { Description = "output features, float32 [M,Cout] .npy", Required = true };
        var quant = new Option<string>("--quant") { Description = $"{PrecisionPlan.Names}: fp16 operands with fp32 sums; int8 scales from the input itself (default fp32)", DefaultValueFactory = _ => "fp32" };
        var alpha = new Option<double>("--alpha") { Description = "SmoothQuant migration strength in [0, 1] (default 0.5)", DefaultValueFactory = _ => 0.5 };
        var actScale = new Option<float?>("--act-scale") { Description = "per-tensor activation scale s_x (default: max|X'| / 127 of this input)" };

        var command = new Command("conv", "Run one sparse 3D convolution (the generic ILGPU implicit GEMM) on .npy inputs.")
        {
            coords, features, weight, bias, kind, kernel, stride, padding, dilation, spatialShape, batchSize, accelerator,
            outCoords, outFeatures, quant, alpha, actScale,
        };
        command.SetAction(parse =>
        {
            var convKind = parse.GetValue(kind) switch
            {
                "subm" => ConvKind.SubManifold,
                "sparse" => ConvKind.Sparse,
                var other => throw new FormatException($"--kind '{other}' is not one of subm, sparse"),
            };
            var geometry = new ConvGeometry(
                convKind,
                Triple.Parse(parse.GetValue(kernel)!, "--kernel"),
                Triple.Parse(parse.GetValue(stride)!, "--stride"),
                Triple.Parse(parse.GetValue(padding)!, "--padding"),
                Triple.Parse(parse.GetValue(dilation)!, "--dilation"));
            geometry.Validate();
            var grid = Triple.Parse(parse.GetValue(spatialShape)!, "--spatial-shape");
            var choice = AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!);
            // One layer at the precision a network run with the same --quant gives it (the same parser).
            var quantPlan = PrecisionPlan.Parse(parse.GetValue(quant)!);
            bool fp16 = quantPlan.TargetPrecision == Precision.F16, int8 = quantPlan.TargetPrecision == Precision.W8A8;
            double smoothAlpha = parse.GetValue(alpha);
            if (!(smoothAlpha >= 0 && smoothAlpha <= 1))
            {
                throw new FormatException($"--alpha {smoothAlpha} is outside [0, 1]");
            }
            float? givenScale = parse.GetValue(actScale);
            if (givenScale is { } scaleValue && !(scaleValue > 0 && float.IsFinite(scaleValue)))
            {
                throw new FormatException($"--act-scale {scaleValue} must be positive and finite");
            }
            if (!int8 && (givenScale is not null || parse.GetResult(alpha) is { Implicit: false }))
            {
                throw new FormatException("--alpha and --act-scale apply to --quant w8a8 or w8a8-smooth only");
            }
            if (int8 && !quantPlan.SmoothQuant && parse.GetResult(alpha) is { Implicit: false })
            {
                throw new FormatException("--alpha is SmoothQuant's migration strength: it applies to --quant w8a8-smooth, not w8a8");
            }
            // Every output path before any work: existing folders, no directory, not an input (it would be destroyed),
            // and the two outputs not one file.
            string?[] inputs = [parse.GetValue(coords), parse.GetValue(features), parse.GetValue(weight), parse.GetValue(bias)];
            if (Path.GetFullPath(parse.GetValue(outCoords)!) == Path.GetFullPath(parse.GetValue(outFeatures)!))
            {
                throw new FormatException("--out-coords and --out-features name the same file; the features would overwrite the coordinates");
            }
            KernelGen.IO.OutputPaths.Check(parse.GetValue(outCoords)!, "--out-coords", inputs);
            KernelGen.IO.OutputPaths.Check(parse.GetValue(outFeatures)!, "--out-features", inputs);
            KernelGen.IO.OutputPaths.Distinct((parse.GetValue(outCoords), "--out-coords"), (parse.GetValue(outFeatures), "--out-features"));

            var (coordData, coordShape) = Npy.ReadInt32(parse.GetValue(coords)!, 2, "--coords");
            if (coordShape[1] != 4)
            {
                throw new InvalidDataException($"--coords has shape ({coordShape[0]}, {coordShape[1]}); [N, 4] (batch, z, y, x) is required");
            }
            var (featureData, featureShape) = Npy.ReadFloat32(parse.GetValue(features)!, 2, "--features");
            if (featureShape[0] != coordShape[0])
            {
                throw new InvalidDataException($"--features has {featureShape[0]} rows but --coords has {coordShape[0]}");
            }
            var (weightData, weightShape) = Npy.ReadFloat32(parse.GetValue(weight)!, 5, "--weight");
            var weightKernel = new Triple(weightShape[1], weightShape[2], weightShape[3]);
            if (weightKernel != geometry.Kernel)
            {
                throw new InvalidDataException($"--weight kernel {weightKernel} does not match --kernel {geometry.Kernel}");
            }
            if (weightShape[4] != featureShape[1])
            {
                throw new InvalidDataException($"--weight has Cin={weightShape[4]} but --features has {featureShape[1]} channels");
            }
            float[]? biasData = null;
            if (parse.GetValue(bias) is { } biasPath)
            {
                var (b, biasShape) = Npy.ReadFloat32(biasPath, 1, "--bias");
                if (biasShape[0] != weightShape[0])
                {
                    throw new InvalidDataException($"--bias has {biasShape[0]} values but --weight has Cout={weightShape[0]}");
                }
                biasData = b;
            }

            var input = new SparseTensor(featureData, coordData, featureShape[1],
                new SpatialShape(grid.Z, grid.Y, grid.X), parse.GetValue(batchSize));
            input.Validate(checkFinite: true);
            var weights = new ConvWeights(weightData, weightShape[0], weightKernel, weightShape[4], biasData);

            using var session = AcceleratorSession.Open(choice);
            var clock = Stopwatch.StartNew();
            var map = new IlgpuKernelMapBuilder(session.Accelerator).Build(input, geometry);
            double mapMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            // A layer described by the flags, run by its generic kernel through the contract (no annotated class declares it).
            var layer = LayerDescriptor.Generic("kernelgen conv", geometry, weights.InChannels, weights.OutChannels, Activation.None,
                hasBias: biasData is not null, precisions: [quantPlan.TargetPrecision], smoothQuant: quantPlan.SmoothQuant, alpha: smoothAlpha);
            var prepared = new LayerWeights(weights);
            string precision = fp16 ? "fp16 operands, fp32 sums" : "fp32";
            if (int8)
            {
                var scales = LayerQuantization.Calibrate(weights, LayerQuantizer.ChannelMaxima(input.Features, input.Channels), quantPlan.SmoothQuant, smoothAlpha);
                scales = givenScale is { } given ? scales with { ActivationScale = given } : scales;
                prepared = prepared.Quantized(scales);
                precision = $"{scales.Describe()}, s_x = {scales.ActivationScale:G6}";
            }
            var result = layer.GenericKernel(quantPlan.TargetPrecision).Run(session.Accelerator, input, map, prepared);
            double convMs = clock.Elapsed.TotalMilliseconds;

            Npy.Write(parse.GetValue(outCoords)!, result.Coordinates, result.Count, 4);
            Npy.Write(parse.GetValue(outFeatures)!, result.Features, result.Count, result.Channels);
            output.WriteLine(
                $"conv {geometry} ({precision}): {input.Count} sites x {input.Channels} ch -> {result.Count} sites x {result.Channels} ch " +
                $"on {session.Description}; map {mapMs:F1} ms, conv {convMs:F1} ms (including compile on first use)");
            return 0;
        });
        return command;
    }
}
