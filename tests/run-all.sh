#!/bin/sh
# The whole test suite, from a fresh Debian 12 machine: installs the
# dependencies, builds with -Werror, runs every suite (the DRM suite inside the
# test VM), then the core suites again under ASan+UBSan. Prints one closing line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#
# MOSAIC_REQUIRE_SUITES="a b": a skipped test in one of these suites counts as
# a failure (CI sets it for the suites that must run on its machines).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

"$top/tests/install-deps.sh"

status=0
run_suite() {
	dir=$1
	shift
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
	python3 "$top/tests/summarize.py" "$dir/meson-logs/testlog.json" \
		"${MOSAIC_REQUIRE_SUITES:-}" >"$dir/summary.txt" || status=1
	cat "$dir/summary.txt"
}

if [ ! -d build ]; then
	meson setup build -Dwerror=true
else
	meson setup --reconfigure build -Dwerror=true
fi
ninja -C build
run_suite build

# Memory and undefined-behaviour errors in the core and the reference backend.
if [ ! -d build-asan ]; then
	meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dexamples=true -Dbenchmarks=false
fi
ninja -C build-asan
run_suite build-asan --suite core --suite conformance --suite wayland

python3 "$top/tests/summarize.py" --total build/meson-logs/testlog.json \
	build-asan/meson-logs/testlog.json
exit $status
