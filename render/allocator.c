#include <assert.h>

#include <xf86drm.h>

#include <mosaic/allocator.h>
#include <mosaic/interface.h>

#include "private/export.h"
#include "private/log.h"

MOSAIC_EXPORT void mosaic_allocator_init(struct mosaic_allocator *allocator,
	const struct mosaic_allocator_impl *impl, uint32_t buffer_caps)
{
	assert(impl != NULL && impl->create_buffer != NULL && impl->destroy != NULL);
	*allocator = (struct mosaic_allocator){
		.impl = impl,
		.buffer_caps = buffer_caps,
	};
}

MOSAIC_EXPORT void mosaic_allocator_destroy(struct mosaic_allocator *allocator)
{
	if (allocator == NULL) {
		return;
	}
	allocator->impl->destroy(allocator);
}

MOSAIC_EXPORT uint32_t mosaic_allocator_get_buffer_caps(const struct mosaic_allocator *allocator)
{
	if (allocator == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no allocator given");
		return 0;
	}
	return allocator->buffer_caps;
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_allocator_create_buffer(
	struct mosaic_allocator *allocator, int width, int height, uint32_t fourcc,
	const uint64_t *modifiers, size_t n_modifiers)
{
	if (allocator == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no allocator given");
		return NULL;
	}
	if (width <= 0 || height <= 0 || width > MOSAIC_MAX_IMAGE_SIZE ||
			height > MOSAIC_MAX_IMAGE_SIZE) {
		mosaic_log(MOSAIC_LOG_ERROR, "invalid buffer size %dx%d (must be 1..%d)",
			width, height, MOSAIC_MAX_IMAGE_SIZE);
		return NULL;
	}
	if (n_modifiers > 0 && modifiers == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "%zu modifiers announced, none given", n_modifiers);
		return NULL;
	}
	return allocator->impl->create_buffer(allocator, width, height, fourcc, modifiers,
		n_modifiers);
}

MOSAIC_EXPORT struct mosaic_allocator *mosaic_renderer_create_gpu_allocator(
	struct mosaic_renderer *renderer)
{
	if (renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no renderer given");
		return NULL;
	}
	if (renderer->impl->create_gpu_allocator == NULL) {
		mosaic_log(MOSAIC_LOG_DEBUG, "the %s renderer has no GPU images",
			mosaic_renderer_get_name(renderer));
		return NULL;
	}
	return renderer->impl->create_gpu_allocator(renderer);
}

MOSAIC_EXPORT bool mosaic_allocator_negotiate_formats(const struct mosaic_allocator *allocator,
	const struct mosaic_renderer *renderer, const struct mosaic_format_set *constraints,
	struct mosaic_format_set *out)
{
	struct mosaic_format_set formats = {0};
	static const uint32_t caps[] = { MOSAIC_BUFFER_CAP_DMABUF, MOSAIC_BUFFER_CAP_DATA_PTR };
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if ((allocator->buffer_caps & caps[i]) &&
				!mosaic_format_set_union(&formats, &formats,
				mosaic_renderer_get_render_formats(renderer, caps[i]))) {
			goto err;
		}
	}
	if (constraints != NULL && !mosaic_format_set_intersect(&formats, &formats, constraints)) {
		goto err;
	}
	mosaic_format_set_finish(out);
	*out = formats;
	return true;

err:
	mosaic_format_set_finish(&formats);
	return false;
}

/* Dumb buffers need KMS, and only primary nodes may create them. */
static bool has_dumb_buffers(int drm_fd)
{
	uint64_t cap = 0;
	return drmGetNodeTypeFromFd(drm_fd) == DRM_NODE_PRIMARY &&
		drmGetCap(drm_fd, DRM_CAP_DUMB_BUFFER, &cap) == 0 && cap != 0;
}

MOSAIC_EXPORT struct mosaic_allocator *mosaic_allocator_autocreate(
	struct mosaic_renderer *renderer, int drm_fd)
{
	if (renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "allocator: no renderer given");
		return NULL;
	}
	if (drm_fd < 0) {
		drm_fd = mosaic_renderer_get_drm_fd(renderer);
	}
	// What the backend renders into natively decides; the core names no backend.
	uint32_t native = renderer->render_buffer_caps != 0 ? renderer->render_buffer_caps :
		MOSAIC_BUFFER_CAP_DATA_PTR;
	const char *why;
	if (drm_fd < 0) {
		why = "no DRM device";
	} else if ((native & MOSAIC_BUFFER_CAP_DMABUF) && mosaic_renderer_get_render_formats(
			renderer, MOSAIC_BUFFER_CAP_DMABUF)->n_formats > 0) {
		mosaic_log(MOSAIC_LOG_INFO, "allocator: GBM for the %s renderer",
			mosaic_renderer_get_name(renderer));
		return mosaic_gbm_allocator_create(drm_fd);
	} else if (native & MOSAIC_BUFFER_CAP_DATA_PTR) {
		// The CPU reads and writes dumb buffers at memory speed; GBM buffers
		// may be uncached or need a copy for every access.
		if (has_dumb_buffers(drm_fd)) {
			mosaic_log(MOSAIC_LOG_INFO, "allocator: DRM dumb buffers for the %s "
				"renderer",
				mosaic_backend_name(mosaic_renderer_get_backend(renderer)));
			return mosaic_drm_dumb_allocator_create(drm_fd);
		}
		why = "a CPU renderer and a device without dumb buffers";
	} else {
		why = "a renderer that cannot render into dmabufs";
	}
	mosaic_log(MOSAIC_LOG_INFO, "allocator: shared memory (%s)", why);
	return mosaic_shm_allocator_create();
}
