#!/bin/sh
# Runs a Vulkan test binary under the validation layer where it is known to
# fail on validation messages, each named on the command line, and nothing
# else:
#   known-validation-messages.sh BINARY VUID...
# For a meson test with should_fail: true. Exit status:
#   1   it failed, on validation messages that are all among the VUIDs given
#       (the expected failure);
#   0   it passed: the known problems are gone and the expectation is out of
#       date (meson reports an unexpected pass);
#   77  the binary skipped;
#   99  any other failure: an assertion, a crash, or a message not listed
#       (meson reports an ERROR whatever should_fail says).
bin=$1
shift
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
out=$(MOSAIC_VK_VALIDATION=1 "$bin" 2>&1)
status=$?
printf '%s\n' "$out"
case $status in
0) echo "known-validation-messages: passes: the known messages ($*) are gone"; exit 0 ;;
77) exit 77 ;;
esac
if printf '%s\n' "$out" | grep -q -e 'error: Failure!' -e 'Aborted' -e 'Assertion'; then
	echo "known-validation-messages: failed on more than validation messages"
	exit 99
fi
seen=$(printf '%s\n' "$out" | grep -o 'VUID-[A-Za-z0-9_-]*' | sort -u)
if [ -z "$seen" ]; then
	echo "known-validation-messages: failed (status $status) without a validation message"
	exit 99
fi
for v in $seen; do
	case " $* " in
	*" $v "*) ;;
	*) echo "known-validation-messages: unexpected validation message $v"; exit 99 ;;
	esac
done
echo "known-validation-messages: failed only on the known" $seen
exit 1
