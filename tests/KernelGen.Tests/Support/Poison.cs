namespace KernelGen.Tests.Support;

/// <summary>Output buffers filled with NaN before a kernel runs, so an element the kernel failed to write shows.</summary>
public static class Poison
{
    public static float[] Floats(int length)
    {
        var output = new float[length];
        Array.Fill(output, float.NaN);
        return output;
    }
}
