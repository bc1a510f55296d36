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
	/** With MOSAIC_DMABUF_CHECK_FDS: memfds (tmpfs) pass as dmabufs too. */
	MOSAIC_DMABUF_CHECK_ALLOW_MEMFD = 1 << 1,
};

/**
 * The one check of a dmabuf's layout, for the linux-dmabuf protocol and
 * mosaic_buffer_from_dmabuf(): a format of the table, a size within bounds,
 * `n_planes` planes with fds, as many as the format has, and for every plane
 * offsets and strides (of its subsampled size, for YUV planes) in 64-bit
 * arithmetic that fit 32 bits and the fd's size (where lseek can tell it). Strides are checked against the width for
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
 * mosaic_dmabuf_layout_check() with MOSAIC_DMABUF_CHECK_FDS (and
 * MOSAIC_DMABUF_CHECK_ALLOW_MEMFD with `allow_memfd`), plus the YUV facts of
 * YUV formats. Logs the reason and returns false otherwise. The fds are
 * borrowed.
 */
bool mosaic_dmabuf_attributes_check(const struct mosaic_dmabuf_attributes *attribs,
	bool allow_memfd);

/**
 * CPU access to a buffer that offers only dmabuf planes: maps the plane
 * (once; the mapping is cached on the buffer until it is destroyed) and
 * brackets the access with DMA_BUF_IOCTL_SYNC (memfd stand-ins need none). The
 * buffer must be one plane
 * of a format of the table with DRM_FORMAT_MOD_LINEAR, or an implicit
 * modifier, which is taken to be linear (dumb buffers, software drivers).
 * `flags` is a mask of enum mosaic_buffer_data_access; writing needs a dmabuf
 * exported read-write. Same contract as mosaic_buffer_begin_data_access();
 * logs the reason on failure.
 */
bool mosaic_dmabuf_begin_cpu_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride);

/**
 * True for buffers of mosaic_buffer_from_dmabuf_with_options() made with
 * allow_memfd: only their planes may be memfds. A compositor's own buffers
 * must hold dmabufs.
 */
bool mosaic_dmabuf_buffer_allows_memfd(const struct mosaic_buffer *buffer);

/** Every plane of a dmabuf buffer in CPU memory (mosaic_dmabuf_begin_cpu_access_planes()). */
struct mosaic_dmabuf_cpu_planes {
	uint32_t fourcc;
	int n_planes;
	uint8_t *data[MOSAIC_DMABUF_MAX_PLANES];
	uint32_t stride[MOSAIC_DMABUF_MAX_PLANES];
	struct mosaic_yuv_info yuv;
};

/**
 * mosaic_dmabuf_begin_cpu_access() for buffers of any plane count (YUV
 * formats): every plane's first row, with the buffer's YUV facts. Ended with
 * mosaic_dmabuf_end_cpu_access().
 */
bool mosaic_dmabuf_begin_cpu_access_planes(struct mosaic_buffer *buffer, uint32_t flags,
	struct mosaic_dmabuf_cpu_planes *out);

/** Ends the access started by mosaic_dmabuf_begin_cpu_access(). */
void mosaic_dmabuf_end_cpu_access(struct mosaic_buffer *buffer);

#endif
