namespace KernelGen.Points;

/// <summary>Velodyne sensors the pcap decoder understands, with the product ID of their data packets' last byte.</summary>
public enum VelodyneModel
{
    /// <summary>HDL-32E: one 32-laser firing per block (product ID 0x21).</summary>
    Hdl32E = 0x21,

    /// <summary>VLP-16 (Puck): two 16-laser firings per block (product ID 0x22).</summary>
    Vlp16 = 0x22,
}
