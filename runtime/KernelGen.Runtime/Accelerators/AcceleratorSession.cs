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
        // Parallel CPU device: 4 threads per warp, 4 warps per multiprocessor, one multiprocessor per core.
        var cpu = new CPUDevice(4, 4, Environment.ProcessorCount);
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
