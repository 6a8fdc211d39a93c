using ILGPU.Runtime;
using KernelGen.Accelerators;

namespace KernelGen.Tests.Support;

/// <summary>One ILGPU CPU accelerator shared by the tests of a collection (kernels compile once per accelerator).</summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public AcceleratorSession Session { get; } = AcceleratorSession.Open(AcceleratorChoice.Cpu);

    public void Dispose() => Session.Dispose();
}

/// <summary>The first CUDA device when there is one; tests using it skip otherwise.</summary>
public sealed class CudaAcceleratorFixture : IDisposable
{
    public CudaAcceleratorFixture()
    {
        try
        {
            Session = AcceleratorSession.Open(AcceleratorChoice.Cuda);
        }
        catch (Exception e) when (e is InvalidOperationException or DllNotFoundException or TypeInitializationException)
        {
            Session = null;
        }
    }

    public AcceleratorSession? Session { get; }

    public void Dispose() => Session?.Dispose();
}

[CollectionDefinition(Name)]
public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>
{
    public const string Name = "ILGPU CPU accelerator";
}

[CollectionDefinition(Name)]
public sealed class CudaAcceleratorCollection : ICollectionFixture<CudaAcceleratorFixture>
{
    public const string Name = "ILGPU CUDA accelerator";
}
