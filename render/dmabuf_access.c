#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

#include <mosaic/buffer.h>
#include <mosaic/format.h>
#include <mosaic/pass.h>

#include "private/dmabuf.h"
#include "private/list.h"
#include "private/log.h"
#include "private/sync.h"

/*
 * The mapping of a dmabuf buffer's plane, cached on the buffer: mapping a
 * buffer is far dearer than the access itself, and a compositor uses the
 * same buffers frame after frame.
 */
struct dmabuf_mapping {
	struct mosaic_buffer_addon addon;
	void *map;
	size_t size;
	bool writable;
	/* Borrowed from the buffer, which outlives its addons. */
	int fd;
	uint32_t offset, stride, fourcc;
	/* DMA_BUF_SYNC_READ/WRITE of the access in progress. */
	uint64_t sync_flags;
	bool accessing;
};

static void mapping_destroy(struct mosaic_buffer_addon *addon)
{
	struct dmabuf_mapping *m = mosaic_container_of(addon, struct dmabuf_mapping, addon);
	munmap(m->map, m->size);
	free(m);
}

static const struct mosaic_buffer_addon_impl mapping_impl = {
	.name = "dmabuf-cpu-mapping",
	.destroy = mapping_destroy,
};

static bool dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };
	int r;
	do {
		r = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (r != 0 && (errno == EINTR || errno == EAGAIN));
	if (r != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dmabuf: DMA_BUF_IOCTL_SYNC failed");
		return false;
	}
	return true;
}

static struct dmabuf_mapping *map_buffer(struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes attribs;
	if (!mosaic_buffer_get_dmabuf(buffer, &attribs)) {
		mosaic_log(MOSAIC_LOG_ERROR, "the buffer offers neither CPU access nor dmabuf planes");
		return NULL;
	}
	if (attribs.width != buffer->width || attribs.height != buffer->height) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: planes of %dx%d for a %dx%d buffer",
			attribs.width, attribs.height, buffer->width, buffer->height);
		return NULL;
	}
	if (attribs.modifier != DRM_FORMAT_MOD_LINEAR &&
			attribs.modifier != DRM_FORMAT_MOD_INVALID) {
		char *name = drmGetFormatModifierName(attribs.modifier);
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: modifier %s (0x%llx) is not linear: the CPU "
			"cannot read its layout", name != NULL ? name : "unknown",
			(unsigned long long)attribs.modifier);
		free(name);
		return NULL;
	}
	if (!mosaic_dmabuf_attributes_check(&attribs)) {
		return NULL;
	}
	off_t size = lseek(attribs.fd[0], 0, SEEK_END);
	if (size <= 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dmabuf: cannot get the size");
		return NULL;
	}

	struct dmabuf_mapping *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	// Read-write when the dmabuf allows it, so that a later write needs no new mapping.
	m->writable = true;
	m->map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, attribs.fd[0], 0);
	if (m->map == MAP_FAILED && errno == EACCES) {
		m->writable = false;
		m->map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, attribs.fd[0], 0);
	}
	if (m->map == MAP_FAILED) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dmabuf: cannot map %lld bytes",
			(long long)size);
		free(m);
		return NULL;
	}
	m->size = (size_t)size;
	m->fd = attribs.fd[0];
	m->offset = attribs.offset[0];
	m->stride = attribs.stride[0];
	m->fourcc = attribs.fourcc;
	mosaic_buffer_addon_attach(buffer, &m->addon, &mapping_impl, &mapping_impl);
	return m;
}

bool mosaic_dmabuf_begin_cpu_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	struct mosaic_buffer_addon *addon =
		mosaic_buffer_addon_find(buffer, &mapping_impl, &mapping_impl);
	struct dmabuf_mapping *m = addon != NULL ?
		mosaic_container_of(addon, struct dmabuf_mapping, addon) : map_buffer(buffer);
	if (m == NULL) {
		return false;
	}
	if (m->accessing) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: CPU access to the buffer does not nest "
			"(is it the target of an open pass?)");
		return false;
	}
	if ((flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE) && !m->writable) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: the buffer is read-only (its dmabuf was "
			"exported without DRM_RDWR / O_RDWR) and cannot be written to");
		return false;
	}
	// The kernel wants a direction; an access without one reads.
	m->sync_flags = (flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE) ? 0 : DMA_BUF_SYNC_READ;
	if (flags & MOSAIC_BUFFER_DATA_ACCESS_READ) {
		m->sync_flags |= DMA_BUF_SYNC_READ;
	}
	if (flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE) {
		m->sync_flags |= DMA_BUF_SYNC_WRITE;
	}
	// DMA_BUF_IOCTL_SYNC waits for the dmabuf's fences without a bound: a reader
	// waits for the writers here first, bounded, and skips it when they are late.
	if (!(flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE)) {
		// poll's POLLIN on a dma-buf: its write fences signaled.
		int ret = mosaic_sync_file_wait(m->fd, MOSAIC_SYNC_FILE_CPU_TIMEOUT_DEFAULT_NS);
		if (ret <= 0) {
			mosaic_log(MOSAIC_LOG_WARN, "dmabuf: %s; reading it without waiting",
				ret == 0 ? "its writer did not finish within 100 ms" :
				"cannot wait for its writer");
			m->sync_flags = 0;
		}
	}
	if (m->sync_flags != 0 && !dmabuf_sync(m->fd, DMA_BUF_SYNC_START | m->sync_flags)) {
		return false;
	}
	m->accessing = true;
	*data = (char *)m->map + m->offset;
	*fourcc = m->fourcc;
	*stride = m->stride;
	return true;
}

void mosaic_dmabuf_end_cpu_access(struct mosaic_buffer *buffer)
{
	struct mosaic_buffer_addon *addon =
		mosaic_buffer_addon_find(buffer, &mapping_impl, &mapping_impl);
	if (addon == NULL) {
		return;
	}
	struct dmabuf_mapping *m = mosaic_container_of(addon, struct dmabuf_mapping, addon);
	if (m->sync_flags != 0) {
		dmabuf_sync(m->fd, DMA_BUF_SYNC_END | m->sync_flags);
	}
	m->accessing = false;
}
