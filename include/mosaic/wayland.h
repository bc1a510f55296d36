#ifndef MOSAIC_WAYLAND_H
#define MOSAIC_WAYLAND_H

/**
 * Wayland glue for compositors built on libwayland-server: client buffers
 * (wl_shm and linux-dmabuf wl_buffers) as mosaic buffers, the wl_shm and
 * zwp_linux_dmabuf_v1 globals with the formats the renderer can texture from,
 * and a per-surface texture cache that uploads only the damage and releases
 * client buffers as early as the renderer allows.
 *
 * A compositor's commit handler, in short:
 *
 *     // startup
 *     mosaic_wl_shm_create(display, renderer);
 *     mosaic_linux_dmabuf_v1_create(display, renderer);
 *     // per surface
 *     surface->tex = mosaic_surface_texture_create(renderer);
 *     // on wl_surface.commit (damage already in buffer coordinates)
 *     mosaic_surface_texture_commit(surface->tex, buffer_resource, &buffer_damage);
 *     // on frame
 *     mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
 *             .texture = mosaic_surface_texture_get_texture(surface->tex), ... });
 *     mosaic_pass_submit(pass, &done);
 *     mosaic_surface_texture_mark_used(surface->tex, done.point);
 *
 * Everything here runs on the thread of the wl_display.
 */

#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>

#include <mosaic/buffer.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>

struct wl_display;
struct wl_resource;

/** A wl_shm global of mosaic's own (see mosaic_wl_shm_create()). */
struct mosaic_wl_shm;

/**
 * Creates the wl_shm global on `display`, in place of libwayland's
 * (wl_display_init_shm(); do not call both on one display), advertising
 * ARGB8888, XRGB8888 and every other single-plane format `renderer` can make
 * textures from out of CPU memory. The renderer is only read during the
 * call.
 *
 * Its wl_buffers are mosaic buffers (mosaic_wl_buffer_from_resource()) that
 * offer MOSAIC_BUFFER_CAP_DATA_PTR over the pool's mapping and
 * MOSAIC_BUFFER_CAP_SHM (the pool's fd, owned by the buffer, and the
 * buffer's offset in it): renderers with MOSAIC_FEATURE_HOST_POINTER_IMPORT
 * copy the damage straight out of the client's memory on the GPU.
 *
 * Every misuse is a wl_shm protocol error for the client, never a crash of
 * the compositor: a pool size <= 0 (INVALID_STRIDE), a fd that cannot be
 * mapped or a file smaller than the pool (INVALID_FD), a resize that shrinks
 * (INVALID_FD), a format not offered (INVALID_FORMAT), buffers with a size,
 * stride or offset that does not fit in the pool (INVALID_STRIDE). A client
 * that shrinks its file later is caught by a SIGBUS handler: the pages read
 * as zeroes and the client gets INVALID_FD on the wl_buffer when the access
 * ends. The handler is installed on first use and passes faults at other
 * addresses to the handler installed before it.
 *
 * A pool's mapping (and its fd) lives as long as the pool or any buffer of
 * it does: a locked buffer stays readable after the client destroyed it, its
 * pool, or disconnected.
 *
 * The global is destroyed with the display, or earlier with
 * mosaic_wl_shm_destroy(). NULL with a log line on failure.
 */
struct mosaic_wl_shm *mosaic_wl_shm_create(struct wl_display *display,
	const struct mosaic_renderer *renderer);

/**
 * Removes the global. Clients' pools and buffers stay valid until they are
 * destroyed. Accepts NULL.
 */
void mosaic_wl_shm_destroy(struct mosaic_wl_shm *shm);

/**
 * The older wl_shm path: libwayland's global (wl_display_init_shm), which
 * hides the pool fd, so its buffers offer only MOSAIC_BUFFER_CAP_DATA_PTR
 * and every upload is a CPU copy. Prefer mosaic_wl_shm_create().
 *
 * Creates the wl_shm global on `display` (wl_display_init_shm) and advertises
 * every format `renderer` can make textures from out of CPU memory
 * (ARGB8888 and XRGB8888 are always advertised, as the protocol requires;
 * they are in every renderer's set). The renderer is only read during the
 * call. Returns false with a log line on failure.
 */
bool mosaic_wl_shm_init(struct wl_display *display, const struct mosaic_renderer *renderer);

/** The DRM fourcc for a wl_shm format code (they differ only for ARGB/XRGB8888). */
uint32_t mosaic_wl_shm_format_to_fourcc(uint32_t wl_shm_format);

/** The wl_shm format code for a DRM fourcc. */
uint32_t mosaic_wl_shm_format_from_fourcc(uint32_t fourcc);

/**
 * The mosaic buffer standing for a wl_buffer resource made by wl_shm or by a
 * zwp_linux_dmabuf_v1 global of mosaic_linux_dmabuf_v1_create(). The first
 * call wraps the resource; later calls return the same buffer until the
 * client destroys the wl_buffer.
 *
 * The resource is the producer: the buffer is dropped when the wl_buffer is
 * destroyed. Lock it (mosaic_buffer_lock()) to use it; when the last lock
 * goes away, wl_buffer.release is sent to the client. A locked buffer
 * outlives its resource, but its pixels can no longer be read once the
 * client destroyed it.
 *
 * Buffers of mosaic_wl_shm_create()'s global offer MOSAIC_BUFFER_CAP_SHM
 * and MOSAIC_BUFFER_CAP_DATA_PTR, readable even after the client destroyed
 * them (see there). Buffers of libwayland's wl_shm (mosaic_wl_shm_init())
 * offer MOSAIC_BUFFER_CAP_DATA_PTR; data access uses
 * wl_shm_buffer_begin_access(), so a client that truncates its pool gets a
 * wl_shm error instead of crashing the compositor with SIGBUS. dmabuf
 * buffers offer MOSAIC_BUFFER_CAP_DMABUF (fds owned by the buffer).
 *
 * Returns NULL for a resource that is neither (or on allocation failure).
 */
struct mosaic_buffer *mosaic_wl_buffer_from_resource(struct wl_resource *resource);

/** True when `resource` is a wl_buffer that mosaic_wl_buffer_from_resource() can wrap. */
bool mosaic_wl_buffer_is_supported(struct wl_resource *resource);

/**
 * True when `resource` is a linux-dmabuf wl_buffer created with the Y_INVERT
 * flag: its rows are stored bottom-up (as GL renders them). The compositor
 * shows such a buffer flipped vertically. A surface's buffer transform
 * (wl_surface.set_buffer_transform) says how the client has already
 * transformed its content, so the compositor draws the buffer with the
 * inverse of it; the flip comes first:
 * mosaic_transform_compose(MOSAIC_TRANSFORM_FLIPPED_180,
 * mosaic_transform_invert(buffer_transform)) for a Y_INVERT buffer,
 * mosaic_transform_invert(buffer_transform) for any other.
 * Buffer damage and source boxes in buffer coordinates refer to the flipped
 * image. False for every other buffer (wl_shm included).
 */
bool mosaic_wl_buffer_is_y_inverted(struct wl_resource *resource);

/**
 * The texture of one surface, fed by its commits: the cache a compositor
 * keeps per wl_surface.
 *
 * - wl_shm: the first commit (or one that changes size or format) makes a
 *   texture; later ones copy only the damaged part. The buffer is released
 *   right after the copy, or, where the renderer copies straight from the
 *   client's memory on the GPU (MOSAIC_FEATURE_HOST_POINTER_IMPORT, buffers
 *   of mosaic_wl_shm_create()), once that copy is complete: the release
 *   then waits for the next submitted pass.
 * - dmabuf: the renderer imports the buffer (and caches the import on it, so
 *   a client cycling through a few buffers imports each once). The buffer is
 *   released once another buffer replaced it and every pass that used it
 *   (see mosaic_surface_texture_mark_used()) has completed.
 */
struct mosaic_surface_texture;

/** Creates an empty cache. `renderer` is borrowed and must outlive it. NULL on failure. */
struct mosaic_surface_texture *mosaic_surface_texture_create(struct mosaic_renderer *renderer);

/**
 * Destroys the cache and its texture, and releases every buffer it holds
 * (waiting for passes that still use a dmabuf would be the caller's
 * business: destroy it after they completed). Accepts NULL.
 */
void mosaic_surface_texture_destroy(struct mosaic_surface_texture *surface_texture);

/**
 * Applies a wl_surface.commit that attached `buffer` (a wl_buffer resource,
 * borrowed) with `damage` in buffer coordinates (NULL: the whole buffer).
 * A NULL `buffer` unmaps: the texture is dropped. Returns false, keeping the
 * previous texture, when the buffer cannot be used (unsupported kind or
 * format, import failure, the client's memory is gone); the buffer is still
 * released then.
 */
bool mosaic_surface_texture_commit(struct mosaic_surface_texture *surface_texture,
	struct wl_resource *buffer, const pixman_region32_t *damage);

/** The current texture, or NULL before the first successful commit. Owned by the cache. */
struct mosaic_texture *mosaic_surface_texture_get_texture(
	struct mosaic_surface_texture *surface_texture);

/**
 * Says that the pass with completion point `point` drew the current
 * texture: buffers it depends on are kept until the point is complete.
 */
void mosaic_surface_texture_mark_used(struct mosaic_surface_texture *surface_texture,
	uint64_t point);

/**
 * Releases the buffers whose passes completed. Commits do this by
 * themselves; call it after frames to release dmabufs sooner.
 */
void mosaic_surface_texture_collect(struct mosaic_surface_texture *surface_texture);

/** A zwp_linux_dmabuf_v1 global (version 4). */
struct mosaic_linux_dmabuf_v1;

/**
 * Creates the zwp_linux_dmabuf_v1 global (version 4) on `display`. The
 * formats and modifiers offered are those `renderer` can texture from
 * (mosaic_renderer_get_texture_formats(renderer, MOSAIC_BUFFER_CAP_DMABUF));
 * default feedback names the renderer's DRM device as main device with one
 * tranche of those formats. `renderer` is borrowed and must outlive the
 * global. Params are validated as the protocol asks (plane indices and
 * duplicates, missing planes, dimensions, offsets and strides against the
 * size of each fd, overflow), unsupported format/modifier pairs raise
 * INVALID_FORMAT, and a buffer that the renderer cannot import gets
 * `failed` (create) or INVALID_WL_BUFFER (create_immed).
 * NULL with a log line on failure, and for a renderer without a DRM device
 * (mosaic_renderer_get_drm_fd() < 0): feedback must name one. That device
 * is the caller's (mosaic_renderer_options.drm_fd) or, without one, the
 * renderer's own DRM node; a device with no node of its own (lavapipe,
 * llvmpipe) gets linux-dmabuf by being created with the caller's. Destroy it
 * (or the display) after the clients are gone.
 */
struct mosaic_linux_dmabuf_v1 *mosaic_linux_dmabuf_v1_create(struct wl_display *display,
	struct mosaic_renderer *renderer);

/**
 * Removes the global. Buffers already made stay valid. Objects clients still
 * hold become inert: params then fail to create a buffer (`failed`, or
 * INVALID_WL_BUFFER for create_immed) and new feedback objects get an empty
 * feedback (only `done`). Nothing of them refers to the renderer any more,
 * so the renderer may be destroyed next. Accepts NULL.
 */
void mosaic_linux_dmabuf_v1_destroy(struct mosaic_linux_dmabuf_v1 *linux_dmabuf);

#endif
