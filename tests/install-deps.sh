#!/bin/sh
# Installs what building mosaic and running its test suite needs, from Debian 12
# packages. Run as root (or with sudo available). Safe to run again.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Mesa 25 and libdrm 2.4.123 from bookworm-backports (Debian's own archive):
# lavapipe imports dmabufs there, and EGL surfaceless imports them too. Only
# these packages follow backports (pin 990); everything else stays on bookworm
# (weston 10, meson 1.0, wayland 1.21). Both files are rewritten on every run,
# so a fresh machine and one set up before end in the same state.
MESA_BACKPORTS="mesa-vulkan-drivers mesa-libgallium libegl-mesa0 libgl1-mesa-dri
	libglx-mesa0 libgbm1 libgbm-dev libgl1-mesa-dev libdrm2 libdrm-dev libdrm-common
	libdrm-amdgpu1 libdrm-intel1 libdrm-nouveau2 libdrm-radeon1"
cat >/etc/apt/sources.list.d/mosaic-bookworm-backports.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
{
	echo "# Written by mosaic's tests/install-deps.sh: Mesa and libdrm from bookworm-backports."
	echo "Package: $(echo $MESA_BACKPORTS)"
	echo "Pin: release n=bookworm-backports"
	echo "Pin-Priority: 990"
} >/etc/apt/preferences.d/mosaic-mesa-backports

# The DRM test VM's kernel (bookworm-backports' 6.12, for udmabuf) needs only
# the source above: tests/vm/setup.sh installs it by its exact name and version.

apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential meson ninja-build pkg-config python3 binutils \
	libpixman-1-dev libdrm-dev libgbm-dev libpng-dev libjson-c-dev libcmocka-dev \
	libwayland-dev wayland-protocols libvulkan-dev libvulkan-volk-dev glslang-tools \
	mesa-vulkan-drivers vulkan-validationlayers vulkan-tools \
	libegl-dev libgles-dev libegl-mesa0 libgl1-mesa-dri \
	libinput-dev libxkbcommon-dev libudev-dev \
	weston foot fonts-dejavu-core xkb-data \
	clang libclang-rt-14-dev \
	$MESA_BACKPORTS
