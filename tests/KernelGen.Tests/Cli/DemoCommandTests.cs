using KernelGen.Tests.Support;

namespace KernelGen.Tests.Cli;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class DemoCommandTests
{
    [Fact]
    public void Demo_runs_on_the_shipped_scan_and_passes_its_checks()
    {
        var result = CliRunner.Run("demo", "--accelerator", "cpu");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("sample_velodyne_hdl32.pcap revolution 1", result.Output);
        Assert.Contains("identical: yes", result.Output);
        Assert.DoesNotContain("FAILED", result.Output);
        Assert.EndsWith("demo passed", result.Output.TrimEnd());
    }

    [Fact]
    public void Demo_takes_its_layers_and_voxel_config_from_the_description()
    {
        var result = CliRunner.Run("demo", "--accelerator", "cpu", "--model", "second");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("(kitti)", result.Output);
        Assert.Contains("layer    conv_input (SubM 4 → 16", result.Output);
        Assert.Contains("layer    conv2.0 (Sparse 16 → 32", result.Output);
        Assert.EndsWith("demo passed", result.Output.TrimEnd());
    }

    [Fact]
    public void Demo_reports_a_missing_input_file()
    {
        var result = CliRunner.Run("demo", "--input", "/nonexistent/scan.bin");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot read scan '/nonexistent/scan.bin'", result.Error);
    }
}
