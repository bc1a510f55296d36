#ifndef MOSAIC_PRIVATE_BUFFER_ACCESS_H
#define MOSAIC_PRIVATE_BUFFER_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

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

/** Ends an access started by mosaic_buffer_access_begin() and zeroes `access`. */
void mosaic_buffer_access_end(struct mosaic_buffer_access *access);

#endif
