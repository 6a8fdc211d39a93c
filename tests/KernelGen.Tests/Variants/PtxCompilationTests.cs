using ApprovalTests;
using ApprovalTests.Reporters;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using KernelGen.Tests.Generated;
using KernelGen.Variants;
using KernelGen.Kernels;

namespace KernelGen.Tests.Variants;

/// <summary>
/// The CUDA path without a GPU: ILGPU's PTX backend compiles every generated kernel for sm_80 (PTX ISA 8.0, which the H100's driver JIT-compiles), and the PTX holds
/// the instructions the kernels were written for — each W8A8 kernel once per activation format: <c>dp4a.s32.s32</c> and
/// <c>mma … .s8.s8</c> for s8 codes, <c>dp4a.u32.s32</c> and <c>mma … .u8.s8</c> for u8 — and the pipelined tensor-core
/// kernels their <c>cp.async</c> copies, commits and waits.
/// </summary>
public sealed class PtxCompilationTests : IDisposable
{
    private readonly Context _context = Context.Create(builder => builder.Default().Optimize(OptimizationLevel.O2));
    private readonly PTXBackend _backend;

    public PtxCompilationTests() =>
        _backend = new PTXBackend(_context, new CudaCapabilityContext(CudaArchitecture.SM_80), CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null);

    public void Dispose() => _context.Dispose();

    private static readonly LayerDescriptor[] Layers =
        [SubmOddChannels.Layer, DownConv.Layer, ExtraConvShape.Layer, DownPadding011.Layer, SubmDilated.Layer];

    public static TheoryData<string, ActivationFormat> Variants()
    {
        var data = new TheoryData<string, ActivationFormat>();
        foreach (var layer in Layers)
        {
            foreach (var variant in layer.Variants.Where(v => v.Shape != KernelShape.CpuSimd))
            {
                foreach (var format in variant.Precision == Precision.W8A8 ? Enum.GetValues<ActivationFormat>() : [ActivationFormat.S8])
                {
                    data.Add($"{layer.Name}/{variant.Name}", format);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_generated_kernel_compiles_to_ptx_with_the_intended_instructions(string id, ActivationFormat format)
    {
        var variant = Find(id);
        string ptx = Compile(variant, format);
        // On the GPU machine, benchmarks/gpu/run-on-device.sh sets this and runs ptxas on every file.
        if (Environment.GetEnvironmentVariable("KERNELGEN_PTX_OUT") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            string suffix = variant.Precision == Precision.W8A8 ? "." + format.ToString().ToLowerInvariant() : "";
            File.WriteAllText(Path.Combine(folder, id.Replace('/', '.') + suffix + ".ptx"), ptx);
        }
        Assert.Contains(".entry", ptx);
        if (variant.Shape == KernelShape.TensorCore)
        {
            Assert.Contains("bar.sync", ptx);
            Assert.Contains(".shared", ptx);
            // The warp-level tensor-core instruction. The CPU accelerator's emulation (warp shuffles) stays in the PTX
            // behind a constant-true branch that ptxas removes: run-on-device.sh checks the SASS (IMMA/HMMA, no SHFL).
            Assert.Contains(variant.Precision == Precision.F16 ? "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"
                : format == ActivationFormat.U8 ? "mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32"
                : "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32", ptx);
            if (variant.Precision == Precision.W8A8)
            {
                Assert.DoesNotContain(format == ActivationFormat.U8 ? ".s8.s8.s32" : ".u8.s8.s32", ptx);
            }
            if (variant.Precision == Precision.F16)
            {
                Assert.Contains("cvt.rn.f16x2.f32", ptx); // two gathered fp32 features to one fp16 operand word
            }
            AssertGatherPipeline(variant, ptx);
        }
        else if (variant.Shape == KernelShape.GpuStyle)
        {
            Assert.Contains("bar.sync", ptx);  // Group.Barrier
            Assert.Contains(".shared", ptx);   // the input and weight tiles
        }
        else
        {
            Assert.DoesNotContain("bar.sync", ptx);
            Assert.DoesNotContain(".shared", ptx);
        }
        if (variant.Precision == Precision.W8A8)
        {
            // The int8 dot product of the format (u8 codes × signed weights, or s8 × s8), not the scalar fallback (the
            // tensor-core kernels' emulation, dead on CUDA, holds it too).
            Assert.Contains(format == ActivationFormat.U8 ? "dp4a.u32.s32" : "dp4a.s32.s32", ptx);
            Assert.DoesNotContain(format == ActivationFormat.U8 ? "dp4a.s32.s32" : "dp4a.u32.s32", ptx);
        }
        else
        {
            // fp32 multiply-adds (ptxas contracts mul.f32 + add.f32 into FMA), and no integer dot products.
            Assert.Matches(@"(mul|fma)(\.rn)?\.f32", ptx);
            Assert.DoesNotContain("dp4a", ptx);
        }
    }

    /// <summary>
    /// A pipelined kernel copies with <c>cp.async</c> into its dynamic shared memory — the weights always, and the input
    /// words of every gather slot when the layer's int8 rows are whole words or the input is fp16 pairs — commits a group
    /// per step and waits for all but stages − 2; a kernel without a pipeline has none of it.
    /// </summary>
    private static void AssertGatherPipeline(KernelVariant variant, string ptx)
    {
        var copies = System.Text.RegularExpressions.Regex.Matches(ptx, @"cp\.async\.ca\.shared\.global \[%kg_shared\], \[%kg_global\], 4, %r\d+;").Count;
        if (variant.Pipeline is not { } pipeline)
        {
            Assert.DoesNotContain("cp.async", ptx);
            return;
        }
        bool rawInput = variant.Precision == Precision.F16 || variant.Layer.InChannels % 4 == 0;
        int gatherSlots = variant.Tile.BlockM * 8 / variant.GroupSize;
        Assert.Equal(1 + (rawInput ? gatherSlots : 0), copies);
        Assert.Contains("mov.u64 %kg_shared, __dyn_shared_alloca;", ptx);
        Assert.Contains(".extern .shared .align 4 .b8 __dyn_shared_alloca[];", ptx);
        Assert.Contains("cp.async.commit_group;", ptx);
        Assert.Contains($"cp.async.wait_group {pipeline.Stages - 2};", ptx);
        Assert.DoesNotMatch(@"cp\.async\.wait_group (?!" + (pipeline.Stages - 2) + ";)", ptx);
    }

    [Fact]
    [UseReporter(typeof(QuietReporter))]
    public void Ptx_of_one_w8a8_variant_is_pinned()
    {
#if DEBUG
        // The PTX follows the kernel's IL, which differs between Debug and Release; the snapshot is of the Release
        // build, the configuration of the README's test command.
        Assert.SkipWhen(true, "the PTX snapshot is pinned for Release builds (dotnet test -c Release)");
#endif
        // Reviewed by reading: the gathered, quantized input words and the weight words are staged in .shared, then the
        // 2 × 1 register tile (BlockM 32 / 16 threads down, BlockN 16 / 16 across) accumulates with dp4a between two bar.sync.
        var ptx = Compile(Find("KernelGen.Tests.Generated.DownConv/W8A8_Tile32x16x8_GpuStyle"), ActivationFormat.S8);
        Approvals.Verify(StripHeader(ptx));
    }

    private static KernelVariant Find(string id)
    {
        var parts = id.Split('/');
        return GeneratedLayers.Find(parts[0]).Variants.Single(v => v.Name == parts[1]);
    }

    private string Compile(KernelVariant variant, ActivationFormat format)
    {
        var method = variant is W8A8Variant int8 ? int8.KernelMethodFor(format) : variant.KernelMethod;
        var entry = variant.Shape is KernelShape.GpuStyle or KernelShape.TensorCore
            ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)_backend.Compile(entry, KernelSpecialization.Empty);
        return compiled.PTXAssembly;
    }

    /// <summary>
    /// The kernel without what depends on compile order: the header (ILGPU version), and the IR node numbers ILGPU puts
    /// into parameter names and labels, which are renumbered by first appearance.
    /// </summary>
    private static string StripHeader(string ptx)
    {
        var body = string.Join('\n', ptx.Split('\n').SkipWhile(line => !line.StartsWith(".version", StringComparison.Ordinal)));
        body = System.Text.RegularExpressions.Regex.Replace(body, @"\b(_[A-Za-z][A-Za-z0-9]*)_\d+\b", "$1");
        var labels = new Dictionary<string, string>();
        return System.Text.RegularExpressions.Regex.Replace(body, @"\bL_\d+\b", m =>
            labels.TryGetValue(m.Value, out var name) ? name : labels[m.Value] = $"L{labels.Count}");
    }
}
