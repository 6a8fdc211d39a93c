using ApprovalTests;
using ApprovalTests.Reporters;
using PublicApiGenerator;

namespace KernelGen.Tests.PublicApi;

/// <summary>
/// The runtime's public surface, pinned: every change of a public type or member shows up as a diff of
/// <c>PublicApiTests.The_runtime_api_is_the_approved_one.approved.txt</c> to review and approve (copy the
/// <c>.received.txt</c> over it). The types generated code calls live in <c>KernelGen.__Internals</c>, hidden from
/// IntelliSense; everything else public is what a user calls.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    [UseReporter(typeof(QuietReporter))]
    public void The_runtime_api_is_the_approved_one()
    {
        string api = typeof(SparseConv3dAttribute).Assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"],
        });
        Approvals.Verify(api);
    }

    [Fact]
    public void Generated_code_helpers_are_hidden_from_intellisense()
    {
        var internals = typeof(SparseConv3dAttribute).Assembly.GetExportedTypes().Where(t => t.Namespace == "KernelGen.__Internals").ToList();
        Assert.NotEmpty(internals);
        Assert.All(internals, t => Assert.True(
            t.GetCustomAttributes(typeof(System.ComponentModel.EditorBrowsableAttribute), false)
                .Cast<System.ComponentModel.EditorBrowsableAttribute>().Any(a => a.State == System.ComponentModel.EditorBrowsableState.Never),
            $"{t.FullName} is for generated code but shows in IntelliSense"));
    }
}
