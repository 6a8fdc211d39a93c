using System.Buffers.Binary;

namespace KernelGen.Points;

/// <summary>
/// Reads UDP payloads from a classic libpcap capture (magic a1b2c3d4 or its nanosecond variant a1b23c4d, either byte
/// order) with Ethernet link type, IPv4 (optionally VLAN-tagged). Other packets are skipped and counted.
/// </summary>
public static class PcapReader
{
    /// <summary>One UDP datagram: destination port and payload.</summary>
    public readonly record struct UdpPayload(int DestinationPort, ReadOnlyMemory<byte> Payload);

    /// <summary>Every UDP payload in capture order. Throws <see cref="InvalidDataException"/> on foreign or truncated files.</summary>
    public static List<UdpPayload> ReadUdp(byte[] capture, string name)
    {
        ArgumentNullException.ThrowIfNull(capture);
        if (capture.Length < 24)
        {
            throw new InvalidDataException($"'{name}': {capture.Length} bytes is too short for a pcap header (24 bytes)");
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(capture);
        bool littleEndian = magic is 0xA1B2C3D4 or 0xA1B23C4D;
        bool bigEndian = magic is 0xD4C3B2A1 or 0x4D3CB2A1;
        if (!littleEndian && !bigEndian)
        {
            throw new InvalidDataException(
                $"'{name}': magic 0x{magic:x8} is not a classic pcap file (pcapng and other formats are not supported)");
        }
        uint ReadU32(int offset) => littleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(capture.AsSpan(offset))
            : BinaryPrimitives.ReadUInt32BigEndian(capture.AsSpan(offset));
        uint linkType = ReadU32(20);
        if (linkType != 1)
        {
            throw new InvalidDataException($"'{name}': link type {linkType} is not Ethernet (1)");
        }

        var payloads = new List<UdpPayload>();
        int offset = 24, record = 0;
        while (offset < capture.Length)
        {
            if (offset + 16 > capture.Length)
            {
                throw new InvalidDataException($"'{name}': record {record} header is truncated at byte {offset}");
            }
            uint claimed = ReadU32(offset + 8);
            offset += 16;
            if (claimed > (uint)(capture.Length - offset))
            {
                throw new InvalidDataException(
                    $"'{name}': record {record} claims {claimed} bytes but only {capture.Length - offset} remain (truncated capture)");
            }
            int included = (int)claimed;
            if (TryUdp(capture.AsMemory(offset, included), out var udp))
            {
                payloads.Add(udp);
            }
            offset += included;
            record++;
        }
        return payloads;
    }

    private static bool TryUdp(ReadOnlyMemory<byte> frame, out UdpPayload udp)
    {
        udp = default;
        var span = frame.Span;
        int ethernet = 14;
        if (span.Length < ethernet)
        {
            return false;
        }
        int etherType = BinaryPrimitives.ReadUInt16BigEndian(span[12..]);
        if (etherType == 0x8100 && span.Length >= 18)
        {
            etherType = BinaryPrimitives.ReadUInt16BigEndian(span[16..]);
            ethernet = 18;
        }
        if (etherType != 0x0800 || span.Length < ethernet + 20)
        {
            return false;
        }
        int ipHeader = (span[ethernet] & 0x0F) * 4;
        if (span[ethernet + 9] != 17 || span.Length < ethernet + ipHeader + 8)
        {
            return false;
        }
        int udpStart = ethernet + ipHeader;
        int port = BinaryPrimitives.ReadUInt16BigEndian(span[(udpStart + 2)..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(span[(udpStart + 4)..]) - 8;
        int available = span.Length - udpStart - 8;
        udp = new UdpPayload(port, frame.Slice(udpStart + 8, Math.Clamp(length, 0, available)));
        return true;
    }
}
