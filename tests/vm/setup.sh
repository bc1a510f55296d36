#!/bin/sh
# Prepares the DRM test VM from Debian 12 packages (run as root the first time,
# or once the packages below are installed):
#   - bookworm-backports' 6.12 kernel (udmabuf built in) and its vgem module;
#     the host's own kernel, /boot entries aside, is not touched;
#   - vkms, which Debian does not build (CONFIG_DRM_VKMS is unset), built out of
#     tree from that kernel's linux-source against its linux-headers, with the
#     possible_clones fix so the output and the writeback connector can share a
#     CRTC;
#   - the uncompressed vmlinux (qemu boots it through its PVH entry, which
#     saves the decompressor: ~2.5 s per boot under TCG);
#   - an initramfs: busybox-static, the init script beside this file and the
#     modules in load order.
# The backports packages are named exactly (kernel and headers by their ABI
# name, linux-source-6.12 by version), so a fresh machine and an upgraded one
# install the same ones; the bookworm-backports source is configured by
# tests/install-deps.sh. Everything lands in the cache (see common.sh); a second
# run checks the stamp and returns at once. /boot and /lib/modules are only read.
#
# Usage: tests/vm/setup.sh [--force]
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

# NAME or NAME=VERSION (that exact version must be installed).
PACKAGES="qemu-system-x86 linux-image-$VM_DEFAULT_KVER linux-headers-$VM_DEFAULT_KVER
	linux-source-6.12=$VM_DEFAULT_KVERSION
	busybox-static build-essential bc flex bison libelf-dev kmod cpio xz-utils
	libgl1-mesa-dri libgbm1"

force=0
[ "${1:-}" = --force ] && force=1

missing=
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status} ${Version}' "${p%%=*}" 2>/dev/null) || st=
	case "$p" in
	*=*) [ "$st" = "install ok installed ${p#*=}" ] || missing="$missing $p" ;;
	*) case "$st" in "install ok installed "*) ;; *) missing="$missing $p" ;; esac ;;
	esac
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "mosaic-vm: missing Debian packages (install them as root):$missing" >&2
		exit 1
	fi
	echo "mosaic-vm: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# The package lists may be missing (fresh container) or stale. An exact
	# version may be older than the candidate (linux-source-6.12 from
	# bookworm-security): --allow-downgrades.
	install="apt-get install -y --no-install-recommends --allow-downgrades"
	$install $missing || { apt-get update && $install $missing; } || {
		echo "mosaic-vm: cannot install$missing (is bookworm-backports configured?" \
			"tests/install-deps.sh does that)" >&2
		exit 1
	}
fi

KVER=$(vm_kernel_version)
if [ ! -d "/lib/modules/$KVER/build" ] || [ ! -f "/boot/vmlinuz-$KVER" ]; then
	echo "mosaic-vm: no Debian kernel $KVER with its headers installed" >&2
	exit 1
fi
# linux-source-6.12 for 6.12.N+deb12-amd64, linux-source-6.1 for 6.1.0-N-amd64
SRC_TAR=/usr/src/linux-source-$(echo "$KVER" | cut -d. -f1-2).tar.xz
OUT=$VM_CACHE/$KVER
HASH=$(vm_inputs_hash)
mkdir -p "$VM_CACHE"
# Two test runs (build, build-asan) may find a stale image at the same time.
exec 9>"$VM_CACHE/.lock"
flock 9
if [ "$force" = 0 ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$HASH" ]; then
	echo "mosaic-vm: $OUT is up to date"
	exit 0
fi

WORK=$(mktemp -d "$VM_CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "mosaic-vm: building for $KVER in $OUT"
# One pass over the 130 MB tarball for both things it provides.
TOP=$(basename "$SRC_TAR" .tar.xz)
tar -C "$WORK" -xJf "$SRC_TAR" "$TOP/scripts/extract-vmlinux" "$TOP/drivers/gpu/drm/vkms"

# vkms: unsigned, so it taints the kernel, but it loads (no MODULE_SIG_FORCE).
mv "$WORK/$TOP/drivers/gpu/drm/vkms" "$WORK/vkms"
patch -s -d "$WORK/vkms" -p1 < "$VM_DIR/vkms-possible-clones.patch"
make -s -C "/lib/modules/$KVER/build" M="$WORK/vkms" CONFIG_DRM_VKMS=m \
	-j"$(nproc)" modules
mkdir -p "$WORK/out"
cp "$WORK/vkms/vkms.ko" "$WORK/out/vkms.ko"

sh "$WORK/$TOP/scripts/extract-vmlinux" "/boot/vmlinuz-$KVER" > "$WORK/out/vmlinux"

# The initramfs. Load order decides device numbers: vkms before vgem makes vkms
# card0 (the node EGL's GBM platform opens by default), vgem card1 and
# renderD128. "@vkms" is where the out-of-tree module goes, after the modules
# it depends on. udmabuf is built into 6.12 (CONFIG_UDMABUF=y): nothing to load.
# uinput and evdev: virtual input devices as /dev/input/eventN (mosaic-kms'
# input tests).
MODULES="virtio_pci 9pnet_virtio 9p overlay $(modinfo -F depends "$WORK/out/vkms.ko" |
	tr , ' ') @vkms vgem evdev uinput"
R=$WORK/initramfs
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/lib/modules"
cp /bin/busybox "$R/bin/busybox"
cp "$VM_DIR/init" "$R/init"
chmod 755 "$R/init"
# Built-in ones print "builtin NAME" and are skipped. 6.12's modules are
# xz-compressed, which busybox's insmod cannot load: stored decompressed.
for m in $MODULES; do
	if [ "$m" = @vkms ]; then
		echo "$WORK/out/vkms.ko"
	else
		modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	fi
done | awk '!seen[$0]++' | while read -r ko; do
	name=$(basename "$ko")
	case "$name" in
	*.xz) name=${name%.xz}; xz -dc "$ko" > "$R/lib/modules/$name" ;;
	*) cp "$ko" "$R/lib/modules/$name" ;;
	esac
	echo "$name" >> "$R/modules.order"
done
(cd "$R" && find . | cpio -o -H newc --quiet) | gzip -1 > "$WORK/out/initramfs.cpio.gz"

echo "$HASH" > "$WORK/out/stamp"
rm -rf "$OUT"
mv "$WORK/out" "$OUT"
echo "mosaic-vm: ready: $(ls "$OUT" | tr '\n' ' ')"
