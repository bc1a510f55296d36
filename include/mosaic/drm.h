#ifndef MOSAIC_DRM_H
#define MOSAIC_DRM_H

/**
 * DRM devices: finding the GPUs (and display controllers) of the machine,
 * opening one, and telling which device an fd belongs to.
 *
 *     struct mosaic_drm_device *devices;
 *     int n = mosaic_drm_list_devices(0, &devices);
 *     for (int i = 0; i < n; i++) {
 *             printf("%s %s\n", devices[i].driver, devices[i].primary_node);
 *     }
 *     mosaic_drm_devices_free(devices);
 *
 * A machine without any DRM device (a CI container, a headless server) is
 * normal: the list is empty, the renderers start without a device and the
 * log says so once.
 *
 * The environment variable MOSAIC_DRM_DEVICE overrides the choice: set to a
 * node path ("/dev/dri/card1", "/dev/dri/renderD129") or a node name in
 * /dev/dri ("card1"), it reduces the list to the device owning that node.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/** Longest node path stored in struct mosaic_drm_device, with its NUL. */
#define MOSAIC_DRM_NODE_PATH_MAX 64

/** The bus a device hangs off. */
enum mosaic_drm_bus {
	MOSAIC_DRM_BUS_UNKNOWN = 0,
	MOSAIC_DRM_BUS_PCI = 1,
	MOSAIC_DRM_BUS_USB = 2,
	/** Also virtual devices such as vkms and vgem. */
	MOSAIC_DRM_BUS_PLATFORM = 3,
	MOSAIC_DRM_BUS_HOST1X = 4,
};

/** The two kinds of node a renderer or allocator opens. */
enum mosaic_drm_node {
	/** /dev/dri/cardN: KMS (if the device has it) and rendering. */
	MOSAIC_DRM_NODE_PRIMARY = 0,
	/** /dev/dri/renderDN: rendering only, no KMS, no master needed. */
	MOSAIC_DRM_NODE_RENDER = 1,
};

/** One DRM device. Plain data: copy it freely. */
struct mosaic_drm_device {
	/** "/dev/dri/card0", or "" when the device has no primary node. */
	char primary_node[MOSAIC_DRM_NODE_PATH_MAX];
	/** "/dev/dri/renderD128", or "" when the device has no render node. */
	char render_node[MOSAIC_DRM_NODE_PATH_MAX];
	/** Device numbers of the nodes (st_rdev), 0 for a missing node. */
	dev_t primary_dev;
	dev_t render_dev;
	/** Kernel driver name ("i915", "amdgpu", "vkms"); "" when no node could be opened. */
	char driver[32];
	/** Kernel driver version; 0.0.0 when unknown. */
	int driver_major, driver_minor, driver_patch;
	enum mosaic_drm_bus bus;
	/** PCI ids; 0 when the device is not on PCI. */
	uint16_t pci_vendor, pci_device;
	/** The device the firmware used for the boot console (PCI only). */
	bool boot_vga;
	/** The device can drive displays: its primary node has connectors. */
	bool kms;
};

/** Flags for mosaic_drm_list_devices(). */
enum mosaic_drm_list {
	/** Only devices that can drive displays (kms is true). */
	MOSAIC_DRM_LIST_KMS_ONLY = 1 << 0,
	/** Only devices with a render node. */
	MOSAIC_DRM_LIST_RENDER_ONLY = 1 << 1,
	/** Ignore MOSAIC_DRM_DEVICE. */
	MOSAIC_DRM_LIST_IGNORE_ENV = 1 << 2,
};

/**
 * Lists the DRM devices, boot VGA device first, then in the kernel's order.
 * `flags` is a mask of enum mosaic_drm_list.
 *
 * On success returns the number of devices (0 is a success) and stores in
 * *devices an array the caller frees with mosaic_drm_devices_free() (NULL
 * when there are none). On failure returns a negative errno, with a log line,
 * and stores NULL: -EINVAL for unknown flags or an invalid MOSAIC_DRM_DEVICE,
 * -ENOENT or -ENODEV when MOSAIC_DRM_DEVICE names no DRM node, -ENOMEM.
 */
int mosaic_drm_list_devices(uint32_t flags, struct mosaic_drm_device **devices);

/** Frees a list from mosaic_drm_list_devices(). Accepts NULL. */
void mosaic_drm_devices_free(struct mosaic_drm_device *devices);

/**
 * Opens a node of `device` with O_RDWR | O_CLOEXEC. Returns the fd, owned by
 * the caller, or a negative errno (-ENOENT when the device has no node of that
 * type) with a log line.
 */
int mosaic_drm_device_open(const struct mosaic_drm_device *device,
	enum mosaic_drm_node type);

/**
 * Opens the default device for rendering: MOSAIC_DRM_DEVICE when set, else
 * the first device of mosaic_drm_list_devices() that has a node of `type`.
 * Returns an fd owned by the caller, or a negative errno: -ENODEV when the
 * machine has no suitable device (logged once, at INFO, as this is normal).
 */
int mosaic_drm_open_default(enum mosaic_drm_node type);

/**
 * Finds the device an open DRM fd (primary or render node) belongs to and
 * fills `device`. The fd is borrowed. Returns 0, or a negative errno with a
 * log line (-ENODEV for an fd that is no DRM node).
 */
int mosaic_drm_device_from_fd(int fd, struct mosaic_drm_device *device);

/**
 * True when `dev` is the device number of one of the device's nodes: match
 * VkPhysicalDeviceDrmPropertiesEXT (primary/render major and minor) or
 * EGL_EXT_device_drm's node against a device this way.
 */
bool mosaic_drm_device_has_dev(const struct mosaic_drm_device *device, dev_t dev);

/** "pci", "usb", "platform", "host1x", "unknown"; NULL for an invalid value. */
const char *mosaic_drm_bus_name(enum mosaic_drm_bus bus);

#endif
