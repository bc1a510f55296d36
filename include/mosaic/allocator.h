#ifndef MOSAIC_ALLOCATOR_H
#define MOSAIC_ALLOCATOR_H

/**
 * Allocators make buffers to render into (output images, offscreen targets).
 */

#include <stddef.h>
#include <stdint.h>

#include <mosaic/buffer.h>
#include <mosaic/format.h>
#include <mosaic/renderer.h>

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

/**
 * An allocator of GBM buffer objects on the DRM device `drm_fd` (a primary or
 * render node; note that some drivers, such as vgem and vkms through Mesa's
 * kms_swrast, allocate only on primary nodes). The fd is borrowed: the
 * allocator keeps a duplicate, so the caller may close its own at once.
 *
 * Buffers offer MOSAIC_BUFFER_CAP_DMABUF. Their plane fds are exported with
 * DRM_RDWR, so they can be mapped for writing (gbm_bo_get_fd() exports
 * read-only dmabufs on some drivers). Modifiers passed to
 * mosaic_allocator_create_buffer() are tried as given (explicit modifiers
 * through gbm_bo_create_with_modifiers2()), then, if the list allows it
 * (DRM_FORMAT_MOD_INVALID in it, or no list), with an implicit modifier,
 * then, if it has DRM_FORMAT_MOD_LINEAR (or there is no list), as a linear
 * buffer; the buffer's attributes say which one was used
 * (DRM_FORMAT_MOD_INVALID for an implicit modifier the caller did not
 * list). Buffers stay valid after the allocator is destroyed. NULL, with a
 * log line, when GBM cannot use the device.
 */
struct mosaic_allocator *mosaic_gbm_allocator_create(int drm_fd);

/**
 * An allocator of DRM dumb buffers on the KMS device `drm_fd` (a primary
 * node: render nodes cannot create dumb buffers). The fd is borrowed: the
 * allocator keeps a duplicate. Dumb buffers are linear, CPU-mapped and can
 * be scanned out: the allocator for the pixman renderer on a KMS device.
 *
 * Buffers offer MOSAIC_BUFFER_CAP_DATA_PTR (the kernel's mapping of the
 * buffer) and MOSAIC_BUFFER_CAP_DMABUF (one plane, DRM_FORMAT_MOD_LINEAR,
 * exported with DRM_RDWR). Only DRM_FORMAT_MOD_LINEAR can be asked for; the
 * format must be an RGB one of mosaic_format_get_all(). The contents start
 * zeroed.
 * Buffers stay valid after the allocator is destroyed. NULL, with a log
 * line, when the device has no dumb buffers.
 */
struct mosaic_allocator *mosaic_drm_dumb_allocator_create(int drm_fd);

/**
 * Picks and creates the allocator for the buffers `renderer` renders into:
 * - no DRM device (`drm_fd` < 0 and the renderer has none): shared memory
 *   (mosaic_shm_allocator_create());
 * - a renderer that renders into dmabufs natively (a GPU: its backend
 *   declares MOSAIC_BUFFER_CAP_DMABUF) and has dmabuf render formats: GBM
 *   on the device;
 * - a renderer that renders into CPU memory (pixman), on a device that has
 *   dumb buffers (a KMS primary node): dumb buffers, which the CPU reads and
 *   writes at full speed;
 * - otherwise shared memory.
 * `drm_fd` is borrowed (< 0: use mosaic_renderer_get_drm_fd(), which is the
 * caller's device or the renderer's own). The choice
 * is logged at INFO. NULL, with a log line, only when the chosen allocator
 * cannot be created.
 */
struct mosaic_allocator *mosaic_allocator_autocreate(struct mosaic_renderer *renderer,
	int drm_fd);

/**
 * The formats `renderer` can render into when given buffers of `allocator`
 * (its render formats for the caps those buffers offer), intersected with
 * `constraints` when it is not NULL (e.g. the IN_FORMATS of the KMS plane the
 * buffers will be shown on). Replaces the contents of `out`, which must be
 * initialized; the caller owns it and frees it with
 * mosaic_format_set_finish(). Pass the modifiers the set lists for a format
 * to mosaic_allocator_create_buffer(). False only on allocation failure.
 */
bool mosaic_allocator_negotiate_formats(const struct mosaic_allocator *allocator,
	const struct mosaic_renderer *renderer, const struct mosaic_format_set *constraints,
	struct mosaic_format_set *out);

#endif
