#!/bin/sh
# The DRM test binaries, inside the test VM (tests/vm/run.sh runs this): each
# binary given on the command line runs in turn. A line per binary gives its
# result and time; the exit status is 1 when one failed, 77 when every one
# skipped, 0 otherwise.
echo "DRM nodes:" $(ls /dev/dri 2>/dev/null)
failed=0
passed=0
skipped=0
for t in "$@"; do
	name=$(basename "$t")
	echo "=== $name"
	start=$(cut -d' ' -f1 /proc/uptime)
	"$t"
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	secs=$(awk "BEGIN { printf \"%.1f\", $end - $start }")
	case $rc in
	0) echo "=== $name: PASS (${secs}s)"; passed=$((passed + 1)) ;;
	77) echo "=== $name: SKIP (${secs}s)"; skipped=$((skipped + 1)) ;;
	*) echo "=== $name: FAIL, exit status $rc (${secs}s)"; failed=$((failed + 1)) ;;
	esac
done
echo "drm-vm: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || exit 1
[ "$passed" -gt 0 ] || exit 77
exit 0
