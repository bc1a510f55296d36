#!/bin/sh
# Builds the libFuzzer targets of tests/fuzz in build-fuzz (clang, ASan and
# UBSan) and runs each for a bounded time, starting from its checked-in
# corpus (tests/fuzz/corpus/TARGET). Fails on any crash, sanitizer report,
# leak or timeout; the input that caused it is left in
# build-fuzz/fuzz-out/TARGET/ (crash-*, leak-*, timeout-*). Prints one line
# per target: total execs and execs/s.
#
#   tests/fuzz/run.sh [--seconds N | --minutes N] [TARGET...]
#
# TARGET: scene, api, api-vulkan (fuzz-api on lavapipe), linux-dmabuf, wl-shm,
# wl-shm-vulkan (fuzz-wl-shm on lavapipe);
# default: all of them (the -vulkan ones only where lavapipe is installed and the
# build has the Vulkan renderer). New inputs the fuzzer finds go to
# build-fuzz/fuzz-out/TARGET/corpus, not into the tree.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${MOSAIC_FUZZ_BUILD:-$top/build-fuzz}
seconds=60
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--minutes) seconds=$(($2 * 60)); shift 2 ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done

lvp_icd=/usr/share/vulkan/icd.d/lvp_icd.json
renderers='[]'
if pkg-config --exists vulkan && [ -f "$lvp_icd" ]; then
	renderers='vulkan'
fi
# An existing build directory is kept as it is (ninja reconfigures it when
# a meson.build changed): delete it to change its options.
if [ ! -d "$build/meson-private" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbenchmarks=false -Drenderers="$renderers" >/dev/null
fi
if ! grep -q "fuzz-api" "$build/build.ninja"; then
	echo "run.sh: $build was not configured with -Dfuzz=true" >&2
	exit 1
fi

if [ $# -eq 0 ]; then
	set -- scene api linux-dmabuf wl-shm
	if grep -q "vulkan/" "$build/build.ninja" && [ -f "$lvp_icd" ]; then
		set -- "$@" api-vulkan wl-shm-vulkan
	fi
fi
programs=
for t in "$@"; do
	programs="$programs tests/fuzz/fuzz-${t%-vulkan}"
done
# shellcheck disable=SC2086 # one word per program
ninja -C "$build" $programs >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for t in "$@"; do
	program=$build/tests/fuzz/fuzz-${t%-vulkan}
	out=$build/fuzz-out/$t
	mkdir -p "$out/corpus"
	log=$out/log.txt
	lsan=
	backend=
	if [ "$t" != "${t%-vulkan}" ]; then
		lsan=suppressions=$top/tests/fuzz/lsan-vulkan.supp
		backend=vulkan
	fi
	r=0
	LSAN_OPTIONS=$lsan MOSAIC_FUZZ_BACKEND=$backend VK_ICD_FILENAMES=$lvp_icd \
		"$program" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
		-artifact_prefix="$out/" "$out/corpus" "$top/tests/fuzz/corpus/${t%-vulkan}" \
		>"$log" 2>&1 || r=$?
	# pixman refuses bad arguments with a *** BUG *** line on stderr and
	# carries on: for the fuzzer that is a failure like any other.
	if [ $r -eq 0 ] && grep -q '^\*\*\* BUG \*\*\*' "$log"; then
		r=1
		grep -A1 '^\*\*\* BUG \*\*\*' "$log" | head -n 4
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ $r -ne 0 ]; then
		status=1
		echo "fuzz $t: FAILED (exit $r) after ${execs:-?} execs; see $log:"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' \
			"$log" | head -n 8
	else
		echo "fuzz $t: ${execs:-?} execs, ${rate:-?} execs/s in ${seconds}s, no crash"
	fi
done
exit $status
