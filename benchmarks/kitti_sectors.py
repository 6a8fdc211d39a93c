#!/usr/bin/env python3
"""The KITTI sector split of docs/BENCHMARKS.md: the shared KITTI frame cut into four 90-degree azimuth sectors.

Writes front.bin, left.bin, right.bin (the calibration set) and rear.bin (the held-out scan) as KITTI .bin files
(float32 x, y, z, reflectance) into OUT — never into the repository: the frame is CC BY-NC-SA 3.0 and is read from
../shared. Standard library only.

    python3 benchmarks/kitti_sectors.py ../shared/data/lidar/kitti_raw_2011_09_26_drive_0079_extract_0000000000.bin.gz /tmp/kitti-sectors
    dotnet run -c Release --project samples/CenterPoint -- --input /tmp/kitti-sectors/rear.bin \\
        --calibrate /tmp/kitti-sectors/front.bin /tmp/kitti-sectors/left.bin /tmp/kitti-sectors/right.bin
"""
import array
import gzip
import math
import os
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: kitti_sectors.py FRAME.bin[.gz] OUT_FOLDER", file=sys.stderr)
        return 2
    source, out = sys.argv[1], sys.argv[2]
    opener = gzip.open if source.endswith(".gz") else open
    with opener(source, "rb") as f:
        data = f.read()
    if len(data) % 16 != 0:
        print(f"kitti_sectors: error: {source} holds {len(data)} bytes, not whole points of 4 float32", file=sys.stderr)
        return 2
    points = array.array("f")
    points.frombytes(data)
    if sys.byteorder != "little":
        points.byteswap()
    sectors = {"front": array.array("f"), "left": array.array("f"), "rear": array.array("f"), "right": array.array("f")}
    for p in range(len(points) // 4):
        x, y = points[4 * p], points[4 * p + 1]
        azimuth = math.degrees(math.atan2(y, x))  # KITTI: x forward, y left
        name = "front" if -45 <= azimuth < 45 else "left" if 45 <= azimuth < 135 else "right" if -135 <= azimuth < -45 else "rear"
        sectors[name].extend(points[4 * p:4 * p + 4])
    os.makedirs(out, exist_ok=True)
    for name, values in sectors.items():
        if sys.byteorder != "little":
            values.byteswap()
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(values.tobytes())
        print(f"{name}: {len(values) // 4} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
