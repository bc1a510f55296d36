#!/bin/sh
# Runs a command with the Vulkan validation layer (and synchronization
# validation) enabled and fails when it prints any validation message,
# whatever its exit status.
found=no
for dir in ${VK_LAYER_PATH:-} ${VK_ADD_LAYER_PATH:-} /usr/share/vulkan/explicit_layer.d \
		/usr/local/share/vulkan/explicit_layer.d /etc/vulkan/explicit_layer.d; do
	if grep -qs VK_LAYER_KHRONOS_validation "$dir"/*.json; then
		found=yes
	fi
done
if [ $found = no ]; then
	echo "the Vulkan validation layer is not installed"
	exit 77
fi
out=$(MOSAIC_VK_VALIDATION=1 "$@" 2>&1)
status=$?
printf '%s\n' "$out"
if printf '%s\n' "$out" | grep -q "validation layer is not installed"; then
	echo "the Vulkan validation layer is not installed"
	exit 77
fi
if printf '%s\n' "$out" | grep -q "vulkan validation"; then
	echo "FAIL: the validation layer reported problems (lines with 'vulkan validation')"
	exit 1
fi
exit $status
