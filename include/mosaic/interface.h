#ifndef MOSAIC_INTERFACE_H
#define MOSAIC_INTERFACE_H

/**
 * For people who implement a backend (renderer) or an allocator. A
 * compositor never needs this header.
 *
 * A backend embeds struct mosaic_renderer (and struct mosaic_texture,
 * struct mosaic_pass, ...) in its own structs and provides one static const
 * impl table for each. The core checks every argument before calling a hook,
 * so hooks receive normalized, valid input:
 * - add_rect / add_texture: `clip` is never NULL and already intersected with
 *   the destination box and the buffer bounds (never empty: empty draws are
 *   dropped by the core); `src_box` and `dst_box` are filled in and valid;
 *   `alpha` points at a value in 0..1.
 * - update_from_buffer: the core has begun CPU access to the buffer (its data
 *   pointer, or the mapping of a linear dmabuf), checked that it has the
 *   texture's size and format and a valid layout, and clipped the damage to
 *   the texture (never empty). It ends the access after the hook returns.
 * - read_pixels: `src_box` is non-empty and inside the texture, the format is
 *   known and the stride is large enough.
 *
 * A backend identifies itself by the `name` of its renderer impl; nothing in
 * the core depends on which backend it is, so a backend can live outside
 * this tree. The core also does the arithmetic that does not depend on the
 * graphics API: mosaic_texture_coords_map() is the map every draw of a
 * texture uses. A loss of the device is reported with
 * mosaic_renderer_set_lost() from wherever the backend finds it; the core
 * tells the compositor once the call has unwound.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pixman.h>

#include <mosaic/allocator.h>
#include <mosaic/buffer.h>
#include <mosaic/format.h>
#include <mosaic/pass.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>

struct mosaic_renderer_impl {
	/**
	 * Mandatory: the backend's name, static storage ("pixman", "vulkan",
	 * "gles", or an out-of-tree backend's own). It identifies the backend in
	 * logs and mosaic_renderer_get_name(); the core never branches on it.
	 */
	const char *name;
	/** Mandatory. Frees the backend renderer (the core has finished the base). */
	void (*destroy)(struct mosaic_renderer *renderer);
	/** Mandatory. */
	struct mosaic_texture *(*texture_from_buffer)(struct mosaic_renderer *renderer,
		struct mosaic_buffer *buffer);
	/**
	 * Mandatory. The core has locked `buffer` and checked its size; the
	 * backend checks its format.
	 */
	struct mosaic_pass *(*begin_pass)(struct mosaic_renderer *renderer,
		struct mosaic_buffer *buffer, const struct mosaic_pass_options *options);
	/**
	 * Optional: backends that complete asynchronously. Without these two
	 * hooks every point is complete when submit returns.
	 */
	uint64_t (*get_completed_point)(struct mosaic_renderer *renderer);
	bool (*wait_point)(struct mosaic_renderer *renderer, uint64_t point, int64_t timeout_ns);
	/** Optional. */
	struct mosaic_render_timer *(*timer_create)(struct mosaic_renderer *renderer);
	/** Optional: see mosaic_renderer_create_gpu_allocator(). */
	struct mosaic_allocator *(*create_gpu_allocator)(struct mosaic_renderer *renderer);
	/** Optional: see mosaic_renderer_get_upload_stats(); `stats` arrives zeroed. */
	bool (*get_upload_stats)(const struct mosaic_renderer *renderer,
		struct mosaic_upload_stats *stats);
};

/**
 * The base of every renderer. The backend fills the public-to-backends
 * fields before returning it from its create function.
 */
struct mosaic_renderer {
	const struct mosaic_renderer_impl *impl;
	/** MOSAIC_FEATURE_* bits. */
	uint64_t features;
	/** Static or renderer-owned; shown in logs and the scene tool. */
	const char *device_name;
	/** Texture formats for CPU-accessible buffers and for dmabufs; filled by the backend. */
	struct mosaic_format_set data_ptr_texture_formats;
	struct mosaic_format_set dmabuf_texture_formats;
	/** Render formats for CPU-accessible buffers and for dmabufs; filled by the backend. */
	struct mosaic_format_set data_ptr_render_formats;
	struct mosaic_format_set dmabuf_render_formats;
	/**
	 * The DRM node the backend's device sits on (from
	 * VkPhysicalDeviceDrmPropertiesEXT, EGL_EXT_device_drm...): a render or
	 * primary node's device number, or 0 when the device has none (pixman,
	 * lavapipe, llvmpipe on the surfaceless platform). When the caller gave
	 * no DRM fd, the core opens this node for mosaic_renderer_get_drm_fd().
	 */
	dev_t drm_dev;
	/**
	 * The MOSAIC_BUFFER_CAP_* kinds of buffer the backend renders into
	 * natively: MOSAIC_BUFFER_CAP_DMABUF for a GPU that draws into dmabufs,
	 * MOSAIC_BUFFER_CAP_DATA_PTR for a CPU renderer that draws into memory.
	 * Other kinds may still work through a copy. The core picks allocators
	 * from this (mosaic_allocator_autocreate()); 0 means DATA_PTR.
	 */
	uint32_t render_buffer_caps;

	/* Private to the core. */
	/** The built-in backend mosaic_renderer_create() picked; AUTO for any other. */
	enum mosaic_backend backend;
	int drm_fd;
	bool lost;
	/** The loss is not delivered yet (see mosaic_renderer_set_lost()). */
	bool lost_pending;
	void (*lost_callback)(struct mosaic_renderer *renderer, void *user_data);
	void *user_data;
	uint64_t last_point;
	size_t n_children;
	/** Public calls in progress on this renderer, and passes begun and not submitted. */
	unsigned call_depth;
	size_t n_open_passes;
};

/**
 * Initializes the base. Asserts that the mandatory hooks and the name are
 * present. The device name starts as the backend's name and the format sets
 * empty; the backend fills them.
 */
void mosaic_renderer_init(struct mosaic_renderer *renderer,
	const struct mosaic_renderer_impl *impl);

/**
 * Called by a backend when it detects device loss. Marks the renderer lost
 * (every later call fails) and logs it: the one ERROR line of the failure
 * (the backend's own detail, such as the call that returned the loss, goes
 * at DEBUG level). The compositor's `lost` callback
 * runs once, later: when the public call that found the loss returns (after
 * mosaic_pass_submit() when a pass is open), so that the callback may
 * destroy the renderer. A backend keeps unwinding normally after this call.
 */
void mosaic_renderer_set_lost(struct mosaic_renderer *renderer);

/**
 * An affine map of the plane: (x, y) -> (m[0] x + m[1] y + m[2],
 * m[3] x + m[4] y + m[5]).
 */
struct mosaic_affine {
	double m[6];
};

/**
 * The map every backend draws a texture with: from output pixel coordinates
 * relative to (origin_x, origin_y) to texture pixel coordinates, such that
 * `dst_box` shows `src_box` of the texture through `transform` (the
 * transform is undone: with MOSAIC_TRANSFORM_90 the top-left corner of
 * `dst_box` shows the top-right corner of `src_box`). Divide the rows by the
 * texture's width and height for normalized coordinates. The origin keeps
 * the constant terms small near the drawn pixels (pixman's 16.16 fixed
 * point needs that); pass 0, 0 for plain output coordinates. `dst_box` must
 * not be empty (the core guarantees it for add_texture); nothing is
 * borrowed past the call.
 */
void mosaic_texture_coords_map(struct mosaic_affine *out, const struct mosaic_fbox *src_box,
	const struct mosaic_box *dst_box, enum mosaic_transform transform, int origin_x,
	int origin_y);

/** What the core hands to a texture's update_from_buffer hook; valid during the hook. */
struct mosaic_texture_update {
	/**
	 * The buffer being copied, for backends that import its memory directly
	 * (host-pointer import). Borrowed; its CPU access is open.
	 */
	struct mosaic_buffer *buffer;
	/**
	 * The buffer's top-left pixel, mapped for reading. NULL for YUV formats
	 * (mosaic_format_info.is_yuv): their planes and colour facts are the
	 * buffer's dmabuf, which the backend reads or imports itself.
	 */
	const void *data;
	/** The texture's format; the buffer's too, except for YUV (checked by the backend). */
	uint32_t fourcc;
	/**
	 * Bytes per row: a valid layout for the texture's size
	 * (mosaic_format_check_layout()); 0 with `data` NULL.
	 */
	uint32_t stride;
	/** Texture coordinates, clipped to the texture, never empty. */
	const pixman_region32_t *damage;
};

struct mosaic_texture_impl {
	/** Mandatory. */
	void (*destroy)(struct mosaic_texture *texture);
	/**
	 * Optional (textures that cannot be updated fail cleanly without it).
	 * Copies `update->damage` of the mapped pixels into the texture; returns
	 * false with one log line. See the top of this file for what the core
	 * has checked.
	 */
	bool (*update_from_buffer)(struct mosaic_texture *texture,
		const struct mosaic_texture_update *update);
	/** Optional (reads fail cleanly without it). */
	bool (*read_pixels)(struct mosaic_texture *texture,
		const struct mosaic_read_pixels_options *options);
	/**
	 * Optional: start an asynchronous read. Without it the core performs
	 * a synchronous read in mosaic_texture_read_pixels_start().
	 */
	struct mosaic_read_request *(*read_pixels_start)(struct mosaic_texture *texture,
		const struct mosaic_read_pixels_options *options);
	/** Optional: default is the texture's own format. */
	uint32_t (*preferred_read_format)(struct mosaic_texture *texture);
};

struct mosaic_texture {
	const struct mosaic_texture_impl *impl;
	struct mosaic_renderer *renderer;
	int width, height;
	uint32_t fourcc;

	/* Private to the core. */
	/* A duplicate of the dmabuf the texture samples (implicit sync), or -1. */
	int dmabuf_fds[4];
	/* The timeline point of the pass that last waited for its implicit fences. */
	uint64_t implicit_wait_point;
	/* Read requests started and not finished: they must end before the texture. */
	size_t n_read_requests;
};

/** Initializes the base and counts the texture as a child of the renderer. */
void mosaic_texture_init(struct mosaic_texture *texture, const struct mosaic_texture_impl *impl,
	struct mosaic_renderer *renderer, int width, int height, uint32_t fourcc);

struct mosaic_pass_impl {
	/** Mandatory. Options normalized by the core (see the top of this file). */
	void (*add_rect)(struct mosaic_pass *pass, const struct mosaic_rect_options *options);
	/** Mandatory. Options normalized by the core. */
	void (*add_texture)(struct mosaic_pass *pass, const struct mosaic_texture_options *options);
	/**
	 * Optional: makes the pass's GPU work wait for the sync_file `fd`
	 * (borrowed: duplicate it to keep it) without blocking the CPU. Called
	 * by the core for the pass options' wait_sync_files and for the implicit
	 * fences of the dmabufs the pass samples, any time between begin_pass
	 * and submit. Returns false when the backend cannot wait on the GPU
	 * (no log line needed): the core then waits on the CPU, bounded (see
	 * struct mosaic_pass_options).
	 */
	bool (*wait_sync_file)(struct mosaic_pass *pass, int fd);
	/**
	 * Mandatory. Submits and frees the backend pass. `point` is the timeline
	 * point the work must signal (reported by get_completed_point once done).
	 * When `out_sync_file` is non-NULL the caller asked for a sync_file:
	 * store one there or leave -1.
	 */
	bool (*submit)(struct mosaic_pass *pass, uint64_t point, int *out_sync_file);
};

struct mosaic_pass {
	const struct mosaic_pass_impl *impl;
	struct mosaic_renderer *renderer;
	/** Locked by the core for the duration of the pass. */
	struct mosaic_buffer *buffer;

	/* Private to the core. */
	pixman_region32_t clip;
	bool signal_sync_file;
	/* CLOCK_MONOTONIC ns until which CPU waits for sync_files may block; -1: unset. */
	int64_t cpu_wait_deadline_ns;
	int64_t cpu_wait_timeout_ns;
	bool cpu_wait_expired;
};

/** Initializes the base of a pass created in begin_pass. */
void mosaic_pass_init(struct mosaic_pass *pass, const struct mosaic_pass_impl *impl,
	struct mosaic_renderer *renderer, struct mosaic_buffer *buffer);

struct mosaic_render_timer_impl {
	/** Mandatory. */
	int64_t (*get_duration_ns)(struct mosaic_render_timer *timer);
	/** Mandatory. */
	void (*destroy)(struct mosaic_render_timer *timer);
	/**
	 * Optional: see mosaic_render_timer_get_draw_times(); called only for
	 * timers with `per_draw` set. Without it the core reports
	 * MOSAIC_DRAW_TIMES_UNSUPPORTED.
	 */
	size_t (*get_draw_times)(struct mosaic_render_timer *timer, int64_t *out_ns, size_t cap,
		enum mosaic_draw_times *kind);
	/**
	 * Optional: see mosaic_render_timer_get_tile_times(); called only for
	 * timers with `per_draw` set, with `grid` non-NULL and zeroed. Without
	 * it the core reports no tiles.
	 */
	size_t (*get_tile_times)(struct mosaic_render_timer *timer, int64_t *out_ns, size_t cap,
		struct mosaic_tile_grid *grid);
};

struct mosaic_render_timer {
	const struct mosaic_render_timer_impl *impl;
	struct mosaic_renderer *renderer;
	/**
	 * Set by the core after timer_create (mosaic_render_timer_options):
	 * the backend measures each draw of the passes this timer is given to.
	 */
	bool per_draw;
};

/** Initializes the base and counts the timer as a child of the renderer. */
void mosaic_render_timer_init(struct mosaic_render_timer *timer,
	const struct mosaic_render_timer_impl *impl, struct mosaic_renderer *renderer);

struct mosaic_read_request_impl {
	/** Mandatory: fd readable on completion, or -1. */
	int (*get_fd)(struct mosaic_read_request *request);
	/** Mandatory. */
	bool (*is_complete)(struct mosaic_read_request *request);
	/** Mandatory: wait, write the pixels to options.data, free the request. */
	bool (*finish)(struct mosaic_read_request *request);
};

struct mosaic_read_request {
	const struct mosaic_read_request_impl *impl;
	struct mosaic_texture *texture;
	/** A copy of the caller's options (normalized src_box). */
	struct mosaic_read_pixels_options options;
};

/**
 * Initializes the base and counts the request as a child of the renderer and
 * of the texture (which must outlive it).
 */
void mosaic_read_request_init(struct mosaic_read_request *request,
	const struct mosaic_read_request_impl *impl, struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options);

struct mosaic_allocator_impl {
	/** Mandatory. */
	struct mosaic_buffer *(*create_buffer)(struct mosaic_allocator *allocator,
		int width, int height, uint32_t fourcc, const uint64_t *modifiers,
		size_t n_modifiers);
	/** Mandatory. */
	void (*destroy)(struct mosaic_allocator *allocator);
};

struct mosaic_allocator {
	const struct mosaic_allocator_impl *impl;
	/** MOSAIC_BUFFER_CAP_* bits of the buffers it makes. */
	uint32_t buffer_caps;
};

/** Initializes the base. Asserts that the mandatory hooks are present. */
void mosaic_allocator_init(struct mosaic_allocator *allocator,
	const struct mosaic_allocator_impl *impl, uint32_t buffer_caps);

#endif
