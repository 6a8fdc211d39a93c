using KernelGen.IO;

namespace KernelGen.Tensors;

/// <summary>
/// Voxels as files, for a pipeline that voxelizes elsewhere (spconv's <c>indices</c> and <c>features</c>) or to compare
/// ours with it: coordinates [N, 4] as (batch, z, y, x) — spconv's order — in int32 (int64 accepted where every value
/// fits), and features [N, C] in float32 or float16; each a <c>.npy</c> file or a libspconv <c>.tensor</c> file
/// (<see cref="NvidiaTensorFile"/>). Written as <c>.npy</c> (int32 and float32).
/// </summary>
public static class VoxelFiles
{
    /// <summary>
    /// The voxels of <paramref name="coordinatesPath"/> and <paramref name="featuresPath"/> on a grid of
    /// <paramref name="shape"/>; the batch size is the largest batch index + 1. Every site is checked (inside the grid,
    /// no duplicate) and every feature finite, each error one line naming the file and the row.
    /// </summary>
    public static SparseTensor Read(string coordinatesPath, string featuresPath, SpatialShape shape)
    {
        var coordinates = ReadArray(coordinatesPath, "coordinates");
        var features = ReadArray(featuresPath, "features");
        if (coordinates.Shape is not [_, 4])
        {
            throw new InvalidDataException($"coordinates '{coordinatesPath}' have shape {coordinates.ShapeText}; [N, 4] as (batch, z, y, x) is required");
        }
        if (features.Shape is not [_, > 0])
        {
            throw new InvalidDataException($"features '{featuresPath}' have shape {features.ShapeText}; [N, C] is required");
        }
        if (features.Shape[0] != coordinates.Shape[0])
        {
            throw new InvalidDataException($"features '{featuresPath}' have {features.Shape[0]} rows but coordinates '{coordinatesPath}' have {coordinates.Shape[0]}");
        }
        var sites = Npy.Int32Values(coordinates, "coordinates", coordinatesPath);
        var values = features.Type switch
        {
            NpyType.Float32 => (float[])features.Data,
            NpyType.Float16 => ((Half[])features.Data).Select(h => (float)h).ToArray(),
            _ => throw new InvalidDataException($"features '{featuresPath}' are {features.Type}; float32 or float16 is required (float64 would be rounded: convert it deliberately)"),
        };
        int batchSize = 1;
        for (int row = 0; row < sites.Length / 4; row++)
        {
            if (sites[row * 4] < 0)
            {
                throw new InvalidDataException($"coordinates '{coordinatesPath}' row {row}: batch index {sites[row * 4]} is negative");
            }
            batchSize = Math.Max(batchSize, sites[row * 4] + 1);
        }
        var tensor = new SparseTensor(values, sites, features.Shape[1], shape, batchSize);
        try
        {
            tensor.Validate(checkFinite: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"voxels '{coordinatesPath}' / '{featuresPath}': {e.Message}");
        }
        return tensor;
    }

    /// <summary>Writes <paramref name="voxels"/> as <c>.npy</c>: coordinates int32 [N, 4], features float32 [N, C].</summary>
    public static void Write(SparseTensor voxels, string coordinatesPath, string featuresPath)
    {
        ArgumentNullException.ThrowIfNull(voxels);
        Npy.Write(coordinatesPath, voxels.Coordinates, voxels.Count, 4);
        Npy.Write(featuresPath, voxels.Features, voxels.Count, voxels.Channels);
    }

    private static NpyArray ReadArray(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return path.EndsWith(".tensor", StringComparison.OrdinalIgnoreCase) ? NvidiaTensorFile.Read(path)
            : path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? Npy.Read(path)
            : throw new InvalidDataException($"{what} '{path}': give a .npy or a libspconv .tensor file");
    }
}
