using BenchmarkDotNet.Running;

namespace KernelGen.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project benchmarks/KernelGen.Benchmarks -- --filter '*KernelMap*'
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
