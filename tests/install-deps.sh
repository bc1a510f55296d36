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
apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential meson ninja-build pkg-config python3 binutils \
	libpixman-1-dev libdrm-dev libgbm-dev libpng-dev libjson-c-dev libcmocka-dev \
	libwayland-dev wayland-protocols libvulkan-dev libvulkan-volk-dev glslang-tools \
	mesa-vulkan-drivers vulkan-validationlayers vulkan-tools \
	libegl-dev libgles-dev libegl-mesa0 libgl1-mesa-dri \
	weston foot fonts-dejavu-core xkb-data
