using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace KernelGen.Accelerators;

/// <summary>An ILGPU context with one accelerator; dispose it to release both.</summary>
public sealed class AcceleratorSession : IDisposable
{
    private AcceleratorSession(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    /// <summary>Threads per warp of the CPU accelerator.</summary>
    public const int CpuThreadsPerWarp = 32;

    /// <summary>Warps per multiprocessor of the CPU accelerator: groups of up to 8 × 32 = 256 threads.</summary>
    public const int CpuWarpsPerMultiprocessor = 8;

    /// <summary>The ILGPU context.</summary>
    public Context Context { get; }

    /// <summary>The accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Short description, e.g. "CPU (2 cores)" or "CUDA NVIDIA H100".</summary>
    public string Description => Accelerator.AcceleratorType == AcceleratorType.CPU
        ? $"ILGPU CPU accelerator ({Accelerator.NumMultiprocessors} cores)"
        : $"{Accelerator.AcceleratorType} {Accelerator.Name}";

    /// <summary>Parses "auto", "cpu" or "cuda" (case-insensitive).</summary>
    public static AcceleratorChoice ParseChoice(string text) => text.ToLowerInvariant() switch
    {
        "auto" => AcceleratorChoice.Auto,
        "cpu" => AcceleratorChoice.Cpu,
        "cuda" => AcceleratorChoice.Cuda,
        _ => throw new FormatException($"accelerator '{text}' is not one of auto, cpu, cuda"),
    };

    /// <summary>
    /// Opens the chosen accelerator. The CPU accelerator gets one multiprocessor per core in parallel mode, so
    /// barrier-free kernels use every core; asking for CUDA without a CUDA device is an error.
    /// </summary>
    public static AcceleratorSession Open(AcceleratorChoice choice = AcceleratorChoice.Auto)
    {
        // One multiprocessor per core; 8 warps of 32 threads (the warp the tensor-core emulation needs) so GPU-style kernels with groups of up to 256 threads
        // (every generated tile up to 128 × 64) run on the CPU too. ILGPU backs each group thread with an OS thread.
        var cpu = new CPUDevice(CpuThreadsPerWarp, CpuWarpsPerMultiprocessor, Environment.ProcessorCount);
        var context = Context.Create(builder =>
        {
            builder.CPU(cpu).EnableAlgorithms();
            if (choice != AcceleratorChoice.Cpu)
            {
                builder.Cuda();
            }
        });
        try
        {
            var cuda = context.GetCudaDevices();
            if (choice == AcceleratorChoice.Cuda && cuda.Count == 0)
            {
                throw new InvalidOperationException("--accelerator cuda was asked for, but no CUDA device was found");
            }
            Accelerator accelerator = choice != AcceleratorChoice.Cpu && cuda.Count > 0
                ? cuda[0].CreateAccelerator(context)
                : cpu.CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel);
            return new AcceleratorSession(context, accelerator);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
