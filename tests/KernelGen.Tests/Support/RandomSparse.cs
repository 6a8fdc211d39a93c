using KernelGen.Tensors;

namespace KernelGen.Tests.Support;

/// <summary>Fresh random inputs per test; the seed is part of every failure message so a failure can be replayed.</summary>
public sealed class RandomSparse
{
    public RandomSparse(int? seed = null)
    {
        Seed = seed ?? Random.Shared.Next();
        Random = new Random(Seed);
    }

    public int Seed { get; }

    public Random Random { get; }

    /// <summary>A tensor with about <paramref name="density"/> of the cells active, rows in random order.</summary>
    public SparseTensor Tensor(SpatialShape shape, int channels, int batchSize = 1, double density = 0.3)
    {
        var coordinates = new List<int>();
        for (int b = 0; b < batchSize; b++)
        for (int z = 0; z < shape.Depth; z++)
        for (int y = 0; y < shape.Height; y++)
        for (int x = 0; x < shape.Width; x++)
        {
            if (Random.NextDouble() < density)
            {
                coordinates.AddRange([b, z, y, x]);
            }
        }
        // Shuffle rows: nothing may depend on the input being sorted.
        int n = coordinates.Count / 4;
        var order = Enumerable.Range(0, n).OrderBy(_ => Random.Next()).ToArray();
        var shuffled = new int[n * 4];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                shuffled[i * 4 + c] = coordinates[order[i] * 4 + c];
            }
        }
        return new SparseTensor(Normal(n * channels), shuffled, channels, shape, batchSize);
    }

    public float[] Normal(int count, double scale = 1.0)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - Random.NextDouble(), u2 = Random.NextDouble();
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return values;
    }
}
