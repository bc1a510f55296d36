#ifndef MOSAIC_RENDER_PIXMAN_PRIVATE_H
#define MOSAIC_RENDER_PIXMAN_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#include <mosaic/interface.h>

#include "private/buffer_access.h"

struct pixman_renderer {
	struct mosaic_renderer base;
	/**
	 * MOSAIC_PIXMAN_GENERAL_PATH=1 when the renderer was made: every texture
	 * draw takes the transformed, filtered path, the one the faster ones must
	 * match byte for byte (tests compare the two).
	 */
	bool general_path;
};

struct pixman_texture {
	struct mosaic_texture base;
	/** Owns its pixels (a copy of the buffer it was made from). */
	pixman_image_t *image;
};

/**
 * CPU access to a buffer as a pixman image. pixman wants rows and pixels on
 * 4-byte boundaries, which wl_shm does not promise (tightly packed RGB565 of
 * odd width, odd offsets): such buffers are copied into a shadow image, and
 * copied back by pixman_buffer_view_finish() when opened for writing.
 * Buffers that offer only dmabuf planes are mapped when they are linear
 * (mosaic_dmabuf_begin_cpu_access()).
 */
struct pixman_buffer_view {
	pixman_image_t *image;
	/** The access pixman_buffer_view_init() began (zeroed when someone else holds it). */
	struct mosaic_buffer_access access;
	void *data;
	uint32_t fourcc;
	uint32_t stride;
	int width, height;
	/** MOSAIC_BUFFER_DATA_ACCESS_* */
	uint32_t flags;
	bool shadow;
};

struct pixman_pass {
	struct mosaic_pass base;
	/** The output buffer's memory while the pass is open. */
	struct pixman_buffer_view view;
	/** view.image */
	pixman_image_t *target;
	/** A draw failed (logged where it happened): submit reports it. */
	bool failed;
	/** pixman_renderer.general_path */
	bool general_path;
	/** The target has at most 8 bits a channel. */
	bool narrow_target;
	/** The last solid alpha mask made (owned), for mask_alpha; or NULL. */
	pixman_image_t *mask;
	float mask_alpha;
};

struct pixman_texture *pixman_texture_from_base(struct mosaic_texture *texture);
struct mosaic_texture *pixman_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer);
struct mosaic_pass *pixman_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options);

/**
 * Starts CPU access to `buffer` (flags: MOSAIC_BUFFER_DATA_ACCESS_*). Returns false
 * with one log line on failure, with nothing left to finish.
 */
bool pixman_buffer_view_init(struct pixman_buffer_view *view, struct mosaic_buffer *buffer,
	uint32_t flags);

/** Writes a shadow back if needed, releases the image and ends the access. */
void pixman_buffer_view_finish(struct pixman_buffer_view *view);

/** True when pixman can use `data` with `stride` in place. */
bool pixman_layout_is_aligned(const void *data, uint32_t stride);

/** Copies `height` rows of `row_bytes` between two strided layouts. */
void pixman_copy_rows(void *dst, uint32_t dst_stride, const void *src, uint32_t src_stride,
	size_t row_bytes, int height);

/** The color as pixman wants it: 16 bits per channel, premultiplied. */
pixman_color_t pixman_color_from_float(float r, float g, float b, float a);

#endif
