#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include <mosaic/allocator.h>
#include <mosaic/format.h>
#include <mosaic/interface.h>

#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

/* The device fd, shared by the allocator and its buffers, which may outlive it. */
struct dumb_device {
	int fd;
	size_t refs;
};

struct dumb_allocator {
	struct mosaic_allocator base;
	struct dumb_device *device;
};

struct dumb_buffer {
	struct mosaic_buffer base;
	struct dumb_device *device;
	uint32_t handle;
	void *data;
	size_t size;
	/* Owns the dmabuf fd. */
	struct mosaic_dmabuf_attributes dmabuf;
};

static void device_unref(struct dumb_device *device)
{
	if (--device->refs > 0) {
		return;
	}
	close(device->fd);
	free(device);
}

static void destroy_dumb(int fd, uint32_t handle)
{
	struct drm_mode_destroy_dumb destroy = { .handle = handle };
	if (drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dumb: cannot destroy buffer %u", handle);
	}
}

static void dumb_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct dumb_buffer *b = mosaic_container_of(buffer, struct dumb_buffer, base);
	munmap(b->data, b->size);
	mosaic_dmabuf_attributes_finish(&b->dmabuf);
	destroy_dumb(b->device->fd, b->handle);
	device_unref(b->device);
	free(b);
}

static bool dumb_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs)
{
	struct dumb_buffer *b = mosaic_container_of(buffer, struct dumb_buffer, base);
	*attribs = b->dmabuf;
	return true;
}

static bool dumb_buffer_begin_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	struct dumb_buffer *b = mosaic_container_of(buffer, struct dumb_buffer, base);
	*data = b->data;
	*fourcc = b->dmabuf.fourcc;
	*stride = b->dmabuf.stride[0];
	return true;
}

static void dumb_buffer_end_access(struct mosaic_buffer *buffer)
{
}

static const struct mosaic_buffer_impl dumb_buffer_impl = {
	.destroy = dumb_buffer_destroy,
	.get_dmabuf = dumb_buffer_get_dmabuf,
	.begin_data_access = dumb_buffer_begin_access,
	.end_data_access = dumb_buffer_end_access,
};

static struct mosaic_buffer *dumb_allocator_create_buffer(struct mosaic_allocator *base,
	int width, int height, uint32_t fourcc, const uint64_t *modifiers, size_t n_modifiers)
{
	struct dumb_allocator *allocator = mosaic_container_of(base, struct dumb_allocator, base);
	int fd = allocator->device->fd;
	char name[32];
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	if (info == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "dumb: unsupported format %s",
			mosaic_format_name(fourcc, name));
		return NULL;
	}
	if (info->is_yuv) {
		mosaic_log(MOSAIC_LOG_ERROR, "dumb: buffers hold one RGB plane, not %s",
			info->name);
		return NULL;
	}
	bool linear = n_modifiers == 0;
	for (size_t i = 0; i < n_modifiers; i++) {
		linear = linear || modifiers[i] == DRM_FORMAT_MOD_LINEAR;
	}
	if (!linear) {
		mosaic_log(MOSAIC_LOG_ERROR, "dumb: buffers are linear, but DRM_FORMAT_MOD_LINEAR "
			"is not among the %zu modifiers asked for", n_modifiers);
		return NULL;
	}

	struct dumb_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	struct drm_mode_create_dumb create = {
		.width = (uint32_t)width,
		.height = (uint32_t)height,
		.bpp = info->bytes_per_pixel * 8,
	};
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dumb: cannot create a %dx%d %s buffer",
			width, height, info->name);
		goto err_free;
	}
	b->handle = create.handle;
	b->size = (size_t)create.size;

	struct drm_mode_map_dumb map = { .handle = create.handle };
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dumb: cannot map buffer %u", create.handle);
		goto err_destroy;
	}
	b->data = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	if (b->data == MAP_FAILED) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dumb: cannot map %zu bytes", b->size);
		goto err_destroy;
	}

	b->dmabuf = (struct mosaic_dmabuf_attributes){
		.width = width,
		.height = height,
		.fourcc = fourcc,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = 1,
		.stride = { create.pitch },
		.fd = { -1, -1, -1, -1 },
	};
	if (drmPrimeHandleToFD(fd, create.handle, DRM_CLOEXEC | DRM_RDWR, &b->dmabuf.fd[0]) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dumb: cannot export buffer %u as a dmabuf",
			create.handle);
		goto err_unmap;
	}

	mosaic_buffer_init(&b->base, &dumb_buffer_impl, width, height);
	b->device = allocator->device;
	b->device->refs++;
	return &b->base;

err_unmap:
	munmap(b->data, b->size);
err_destroy:
	destroy_dumb(fd, create.handle);
err_free:
	free(b);
	return NULL;
}

static void dumb_allocator_destroy(struct mosaic_allocator *base)
{
	struct dumb_allocator *allocator = mosaic_container_of(base, struct dumb_allocator, base);
	device_unref(allocator->device);
	free(allocator);
}

static const struct mosaic_allocator_impl dumb_allocator_impl = {
	.create_buffer = dumb_allocator_create_buffer,
	.destroy = dumb_allocator_destroy,
};

MOSAIC_EXPORT struct mosaic_allocator *mosaic_drm_dumb_allocator_create(int drm_fd)
{
	uint64_t has_dumb = 0;
	if (drmGetCap(drm_fd, DRM_CAP_DUMB_BUFFER, &has_dumb) != 0 || !has_dumb) {
		mosaic_log(MOSAIC_LOG_ERROR, "dumb: fd %d is no DRM device with dumb buffers",
			drm_fd);
		return NULL;
	}
	struct dumb_allocator *allocator = calloc(1, sizeof(*allocator));
	struct dumb_device *device = calloc(1, sizeof(*device));
	if (allocator == NULL || device == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto err;
	}
	device->refs = 1;
	device->fd = fcntl(drm_fd, F_DUPFD_CLOEXEC, 0);
	if (device->fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dumb: cannot duplicate fd %d", drm_fd);
		goto err;
	}
	allocator->device = device;
	mosaic_allocator_init(&allocator->base, &dumb_allocator_impl,
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_DMABUF);
	return &allocator->base;

err:
	free(device);
	free(allocator);
	return NULL;
}
