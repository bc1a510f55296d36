#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <mosaic/buffer.h>
#include <mosaic/format.h>

#include "private/dmabuf.h"
#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

/* Every dmabuf fd lives on the kernel's dma-buf pseudo file system. */
#define DMA_BUF_MAGIC 0x444d4142

/* A buffer owning dmabuf planes (mosaic_buffer_from_dmabuf). */
struct dmabuf_buffer {
	struct mosaic_buffer base;
	struct mosaic_dmabuf_attributes attribs;
	/* Made with mosaic_dmabuf_buffer_options.allow_memfd. */
	bool allow_memfd;
};

static void dmabuf_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct dmabuf_buffer *b = mosaic_container_of(buffer, struct dmabuf_buffer, base);
	mosaic_dmabuf_attributes_finish(&b->attribs);
	free(b);
}

static bool dmabuf_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs)
{
	struct dmabuf_buffer *b = mosaic_container_of(buffer, struct dmabuf_buffer, base);
	*attribs = b->attribs;
	return true;
}

static const struct mosaic_buffer_impl dmabuf_buffer_impl = {
	.destroy = dmabuf_buffer_destroy,
	.get_dmabuf = dmabuf_buffer_get_dmabuf,
};

/* Shared memory (memfd_create) lives on tmpfs. */
#define TMPFS_MAGIC 0x01021994

/* Checks one plane against the real size of its fd. */
static bool check_plane(const struct mosaic_dmabuf_attributes *a, int i,
	const struct mosaic_format_info *info, bool allow_memfd)
{
	struct statfs fs;
	if (fstatfs(a->fd[i], &fs) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dmabuf plane %d: invalid fd %d", i, a->fd[i]);
		return false;
	}
	if (fs.f_type != DMA_BUF_MAGIC && !(allow_memfd && fs.f_type == TMPFS_MAGIC)) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf plane %d: fd %d is not a dmabuf%s", i,
			a->fd[i], allow_memfd ? " nor a memfd" : "");
		return false;
	}
	off_t size = lseek(a->fd[i], 0, SEEK_END);
	if (size < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "dmabuf plane %d: cannot get the size", i);
		return false;
	}
	if ((uint64_t)a->offset[i] >= (uint64_t)size) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf plane %d: offset %u is past the end (%lld bytes)",
			i, a->offset[i], (long long)size);
		return false;
	}
	if (a->stride[i] == 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf plane %d: stride is 0", i);
		return false;
	}
	// The layout of tiled modifiers is the driver's business; linear ones are ours.
	if (a->modifier == DRM_FORMAT_MOD_LINEAR || a->modifier == DRM_FORMAT_MOD_INVALID) {
		uint64_t row_bytes;
		uint32_t rows;
		if (!mosaic_format_plane_size(info, i, a->width, a->height, &row_bytes, &rows)) {
			return false;
		}
		if ((uint64_t)a->stride[i] < row_bytes) {
			mosaic_log(MOSAIC_LOG_ERROR, "dmabuf plane %d: stride %u too small for %d "
				"pixels of %s (%llu bytes per row)", i, a->stride[i], a->width,
				info->name, (unsigned long long)row_bytes);
			return false;
		}
		// 32-bit offset plus 32-bit stride x 14-bit rows: fits in 64 bits.
		uint64_t end = (uint64_t)a->offset[i] + (uint64_t)a->stride[i] * rows;
		if (end > (uint64_t)size) {
			mosaic_log(MOSAIC_LOG_ERROR,
				"dmabuf plane %d: offset %u + stride %u x %u rows ends past the "
				"buffer (%lld bytes)", i, a->offset[i], a->stride[i], rows,
				(long long)size);
			return false;
		}
	}
	return true;
}

bool mosaic_dmabuf_attributes_check(const struct mosaic_dmabuf_attributes *attribs,
	bool allow_memfd)
{
	char name[32];
	if (attribs == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: no dmabuf attributes given");
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(attribs->fourcc);
	if (info == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: unsupported format %s",
			mosaic_format_name(attribs->fourcc, name));
		return false;
	}
	if (attribs->width <= 0 || attribs->height <= 0 ||
			attribs->width > MOSAIC_MAX_IMAGE_SIZE ||
			attribs->height > MOSAIC_MAX_IMAGE_SIZE) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: invalid size %dx%d", attribs->width,
			attribs->height);
		return false;
	}
	if (attribs->n_planes != info->n_planes) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: %s has %d plane%s, %d given", info->name,
			info->n_planes, info->n_planes == 1 ? "" : "s", attribs->n_planes);
		return false;
	}
	for (int i = 0; i < attribs->n_planes; i++) {
		if (!check_plane(attribs, i, info, allow_memfd)) {
			return false;
		}
	}
	if (info->is_yuv && ((unsigned)attribs->yuv.matrix > MOSAIC_YUV_MATRIX_BT709 ||
			(unsigned)attribs->yuv.range > MOSAIC_YUV_RANGE_FULL ||
			(unsigned)attribs->yuv.chroma_location > MOSAIC_CHROMA_LOCATION_TOP_LEFT)) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: unknown YUV matrix %d, range %d or chroma "
			"location %d", (int)attribs->yuv.matrix, (int)attribs->yuv.range,
			(int)attribs->yuv.chroma_location);
		return false;
	}
	return true;
}

bool mosaic_dmabuf_buffer_allows_memfd(const struct mosaic_buffer *buffer)
{
	return buffer->impl == &dmabuf_buffer_impl &&
		mosaic_container_of(buffer, struct dmabuf_buffer, base)->allow_memfd;
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_buffer_from_dmabuf(
	const struct mosaic_dmabuf_attributes *attribs)
{
	return mosaic_buffer_from_dmabuf_with_options(attribs, NULL);
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_buffer_from_dmabuf_with_options(
	const struct mosaic_dmabuf_attributes *attribs,
	const struct mosaic_dmabuf_buffer_options *options)
{
	bool allow_memfd = options != NULL && options->allow_memfd;
	if (!mosaic_dmabuf_attributes_check(attribs, allow_memfd)) {
		return NULL;
	}

	struct dmabuf_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_buffer_init(&b->base, &dmabuf_buffer_impl, attribs->width, attribs->height);
	b->attribs = *attribs;
	b->allow_memfd = allow_memfd;
	for (int i = attribs->n_planes; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		b->attribs.fd[i] = -1;
	}
	return &b->base;
}
