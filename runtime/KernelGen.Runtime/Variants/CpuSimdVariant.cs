using System.Reflection;
using ILGPU.Runtime;
using KernelGen.Kernels;

namespace KernelGen.Variants;

/// <summary>
/// What every generated CPU SIMD variant shares: the instruction set it needs, its vector width, and that it is a
/// candidate only on the CPU accelerator (it runs on the host) of a CPU that has those instructions.
/// </summary>
public abstract class CpuSimdVariant : KernelVariant
{
    private readonly Delegate _rowTile;

    /// <summary>Describes a variant around its row-tile kernel (called by the concrete variants).</summary>
    protected CpuSimdVariant(string name, TileShape tile, Precision precision, int outChannels, CpuInstructionSet instructionSet, int lanes, Delegate rowTile)
        : base(name, tile, precision, KernelShape.CpuSimd, outChannels, 1, 0, 4, tile.BlockN)
    {
        InstructionSet = instructionSet;
        Lanes = lanes;
        _rowTile = rowTile ?? throw new ArgumentNullException(nameof(rowTile));
    }

    /// <summary>The instructions the kernel uses.</summary>
    public CpuInstructionSet InstructionSet { get; }

    /// <summary>Vector lanes: the weights' output channels are padded to a multiple of this.</summary>
    public int Lanes { get; }

    /// <summary>Whether this process's CPU has the instructions.</summary>
    public bool IsSupported => CpuFeatures.Supports(InstructionSet);

    /// <inheritdoc />
    public override MethodInfo KernelMethod => _rowTile.Method;

    /// <inheritdoc />
    protected override bool CanRunOn(Accelerator accelerator, out string? reason)
    {
        reason = accelerator.AcceleratorType != AcceleratorType.CPU ? "CPU SIMD variants run on the host, a candidate only on the CPU accelerator"
            : CpuFeatures.WhyNot(InstructionSet);
        return reason is null;
    }

    /// <summary>
    /// Throws when the instructions cannot run here (the CPU lacks them, or the instruction-set restriction excludes
    /// them). Called after the arguments are validated, so a bad call is an <see cref="ArgumentException"/> on any CPU.
    /// </summary>
    protected void EnsureSupported()
    {
        if (CpuFeatures.WhyNot(InstructionSet) is { } reason)
        {
            throw new PlatformNotSupportedException($"{Name} needs {InstructionSet}: {reason}");
        }
    }

    /// <summary>Runs <paramref name="rowTile"/> over every task of BlockM output rows, in parallel.</summary>
    protected void ForEachTask<TCall>(int rows, Action<int, TCall> rowTile, TCall call)
    {
        int tasks = (rows + Tile.BlockM - 1) / Tile.BlockM;
        Parallel.For(0, tasks, task => rowTile(task, call));
    }
}
