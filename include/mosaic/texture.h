#ifndef MOSAIC_TEXTURE_H
#define MOSAIC_TEXTURE_H

/**
 * Textures: a renderer's copy or import of a buffer, ready to be drawn.
 */

#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>

#include <mosaic/buffer.h>
#include <mosaic/geometry.h>
#include <mosaic/renderer.h>

struct mosaic_texture;

/**
 * Makes a texture from a buffer. CPU-accessible buffers are copied (the
 * buffer may be released right after); dmabufs are imported and the import is
 * cached on the buffer, so a second texture from the same dmabuf costs
 * nothing. The caller keeps its reference to `buffer`. Returns NULL with a
 * log line on failure (unsupported format, bad layout, lost device).
 */
struct mosaic_texture *mosaic_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer);

/**
 * Makes a texture from `height` rows of `stride` bytes at `data`, `width`
 * pixels of `fourcc` each: the arguments of mosaic_buffer_from_data(), in
 * its order. The data is copied; the caller keeps it. Returns NULL with a
 * log line for an invalid layout or an unsupported format.
 */
struct mosaic_texture *mosaic_texture_from_pixels(struct mosaic_renderer *renderer,
	int width, int height, uint32_t fourcc, uint32_t stride, const void *data);

/**
 * Copies the pixels of `buffer` inside `damage` (buffer coordinates; NULL =
 * everything) into the texture. The buffer must have the texture's size and
 * format. Pixels outside `damage` keep their previous content. The caller
 * keeps its reference to `buffer`; the renderer does not need it after the
 * call returns.
 */
bool mosaic_texture_update_from_buffer(struct mosaic_texture *texture,
	struct mosaic_buffer *buffer, const pixman_region32_t *damage);

/** Where and how to read pixels. A zeroed struct is not valid: set format, stride, data. */
struct mosaic_read_pixels_options {
	/** Format to write (converted as needed); any format of mosaic_format_get_all(). */
	uint32_t fourcc;
	/** Bytes between rows at `data`. */
	uint32_t stride;
	/** Caller memory receiving the rectangle's top-left pixel at `data`. Borrowed. */
	void *data;
	/** The rectangle to read, in texture pixels; empty means the whole texture. */
	struct mosaic_box src_box;
};

/**
 * Reads a rectangle of the texture into caller memory and returns once the
 * pixels are there. Fails (false, log line) for a rectangle outside the
 * texture, a stride too small or not a multiple of the pixel size, or an
 * unknown format.
 */
bool mosaic_texture_read_pixels(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options);

/** A read in progress (mosaic_texture_read_pixels_start()). */
struct mosaic_read_request;

/**
 * Starts a read without waiting for it. `options->data` must stay valid until
 * mosaic_read_request_finish(). Backends without asynchronous readback do the
 * work here and return a request that is already complete. NULL on failure.
 *
 * The request borrows `texture`: finish every request before destroying its
 * texture (and, like textures, before the renderer). Debug builds assert it.
 */
struct mosaic_read_request *mosaic_texture_read_pixels_start(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options);

/**
 * An fd that becomes readable (poll POLLIN) when the request is complete, or
 * -1 when there is none (then poll with mosaic_read_request_is_complete()).
 * Owned by the request.
 */
int mosaic_read_request_get_fd(struct mosaic_read_request *request);

/** True when the pixels can be collected without blocking. */
bool mosaic_read_request_is_complete(struct mosaic_read_request *request);

/**
 * Waits for the read if needed, writes the pixels to the caller memory and
 * frees the request. Returns whether the pixels were written.
 */
bool mosaic_read_request_finish(struct mosaic_read_request *request);

/**
 * The format that reads fastest (no conversion). Never a YUV format: YUV
 * textures read as XRGB8888 (XRGB2101010 for 10-bit ones).
 */
uint32_t mosaic_texture_get_preferred_read_format(struct mosaic_texture *texture);

/** Width in pixels. */
int mosaic_texture_get_width(const struct mosaic_texture *texture);

/** Height in pixels. */
int mosaic_texture_get_height(const struct mosaic_texture *texture);

/** The DRM fourcc the texture was made from. */
uint32_t mosaic_texture_get_fourcc(const struct mosaic_texture *texture);

/** Destroys the texture. Accepts NULL. Its read requests must be finished first. */
void mosaic_texture_destroy(struct mosaic_texture *texture);

#endif
