#ifndef MOSAIC_PRIVATE_DMABUF_H
#define MOSAIC_PRIVATE_DMABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosaic/buffer.h>

/** Why a dmabuf layout is invalid: what mosaic_dmabuf_layout_check() found first. */
enum mosaic_dmabuf_layout_error {
	MOSAIC_DMABUF_LAYOUT_ERROR_NONE = 0,
	/** A format the table does not have. */
	MOSAIC_DMABUF_LAYOUT_ERROR_FORMAT,
	/** Width or height outside 1..MOSAIC_MAX_IMAGE_SIZE. */
	MOSAIC_DMABUF_LAYOUT_ERROR_SIZE,
	/** A plane of the format without an fd, or fewer planes than the format has. */
	MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING,
	/** More planes than the format has. */
	MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_EXTRA,
	/**
	 * A plane that does not fit: offset + stride x height past 4 GiB, or
	 * past the end of an fd whose size can be told.
	 */
	MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
	/** A stride of 0, or, for linear and implicit modifiers, one too small for the width. */
	MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE,
	/** With MOSAIC_DMABUF_CHECK_FDS: an fd that is invalid or no dmabuf. */
	MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF,
};

/** Flags of mosaic_dmabuf_layout_check(). */
enum mosaic_dmabuf_check {
	/** Also check that every plane fd is a dmabuf (before its size is asked). */
	MOSAIC_DMABUF_CHECK_FDS = 1 << 0,
};

/**
 * The one check of a dmabuf's layout, for the linux-dmabuf protocol and
 * mosaic_buffer_from_dmabuf(): a format of the table, a size within bounds,
 * `n_planes` planes with fds, as many as the format has, and for every plane
 * offsets and strides in 64-bit arithmetic that fit 32 bits and the fd's
 * size (where lseek can tell it). Strides are checked against the width for
 * linear and implicit modifiers only: tiled layouts are the driver's
 * business. `flags` is a mask of enum mosaic_dmabuf_check. Logs nothing: on
 * failure it writes the reason to `why` (when non-NULL, `why_size` bytes)
 * and returns what failed first. The fds are borrowed (their file offset
 * moves).
 */
enum mosaic_dmabuf_layout_error mosaic_dmabuf_layout_check(
	const struct mosaic_dmabuf_attributes *attribs, uint32_t flags, char *why,
	size_t why_size);

/**
 * mosaic_dmabuf_layout_check() with MOSAIC_DMABUF_CHECK_FDS. Logs the reason
 * and returns false otherwise. The fds are borrowed.
 */
bool mosaic_dmabuf_attributes_check(const struct mosaic_dmabuf_attributes *attribs);

/**
 * CPU access to a buffer that offers only dmabuf planes: maps the plane
 * (once; the mapping is cached on the buffer until it is destroyed) and
 * brackets the access with DMA_BUF_IOCTL_SYNC. The buffer must be one plane
 * of a format of the table with DRM_FORMAT_MOD_LINEAR, or an implicit
 * modifier, which is taken to be linear (dumb buffers, software drivers).
 * `flags` is a mask of enum mosaic_buffer_data_access; writing needs a dmabuf
 * exported read-write. Same contract as mosaic_buffer_begin_data_access();
 * logs the reason on failure.
 */
bool mosaic_dmabuf_begin_cpu_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride);

/** Ends the access started by mosaic_dmabuf_begin_cpu_access(). */
void mosaic_dmabuf_end_cpu_access(struct mosaic_buffer *buffer);

#endif
