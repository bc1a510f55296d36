#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
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

/* Every dmabuf fd lives on the kernel's dma-buf pseudo file system. */
#define DMA_BUF_MAGIC 0x444d4142

/*
 * The mappings of a dmabuf buffer's planes, cached on the buffer: mapping a
 * buffer is far dearer than the access itself, and a compositor uses the
 * same buffers frame after frame. Planes that share an fd share a mapping.
 */
struct dmabuf_mapping {
	struct mosaic_buffer_addon addon;
	int n_maps;
	struct {
		void *map;
		size_t size;
		/* Borrowed from the buffer, which outlives its addons. */
		int fd;
		/* memfd stand-ins have no DMA_BUF_IOCTL_SYNC. */
		bool is_dmabuf;
	} maps[MOSAIC_DMABUF_MAX_PLANES];
	bool writable;
	struct mosaic_dmabuf_attributes attribs;
	/* The mapping of each plane (index into maps). */
	int plane_map[MOSAIC_DMABUF_MAX_PLANES];
	/* DMA_BUF_SYNC_READ/WRITE of the access in progress. */
	uint64_t sync_flags;
	bool accessing;
};

static void mapping_destroy(struct mosaic_buffer_addon *addon)
{
	struct dmabuf_mapping *m = mosaic_container_of(addon, struct dmabuf_mapping, addon);
	for (int i = 0; i < m->n_maps; i++) {
		munmap(m->maps[i].map, m->maps[i].size);
	}
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

static bool map_fd(struct dmabuf_mapping *m, int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dmabuf: cannot get the size");
		return false;
	}
	// Read-write when the dmabuf allows it, so that a later write needs no new mapping.
	void *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED && errno == EACCES) {
		m->writable = false;
		map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	}
	if (map == MAP_FAILED) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dmabuf: cannot map %lld bytes",
			(long long)size);
		return false;
	}
	struct statfs fs;
	int i = m->n_maps++;
	m->maps[i].map = map;
	m->maps[i].size = (size_t)size;
	m->maps[i].fd = fd;
	m->maps[i].is_dmabuf = fstatfs(fd, &fs) == 0 && fs.f_type == DMA_BUF_MAGIC;
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
	// Memfd stand-ins map like dmabufs, where their producer said so.
	if (!mosaic_dmabuf_attributes_check(&attribs,
			mosaic_dmabuf_buffer_allows_memfd(buffer))) {
		return NULL;
	}

	struct dmabuf_mapping *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	m->writable = true;
	m->attribs = attribs;
	for (int p = 0; p < attribs.n_planes; p++) {
		int found = -1;
		for (int i = 0; i < m->n_maps; i++) {
			found = m->maps[i].fd == attribs.fd[p] ? i : found;
		}
		if (found < 0) {
			if (!map_fd(m, attribs.fd[p])) {
				mapping_destroy(&m->addon);
				return NULL;
			}
			found = m->n_maps - 1;
		}
		m->plane_map[p] = found;
	}
	mosaic_buffer_addon_attach(buffer, &m->addon, &mapping_impl, &mapping_impl);
	return m;
}

/* Ends the sync of the first `n` mappings. */
static void sync_end(struct dmabuf_mapping *m, int n)
{
	for (int i = 0; i < n; i++) {
		if (m->maps[i].is_dmabuf) {
			dmabuf_sync(m->maps[i].fd, DMA_BUF_SYNC_END | m->sync_flags);
		}
	}
}

static struct dmabuf_mapping *begin_access(struct mosaic_buffer *buffer, uint32_t flags)
{
	struct mosaic_buffer_addon *addon =
		mosaic_buffer_addon_find(buffer, &mapping_impl, &mapping_impl);
	struct dmabuf_mapping *m = addon != NULL ?
		mosaic_container_of(addon, struct dmabuf_mapping, addon) : map_buffer(buffer);
	if (m == NULL) {
		return NULL;
	}
	if (m->accessing) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: CPU access to the buffer does not nest "
			"(is it the target of an open pass?)");
		return NULL;
	}
	if ((flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE) && !m->writable) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: the buffer is read-only (its dmabuf was "
			"exported without DRM_RDWR / O_RDWR) and cannot be written to");
		return NULL;
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
	for (int i = 0; i < m->n_maps && !(flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE); i++) {
		if (!m->maps[i].is_dmabuf) {
			continue;
		}
		// poll's POLLIN on a dma-buf: its write fences signaled.
		int ret = mosaic_sync_file_wait(m->maps[i].fd,
			MOSAIC_SYNC_FILE_CPU_TIMEOUT_DEFAULT_NS);
		if (ret <= 0) {
			mosaic_log(MOSAIC_LOG_WARN, "dmabuf: %s; reading it without waiting",
				ret == 0 ? "its writer did not finish within 100 ms" :
				"cannot wait for its writer");
			m->sync_flags = 0;
			break;
		}
	}
	for (int i = 0; i < m->n_maps && m->sync_flags != 0; i++) {
		if (m->maps[i].is_dmabuf &&
				!dmabuf_sync(m->maps[i].fd, DMA_BUF_SYNC_START | m->sync_flags)) {
			sync_end(m, i);
			return NULL;
		}
	}
	m->accessing = true;
	return m;
}

bool mosaic_dmabuf_begin_cpu_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	struct dmabuf_mapping *m = begin_access(buffer, flags);
	if (m == NULL) {
		return false;
	}
	*data = (char *)m->maps[m->plane_map[0]].map + m->attribs.offset[0];
	*fourcc = m->attribs.fourcc;
	*stride = m->attribs.stride[0];
	return true;
}

bool mosaic_dmabuf_begin_cpu_access_planes(struct mosaic_buffer *buffer, uint32_t flags,
	struct mosaic_dmabuf_cpu_planes *out)
{
	struct dmabuf_mapping *m = begin_access(buffer, flags);
	if (m == NULL) {
		return false;
	}
	*out = (struct mosaic_dmabuf_cpu_planes){
		.fourcc = m->attribs.fourcc,
		.n_planes = m->attribs.n_planes,
		.yuv = m->attribs.yuv,
	};
	// The planes stay; the colour facts are the buffer's of the moment.
	struct mosaic_dmabuf_attributes now;
	if (mosaic_buffer_get_dmabuf(buffer, &now)) {
		out->yuv = now.yuv;
	}
	for (int p = 0; p < m->attribs.n_planes; p++) {
		out->data[p] = (uint8_t *)m->maps[m->plane_map[p]].map + m->attribs.offset[p];
		out->stride[p] = m->attribs.stride[p];
	}
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
		sync_end(m, m->n_maps);
	}
	m->accessing = false;
}
