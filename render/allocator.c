#include <assert.h>

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
			mosaic_backend_name(renderer->backend));
		return NULL;
	}
	return renderer->impl->create_gpu_allocator(renderer);
}
