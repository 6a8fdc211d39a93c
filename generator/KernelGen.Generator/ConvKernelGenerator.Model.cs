using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Models;
using KernelGen.Kernels;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelGen.Generator;

/// <summary>Reading attributes into a <see cref="LayerModel"/> and checking them.</summary>
public sealed partial class ConvKernelGenerator
{
    /// <summary>The parse step's result: a model when the layer is valid, and every diagnostic found.</summary>
    internal sealed record ParseResult(LayerModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);

    // Supported tile ranges (powers of two). BlockK ≥ 4 so a W8A8 step holds whole 4-channel words.
    internal static readonly (string Name, int Min, int Max)[] TileRanges = [("BlockM", 16, 256), ("BlockN", 4, 256), ("BlockK", 4, 64)];
    internal const int SharedMemoryLimit = 48 * 1024;
    internal const int AccumulatorLimit = 64;
    private static readonly (int M, int N, int K) DefaultTile = (64, 32, 16);

    internal static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (ClassDeclarationSyntax)context.TargetNode;
        var location = syntax.Identifier.GetLocation();
        string name = symbol.Name;
        cancellationToken.ThrowIfCancellationRequested();

        // The class and its containers: partial, non-generic.
        var containers = new List<string>();
        for (var type = symbol; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericContext, location, name, type.Name));
            }
            bool isPartial = type.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax(cancellationToken))
                .OfType<TypeDeclarationSyntax>()
                .Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!isPartial)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, name, type.Name));
            }
            if (!SymbolEqualityComparer.Default.Equals(type, symbol))
            {
                containers.Insert(0, $"{KeywordOf(type)} {type.Name}");
            }
        }

        var conv = ReadConv(context.Attributes[0], name, location, diagnostics);
        var quant = ReadQuant(symbol, name, location, diagnostics);
        var variants = ReadVariants(symbol, conv, quant, name, location, diagnostics, out var pipelines);
        cancellationToken.ThrowIfCancellationRequested();

        if (diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error) || conv is null || quant is null)
        {
            return new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));
        }
        string ns = symbol.ContainingNamespace.IsGlobalNamespace ? "" : symbol.ContainingNamespace.ToDisplayString();
        string fullName = string.Join(".", new[] { ns }.Concat(ContainerNames(symbol)).Concat(new[] { name }).Where(s => s.Length > 0));
        var model = new LayerModel(
            ns,
            new EquatableArray<string>(containers),
            name,
            AccessibilityKeyword(symbol.DeclaredAccessibility),
            fullName,
            fullName,
            IsRegistrable(symbol),
            conv,
            quant,
            new EquatableArray<VariantModel>(variants),
            new EquatableArray<CpuVariantModel>(CpuVariants(conv, quant, variants)),
            new EquatableArray<TensorCoreVariantModel>(TensorCoreVariants(conv, quant, variants, pipelines)));
        return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics));
    }

    private static ConvModel? ReadConv(AttributeData attribute, string name, Location location, List<DiagnosticInfo> diagnostics)
    {
        var args = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value);
        int Int(string key, int fallback) => args.TryGetValue(key, out var v) && v.Value is int i ? i : fallback;

        int cin = Int("InChannels", 0), cout = Int("OutChannels", 0);
        if (cin < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadChannels, location, name, "InChannels", cin));
        }
        if (cout < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadChannels, location, name, "OutChannels", cout));
        }
        // Enum values by their names in the attribute's own enum types (the runtime's), never by position.
        var kinds = EnumNames(PropertyType(attribute, "Kind"));
        var activations = EnumNames(PropertyType(attribute, "Activation"));
        int kind = Int("Kind", 0);
        if (!kinds.TryGetValue(kind, out string? kindName))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadEnum, location, name, "Kind", kind, "ConvKind." + string.Join(", ConvKind.", kinds.Values)));
            return null;
        }
        int activation = Int("Activation", 0);
        if (!activations.TryGetValue(activation, out string? activationName))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadEnum, location, name, "Activation", activation, "Activation." + string.Join(", Activation.", activations.Values)));
            return null;
        }

        AxesModel? Axes(string uniform, string perAxis, int fallback)
        {
            bool hasUniform = args.ContainsKey(uniform);
            if (args.TryGetValue(perAxis, out var array) && !array.IsNull)
            {
                if (hasUniform)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadPerAxis, location, name,
                        $"{uniform} together with {perAxis}", $"give either {uniform} (every axis) or {perAxis} (z, y, x), not both"));
                    return null;
                }
                var values = array.Values.Select(v => v.Value is int i ? i : 0).ToArray();
                if (values.Length != 3)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadPerAxis, location, name,
                        $"{perAxis} with {values.Length} value(s)", "it needs exactly three values in (z, y, x) order, e.g. new[] { 3, 1, 1 }"));
                    return null;
                }
                return new AxesModel(values[0], values[1], values[2]);
            }
            int all = Int(uniform, fallback);
            return new AxesModel(all, all, all);
        }

        var kernel = Axes("Kernel", "KernelPerAxis", 3);
        var stride = Axes("Stride", "StridePerAxis", 1);
        var padding = Axes("Padding", "PaddingPerAxis", 0);
        var dilation = Axes("Dilation", "DilationPerAxis", 1);
        bool subm = kindName == "SubManifold";
        if (kernel is not null)
        {
            if (!All(kernel, v => v >= 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadKernel, location, name, kernel, "kernel sizes must be at least 1 on every axis"));
            }
            else if (subm && !All(kernel, v => v % 2 == 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadKernel, location, name, kernel, "a submanifold (ConvKind.SubManifold) kernel must be odd on every axis so it centres on the site"));
            }
        }
        if (stride is not null)
        {
            if (!All(stride, v => v >= 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadStride, location, name, stride, "stride must be at least 1 on every axis"));
            }
            else if (subm && !All(stride, v => v == 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadStride, location, name, stride, "a submanifold conv keeps its sites, so its stride must be 1; use ConvKind.Sparse to downsample"));
            }
        }
        if (padding is not null && !All(padding, v => v >= 0))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadPadding, location, name, padding));
        }
        if (dilation is not null && !All(dilation, v => v >= 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadDilation, location, name, dilation));
        }
        if (kernel is null || stride is null || padding is null || dilation is null)
        {
            return null;
        }
        bool bias = args.TryGetValue("Bias", out var b) && b.Value is true;
        return new ConvModel(kindName, cin, cout, kernel, stride, padding, dilation, bias, activationName == "Relu");
    }

    private static QuantModel? ReadQuant(INamedTypeSymbol symbol, string name, Location location, List<DiagnosticInfo> diagnostics)
    {
        var attribute = symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == QuantizeAttribute);
        if (attribute is null)
        {
            return new QuantModel(EquatableArray<PrecisionFamily>.Empty, false, 0.5, false);
        }
        // params Precision[]: one array argument (empty for [Quantize()], which asks for nothing besides fp32). Each value
        // is read by its name in the attribute's Precision enum, then found in the kernel table.
        var precisionNames = EnumNames((attribute.AttributeConstructor?.Parameters.FirstOrDefault()?.Type as IArrayTypeSymbol)?.ElementType);
        var given = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
            ? attribute.ConstructorArguments[0].Values.Select(v => v.Value is int p ? p : -1).ToList()
            : [];
        var asked = new List<string>();
        foreach (int value in given)
        {
            if (!precisionNames.TryGetValue(value, out string? precision) || KernelFamilies.Family(precision) is null)
            {
                var known = precisionNames.Values.Where(n => KernelFamilies.Family(n) is not null);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadEnum, location, name, "Quantize precision", value, "Precision." + string.Join(", Precision.", known)));
                return null;
            }
            asked.Add(precision);
        }
        var families = KernelFamilies.Precisions.Where(f => f.Precision != "F32" && asked.Contains(f.Precision)).ToList();
        var args = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value);
        bool smooth = args.TryGetValue("SmoothQuant", out var s) && s.Value is true;
        double alpha = args.TryGetValue("Alpha", out var a) && a.Value is double d ? d : 0.5;
        bool acceptPadding = args.TryGetValue("AcceptChannelPadding", out var p) && p.Value is true;
        bool smoothable = families.Any(f => f.FusesSmoothQuant);
        if (smooth && !smoothable)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SmoothQuantWithoutW8A8, location, name,
                asked.Count == 0 ? "none" : string.Join(", ", asked.Select(n => "Precision." + n))));
        }
        if (!(alpha >= 0 && alpha <= 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AlphaOutOfRange, location, name, alpha.ToString(CultureInfo.InvariantCulture)));
        }
        return new QuantModel(new EquatableArray<PrecisionFamily>(families), smooth && smoothable, alpha, acceptPadding);
    }

    /// <summary>The members of an enum type by value (empty when <paramref name="type"/> is not an enum).</summary>
    private static Dictionary<int, string> EnumNames(ITypeSymbol? type) =>
        type is INamedTypeSymbol { TypeKind: TypeKind.Enum } named
            ? named.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue && f.ConstantValue is int)
                .GroupBy(f => (int)f.ConstantValue!).ToDictionary(g => g.Key, g => g.First().Name)
            : new Dictionary<int, string>();

    /// <summary>The type of the attribute's settable property <paramref name="property"/>.</summary>
    private static ITypeSymbol? PropertyType(AttributeData attribute, string property) =>
        attribute.AttributeClass?.GetMembers(property).OfType<IPropertySymbol>().FirstOrDefault()?.Type;

    /// <summary>
    /// The CUDA-core variants of the [Tile] attributes, one per distinct (BlockM, BlockN, BlockK), and the tiles' cp.async
    /// pipelines (<paramref name="pipelines"/>: BlockM, BlockN, stages) for <see cref="TensorCoreVariants"/>.
    /// </summary>
    private static List<VariantModel> ReadVariants(
        INamedTypeSymbol symbol, ConvModel? conv, QuantModel? quant, string name, Location location, List<DiagnosticInfo> diagnostics,
        out List<(int M, int N, int Stages)> pipelines)
    {
        var tiles = new List<(int M, int N, int K)>();
        var declared = new List<(int M, int N, int K, int Stages)>();
        pipelines = [];
        var attributes = symbol.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == TileAttribute).ToList();
        if (attributes.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoTiles, location, name));
            tiles.Add(DefaultTile);
        }
        foreach (var attribute in attributes)
        {
            var tileLocation = attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? location;
            var args = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value);
            var values = new int[3];
            bool valid = true;
            for (int i = 0; i < 3; i++)
            {
                var (field, min, max) = TileRanges[i];
                values[i] = args.TryGetValue(field, out var v) && v.Value is int x ? x : new[] { DefaultTile.M, DefaultTile.N, DefaultTile.K }[i];
                if (values[i] < 1 || (values[i] & (values[i] - 1)) != 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TileNotPowerOfTwo, tileLocation, name, field, values[i], PowersOfTwo(min, max)));
                    valid = false;
                }
                else if (values[i] < min || values[i] > max)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TileOutOfRange, tileLocation, name, field, values[i], $"{min} to {max}"));
                    valid = false;
                }
            }
            if (!valid)
            {
                continue;
            }
            int stages = args.TryGetValue("AsyncStages", out var s) && s.Value is int st ? st : 0;
            if (stages != 0 && stages is < 2 or > 4)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AsyncStagesOutOfRange, tileLocation, name, values[0], values[1], values[2], stages));
                continue;
            }
            var tile = (values[0], values[1], values[2]);
            // The same tile may be listed again with another pipeline depth: its CUDA-core kernels are generated once.
            if (declared.Contains((values[0], values[1], values[2], stages)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateTile, tileLocation, name, tile.Item1, tile.Item2, tile.Item3));
                continue;
            }
            declared.Add((values[0], values[1], values[2], stages));
            if (!tiles.Contains(tile))
            {
                tiles.Add(tile);
            }
            if (stages == 0)
            {
                continue;
            }
            string? missing = values[1] < 8 ? "tensor-core kernels need BlockN ≥ 8"
                : quant is not null && !quant.Precisions.Any(f => f.TensorCoreVariant is not null) ? "the layer quantizes to neither W8A8 nor F16"
                : null;
            int pipelineBytes = TensorCoreVariantModel.StageBytes(stages, values[0], values[1]) + 4 * (conv?.KernelVolume ?? 0);
            if (missing is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AsyncStagesUnused, tileLocation, name, values[0], values[1], values[2], stages, missing));
            }
            else if (pipelineBytes > SharedMemoryLimit)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SharedMemoryTooLarge, tileLocation, name, values[0], values[1], values[2],
                    $"{stages}-stage cp.async tensor-core", pipelineBytes));
            }
            else if (!pipelines.Contains((values[0], values[1], stages)))
            {
                pipelines.Add((values[0], values[1], stages));
            }
        }
        if (conv is null || quant is null)
        {
            return [];
        }

        if (quant.Int8)
        {
            int padded = conv.InChannelWords * 4;
            if (padded != conv.InChannels && !quant.AcceptChannelPadding)
            {
                int waste = (int)Math.Round(100.0 * (padded - conv.InChannels) / padded);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.W8A8ChannelPadding, location, name, conv.InChannels, padded, waste));
            }
            // The largest product: a u8 activation code (255, after a ReLU) times an int8 weight (±127).
            long worst = 255L * 127 * conv.KernelVolume * padded;
            if (worst > int.MaxValue)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AccumulatorOverflow, location, name, conv.KernelVolume, padded, worst));
            }
        }

        var variants = new List<VariantModel>();
        foreach (var family in KernelFamilies.Precisions.Where(f => f.CudaCoreVariant is not null && (f.Precision == "F32" || quant.Precisions.Contains(f))))
        {
            bool int8 = family.Arithmetic == "Int8";
            foreach (var (m, n, k) in tiles)
            {
                // Groups of at most 16 × 16 threads (so every GPU-style kernel also runs on the CPU accelerator's
                // 256-thread groups); each thread's register tile covers the rest of the tile.
                int threadRows = Math.Max(1, m / 16);
                int threadCols = Math.Max(1, n / 16);
                int groupSize = (m / threadRows) * (n / threadCols);
                // The input and weight tiles (int8 bytes or fp32 floats), and the tile's offset flags (shared/tile_offsets).
                int sharedBytes = (int8 ? 1 : 4) * (m * k + k * n) + 4 * conv.KernelVolume;
                bool smooth = family.FusesSmoothQuant && quant.SmoothQuant;
                string variantName = $"{family.Precision}_Tile{m}x{n}x{k}{(smooth ? "_Smooth" : "")}";
                if (sharedBytes > SharedMemoryLimit)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SharedMemoryTooLarge, location, name, m, n, k, family.Precision, sharedBytes));
                    continue;
                }
                if (threadRows * threadCols > AccumulatorLimit)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooManyAccumulators, location, name, m, n, k, threadRows, threadCols));
                    continue;
                }
                bool reductionTail = int8 ? conv.InChannelWords % (k / 4) != 0 : conv.InChannels % k != 0;
                variants.Add(new VariantModel(variantName, family, smooth, m, n, k, threadRows, threadCols, groupSize,
                    sharedBytes, k / 4, reductionTail, conv.OutChannels % threadCols != 0));
            }
        }
        return variants;
    }

    /// <summary>
    /// CPU SIMD variants, one per distinct (BlockM, BlockN) of the tiles and per CPU path of the kernel table whose
    /// precision the layer has: fp32 with Vector512, Vector256 and a portable scalar fallback; W8A8 with 256-bit VNNI
    /// (unsigned bytes × signed weights), AVX-512BW and AVX2 (exact multiply-add of int16 pairs, for CPUs without VNNI)
    /// and a portable fallback.
    /// </summary>
    private static List<CpuVariantModel> CpuVariants(ConvModel conv, QuantModel quant, List<VariantModel> gpuVariants)
    {
        var cpu = new List<CpuVariantModel>();
        var tiles = gpuVariants.Select(v => (v.BlockM, v.BlockN)).Distinct().ToList();
        foreach (var (m, n) in tiles)
        {
            foreach (var path in KernelFamilies.CpuPaths)
            {
                var family = KernelFamilies.Family(path.Precision)!;
                if (family.Precision != "F32" && !quant.Precisions.Contains(family))
                {
                    continue;
                }
                bool smooth = family.FusesSmoothQuant && quant.SmoothQuant;
                cpu.Add(Cpu($"{path.NamePrefix}_Tile{m}x{n}{(smooth ? "_Smooth" : "")}", family, path, smooth, conv, m, n));
            }
        }
        return cpu;
    }

    /// <summary>
    /// Tensor-core variants, one per distinct (BlockM, BlockN) of the tiles with BlockN ≥ 8 and per precision of the
    /// kernel table with tensor-core kernels (W8A8, fp16): up to 4 warps, warp tiles at most 32 channels wide, at most 64
    /// accumulators per thread; and for each of the tile's <paramref name="pipelines"/> the same kernel gathering through
    /// that many cp.async stages. The K step is the instruction's (the tile's BlockK is the CUDA-core kernels').
    /// </summary>
    private static List<TensorCoreVariantModel> TensorCoreVariants(
        ConvModel conv, QuantModel quant, List<VariantModel> gpuVariants, List<(int M, int N, int Stages)> pipelines)
    {
        var variants = new List<TensorCoreVariantModel>();
        var tiles = gpuVariants.Select(v => (v.BlockM, v.BlockN)).Distinct().Where(t => t.BlockN >= 8).ToList();
        foreach (var family in quant.Precisions.Where(f => f.TensorCoreVariant is not null))
        {
            foreach (var (m, n) in tiles)
            {
                int warpN = Math.Min(n, 32), warpsN = n / warpN;
                int warpsM = Math.Max(1, Math.Min(4 / warpsN, m / 16)), warpM = m / warpsM;
                if (warpM / 16 * (warpN / 8) * 4 > AccumulatorLimit)
                {
                    continue;
                }
                int k = family.TensorCoreK;
                bool smooth = family.FusesSmoothQuant && quant.SmoothQuant;
                foreach (int stages in new[] { 0 }.Concat(pipelines.Where(p => p.M == m && p.N == n).Select(p => p.Stages).OrderBy(x => x)))
                {
                    string name = $"{family.Precision}_Tile{m}x{n}x{k}_Warp{warpM}x{warpN}{(smooth ? "_Smooth" : "")}{(stages > 0 ? $"_Async{stages}" : "")}_TensorCore";
                    // The stages of the input and weight tiles (two static ones, or the pipeline's in dynamic shared
                    // memory), and the tile's offset flags (shared/tile_offsets).
                    int staged = TensorCoreVariantModel.StageBytes(stages > 0 ? stages : 2, m, n);
                    variants.Add(new TensorCoreVariantModel(name, family, smooth, m, n, k, warpM, warpN, warpsM, warpsN,
                        staged + 4 * conv.KernelVolume, stages, conv.InChannels % 4 == 0));
                }
            }
        }
        return variants;
    }

    private static CpuVariantModel Cpu(string name, PrecisionFamily family, CpuPath path, bool smooth, ConvModel conv, int m, int n)
    {
        int lanes = path.Lanes;
        int padded = (conv.OutChannels + lanes - 1) / lanes * lanes;
        int vectors = padded / lanes;
        // As many vectors per register tile as BlockN asks for (1, 2 or 4), dividing the padded channels evenly.
        int perBlock = new[] { 4, 2, 1 }.First(v => v <= Math.Max(1, n / lanes) && vectors % v == 0);
        return new CpuVariantModel(name, family, path, smooth, m, perBlock, vectors / perBlock, padded, m, n);
    }

    private static bool IsRegistrable(INamedTypeSymbol symbol)
    {
        for (var type = symbol; type is not null; type = type.ContainingType)
        {
            if (type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }
        return true;
    }

    private static bool All(AxesModel axes, Func<int, bool> predicate) => predicate(axes.Z) && predicate(axes.Y) && predicate(axes.X);

    private static string PowersOfTwo(int min, int max)
    {
        var values = new List<int>();
        for (int v = min; v <= max; v *= 2)
        {
            values.Add(v);
        }
        return string.Join(", ", values);
    }

    private static IEnumerable<string> ContainerNames(INamedTypeSymbol symbol)
    {
        var names = new List<string>();
        for (var type = symbol.ContainingType; type is not null; type = type.ContainingType)
        {
            names.Insert(0, type.Name);
        }
        return names;
    }

    private static string KeywordOf(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "partial record struct",
        { IsRecord: true } => "partial record",
        { TypeKind: TypeKind.Struct } => "partial struct",
        { TypeKind: TypeKind.Interface } => "partial interface",
        _ => (type.IsStatic ? "static " : "") + "partial class",
    };

    private static string AccessibilityKeyword(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };
}
