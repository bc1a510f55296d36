#!/bin/sh
# Runs a command with the Vulkan validation layer (and synchronization
# validation) enabled and fails when it prints any validation message,
# whatever its exit status.
out=$(MOSAIC_VK_VALIDATION=1 "$@" 2>&1)
status=$?
printf '%s\n' "$out"
if printf '%s\n' "$out" | grep -q "vulkan validation"; then
	echo "FAIL: the validation layer reported problems (lines with 'vulkan validation')"
	exit 1
fi
exit $status
