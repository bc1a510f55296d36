#!/bin/bash
# Runs a command inside the DRM test VM and exits with its status.
#
# Usage: tests/vm/run.sh COMMAND [ARG...]
#
# The VM (prepared by setup.sh, see there) boots Debian's kernel under qemu's
# TCG with vkms (/dev/dri/card0, KMS with a writeback connector) and vgem
# (/dev/dri/card1, /dev/dri/renderD128) loaded. The host's root file system is
# shared read-only and mounted under a tmpfs overlay, so the command sees the
# host tree at the same paths, may write anywhere, and every write is gone at
# power off. It runs as root, in the current directory, with the environment
# variables listed in FORWARD below; its output comes back on stdout.
#
# Never KVM: on the machines this runs on /dev/kvm, where present, is nested
# virtualisation that runs guest kernel code over 100 times slower than TCG.
#
# Exit status: the command's; 77 when the VM cannot run here (no qemu, no
# prepared image; one line says why) unless MOSAIC_VM_REQUIRED=1, which makes
# that a failure (1); 124 on timeout; 125 when the VM reported no status.
#
# Environment: MOSAIC_VM_TIMEOUT (seconds, default 600), MOSAIC_VM_MEM
# (default 2G), MOSAIC_VM_SMP (default: 2), MOSAIC_VM_CACHE and MOSAIC_VM_KVER
# (see common.sh).
set -u
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

FORWARD='^(MOSAIC_|ASAN_|UBSAN_|LSAN_|CMOCKA_|MESA_|LIBGL_|EGL_|GALLIUM_|VK_|LP_)'

skip() {
	if [ "${MOSAIC_VM_REQUIRED:-0}" = 1 ]; then
		echo "mosaic-vm: $* (and MOSAIC_VM_REQUIRED=1)" >&2
		exit 1
	fi
	echo "mosaic-vm: skipped: $*"
	exit 77
}

[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed (run tests/vm/setup.sh as root)"
KVER=$(vm_kernel_version)
[ -n "$KVER" ] || skip "no Debian kernel in /lib/modules (run tests/vm/setup.sh as root)"
HASH=$(vm_inputs_hash)
IMAGE=$VM_CACHE/$KVER
# A user's tests may use the image root prepared (setup.sh run by root).
if [ "$(cat "$IMAGE/stamp" 2>/dev/null)" != "$HASH" ] && [ -z "${MOSAIC_VM_CACHE:-}" ] &&
		[ "$(cat "/var/cache/mosaic-vm/$KVER/stamp" 2>/dev/null)" = "$HASH" ]; then
	IMAGE=/var/cache/mosaic-vm/$KVER
fi
if [ "$(cat "$IMAGE/stamp" 2>/dev/null)" != "$HASH" ]; then
	# Stale or missing: rebuilding needs only the packages, not root.
	"$VM_DIR/setup.sh" >&2 || skip "the VM image cannot be prepared (see above)"
fi

# The script the guest runs: forwarded environment, then the command.
CMDFILE=$(mktemp /tmp/mosaic-vm.XXXXXX)
trap 'rm -f "$CMDFILE"' EXIT
{
	env | grep -E "$FORWARD" | grep -v '^MOSAIC_VM_' | while IFS= read -r kv; do
		printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
	done
	printf '%q ' "$@"
	echo
} > "$CMDFILE"
chmod 644 "$CMDFILE"

# The host root, read-only; remap keeps inode numbers unique across its mounts.
HOSTROOT=local,path=/,mount_tag=hostroot,id=hostroot,security_model=none,readonly=on
HOSTROOT=$HOSTROOT,multidevs=remap

t0=$EPOCHREALTIME
rc=125
qemu_rc=0
boot=none
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%$'\r'}
	case "$line" in
	VMTEST_START*) boot=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }") ;;
	VMTEST_RC=*) rc=${line#VMTEST_RC=} ;;
	VMTEST_QEMU_EXIT=*) qemu_rc=${line#VMTEST_QEMU_EXIT=} ;;
	*"reboot: Power down"* | *"fw_cfg item names should be prefixed"*) ;;
	*) printf '%s\n' "$line" ;;
	esac
done < <(timeout "${MOSAIC_VM_TIMEOUT:-600}" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -m "${MOSAIC_VM_MEM:-2G}" -smp "${MOSAIC_VM_SMP:-2}" \
	-nographic -no-reboot -nodefaults -serial stdio \
	-fw_cfg name=etc/sercon-port,string=0 \
	-kernel "$IMAGE/vmlinux" -initrd "$IMAGE/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 vmtest.cmd=$CMDFILE vmtest.cwd=$PWD" \
	-virtfs "$HOSTROOT" \
	</dev/null 2>&1; echo "VMTEST_QEMU_EXIT=$?")
if [ "$rc" = 125 ]; then
	if [ "$qemu_rc" = 124 ]; then
		echo "mosaic-vm: timed out after ${MOSAIC_VM_TIMEOUT:-600}s" >&2
		rc=124
	else
		echo "mosaic-vm: the VM reported no exit status (qemu exit status $qemu_rc)" >&2
	fi
fi
total=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }")
echo "mosaic-vm: boot-to-command ${boot}s, total ${total}s, exit status $rc" >&2
exit "$rc"
