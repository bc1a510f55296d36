#ifndef MOSAIC_PRIVATE_BUFFER_ACCESS_H
#define MOSAIC_PRIVATE_BUFFER_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>

#include <mosaic/buffer.h>

/**
 * CPU access to a buffer's pixels, however the buffer offers them: through
 * its data pointer, or by mapping its dmabuf plane when it offers nothing
 * else (mosaic_dmabuf_begin_cpu_access()). Filled by
 * mosaic_buffer_access_begin(); the fields are read-only for its users.
 */
struct mosaic_buffer_access {
	/** Borrowed; the caller keeps its reference for the whole access. */
	struct mosaic_buffer *buffer;
	/** A mask of enum mosaic_buffer_data_access. */
	uint32_t flags;
	/** The top-left pixel. */
	void *data;
	uint32_t fourcc;
	/** Bytes per row: a valid layout (mosaic_format_check_layout()) for the buffer. */
	uint32_t stride;
	/** Reached through the dmabuf mapping rather than the data pointer. */
	bool dmabuf;
};

/**
 * Starts CPU access to `buffer` and checks the layout it reports: a format of
 * the table and a stride that holds the buffer's size. Returns false with
 * one log line (no CPU access, a nested access, the buffer refusing, a bad
 * format or layout), with nothing left to end.
 */
bool mosaic_buffer_access_begin(struct mosaic_buffer_access *access,
	struct mosaic_buffer *buffer, uint32_t flags);

/**
 * mosaic_buffer_access_begin() for a copy into storage of `fourcc` (a
 * texture of that format): also refused, with one log line and nothing left
 * to end, when the buffer maps as another format.
 */
bool mosaic_buffer_access_begin_as(struct mosaic_buffer_access *access,
	struct mosaic_buffer *buffer, uint32_t flags, uint32_t fourcc);

/**
 * Converts the YUV planes of `buffer` (a dmabuf buffer of YUV format
 * `fourcc`, mapped for reading through
 * mosaic_dmabuf_begin_cpu_access_planes()) into R'G'B' words of
 * mosaic_format_pixman_yuv_code(fourcc) at `dst` (`dst_stride` bytes per
 * row, the whole buffer's size), for every rectangle of `region` (NULL: the
 * whole buffer; rectangles inside the buffer). False with one log line (the
 * planes cannot be mapped, or the buffer maps as another format).
 */
bool mosaic_buffer_convert_yuv(struct mosaic_buffer *buffer, uint32_t fourcc,
	const pixman_region32_t *region, void *dst, uint32_t dst_stride);

/** Ends an access started by mosaic_buffer_access_begin() and zeroes `access`. */
void mosaic_buffer_access_end(struct mosaic_buffer_access *access);

#endif
