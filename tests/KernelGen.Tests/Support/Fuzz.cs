using CsCheck;

namespace KernelGen.Tests.Support;

/// <summary>
/// Property checks over CsCheck generators that are the same on every run: case i comes from a fixed stream and seed,
/// so CI sees the same few thousand inputs each time and a failure names the case and its CsCheck seed
/// (<c>gen.Sample(…, seed: "…")</c> replays it and shrinks from there). <c>KERNELGEN_FUZZ_CASES=N</c> runs N cases per
/// property instead, for a longer search.
/// </summary>
public static class Fuzz
{
    /// <summary>How long one case may take before it counts as a hang.</summary>
    public static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="property"/> on <paramref name="cases"/> generated values (or KERNELGEN_FUZZ_CASES).</summary>
    public static void Check<T>(Gen<T> gen, Action<T> property, int cases, uint stream, Func<T, string>? describe = null)
    {
        var pcg = new PCG(stream, 0x5EED_0000_0000_0000UL + stream);
        int total = int.TryParse(Environment.GetEnvironmentVariable("KERNELGEN_FUZZ_CASES"), out int n) && n > 0 ? n : cases;
        for (int i = 0; i < total; i++)
        {
            ulong state = pcg.State;
            var value = gen.Generate(pcg, null!, out _);
            var run = Task.Run(() => property(value));
            bool finished;
            try
            {
                finished = run.Wait(CaseLimit);
            }
            catch (AggregateException e) when (e.InnerException is { } inner)
            {
                throw new Xunit.Sdk.XunitException(
                    $"case {i} of {total} (CsCheck seed {pcg.ToString(state)}) {describe?.Invoke(value)}: {inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}");
            }
            if (!finished)
            {
                throw new Xunit.Sdk.XunitException($"case {i} of {total} (CsCheck seed {pcg.ToString(state)}) {describe?.Invoke(value)}: no answer within {CaseLimit.TotalSeconds} s (a hang)");
            }
        }
    }

    /// <summary>
    /// The reader's contract on one input: it returns a result that <paramref name="check"/> accepts, or it throws
    /// <typeparamref name="TError"/> with a one-line message. Any other exception is a failure.
    /// </summary>
    public static void ReturnsOrRefuses<TResult, TError>(Func<TResult> read, Action<TResult> check) where TError : Exception
    {
        TResult result;
        try
        {
            result = read();
        }
        catch (TError e) when (e.GetType() == typeof(TError))
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), "an error without a message");
            Assert.DoesNotContain('\n', e.Message);
            return;
        }
        check(result);
    }

    /// <summary>
    /// A valid file damaged by 1–3 edits: truncated, a byte changed, a range overwritten, bytes inserted, or junk
    /// appended — what a disk, a transfer or a wrong tool does to a file.
    /// </summary>
    public static Gen<byte[]> Damaged(byte[] valid) =>
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, int.MaxValue], Gen.Byte.Array[1, 16], (kind, at, bytes) => (kind, at, bytes))
            .Array[1, 3]
            .Select(edits =>
            {
                var file = new List<byte>(valid);
                foreach (var (kind, at, bytes) in edits)
                {
                    int position = file.Count == 0 ? 0 : at % file.Count;
                    switch (kind)
                    {
                        case 0:
                            file.RemoveRange(position, file.Count - position);
                            break;
                        case 1 when file.Count > 0:
                            file[position] = bytes[0];
                            break;
                        case 2:
                            for (int i = 0; i < bytes.Length && position + i < file.Count; i++)
                            {
                                file[position + i] = bytes[i];
                            }
                            break;
                        case 3:
                            file.InsertRange(position, bytes);
                            break;
                        default:
                            file.AddRange(bytes);
                            break;
                    }
                }
                return file.ToArray();
            });
}
