#!/bin/sh
# Runs the test suite and the benchmarks of an existing build on a machine that
# has the build tree but not the build tools (e.g. a GPU machine reached
# remotely), with Debian's loader packages unpacked from .gl/*.deb:
#
#     bench/gpu-machine.sh [OUT_DIR]
#
# The build was configured in /work/main: the tree is linked there so that the
# absolute paths in the build directory hold.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/gpu-results}
mkdir -p "$out"
for f in "$top"/.gl/*.deb; do dpkg -x "$f" /; done
ldconfig
if [ "$top" != /work/main ]; then
	mkdir -p /work && ln -sfn "$top" /work/main
fi
cd /work/main
# NVIDIA's ICD and EGL vendor files live outside the loaders' search paths there.
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] &&
	export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] &&
	export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
nvidia-smi -L 2>/dev/null
vulkaninfo --summary 2>&1 | sed -n '/^Devices/,$p' | head -20
python3 tests/run-introspected.py build ${SUITES:-} 2>&1 | tee "$out/tests.txt"
for r in vulkan gles pixman; do
	for b in upload quads windows; do
		echo "== bench-$b --renderer $r"
		build/bench/bench-$b --renderer $r ${BENCH_ARGS:-}
	done
done 2>&1 | tee "$out/bench.txt"
# The compute path's tile shapes (bench-windows above compares it with the graphics path).
for t in 16x16 32x8 8x8 64x4; do
	echo "== bench-windows --renderer vulkan, MOSAIC_VK_PATH=compute MOSAIC_VK_COMPUTE_TILE=$t"
	MOSAIC_VK_PATH=compute MOSAIC_VK_COMPUTE_TILE=$t build/bench/bench-windows --renderer vulkan \
		${BENCH_ARGS:-}
done 2>&1 | tee "$out/bench-tiles.txt"
