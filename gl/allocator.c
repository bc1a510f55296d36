/*
 * The GPU allocator: buffers that are GL textures of the renderer's context.
 * Rendering into one needs no upload or readback, and a texture made from
 * one samples the same GL texture. The texture lives in the buffer's cached
 * gles_buffer (as the offscreen storage of CPU-memory targets does), so it
 * goes away with the buffer like every other per-buffer GL object.
 */
#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>

#include "gl/gles_private.h"
#include "private/list.h"
#include "private/log.h"

struct gles_gpu_allocator {
	struct mosaic_allocator base;
	struct gles_renderer *renderer;
};

struct gles_gpu_buffer {
	struct mosaic_buffer base;
	struct gles_renderer *renderer;
};

static void gpu_buffer_destroy(struct mosaic_buffer *base)
{
	// The GL texture went away with the addon, before this.
	free(mosaic_container_of(base, struct gles_gpu_buffer, base));
}

/* No CPU pointer, shm or dmabuf: only the renderer that made it can use it. */
static const struct mosaic_buffer_impl gpu_buffer_impl = {
	.destroy = gpu_buffer_destroy,
};

struct gles_buffer *gles_gpu_buffer_get(struct gles_renderer *r, struct mosaic_buffer *buffer,
	bool *is_gpu_buffer)
{
	*is_gpu_buffer = buffer->impl == &gpu_buffer_impl;
	if (!*is_gpu_buffer) {
		return NULL;
	}
	struct gles_gpu_buffer *b = mosaic_container_of(buffer, struct gles_gpu_buffer, base);
	if (b->renderer != r) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: the GPU buffer belongs to another renderer");
		return NULL;
	}
	struct gles_buffer *cached = gles_buffer_get(r, buffer);
	if (cached == NULL || cached->rt_tex == 0) {
		// Only after the renderer was destroyed (its caches are gone).
		mosaic_log(MOSAIC_LOG_ERROR, "gles: the GPU buffer lost its texture");
		return NULL;
	}
	return cached;
}

/* Whether `modifiers` allows a layout the driver picks (GL textures have no other). */
static bool implicit_modifier_allowed(const uint64_t *modifiers, size_t n_modifiers)
{
	if (n_modifiers == 0) {
		return true;
	}
	for (size_t i = 0; i < n_modifiers; i++) {
		if (modifiers[i] == DRM_FORMAT_MOD_INVALID) {
			return true;
		}
	}
	return false;
}

static struct mosaic_buffer *gpu_allocator_create_buffer(struct mosaic_allocator *base,
	int width, int height, uint32_t fourcc, const uint64_t *modifiers, size_t n_modifiers)
{
	struct gles_gpu_allocator *alloc =
		mosaic_container_of(base, struct gles_gpu_allocator, base);
	struct gles_renderer *r = alloc->renderer;
	char name[32];
	if (r->base.lost) {
		// Later failures would be silent (a loss is logged where it is found).
		mosaic_log(MOSAIC_LOG_ERROR, "GPU buffer: the renderer lost its device");
		return NULL;
	}
	const struct gles_format *storage = gles_render_storage(r, fourcc);
	if (storage == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: no renderable GL texture for %s on %s",
			mosaic_format_name(fourcc, name), r->device_name);
		return NULL;
	}
	if (!implicit_modifier_allowed(modifiers, n_modifiers)) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: GPU buffers have an implicit layout "
			"(DRM_FORMAT_MOD_INVALID), not among the %zu modifiers given", n_modifiers);
		return NULL;
	}
	GLint max_size = 0;
	struct gles_gpu_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	b->renderer = r;
	mosaic_buffer_init(&b->base, &gpu_buffer_impl, width, height);

	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		goto err;
	}
	glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
	if (width > max_size || height > max_size) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: %dx%d is larger than the GL limit %d",
			width, height, max_size);
		gles_pop_context(r, &saved);
		goto err;
	}
	struct gles_buffer *cached = gles_buffer_get(r, &b->base);
	if (cached == NULL) {
		gles_pop_context(r, &saved);
		goto err;
	}
	cached->fourcc = fourcc;
	cached->rt_storage = storage;
	while (glGetError() != GL_NO_ERROR) {
	}
	glGenTextures(1, &cached->rt_tex);
	glBindTexture(GL_TEXTURE_2D, cached->rt_tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
	glTexImage2D(GL_TEXTURE_2D, 0, storage->internal_format, width, height, 0,
		storage->format, storage->type, NULL);
	glBindTexture(GL_TEXTURE_2D, 0);
	GLenum error = gles_take_error(r);
	bool ok = error == GL_NO_ERROR && !gles_check_reset(r);
	// A loss has its own line, and gles_buffer_get_fbo() logs its failures.
	if (!ok && !r->base.lost) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot create a %dx%d %s GPU buffer (GL error "
			"0x%x)", width, height, mosaic_format_name(fourcc, name), error);
	}
	ok = ok && gles_buffer_get_fbo(cached) != 0;
	gles_pop_context(r, &saved);
	if (!ok) {
		goto err;
	}
	return &b->base;

err:
	// Destroys the cached texture (if any) through the addon, then frees b.
	mosaic_buffer_drop(&b->base);
	return NULL;
}

static void gpu_allocator_destroy(struct mosaic_allocator *base)
{
	free(mosaic_container_of(base, struct gles_gpu_allocator, base));
}

static const struct mosaic_allocator_impl gpu_allocator_impl = {
	.create_buffer = gpu_allocator_create_buffer,
	.destroy = gpu_allocator_destroy,
};

struct mosaic_allocator *gles_create_gpu_allocator(struct mosaic_renderer *base)
{
	struct gles_gpu_allocator *alloc = calloc(1, sizeof(*alloc));
	if (alloc == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	alloc->renderer = gles_renderer_from_base(base);
	mosaic_allocator_init(&alloc->base, &gpu_allocator_impl, 0);
	return &alloc->base;
}
