#ifndef MOSAIC_ALLOCATOR_H
#define MOSAIC_ALLOCATOR_H

/**
 * Allocators make buffers to render into (output images, offscreen targets).
 */

#include <stddef.h>
#include <stdint.h>

#include <mosaic/buffer.h>

struct mosaic_allocator;

/**
 * An allocator of shared-memory buffers (memfd, mapped): they offer
 * MOSAIC_BUFFER_CAP_DATA_PTR and MOSAIC_BUFFER_CAP_SHM, so they can be
 * rendered into by every backend and shared with a Wayland parent through
 * wl_shm. NULL on failure.
 */
struct mosaic_allocator *mosaic_shm_allocator_create(void);

/** Destroys the allocator. Buffers it made stay valid. Accepts NULL. */
void mosaic_allocator_destroy(struct mosaic_allocator *allocator);

/** The MOSAIC_BUFFER_CAP_* bits of the buffers this allocator makes. */
uint32_t mosaic_allocator_get_buffer_caps(const struct mosaic_allocator *allocator);

/**
 * Allocates a `width` x `height` buffer of `fourcc` with one of the
 * `n_modifiers` acceptable `modifiers` (NULL/0: the allocator picks,
 * DRM_FORMAT_MOD_LINEAR for memory allocators). The caller is the producer of
 * the returned buffer and releases it with mosaic_buffer_drop(). The contents
 * are zeroed for memory allocators, undefined otherwise. NULL with a log line
 * on failure.
 */
struct mosaic_buffer *mosaic_allocator_create_buffer(struct mosaic_allocator *allocator,
	int width, int height, uint32_t fourcc, const uint64_t *modifiers, size_t n_modifiers);

struct mosaic_renderer;

/**
 * An allocator of `renderer`'s own GPU images (device-local Vulkan images,
 * GL textures): the fastest buffers to render into and to sample from, for
 * offscreen targets, intermediate surfaces and capture. Their buffers offer
 * none of the MOSAIC_BUFFER_CAP_* bits: only the renderer that made them can
 * render into them (mosaic_renderer_begin_pass()), make textures from them
 * (mosaic_texture_from_buffer(), without a copy) and read them (through such
 * a texture). Backends may offer exports in their own header. Destroy the
 * allocator and drop its buffers before the renderer. NULL, with a DEBUG
 * line, when the backend has no such images (pixman: use shared memory).
 */
struct mosaic_allocator *mosaic_renderer_create_gpu_allocator(
	struct mosaic_renderer *renderer);

#endif
