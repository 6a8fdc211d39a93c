namespace KernelGen.Accelerators;

/// <summary>Which ILGPU accelerator to run on.</summary>
public enum AcceleratorChoice
{
    /// <summary>CUDA when a CUDA device is present, else the CPU accelerator.</summary>
    Auto,

    /// <summary>ILGPU's CPU accelerator (multi-threaded, one worker per core).</summary>
    Cpu,

    /// <summary>The first CUDA device; an error when there is none.</summary>
    Cuda,
}
