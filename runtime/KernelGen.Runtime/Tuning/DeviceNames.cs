using System.Runtime.InteropServices;
using ILGPU.Runtime;

namespace KernelGen.Tuning;

/// <summary>The device part of a tuning key: the GPU's name, or for the CPU accelerator the host CPU model and cores
/// (CPU SIMD variants run on the host, so its model decides).</summary>
internal static class DeviceNames
{
    /// <summary>Name of <paramref name="accelerator"/> for tuning keys.</summary>
    public static string Of(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator.AcceleratorType == AcceleratorType.CPU
            ? $"CPU {HostCpuModel()} × {Environment.ProcessorCount}"
            : $"{accelerator.AcceleratorType} {accelerator.Name}";
    }

    private static string HostCpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null)
                {
                    return line[(line.IndexOf(':') + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
            // Fall through to the architecture.
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
