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

enum mosaic_filter {
	/** Bilinear filtering (the default). */
	MOSAIC_FILTER_LINEAR = 0,
	/** Nearest texel. */
	MOSAIC_FILTER_NEAREST = 1,
};

struct mosaic_pass_options {
	/** Measures the GPU time of the pass, or NULL. */
	struct mosaic_render_timer *timer;
	/**
	 * sync_file fds the GPU waits for before rendering (e.g. the client's
	 * acquire fences). Borrowed: the caller keeps ownership.
	 */
	const int *wait_sync_files;
	size_t n_wait_sync_files;
	/**
	 * Ask for a sync_file in the completion. Backends without
	 * MOSAIC_FEATURE_SYNC_FILE_EXPORT report -1 instead.
	 */
	bool signal_sync_file;
};

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
 * and stay alive until the pass is submitted. Returns false with a log line
 * (and draws nothing) for invalid options.
 */
bool mosaic_pass_add_texture(struct mosaic_pass *pass,
	const struct mosaic_texture_options *options);

/**
 * Submits the pass and frees it. On success, fills `completion` (may be
 * NULL) so the caller can learn when the GPU is done; the buffer contents are
 * final once the point is complete. On failure the buffer contents are
 * undefined. The pass is freed in both cases.
 */
bool mosaic_pass_submit(struct mosaic_pass *pass, struct mosaic_pass_completion *completion);

#endif
