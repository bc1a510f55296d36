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

# The VM's kernel: bookworm-backports' 6.12, named exactly (package names carry
# the ABI, so this one never changes under an upgrade). It has udmabuf built in,
# which Mesa's llvmpipe/lavapipe need to export dmabufs; Debian 12's own 6.1
# has no udmabuf (see README.md). MOSAIC_VM_KVER picks another installed Debian
# kernel that has its headers and its linux-source tarball.
VM_DEFAULT_KVER=6.12.95+deb12-amd64
# The Debian version of that kernel's packages, and so of the linux-source-6.12
# that vkms is built from (bookworm-security carries newer 6.12 sources).
VM_DEFAULT_KVERSION=6.12.95-1~bpo12+1

vm_kernel_version() {
	echo "${MOSAIC_VM_KVER:-$VM_DEFAULT_KVER}"
}

# What the cached image is made of: a change to any of these rebuilds it.
vm_inputs_hash() {
	cat "$VM_DIR/common.sh" "$VM_DIR/setup.sh" "$VM_DIR/init" \
		"$VM_DIR/vkms-possible-clones.patch" /bin/busybox 2>/dev/null | sha256sum | cut -c1-16
}
