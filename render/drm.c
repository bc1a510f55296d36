#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <mosaic/drm.h>

#include "private/export.h"
#include "private/drm.h"
#include "private/log.h"

#define ENV_DEVICE "MOSAIC_DRM_DEVICE"

static const char *const bus_names[] = {
	[MOSAIC_DRM_BUS_UNKNOWN] = "unknown",
	[MOSAIC_DRM_BUS_PCI] = "pci",
	[MOSAIC_DRM_BUS_USB] = "usb",
	[MOSAIC_DRM_BUS_PLATFORM] = "platform",
	[MOSAIC_DRM_BUS_HOST1X] = "host1x",
};

MOSAIC_EXPORT const char *mosaic_drm_bus_name(enum mosaic_drm_bus bus)
{
	if ((unsigned)bus >= sizeof(bus_names) / sizeof(bus_names[0])) {
		return NULL;
	}
	return bus_names[bus];
}

/* Reads a small sysfs attribute of the device behind a node; "" when absent. */
static void read_sysfs(dev_t dev, const char *attr, char *buf, size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s", major(dev), minor(dev), attr);
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return;
	}
	if (fgets(buf, (int)size, f) == NULL) {
		buf[0] = '\0';
	}
	fclose(f);
}

/*
 * Whether the primary node has connectors. sysfs lists them as
 * "cardN-<type>-<index>" beside the node, without opening it (opening a
 * primary node may make the caller DRM master for a moment); the ioctl is
 * the fallback where sysfs is missing.
 */
static bool has_connectors(const char *node, dev_t dev)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(dev), minor(dev));
	DIR *dir = opendir(path);
	if (dir != NULL) {
		const char *name = strrchr(node, '/') + 1;
		size_t len = strlen(name);
		bool found = false;
		struct dirent *ent;
		while (!found && (ent = readdir(dir)) != NULL) {
			found = strncmp(ent->d_name, name, len) == 0 && ent->d_name[len] == '-';
		}
		closedir(dir);
		return found;
	}
	int fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		return false;
	}
	drmModeRes *res = drmModeGetResources(fd);
	bool found = res != NULL && res->count_connectors > 0;
	drmModeFreeResources(res);
	close(fd);
	return found;
}

static void fill_driver(struct mosaic_drm_device *out)
{
	const char *node = out->render_node[0] != '\0' ? out->render_node : out->primary_node;
	int fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_DEBUG, "cannot open %s to read its driver", node);
		return;
	}
	drmVersionPtr version = drmGetVersion(fd);
	if (version != NULL) {
		snprintf(out->driver, sizeof(out->driver), "%s", version->name);
		out->driver_major = version->version_major;
		out->driver_minor = version->version_minor;
		out->driver_patch = version->version_patchlevel;
		drmFreeVersion(version);
	}
	close(fd);
}

static bool copy_node(char dst[static MOSAIC_DRM_NODE_PATH_MAX], dev_t *dev, const char *src)
{
	struct stat st;
	if (strlen(src) >= MOSAIC_DRM_NODE_PATH_MAX || stat(src, &st) != 0) {
		return false;
	}
	snprintf(dst, MOSAIC_DRM_NODE_PATH_MAX, "%s", src);
	*dev = st.st_rdev;
	return true;
}

static void fill_device(const drmDevice *dev, struct mosaic_drm_device *out)
{
	*out = (struct mosaic_drm_device){0};
	if (dev->available_nodes & (1 << DRM_NODE_PRIMARY)) {
		copy_node(out->primary_node, &out->primary_dev, dev->nodes[DRM_NODE_PRIMARY]);
	}
	if (dev->available_nodes & (1 << DRM_NODE_RENDER)) {
		copy_node(out->render_node, &out->render_dev, dev->nodes[DRM_NODE_RENDER]);
	}
	switch (dev->bustype) {
	case DRM_BUS_PCI:
		out->bus = MOSAIC_DRM_BUS_PCI;
		if (dev->deviceinfo.pci != NULL) {
			out->pci_vendor = dev->deviceinfo.pci->vendor_id;
			out->pci_device = dev->deviceinfo.pci->device_id;
		}
		break;
	case DRM_BUS_USB:
		out->bus = MOSAIC_DRM_BUS_USB;
		break;
	case DRM_BUS_PLATFORM:
		out->bus = MOSAIC_DRM_BUS_PLATFORM;
		break;
	case DRM_BUS_HOST1X:
		out->bus = MOSAIC_DRM_BUS_HOST1X;
		break;
	default:
		out->bus = MOSAIC_DRM_BUS_UNKNOWN;
		break;
	}
	dev_t any = out->primary_dev != 0 ? out->primary_dev : out->render_dev;
	if (out->bus == MOSAIC_DRM_BUS_PCI && any != 0) {
		char buf[8];
		read_sysfs(any, "device/boot_vga", buf, sizeof(buf));
		out->boot_vga = buf[0] == '1';
	}
	if (out->primary_node[0] != '\0') {
		out->kms = has_connectors(out->primary_node, out->primary_dev);
	}
	fill_driver(out);
}

static bool keep(const struct mosaic_drm_device *dev, uint32_t flags)
{
	if ((flags & MOSAIC_DRM_LIST_KMS_ONLY) && !dev->kms) {
		return false;
	}
	if ((flags & MOSAIC_DRM_LIST_RENDER_ONLY) && dev->render_node[0] == '\0') {
		return false;
	}
	return dev->primary_node[0] != '\0' || dev->render_node[0] != '\0';
}

/*
 * Resolves MOSAIC_DRM_DEVICE to the device owning the node. Returns 1 with
 * *out filled, 0 when the variable is unset or empty, a negative errno for a
 * value that names no DRM node.
 */
static int device_from_env(struct mosaic_drm_device *out)
{
	const char *value = getenv(ENV_DEVICE);
	if (value == NULL || value[0] == '\0') {
		return 0;
	}
	char path[MOSAIC_DRM_NODE_PATH_MAX];
	int len;
	if (strchr(value, '/') == NULL) {
		len = snprintf(path, sizeof(path), "%s/%s", DRM_DIR_NAME, value);
	} else if (value[0] == '/') {
		len = snprintf(path, sizeof(path), "%s", value);
	} else {
		mosaic_log(MOSAIC_LOG_ERROR, ENV_DEVICE "=%s: give an absolute path "
			"(/dev/dri/card0) or a node name (card0)", value);
		return -EINVAL;
	}
	if (len < 0 || (size_t)len >= sizeof(path)) {
		mosaic_log(MOSAIC_LOG_ERROR, ENV_DEVICE ": the path is too long");
		return -EINVAL;
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		int err = errno;
		mosaic_log_errno(MOSAIC_LOG_ERROR, ENV_DEVICE "=%s: cannot use %s", value, path);
		return -err;
	}
	drmDevicePtr dev = NULL;
	if (!S_ISCHR(st.st_mode) || drmGetDeviceFromDevId(st.st_rdev, 0, &dev) != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, ENV_DEVICE "=%s: %s is not a DRM node", value, path);
		return -ENODEV;
	}
	fill_device(dev, out);
	drmFreeDevice(&dev);
	mosaic_log(MOSAIC_LOG_INFO, "DRM device chosen by " ENV_DEVICE "=%s", value);
	return 1;
}

static void log_no_device(void)
{
	static bool logged = false;
	if (!logged) {
		logged = true;
		mosaic_log(MOSAIC_LOG_INFO, "no DRM device found: rendering without one");
	}
}

MOSAIC_EXPORT int mosaic_drm_list_devices(uint32_t flags, struct mosaic_drm_device **devices)
{
	const uint32_t known = MOSAIC_DRM_LIST_KMS_ONLY | MOSAIC_DRM_LIST_RENDER_ONLY |
		MOSAIC_DRM_LIST_IGNORE_ENV;
	*devices = NULL;
	if (flags & ~known) {
		mosaic_log(MOSAIC_LOG_ERROR, "DRM device list: unknown flags 0x%x", flags & ~known);
		return -EINVAL;
	}

	if (!(flags & MOSAIC_DRM_LIST_IGNORE_ENV)) {
		struct mosaic_drm_device dev;
		int r = device_from_env(&dev);
		if (r < 0) {
			return r;
		}
		if (r > 0) {
			if (!keep(&dev, flags)) {
				mosaic_log(MOSAIC_LOG_WARN, ENV_DEVICE " names a device the "
					"caller cannot use (no KMS or no render node)");
				return 0;
			}
			*devices = calloc(1, sizeof(**devices));
			if (*devices == NULL) {
				mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
				return -ENOMEM;
			}
			**devices = dev;
			return 1;
		}
	}

	// No flags: DRM_DEVICE_GET_PCI_REVISION would wake up sleeping GPUs.
	int n = drmGetDevices2(0, NULL, 0);
	if (n <= 0) {
		// No /dev/dri at all is the common case on servers and in CI.
		log_no_device();
		return 0;
	}
	drmDevicePtr *drm_devices = calloc((size_t)n, sizeof(*drm_devices));
	struct mosaic_drm_device *out = calloc((size_t)n, sizeof(*out));
	if (drm_devices == NULL || out == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		free(drm_devices);
		free(out);
		return -ENOMEM;
	}
	// Devices may come and go between the two calls.
	n = drmGetDevices2(0, drm_devices, n);
	int count = 0;
	for (int i = 0; i < n; i++) {
		fill_device(drm_devices[i], &out[count]);
		if (keep(&out[count], flags)) {
			count++;
		}
	}
	if (n > 0) {
		drmFreeDevices(drm_devices, n);
	}
	free(drm_devices);

	// The boot VGA device first: it is the one the user looks at.
	for (int i = 1; i < count; i++) {
		if (out[i].boot_vga) {
			struct mosaic_drm_device boot = out[i];
			memmove(&out[1], &out[0], (size_t)i * sizeof(out[0]));
			out[0] = boot;
			break;
		}
	}
	if (count == 0) {
		free(out);
		log_no_device();
		return 0;
	}
	*devices = out;
	return count;
}

MOSAIC_EXPORT void mosaic_drm_devices_free(struct mosaic_drm_device *devices)
{
	free(devices);
}

MOSAIC_EXPORT int mosaic_drm_device_open(const struct mosaic_drm_device *device,
	enum mosaic_drm_node type)
{
	const char *node = type == MOSAIC_DRM_NODE_RENDER ? device->render_node :
		device->primary_node;
	if (node[0] == '\0') {
		mosaic_log(MOSAIC_LOG_ERROR, "the %s device has no %s node", device->driver,
			type == MOSAIC_DRM_NODE_RENDER ? "render" : "primary");
		return -ENOENT;
	}
	int fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		mosaic_log_errno(MOSAIC_LOG_ERROR, "cannot open %s", node);
		return -err;
	}
	return fd;
}

MOSAIC_EXPORT int mosaic_drm_open_default(enum mosaic_drm_node type)
{
	uint32_t flags = type == MOSAIC_DRM_NODE_RENDER ? MOSAIC_DRM_LIST_RENDER_ONLY : 0;
	struct mosaic_drm_device *devices;
	int n = mosaic_drm_list_devices(flags, &devices);
	if (n < 0) {
		return n;
	}
	int fd = -ENODEV;
	for (int i = 0; i < n && fd == -ENODEV; i++) {
		const char *node = type == MOSAIC_DRM_NODE_RENDER ? devices[i].render_node :
			devices[i].primary_node;
		if (node[0] != '\0') {
			fd = mosaic_drm_device_open(&devices[i], type);
		}
	}
	mosaic_drm_devices_free(devices);
	if (fd == -ENODEV) {
		log_no_device();
	}
	return fd;
}

MOSAIC_EXPORT int mosaic_drm_device_from_fd(int fd, struct mosaic_drm_device *device)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		mosaic_log_errno(MOSAIC_LOG_ERROR, "invalid DRM fd %d", fd);
		return -err;
	}
	drmDevicePtr dev = NULL;
	if (!S_ISCHR(st.st_mode) || drmGetDeviceFromDevId(st.st_rdev, 0, &dev) != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "fd %d is not a DRM node", fd);
		return -ENODEV;
	}
	fill_device(dev, device);
	drmFreeDevice(&dev);
	return 0;
}

MOSAIC_EXPORT bool mosaic_drm_device_has_dev(const struct mosaic_drm_device *device, dev_t dev)
{
	return dev != 0 && (dev == device->primary_dev || dev == device->render_dev);
}

int mosaic_drm_open_dev(dev_t dev)
{
	drmDevice *device = NULL;
	if (drmGetDeviceFromDevId(dev, 0, &device) != 0) {
		mosaic_log(MOSAIC_LOG_DEBUG, "no DRM device %u:%u", major(dev), minor(dev));
		return -ENODEV;
	}
	// The render node: any process may open it, and it is what clients allocate on.
	int node = (device->available_nodes & (1 << DRM_NODE_RENDER)) ? DRM_NODE_RENDER :
		(device->available_nodes & (1 << DRM_NODE_PRIMARY)) ? DRM_NODE_PRIMARY : -1;
	int fd = -ENODEV;
	if (node >= 0) {
		fd = open(device->nodes[node], O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			mosaic_log_errno(MOSAIC_LOG_DEBUG, "cannot open %s", device->nodes[node]);
		}
	}
	drmFreeDevice(&device);
	return fd;
}

bool mosaic_drm_fd_is_node(int fd)
{
	return drmGetNodeTypeFromFd(fd) >= 0;
}
