#ifndef MOSAIC_RENDER_PIXMAN_PRIVATE_H
#define MOSAIC_RENDER_PIXMAN_PRIVATE_H

#include <pixman.h>

#include <mosaic/interface.h>

struct pixman_renderer {
	struct mosaic_renderer base;
};

struct pixman_texture {
	struct mosaic_texture base;
	/** Owns its pixels (a copy of the buffer it was made from). */
	pixman_image_t *image;
};

struct pixman_pass {
	struct mosaic_pass base;
	/** Wraps the output buffer's memory while the pass is open. */
	pixman_image_t *target;
};

struct pixman_texture *pixman_texture_from_base(struct mosaic_texture *texture);
struct mosaic_texture *pixman_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer);
struct mosaic_pass *pixman_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options);

/**
 * Starts CPU access to `buffer` (its data pointer, or a mapping of its dmabuf
 * when it is a linear dmabuf without one) and wraps it in a pixman image.
 * Unreffing the image ends the access. NULL, with a log line, on failure.
 */
pixman_image_t *pixman_wrap_buffer(struct mosaic_buffer *buffer, uint32_t flags,
	uint32_t *out_fourcc);

/** The color as pixman wants it: 16 bits per channel, premultiplied. */
pixman_color_t pixman_color_from_float(float r, float g, float b, float a);

#endif
