#!/bin/sh
# The whole test suite, from a fresh Debian 12 machine: installs the
# dependencies, builds with -Werror, runs every suite (the DRM suite inside the
# test VM), then again under ASan+UBSan with every backend, then with the
# pixman backend alone, then each fuzz target for 45 s (tests/fuzz/run.sh).
# Prints one closing line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#
# MOSAIC_REQUIRE_SUITES="a b": a skipped test in one of these suites counts as
# a failure (CI sets it for the suites that must run on its machines).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

"$top/tests/install-deps.sh"
# The DRM test VM (tests/vm): its packages and its image, cached after the first run.
"$top/tests/vm/setup.sh"

status=0
# run_suite BUILD_DIR REQUIRED_SUITES [meson test arguments]
run_suite() {
	dir=$1
	required=$2
	shift 2
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
	python3 "$top/tests/summarize.py" "$dir/meson-logs/testlog.json" \
		"$required" >"$dir/summary.txt" || status=1
	cat "$dir/summary.txt"
}

# setup_build DIR [meson options]: configures DIR, keeping an existing one.
setup_build() {
	dir=$1
	shift
	if [ -d "$dir/meson-private" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
	ninja -C "$dir"
}

setup_build build -Dwerror=true
run_suite build "${MOSAIC_REQUIRE_SUITES:-}"

# Memory and undefined-behaviour errors, with every backend: the core, the
# three renderers on lavapipe and llvmpipe, the Wayland glue and mosaic-nested,
# and the fuzz corpora replayed. What the GPU drivers themselves leak is
# suppressed by library name (tests/lsan-drivers.supp), never mosaic's own.
setup_build build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Drenderers=auto -Dbenchmarks=false
run_suite build-asan "core conformance vulkan gles wayland fuzz" --suite core \
	--suite conformance --suite vulkan --suite gles --suite wayland --suite fuzz

# A build with the pixman backend only: what a compositor sees of backends that
# were not built. The conformance runner has nothing to compare there (it
# still draws every scene), so only core must not skip.
setup_build build-pixman -Dwerror=true -Drenderers=[] -Dbenchmarks=false
run_suite build-pixman "core" --suite core --suite conformance

# The libFuzzer targets (tests/fuzz, clang), 45 s each from their checked-in
# corpus: any crash, sanitizer report, leak or timeout fails the run.
"$top/tests/fuzz/run.sh" --seconds 45 || status=1

python3 "$top/tests/summarize.py" --total build/meson-logs/testlog.json \
	build-asan/meson-logs/testlog.json build-pixman/meson-logs/testlog.json
exit $status
