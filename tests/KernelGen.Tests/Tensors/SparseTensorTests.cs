using KernelGen.Tensors;

namespace KernelGen.Tests.Tensors;

public sealed class SparseTensorTests
{
    private static readonly SpatialShape Shape = new(4, 5, 6);

    [Fact]
    public void Row_counts_that_differ_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new SparseTensor(new float[6], [0, 0, 0, 0, 0, 1, 1, 1, 0, 2, 2, 2], 3, Shape));
        Assert.Equal("features have 2 rows but coordinates have 3; they must match", e.Message);
    }

    [Fact]
    public void Ragged_arrays_are_rejected()
    {
        Assert.Contains("not a multiple of 4", Assert.Throws<ArgumentException>(() => new SparseTensor(new float[2], [0, 0, 0], 2, Shape)).Message);
        Assert.Contains("features must be [N, 3]", Assert.Throws<ArgumentException>(() => new SparseTensor(new float[4], [0, 0, 0, 0], 3, Shape)).Message);
        Assert.Contains("spatial shape (0, 5, 6)", Assert.Throws<ArgumentException>(() => new SparseTensor([], [], 1, new SpatialShape(0, 5, 6))).Message);
        Assert.Contains("batch size must be positive", Assert.Throws<ArgumentException>(() => new SparseTensor([], [], 1, Shape, 0)).Message);
    }

    [Theory]
    [InlineData(new[] { 0, 0, 0, 0, 0, 4, 0, 0 }, "row 1: coordinate (z=4, y=0, x=0) is outside the spatial shape (4, 5, 6)")]
    [InlineData(new[] { 0, 0, 0, 0, 0, 0, -1, 0 }, "row 1: coordinate (z=0, y=-1, x=0) is outside the spatial shape (4, 5, 6)")]
    [InlineData(new[] { 2, 0, 0, 0, 0, 0, 0, 0 }, "row 0: batch index 2 is outside [0, 2)")]
    [InlineData(new[] { 1, 3, 4, 5, 1, 3, 4, 5 }, "row 1: duplicate coordinate (batch=1, z=3, y=4, x=5), first seen at row 0")]
    public void Validate_names_the_first_offending_row(int[] coordinates, string message)
    {
        var tensor = new SparseTensor(new float[2], coordinates, 1, Shape, batchSize: 2);
        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => tensor.Validate()).Message);
    }

    [Fact]
    public void Non_finite_features_are_found_on_request_only()
    {
        var tensor = new SparseTensor([1f, 2f, 3f, float.NaN], [0, 0, 0, 0, 0, 0, 0, 1], 2, Shape);
        tensor.Validate(); // not checked by default
        Assert.Equal("row 1: feature channel 1 is NaN (not finite)",
            Assert.Throws<InvalidDataException>(() => tensor.Validate(checkFinite: true)).Message);
    }

    [Fact]
    public void Empty_tensors_are_valid()
    {
        var empty = SparseTensor.Empty(5, Shape);
        empty.Validate(checkFinite: true);
        Assert.Equal(0, empty.Count);
    }

    [Fact]
    public void Keys_round_trip_and_sort_in_batch_z_y_x_order()
    {
        Span<int> decoded = stackalloc int[4];
        Shape.DecodeKey(Shape.Key(1, 3, 4, 5), decoded);
        Assert.Equal([1, 3, 4, 5], decoded.ToArray());
        Assert.True(Shape.Key(0, 3, 4, 5) < Shape.Key(1, 0, 0, 0));
        Assert.True(Shape.Key(0, 1, 0, 0) > Shape.Key(0, 0, 4, 5));
    }
}
