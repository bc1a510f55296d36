#include <stdlib.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <mosaic/format.h>
#include <mosaic/wayland.h>

#include "private/export.h"
#include "private/list.h"
#include "private/log.h"
#include "protocols/wayland_private.h"

MOSAIC_EXPORT uint32_t mosaic_wl_shm_format_to_fourcc(uint32_t wl_shm_format)
{
	switch (wl_shm_format) {
	case WL_SHM_FORMAT_ARGB8888:
		return DRM_FORMAT_ARGB8888;
	case WL_SHM_FORMAT_XRGB8888:
		return DRM_FORMAT_XRGB8888;
	default:
		return wl_shm_format;
	}
}

MOSAIC_EXPORT uint32_t mosaic_wl_shm_format_from_fourcc(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_ARGB8888:
		return WL_SHM_FORMAT_ARGB8888;
	case DRM_FORMAT_XRGB8888:
		return WL_SHM_FORMAT_XRGB8888;
	default:
		return fourcc;
	}
}

MOSAIC_EXPORT bool mosaic_wl_shm_init(struct wl_display *display,
	const struct mosaic_renderer *renderer)
{
	if (display == NULL || renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "wl_shm: no display or renderer given");
		return false;
	}
	if (wl_display_init_shm(display) != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "cannot create the wl_shm global");
		return false;
	}
	const struct mosaic_format_set *formats =
		mosaic_renderer_get_texture_formats(renderer, MOSAIC_BUFFER_CAP_DATA_PTR);
	for (size_t i = 0; i < formats->n_formats; i++) {
		uint32_t fourcc = formats->formats[i].fourcc;
		// libwayland announces the two mandatory formats by itself.
		if (fourcc == DRM_FORMAT_ARGB8888 || fourcc == DRM_FORMAT_XRGB8888) {
			continue;
		}
		if (wl_display_add_shm_format(display, mosaic_wl_shm_format_from_fourcc(fourcc))
				== NULL) {
			mosaic_log(MOSAIC_LOG_ERROR, "cannot add a wl_shm format");
			return false;
		}
	}
	return true;
}

/*
 * A wl_shm wl_buffer as a mosaic buffer. The resource is its producer: the
 * buffer is dropped when the resource goes away, and may live on while
 * locked, with its memory out of reach.
 */
struct shm_buffer {
	struct mosaic_buffer base;
	struct wl_resource *resource;
	struct wl_listener resource_destroy;
	uint32_t fourcc;
	uint32_t stride;
};

static void shm_buffer_destroy(struct mosaic_buffer *buffer)
{
	free(mosaic_container_of(buffer, struct shm_buffer, base));
}

static bool shm_buffer_begin_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	if (b->resource == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "the client destroyed this wl_shm buffer");
		return false;
	}
	struct wl_shm_buffer *shm = wl_shm_buffer_get(b->resource);
	// From here on a SIGBUS on the pool (a client that shrank its file)
	// maps zeroes instead of killing us; end_access sends the client an error.
	wl_shm_buffer_begin_access(shm);
	*data = wl_shm_buffer_get_data(shm);
	*fourcc = b->fourcc;
	*stride = b->stride;
	return true;
}

static void shm_buffer_end_access(struct mosaic_buffer *buffer)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	// begin_access refuses to start without a resource, so there is one.
	wl_shm_buffer_end_access(wl_shm_buffer_get(b->resource));
}

static void shm_buffer_release(struct mosaic_buffer *buffer)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	if (b->resource != NULL) {
		wl_buffer_send_release(b->resource);
	}
}

static const struct mosaic_buffer_impl shm_buffer_impl = {
	.destroy = shm_buffer_destroy,
	.begin_data_access = shm_buffer_begin_access,
	.end_data_access = shm_buffer_end_access,
	.release = shm_buffer_release,
};

static void shm_buffer_handle_resource_destroy(struct wl_listener *listener, void *data)
{
	struct shm_buffer *b = wl_container_of(listener, b, resource_destroy);
	wl_list_remove(&b->resource_destroy.link);
	b->resource = NULL;
	mosaic_buffer_drop(&b->base);
}

static struct mosaic_buffer *shm_buffer_from_resource(struct wl_resource *resource)
{
	// The listener doubles as the lookup key: one wrapper per resource.
	struct wl_listener *listener = wl_resource_get_destroy_listener(resource,
		shm_buffer_handle_resource_destroy);
	if (listener != NULL) {
		struct shm_buffer *b = wl_container_of(listener, b, resource_destroy);
		return &b->base;
	}

	struct wl_shm_buffer *shm = wl_shm_buffer_get(resource);
	struct shm_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_buffer_init(&b->base, &shm_buffer_impl, wl_shm_buffer_get_width(shm),
		wl_shm_buffer_get_height(shm));
	b->resource = resource;
	b->fourcc = mosaic_wl_shm_format_to_fourcc(wl_shm_buffer_get_format(shm));
	b->stride = (uint32_t)wl_shm_buffer_get_stride(shm);
	b->resource_destroy.notify = shm_buffer_handle_resource_destroy;
	wl_resource_add_destroy_listener(resource, &b->resource_destroy);
	return &b->base;
}

MOSAIC_EXPORT bool mosaic_wl_buffer_is_supported(struct wl_resource *resource)
{
	if (resource == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no wl_buffer given");
		return false;
	}
	return wl_shm_buffer_get(resource) != NULL ||
		shm_global_buffer_from_resource(resource) != NULL ||
		linux_dmabuf_buffer_from_resource(resource) != NULL;
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_wl_buffer_from_resource(struct wl_resource *resource)
{
	if (resource == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no wl_buffer given");
		return NULL;
	}
	if (wl_shm_buffer_get(resource) != NULL) {
		return shm_buffer_from_resource(resource);
	}
	struct mosaic_buffer *buffer = shm_global_buffer_from_resource(resource);
	if (buffer == NULL) {
		buffer = linux_dmabuf_buffer_from_resource(resource);
	}
	if (buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "wl_buffer %u is neither wl_shm nor linux-dmabuf",
			wl_resource_get_id(resource));
	}
	return buffer;
}
