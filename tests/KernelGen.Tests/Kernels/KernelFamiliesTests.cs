using KernelGen.Kernels;
using KernelGen.Tests.Generated;
using KernelGen.Variants;

namespace KernelGen.Tests.Kernels;

/// <summary>
/// The kernel table (runtime Kernels/Contract/KernelFamilies.cs, compiled into the generator too) against the enums it
/// names and the kernels the generator made from it: a row without a member, a member without a row, or a generated CPU
/// variant that no row describes fails here.
/// </summary>
public sealed class KernelFamiliesTests
{
    [Fact]
    public void Every_precision_has_one_row_and_every_row_names_a_precision()
    {
        Assert.Equal(Enum.GetNames<Precision>().Order(), KernelFamilies.Precisions.Select(f => f.Precision).Order());
        Assert.Equal("F32", KernelFamilies.Precisions[0].Precision); // every layer has fp32 kernels; the table lists it first
    }

    [Fact]
    public void Every_instruction_set_has_a_row_whose_requirements_this_dotnet_knows()
    {
        var named = KernelFamilies.CpuPaths.Select(p => Enum.Parse<CpuInstructionSet>(p.InstructionSet)).ToHashSet();
        Assert.Equal(Enum.GetValues<CpuInstructionSet>().ToHashSet(), named);
        foreach (var path in KernelFamilies.CpuPaths)
        {
            Assert.NotNull(KernelFamilies.Family(path.Precision)?.CpuVariant);
            _ = KernelFamilies.HardwareSupports(path); // throws for an intrinsics class .NET does not have
        }
        Assert.True(CpuFeatures.HardwareSupports(CpuInstructionSet.Portable));
    }

    [Fact]
    public void Every_generated_cpu_variant_is_a_row_of_the_table()
    {
        var layer = ExtraConvShape.Layer; // fp32 and W8A8: every CPU path of both precisions, per tile
        var cpu = layer.Variants.OfType<CpuSimdVariant>().ToList();
        int tiles = cpu.Select(v => (v.Tile.BlockM, v.Tile.BlockN)).Distinct().Count();
        Assert.Equal(KernelFamilies.CpuPaths.Length * tiles, cpu.Count);
        foreach (var variant in cpu)
        {
            var row = KernelFamilies.CpuPaths.Single(p => variant.Name.StartsWith(p.NamePrefix + "_", StringComparison.Ordinal));
            Assert.Equal(row.InstructionSet, variant.InstructionSet.ToString());
            Assert.Equal(row.Precision, variant.Precision.ToString());
            Assert.Equal(row.Lanes, variant.Lanes);
        }
    }

    [Fact]
    public void The_vector_paths_of_a_precision_come_from_the_table()
    {
        Assert.Equal([CpuInstructionSet.AvxVnni256, CpuInstructionSet.Avx512BW, CpuInstructionSet.Avx2], CpuFeatures.VectorPathsOf(Precision.W8A8));
        Assert.Equal([CpuInstructionSet.Vector512Fma, CpuInstructionSet.Vector256Fma], CpuFeatures.VectorPathsOf(Precision.F32));
        Assert.Empty(CpuFeatures.VectorPathsOf(Precision.F16));
    }
}
