namespace KernelGen.Points;

/// <summary>Velodyne sensors the pcap decoder understands, with the product ID of their data packets' last byte.</summary>
public enum VelodyneModel
{
    /// <summary>HDL-32E: one 32-laser firing per block (product ID 0x21).</summary>
    Hdl32E = 0x21,

    /// <summary>VLP-16 (Puck): two 16-laser firings per block (product ID 0x22).</summary>
    Vlp16 = 0x22,
}

/// <summary>Timing of the <see cref="VelodyneModel"/> sensors (their manuals).</summary>
public static class VelodyneTiming
{
    /// <summary>
    /// Seconds per firing as the decoder counts firings (<see cref="Revolution.Firings"/>): HDL-32E one 32-laser firing
    /// every 46.08 µs; VLP-16 one 16-laser firing sequence every 55.296 µs.
    /// </summary>
    public static double FiringSeconds(this VelodyneModel model) => model switch
    {
        VelodyneModel.Hdl32E => 46.08e-6,
        VelodyneModel.Vlp16 => 55.296e-6,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "no firing period for this sensor"),
    };
}
