using System.Numerics;
using KernelGen.Kernels;
using KernelGen.KernelMaps;

namespace KernelGen.Quantization;

/// <summary>
/// Hessian-aware rounding of one layer's int8 weights (GPTQ, Frantar et al. 2022) on the implicit GEMM's gathered input.
/// Row i of the GEMM's A matrix is output site i's gathered neighbourhood g_i [K·Cin] (the smoothed input x / s_c of
/// each present neighbour, zero where it is missing); the layer's output error for a weight error ΔW is
/// Σ_i (ΔW g_i)², whose Hessian H = Σ_i g_i g_iᵀ is shared by every output channel. Columns j = k·Cin + c are rounded
/// in order, each rounding error spread over the columns not yet rounded through the upper Cholesky factor U of H⁻¹
/// (<c>w[j+1:] −= (w_j − q_j) / U_jj · U[j, j+1:]</c>), so the later columns compensate the earlier ones on the data.
/// </summary>
/// <remarks>
/// The grid is W8A8's own (per output channel s_w[n] = max|W'[n]| / 127, <see cref="W8A8LayerWeights.GridScales"/>), so
/// only the rounding changes. H is damped by 1 % of its mean diagonal (as GPTQ does), which also gives a column no
/// calibration input ever reaches (an offset or channel always zero) its plain round-to-nearest: it is coupled to
/// nothing. H is accumulated over at most <see cref="MaxRows"/> sampled output rows. Written here: no linear-algebra
/// package is served; the factorizations are the textbook ones, vectorized along rows.
/// </remarks>
internal static class GptqRounding
{
    /// <summary>Output rows sampled per calibration scan for H.</summary>
    public const int MaxRows = 65536;

    /// <summary>
    /// Rows per column of H below which the layer keeps round-to-nearest: H estimated from fewer rows than a few times its
    /// size describes the sample, not the layer, and rounding fitted to it does worse on other scans (measured: the
    /// CenterPoint policy's held-out cosine fell from 0.9990 to 0.9980 with 4096 rows for 3456 columns).
    /// </summary>
    public const int MinRowsPerColumn = 4;

    /// <summary>
    /// The widest GEMM row (K·Cin) rounded this way: H and its factors take 3 · (K·Cin)² doubles and (K·Cin)³ / 3
    /// operations each (about 1 s at 27 × 128); wider layers keep round-to-nearest.
    /// </summary>
    public const int MaxColumns = 27 * 128;

    /// <summary>Whether a layer of <paramref name="kernelVolume"/> offsets and <paramref name="inChannels"/> channels is rounded this way.</summary>
    public static bool Fits(int kernelVolume, int inChannels) => (long)kernelVolume * inChannels <= MaxColumns;

    /// <summary>H's damping, relative to its mean diagonal.</summary>
    public const double Damping = 0.01;

    /// <summary>
    /// The int8 weights [Cout, K, Cin] of <paramref name="weights"/> smoothed by <paramref name="smoothing"/>, rounded on
    /// <paramref name="inputs"/>; null when the inputs have fewer than <see cref="MinRowsPerColumn"/> output rows per
    /// column of H.
    /// </summary>
    public static sbyte[]? Round(ConvWeights weights, float[]? smoothing, IReadOnlyList<(KernelMap Map, float[] Input)> inputs)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int cin = weights.InChannels, k = weights.Kernel.Product, cout = weights.OutChannels, d = k * cin;
        if (inputs.Sum(i => (long)Math.Min(i.Map.OutputCount, MaxRows)) < (long)MinRowsPerColumn * d)
        {
            return null;
        }
        var hessian = Hessian(inputs, cin, k, smoothing);
        var u = InverseUpperCholesky(hessian, d);

        var scales = W8A8LayerWeights.GridScales(weights, smoothing);
        var w = new double[d];
        var quantized = new sbyte[weights.Data.Length];
        for (int n = 0; n < cout; n++)
        {
            for (int j = 0; j < d; j++)
            {
                w[j] = (double)weights.Data[n * d + j] * (smoothing?[j % cin] ?? 1.0);
            }
            double scale = scales[n];
            for (int j = 0; j < d; j++)
            {
                double q = Math.Clamp(Math.Round(w[j] / scale, MidpointRounding.ToEven), -W8A8LayerWeights.QuantMax, W8A8LayerWeights.QuantMax);
                quantized[n * d + j] = (sbyte)q;
                double error = (w[j] - q * scale) / u[(long)j * d + j];
                if (error != 0)
                {
                    Axpy(-error, u.AsSpan((int)((long)j * d + j + 1), d - j - 1), w.AsSpan(j + 1));
                }
            }
        }
        return quantized;
    }

    /// <summary>H = Σ g_i g_iᵀ [D, D] over sampled output rows of every input, plus the damping.</summary>
    private static double[] Hessian(IEnumerable<(KernelMap Map, float[] Input)> inputs, int cin, int k, float[]? smoothing)
    {
        int d = k * cin;
        var h = new double[(long)d * d];
        var present = new int[k];
        var rows = new double[k][];
        for (int o = 0; o < k; o++)
        {
            rows[o] = new double[cin];
        }
        foreach (var (map, input) in inputs)
        {
            foreach (int i in map.SampleRows(MaxRows))
            {
                int count = 0;
                for (int o = 0; o < k; o++)
                {
                    int row = map.OutIn[i * k + o];
                    if (row < 0)
                    {
                        continue;
                    }
                    for (int c = 0; c < cin; c++)
                    {
                        rows[o][c] = input[row * cin + c] / (smoothing?[c] ?? 1.0);
                    }
                    present[count++] = o;
                }
                // Upper block triangle only (o1 ≤ o2); mirrored below.
                for (int a = 0; a < count; a++)
                {
                    int o1 = present[a];
                    for (int b = a; b < count; b++)
                    {
                        int o2 = present[b];
                        for (int c1 = 0; c1 < cin; c1++)
                        {
                            double x = rows[o1][c1];
                            if (x != 0)
                            {
                                Axpy(x, rows[o2], h.AsSpan((int)((long)(o1 * cin + c1) * d + o2 * cin), cin));
                            }
                        }
                    }
                }
            }
        }
        double trace = 0;
        for (int j = 0; j < d; j++)
        {
            for (int j2 = 0; j2 < j; j2++)
            {
                // Blocks with o1 < o2 were written above the diagonal; within a diagonal block both halves were.
                h[(long)j * d + j2] = h[(long)j2 * d + j];
            }
            trace += h[(long)j * d + j];
        }
        double damping = Damping * (trace > 0 ? trace / d : 1);
        for (int j = 0; j < d; j++)
        {
            h[(long)j * d + j] += damping;
        }
        return h;
    }

    /// <summary>
    /// The upper-triangular U with H⁻¹ = Uᵀ U, without forming H⁻¹: with P the reversal, P H P = L Lᵀ gives
    /// H⁻¹ = (P L⁻ᵀ P)(P L⁻¹ P), and U = P L⁻¹ P is upper triangular.
    /// </summary>
    private static double[] InverseUpperCholesky(double[] h, int d)
    {
        // L: lower Cholesky of the reversed matrix, row-major, in place.
        var l = new double[(long)d * d];
        for (int a = 0; a < d; a++)
        {
            for (int b = 0; b < d; b++)
            {
                l[(long)a * d + b] = h[(long)(d - 1 - a) * d + (d - 1 - b)];
            }
        }
        for (int i = 0; i < d; i++)
        {
            var rowI = l.AsSpan((int)((long)i * d), d);
            for (int j = 0; j <= i; j++)
            {
                var rowJ = l.AsSpan((int)((long)j * d), d);
                double s = rowI[j] - Dot(rowI[..j], rowJ[..j]);
                if (j == i)
                {
                    rowI[i] = s > 0 ? Math.Sqrt(s) : throw new InvalidOperationException("the damped Hessian is not positive definite");
                }
                else
                {
                    rowI[j] = s / rowJ[j];
                }
            }
            rowI[(i + 1)..].Clear();
        }
        // Lᵀ row-major, so L's columns read contiguously; then X = L⁻¹ row by row from X L = I, j from i down.
        var lt = new double[(long)d * d];
        for (int a = 0; a < d; a++)
        {
            for (int b = 0; b <= a; b++)
            {
                lt[(long)b * d + a] = l[(long)a * d + b];
            }
        }
        var x = l; // L is no longer needed once transposed.
        Array.Clear(x);
        for (int i = 0; i < d; i++)
        {
            var rowX = x.AsSpan((int)((long)i * d), d);
            for (int j = i; j >= 0; j--)
            {
                double s = (j == i ? 1.0 : 0.0) - Dot(rowX[(j + 1)..(i + 1)], lt.AsSpan((int)((long)j * d + j + 1), i - j));
                rowX[j] = s / lt[(long)j * d + j];
            }
        }
        // U = P X P.
        var u = lt;
        for (int a = 0; a < d; a++)
        {
            for (int b = 0; b < d; b++)
            {
                u[(long)a * d + b] = x[(long)(d - 1 - a) * d + (d - 1 - b)];
            }
        }
        return u;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = Vector<double>.Zero;
        int i = 0;
        for (; i <= a.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            sum += new Vector<double>(a[i..]) * new Vector<double>(b[i..]);
        }
        double total = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }
        return total;
    }

    /// <summary>y += alpha · x.</summary>
    private static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        var factor = new Vector<double>(alpha);
        int i = 0;
        for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            (new Vector<double>(y[i..]) + factor * new Vector<double>(x[i..])).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }
}
