#ifndef MOSAIC_PASS_H
#define MOSAIC_PASS_H

/**
 * Render passes: one per output frame.
 *
 *     struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, output, NULL);
 *     mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
 *             .box = { 0, 0, width, height },
 *             .color = { 0.1f, 0.1f, 0.1f, 1.0f },
 *             .blend = MOSAIC_BLEND_NONE,
 *     });
 *     mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
 *             .texture = window,
 *             .dst_box = { 100, 100, 640, 480 },
 *     });
 *     struct mosaic_pass_completion done;
 *     mosaic_pass_submit(pass, &done);
 *
 * Draws happen in the order they are added. Every coordinate is in output
 * buffer pixels, origin at the top-left. Colors are premultiplied by alpha.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#include <mosaic/buffer.h>
#include <mosaic/geometry.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>

struct mosaic_pass;

/** A color with premultiplied alpha, each channel 0..1. */
struct mosaic_color {
	float r, g, b, a;
};

enum mosaic_blend {
	/** Porter-Duff OVER with premultiplied alpha (the default). */
	MOSAIC_BLEND_PREMULTIPLIED = 0,
	/** Replace the destination (SRC). */
	MOSAIC_BLEND_NONE = 1,
};

/**
 * Where a draw samples. Output pixel (i, j) is sampled at its centre
 * (i + 0.5, j + 0.5), taken through the draw's map (src_box shown in dst_box
 * through the transform: mosaic_texture_coords_map() in
 * <mosaic/interface.h>) to a texture coordinate (u, v) in texels, where texel
 * k covers [k, k + 1).
 *
 * Nearest shows texel (floor(u), floor(v)), clamped to the texture: a pixel
 * centre that falls exactly on a boundary between two texels (2:1 and other
 * even downscales, for instance) shows the texel after the boundary, the one
 * with the larger texture coordinate, whatever the transform. This is what
 * the pixman backend, the reference, draws (it shifts its map by one 16.16
 * step to undo pixman's own floor(u - 1/65536)); the GPU backends compute
 * (u, v) per pixel from the same map and pick the same texel, so all
 * backends agree pixel for pixel when (u, v) is exact in binary floating
 * point (scales such as 2:1, 3:1, 1:2, 3:2 and integer boxes). Otherwise
 * pixman rounds the map to 16.16 fixed point and GPUs evaluate it in 32-bit
 * floats: a sample within about 1/1000 texel of a boundary may go either way.
 *
 * Linear samples the four texels around (u - 0.5, v - 0.5) with bilinear
 * weights, clamping to the edge texels; weight precision differs between
 * backends (pixman uses 7 bits).
 */
enum mosaic_filter {
	/** Bilinear filtering (the default). */
	MOSAIC_FILTER_LINEAR = 0,
	/** The texel under the pixel centre's sample point (see above). */
	MOSAIC_FILTER_NEAREST = 1,
};

struct mosaic_pass_options {
	/** Measures the GPU time of the pass, or NULL. */
	struct mosaic_render_timer *timer;
	/**
	 * sync_file fds the pass waits for before rendering (e.g. the client's
	 * acquire fences). Borrowed: the caller keeps ownership. Every backend
	 * takes them: the GPU waits where the renderer can
	 * (MOSAIC_FEATURE_SYNC_FILE_IMPORT, EGL_ANDROID_native_fence_sync);
	 * otherwise mosaic_renderer_begin_pass() waits on the CPU, within the
	 * bound of `sync_file_cpu_timeout_ns`.
	 */
	const int *wait_sync_files;
	size_t n_wait_sync_files;
	/**
	 * Ask for a sync_file in the completion. Backends without
	 * MOSAIC_FEATURE_SYNC_FILE_EXPORT report -1 instead.
	 */
	bool signal_sync_file;
	/**
	 * The most time, in nanoseconds, the CPU may block in this pass for
	 * fences it cannot hand to the GPU: the wait_sync_files above and the
	 * implicit fences of the client dmabufs the pass samples
	 * (mosaic_pass_add_texture() takes them with
	 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE). The budget is shared by every wait of
	 * the pass; once it is spent the pass draws without waiting for the
	 * rest, with one WARN line: a client whose fence never signals delays
	 * a frame by at most this much and cannot hang the compositor. 0 means
	 * MOSAIC_SYNC_FILE_CPU_TIMEOUT_DEFAULT_NS; values above
	 * MOSAIC_SYNC_FILE_CPU_TIMEOUT_MAX_NS (or negative) are taken as that.
	 */
	int64_t sync_file_cpu_timeout_ns;
};

/**
 * The default of mosaic_pass_options.sync_file_cpu_timeout_ns: 100 ms. It
 * is also the most a CPU read of a dmabuf outside a pass waits for the
 * dmabuf's writers (pixman copies a dmabuf into its texture in
 * mosaic_texture_from_buffer()); a later writer is not waited for, with one
 * WARN line.
 */
#define MOSAIC_SYNC_FILE_CPU_TIMEOUT_DEFAULT_NS (100 * 1000 * 1000LL)
/** The largest mosaic_pass_options.sync_file_cpu_timeout_ns: 10 s. */
#define MOSAIC_SYNC_FILE_CPU_TIMEOUT_MAX_NS (10 * 1000 * 1000 * 1000LL)

/** How to learn that a submitted pass is complete. */
struct mosaic_pass_completion {
	/**
	 * The pass's point on the renderer timeline; see
	 * mosaic_renderer_wait_point() and mosaic_renderer_get_completed_point().
	 */
	uint64_t point;
	/**
	 * A sync_file that signals when the pass is complete, or -1. Owned by
	 * the caller (close it).
	 */
	int sync_file_fd;
};

/**
 * Starts drawing into `buffer`, which must be in the renderer's render
 * formats for one of its caps. The pass holds a lock on the buffer until it
 * is submitted. `options` may be NULL. Returns NULL with a log line on
 * failure.
 *
 * A renderer has at most one open pass: until it is submitted, another
 * begin_pass and reads of the renderer's textures
 * (mosaic_texture_read_pixels(), mosaic_texture_read_pixels_start()) fail
 * with a log line, on every backend. A texture updated after it was added
 * to the open pass may be drawn with its old or its new content.
 */
struct mosaic_pass *mosaic_renderer_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options);

struct mosaic_rect_options {
	/** The rectangle in output pixels; clipped to the buffer. */
	struct mosaic_box box;
	/** Premultiplied color. */
	struct mosaic_color color;
	/** Only pixels inside this region are touched; NULL = no clip. Borrowed. */
	const pixman_region32_t *clip;
	enum mosaic_blend blend;
};

/**
 * Fills a rectangle. Returns false with a log line (and draws nothing) for
 * invalid options: channels outside 0..1, a color channel above alpha in
 * premultiplied blending, an unknown blend mode.
 */
bool mosaic_pass_add_rect(struct mosaic_pass *pass, const struct mosaic_rect_options *options);

struct mosaic_texture_options {
	struct mosaic_texture *texture;
	/**
	 * The part of the texture to draw, in texture pixels (before the
	 * transform), possibly fractional. Empty = the whole texture. Must lie
	 * inside the texture.
	 */
	struct mosaic_fbox src_box;
	/**
	 * Where to draw, in output pixels. The source is scaled to fill it after
	 * the transform. {0} = the transformed source size at 0,0.
	 */
	struct mosaic_box dst_box;
	/** Opacity multiplier 0..1; NULL = 1. Borrowed. */
	const float *alpha;
	/** Only pixels inside this region are touched; NULL = no clip. Borrowed. */
	const pixman_region32_t *clip;
	/** Applied to the source (see enum mosaic_transform). */
	enum mosaic_transform transform;
	enum mosaic_filter filter;
	enum mosaic_blend blend;
};

/**
 * Draws (part of) a texture. The texture must come from the same renderer
 * and stay alive until the pass is submitted. A texture made from a dmabuf
 * is sampled after its implicit write fences (the ones on the dmabuf now:
 * a client's rendering still in flight), once per pass; see
 * mosaic_pass_options.sync_file_cpu_timeout_ns for how the wait is done.
 * Returns false with a log line (and draws nothing) for invalid options.
 */
bool mosaic_pass_add_texture(struct mosaic_pass *pass,
	const struct mosaic_texture_options *options);

/**
 * Submits the pass and frees it. On success, fills `completion` (may be
 * NULL) so the caller can learn when the GPU is done; the buffer contents are
 * final once the point is complete. On failure the buffer contents are
 * undefined. The pass is freed in both cases.
 *
 * When `buffer` is a dmabuf, its readers (KMS, a parent compositor, another
 * device) need not wait for the point: the pass's completion is attached to
 * the dmabuf as a write fence (DMA_BUF_IOCTL_IMPORT_SYNC_FILE), so implicit
 * sync orders them after the frame. Where the backend has no sync_file for
 * the pass, or the kernel cannot attach one, submit waits on the CPU until
 * the frame is complete (at most 2 s, then one WARN line).
 */
bool mosaic_pass_submit(struct mosaic_pass *pass, struct mosaic_pass_completion *completion);

#endif
