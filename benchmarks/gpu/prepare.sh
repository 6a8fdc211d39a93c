#!/usr/bin/env bash
# Prepares everything the GPU machine needs (it has CUDA, PyTorch and Python, but no .NET) in .gpu/ (git-ignored):
# the runtime test executable (xunit.v3) and the kernelgen CLI, published self-contained into one folder so they share
# one .NET runtime, packed as .gpu/app.tar.xz; the shared KITTI frame and the PyTorch peer (../shared does not travel).
# Then: device `run` with carry [".gpu/app.tar.xz", ".gpu/data"] and
#       command "benchmarks/gpu/run-on-device.sh $OUT".
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qxF "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >> .git/info/exclude
rm -rf .gpu/app .gpu/app.tar.xz .gpu/data
for project in tests/KernelGen.Tests/KernelGen.Tests.csproj runtime/KernelGen.Cli/KernelGen.Cli.csproj; do
  dotnet publish "$project" -c Release -r linux-x64 --self-contained true -p:InvariantGlobalization=true \
    -p:DebugType=none -p:GenerateDocumentationFile=false -o .gpu/app >/dev/null
done
# Not needed on the device: satellite resources, code coverage, other platforms' native libraries.
(cd .gpu/app && rm -rf CodeCoverage cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant alpine arm64 macos x86 win-*)
tar -C .gpu -cJf .gpu/app.tar.xz app
mkdir -p .gpu/data
cp ../shared/data/lidar/kitti_raw_2011_09_26_drive_0079_extract_0000000000.bin.gz .gpu/data/frame.bin.gz
cp ../shared/peers/torch_sparse_backbone.py .gpu/data/
du -sh .gpu/app.tar.xz .gpu/data
