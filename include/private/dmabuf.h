#ifndef MOSAIC_PRIVATE_DMABUF_H
#define MOSAIC_PRIVATE_DMABUF_H

#include <stdbool.h>
#include <stdint.h>

#include <mosaic/buffer.h>

/**
 * Checks dmabuf attributes against the format table and the real size of
 * every plane fd: a format mosaic knows, its plane count, fds that are
 * dmabufs (or memfds, with `allow_memfd`), offsets and subsampled strides inside
 * the buffer (for linear and implicit
 * modifiers; tiled layouts are the driver's business). Logs the reason and
 * returns false otherwise. The fds are borrowed.
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
