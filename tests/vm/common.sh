# Shared by setup.sh and run.sh (sourced, POSIX sh).
#
# The VM image is built from the host's Debian packages and cached per kernel
# version under $MOSAIC_VM_CACHE (default: /var/cache/mosaic-vm for root,
# ${XDG_CACHE_HOME:-~/.cache}/mosaic-vm otherwise). An entry is valid while its
# stamp matches the hash of the files that went into it.

VM_DIR=$(cd "$(dirname "$0")" && pwd)

if [ -n "${MOSAIC_VM_CACHE:-}" ]; then
	VM_CACHE=$MOSAIC_VM_CACHE
elif [ "$(id -u)" = 0 ]; then
	VM_CACHE=/var/cache/mosaic-vm
else
	VM_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/mosaic-vm
fi

# Debian's kernel, not the host's running one: the newest *-amd64 module tree.
vm_kernel_version() {
	if [ -n "${MOSAIC_VM_KVER:-}" ]; then
		echo "$MOSAIC_VM_KVER"
		return
	fi
	ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -n 1
}

# What the cached image is made of: a change to any of these rebuilds it.
vm_inputs_hash() {
	cat "$VM_DIR/setup.sh" "$VM_DIR/init" "$VM_DIR/vkms-possible-clones.patch" \
		/bin/busybox 2>/dev/null | sha256sum | cut -c1-16
}
