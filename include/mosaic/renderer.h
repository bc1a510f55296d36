#ifndef MOSAIC_RENDERER_H
#define MOSAIC_RENDERER_H

/**
 * The renderer: one per GPU (or one for the CPU), created at startup.
 *
 * A frame, from a compositor's point of view:
 *
 *     renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){0});
 *     // on commit
 *     tex = mosaic_texture_from_buffer(renderer, client_buffer);      // first time
 *     mosaic_texture_update_from_buffer(tex, client_buffer, &damage); // later
 *     // on frame
 *     pass = mosaic_renderer_begin_pass(renderer, output_buffer, NULL);
 *     mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){ .box = ..., .color = ... });
 *     mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){ .texture = tex, ... });
 *     mosaic_pass_submit(pass, &completion);
 *
 * Objects made by a renderer (textures, timers, read requests) must be
 * destroyed before it; debug builds assert this.
 */

#include <stdbool.h>
#include <stdint.h>

#include <mosaic/format.h>

struct mosaic_renderer;

/** The backends. MOSAIC_BACKEND_AUTO is only meaningful in options. */
enum mosaic_backend {
	MOSAIC_BACKEND_AUTO = 0,
	MOSAIC_BACKEND_PIXMAN = 1,
	MOSAIC_BACKEND_VULKAN = 2,
	MOSAIC_BACKEND_GLES = 3,
};

/** What a renderer can do, beyond the basics every backend has. */
enum mosaic_feature {
	/** Textures from dmabuf buffers. */
	MOSAIC_FEATURE_DMABUF_IMPORT = 1 << 0,
	/** Render targets and textures can be exported as dmabufs. */
	MOSAIC_FEATURE_DMABUF_EXPORT = 1 << 1,
	/** Explicit DRM format modifiers (not only implicit/linear). */
	MOSAIC_FEATURE_DRM_MODIFIERS = 1 << 2,
	/** Client memory is used for uploads without a CPU copy. */
	MOSAIC_FEATURE_HOST_POINTER_IMPORT = 1 << 3,
	/** Completion is tracked with a timeline semaphore. */
	MOSAIC_FEATURE_TIMELINE = 1 << 4,
	/** A pass can signal a sync_file. */
	MOSAIC_FEATURE_SYNC_FILE_EXPORT = 1 << 5,
	/** A pass can wait on sync_files without blocking the CPU. */
	MOSAIC_FEATURE_SYNC_FILE_IMPORT = 1 << 6,
	/** Queue-family ownership transfers to/from foreign queues. */
	MOSAIC_FEATURE_FOREIGN_QUEUE = 1 << 7,
	/** mosaic_render_timer measures GPU time. */
	MOSAIC_FEATURE_GPU_TIMERS = 1 << 8,
	/** Images can be exported and imported as opaque fds (same device). */
	MOSAIC_FEATURE_OPAQUE_FD = 1 << 9,
	/** The renderer runs on the CPU (pixman, llvmpipe, lavapipe). */
	MOSAIC_FEATURE_SOFTWARE = 1 << 10,
};

struct mosaic_renderer_options {
	/**
	 * Which backend; MOSAIC_BACKEND_AUTO (the default) tries vulkan, then
	 * gles, then pixman, unless MOSAIC_RENDERER=vulkan|gles|pixman names one.
	 */
	enum mosaic_backend backend;
	/**
	 * A DRM device fd (primary or render node) the renderer must run on, or
	 * a value <= 0 for none. Borrowed: the renderer duplicates it. When no
	 * Vulkan device has that node and `backend` asks for Vulkan, a CPU device
	 * without a DRM node of its own (lavapipe) starts beside it: it imports
	 * the dmabufs it can map, and the fd becomes the renderer's DRM device
	 * (mosaic_renderer_get_drm_fd()). Auto-selection passes over it then,
	 * in favour of GLES on the device.
	 */
	int drm_fd;
	/**
	 * Called once when the device is lost (VK_ERROR_DEVICE_LOST, a GL
	 * context reset). The renderer then fails every further call; destroy
	 * its textures, timers, read requests and itself, and create a new one.
	 * Destroying them from the callback is safe: it runs when the mosaic
	 * call that found the loss is about to return to the compositor (for a
	 * loss found while a pass is open, at the end of mosaic_pass_submit();
	 * for one found outside the calls of this header and texture.h/pass.h,
	 * at the end of the next of those calls). The call then returns its
	 * failure value. May be NULL.
	 */
	void (*lost)(struct mosaic_renderer *renderer, void *user_data);
	/** Passed to `lost`. */
	void *user_data;
};

/**
 * Creates a renderer. `options` may be NULL (defaults). Returns NULL, with
 * log lines saying why, when no requested backend can start or when the
 * requested backend was not built.
 */
struct mosaic_renderer *mosaic_renderer_create(const struct mosaic_renderer_options *options);

/**
 * Destroys the renderer. Its textures, timers and read requests must be gone
 * (checked in debug builds), and no pass may be open. Not from inside a
 * mosaic call (a log handler, a buffer's release hook); the `lost` callback
 * is the exception. Accepts NULL.
 */
void mosaic_renderer_destroy(struct mosaic_renderer *renderer);

/**
 * The built-in backend mosaic_renderer_create() (or a backend's own
 * constructor) picked. MOSAIC_BACKEND_AUTO for a renderer of a backend that
 * is not built in (see interface.h): mosaic_renderer_get_name() names every
 * backend.
 */
enum mosaic_backend mosaic_renderer_get_backend(const struct mosaic_renderer *renderer);

/**
 * The backend's name: "pixman", "vulkan", "gles" (as mosaic_backend_name()
 * spells them) or an out-of-tree backend's own. Static storage.
 */
const char *mosaic_renderer_get_name(const struct mosaic_renderer *renderer);

/** A short description of the device ("pixman", "llvmpipe (LLVM 15.0.6)"). Static storage. */
const char *mosaic_renderer_get_device_name(const struct mosaic_renderer *renderer);

/** The MOSAIC_FEATURE_* bits of this renderer. */
uint64_t mosaic_renderer_get_features(const struct mosaic_renderer *renderer);

/**
 * What a renderer copied into textures since it was created
 * (mosaic_renderer_get_upload_stats()). Bytes are those of the damage
 * copied: width x height x bytes per pixel of each rectangle.
 */
struct mosaic_upload_stats {
	/** Copied by the CPU out of the buffer (into staging memory) before the GPU copy. */
	uint64_t cpu_copied_bytes;
	/**
	 * Copied by the GPU straight out of the client's memory, imported as host
	 * memory (MOSAIC_FEATURE_HOST_POINTER_IMPORT): no CPU copy.
	 */
	uint64_t host_import_bytes;
	/**
	 * Of both, the bytes whose GPU copy is known to be complete, and the sum
	 * over the submissions that carried them of the time from the submission
	 * to its completion being seen, in nanoseconds (an upper bound of the
	 * copy's own time: the submission also holds the frame's drawing). Their
	 * ratio is the rate at which the GPU took the uploads.
	 */
	uint64_t gpu_completed_bytes;
	uint64_t gpu_completed_ns;
};

/**
 * Fills `stats`. False (with `stats` zeroed) for renderers that do not count
 * their uploads: those that copy on the CPU (pixman) or hand the copy to a
 * driver whose completion they do not see (GLES).
 */
bool mosaic_renderer_get_upload_stats(const struct mosaic_renderer *renderer,
	struct mosaic_upload_stats *stats);

/**
 * The DRM device the renderer runs on, or -1: the caller's
 * `options.drm_fd` (duplicated) when one was given, else the render node of
 * the renderer's own device (Vulkan: VkPhysicalDeviceDrmPropertiesEXT;
 * GLES: the EGL device's EGL_DRM_RENDER_NODE_FILE_EXT or
 * EGL_DRM_DEVICE_FILE_EXT, or the GBM device), -1 for a device that has no
 * DRM node (pixman, lavapipe, llvmpipe on the surfaceless platform) when
 * the caller named none. Borrowed: owned by the renderer and closed by
 * mosaic_renderer_destroy(); dup it to keep it. This is the device
 * mosaic_linux_dmabuf_v1_create() names as the feedback's main device and
 * mosaic_allocator_autocreate() allocates on.
 */
int mosaic_renderer_get_drm_fd(const struct mosaic_renderer *renderer);

/**
 * The formats the renderer can make textures from, for buffers offering
 * `cap` (MOSAIC_BUFFER_CAP_DATA_PTR or MOSAIC_BUFFER_CAP_DMABUF). For
 * CPU-accessible buffers every RGB format is listed with DRM_FORMAT_MOD_LINEAR
 * (YUV formats come only as dmabufs, and are never render formats).
 * The set is owned by the renderer and never NULL (possibly empty). `cap` is
 * one cap, not a mask: anything else logs one error and gives the empty set.
 */
const struct mosaic_format_set *mosaic_renderer_get_texture_formats(
	const struct mosaic_renderer *renderer, uint32_t cap);

/** The formats the renderer can render into, for buffers offering `cap`. As above. */
const struct mosaic_format_set *mosaic_renderer_get_render_formats(
	const struct mosaic_renderer *renderer, uint32_t cap);

/** True once the device was lost. */
bool mosaic_renderer_is_lost(const struct mosaic_renderer *renderer);

/**
 * Sets the `lost` callback and its `user_data` as struct
 * mosaic_renderer_options does, for renderers made by a backend's own
 * constructor (mosaic_vulkan_renderer_create() and the like). Replaces any
 * earlier callback; `lost` may be NULL. A loss that was found and not
 * delivered yet goes to the new callback.
 */
void mosaic_renderer_set_lost_callback(struct mosaic_renderer *renderer,
	void (*lost)(struct mosaic_renderer *renderer, void *user_data), void *user_data);

/**
 * Every submitted pass gets the next point of the renderer's timeline (see
 * struct mosaic_pass_completion). Returns the highest point whose work is
 * complete.
 */
uint64_t mosaic_renderer_get_completed_point(struct mosaic_renderer *renderer);

/**
 * Waits until `point` is complete, at most `timeout_ns` nanoseconds (< 0:
 * forever). Returns false on timeout or device loss.
 */
bool mosaic_renderer_wait_point(struct mosaic_renderer *renderer, uint64_t point,
	int64_t timeout_ns);

/** "auto", "pixman", "vulkan", "gles"; NULL for an invalid value. */
const char *mosaic_backend_name(enum mosaic_backend backend);

/** Parses a name from mosaic_backend_name(); false for an unknown one. */
bool mosaic_backend_from_name(const char *name, enum mosaic_backend *out);

/** True when the backend was compiled in (pixman and auto always are). */
bool mosaic_backend_is_built(enum mosaic_backend backend);

/** A measurement of the GPU time a pass takes (pass options `timer`). */
struct mosaic_render_timer;

/**
 * Creates a timer, or returns NULL (with a DEBUG line) when the renderer
 * cannot measure GPU time (see MOSAIC_FEATURE_GPU_TIMERS).
 */
struct mosaic_render_timer *mosaic_render_timer_create(struct mosaic_renderer *renderer);

/**
 * The duration in nanoseconds of the last pass that used the timer; waits
 * for that pass to complete. -1 when nothing was measured.
 */
int64_t mosaic_render_timer_get_duration_ns(struct mosaic_render_timer *timer);

/** Options of mosaic_render_timer_create_with_options(); zeroed: a whole-pass timer. */
struct mosaic_render_timer_options {
	/**
	 * Also measure each draw (mosaic_render_timer_get_draw_times()). This
	 * costs GPU time (the Vulkan graphics path writes a timestamp after
	 * every draw and no longer batches draws): ask for it when profiling
	 * only. A timer without it costs nothing per draw.
	 */
	bool per_draw;
};

/** The same as mosaic_render_timer_create() with options (NULL: none). */
struct mosaic_render_timer *mosaic_render_timer_create_with_options(
	struct mosaic_renderer *renderer, const struct mosaic_render_timer_options *options);

/** What mosaic_render_timer_get_draw_times() measured. */
enum mosaic_draw_times {
	/** Nothing: the backend cannot, or the timer was made without per_draw. */
	MOSAIC_DRAW_TIMES_UNSUPPORTED = 0,
	/**
	 * GPU timestamps after each draw (the Vulkan graphics path): the time
	 * from the end of one draw's work to the end of the next one's. Draws
	 * overlap in the GPU's pipeline, so this is the cost each draw adds,
	 * not its latency; their sum is the pass's GPU time.
	 */
	MOSAIC_DRAW_TIMES_GPU = 1,
	/**
	 * An estimate: the Vulkan compute path draws every shaded draw in one
	 * dispatch, whose measured time is shared out in proportion to the
	 * pixels each draw covers; draws done as transfers (copy fast path)
	 * are measured as in MOSAIC_DRAW_TIMES_GPU.
	 */
	MOSAIC_DRAW_TIMES_GPU_ESTIMATE = 2,
};

/**
 * The time of each draw of the last pass that used the timer, in the order
 * the draws were added (every mosaic_pass_add_rect() and
 * mosaic_pass_add_texture() call that drew something); waits for that pass
 * to complete. Writes up to `cap` values to `out_ns` (-1: not measured;
 * 0: a draw that cost nothing, such as one a later draw covers entirely),
 * stores the kind of measurement in `kind` (may be NULL) and returns the
 * number of draws of the pass, which may be more than `cap`. Returns 0 with
 * MOSAIC_DRAW_TIMES_UNSUPPORTED where the backend cannot measure draws
 * (pixman has no timer at all; GLES times whole passes only), the timer was
 * made without per_draw, or no pass measured with it has completed.
 */
size_t mosaic_render_timer_get_draw_times(struct mosaic_render_timer *timer, int64_t *out_ns,
	size_t cap, enum mosaic_draw_times *kind);

/** The tiles of mosaic_render_timer_get_tile_times(), in output pixels. */
struct mosaic_tile_grid {
	/** The size of a tile; tiles of the last column and row end at the output's edge. */
	int tile_width, tile_height;
	int columns, rows;
};

/**
 * Where a pass spent its GPU time, tile by tile, for passes that composite
 * the output in tiles (the Vulkan compute path, on devices with
 * VK_KHR_shader_clock): each tile's measured duration, as its share of the
 * time of the work that drew all of them, so that the values add up to that
 * time (tiles run in parallel: a tile's value is not its latency). Tiles
 * are in rows, top to bottom, each row left to right. Only for timers made
 * with per_draw. Waits for the pass to complete; writes up to `cap` values
 * to `out_ns` and the grid to `grid` (may be NULL) and returns the number
 * of tiles, which may be more than `cap`. Returns 0 (grid zeroed) where
 * the last pass measured with the timer was not drawn in tiles, the device
 * cannot measure them, or the timer was made without per_draw.
 */
size_t mosaic_render_timer_get_tile_times(struct mosaic_render_timer *timer, int64_t *out_ns,
	size_t cap, struct mosaic_tile_grid *grid);

/** Destroys the timer. Accepts NULL. */
void mosaic_render_timer_destroy(struct mosaic_render_timer *timer);

#endif
