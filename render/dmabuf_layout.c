#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>

#include "private/dmabuf.h"

/* Every dmabuf fd lives on the kernel's dma-buf pseudo file system. */
#define DMA_BUF_MAGIC 0x444d4142
/* Shared memory (memfd_create) lives on tmpfs. */
#define TMPFS_MAGIC 0x01021994

/* Formats a reason into `why` and returns `error`. */
__attribute__((format(printf, 4, 5)))
static enum mosaic_dmabuf_layout_error fail(enum mosaic_dmabuf_layout_error error, char *why,
	size_t why_size, const char *fmt, ...)
{
	if (why != NULL && why_size > 0) {
		va_list args;
		va_start(args, fmt);
		vsnprintf(why, why_size, fmt, args);
		va_end(args);
	}
	return error;
}

static enum mosaic_dmabuf_layout_error check_plane(const struct mosaic_dmabuf_attributes *a,
	int i, const struct mosaic_format_info *info, uint32_t flags, char *why, size_t n)
{
	// Subsampled planes have fewer rows and bytes per row (NV12's chroma: half).
	uint64_t row_bytes;
	uint32_t rows;
	if (!mosaic_format_plane_size(info, i, a->width, a->height, &row_bytes, &rows)) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_FORMAT, why, n, "plane %d of %s has no size",
			i, info->name);
	}
	uint64_t offset = a->offset[i], stride = a->stride[i];
	// 32-bit values and at most MOSAIC_MAX_IMAGE_SIZE rows: nothing wraps in 64 bits.
	uint64_t end = offset + stride * (uint64_t)rows;
	if (offset + stride > UINT32_MAX || end > UINT32_MAX) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS, why, n, "plane %d: offset %" PRIu64
			" + stride %" PRIu64 " x %u rows overflows", i, offset, stride, rows);
	}
	if (flags & MOSAIC_DMABUF_CHECK_FDS) {
		struct statfs fs;
		if (fstatfs(a->fd[i], &fs) != 0) {
			return fail(MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF, why, n,
				"plane %d: invalid fd %d: %s", i, a->fd[i], strerror(errno));
		}
		bool memfd = (flags & MOSAIC_DMABUF_CHECK_ALLOW_MEMFD) && fs.f_type == TMPFS_MAGIC;
		if (fs.f_type != DMA_BUF_MAGIC && !memfd) {
			return fail(MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF, why, n,
				"plane %d: fd %d is not a dmabuf%s", i, a->fd[i],
				(flags & MOSAIC_DMABUF_CHECK_ALLOW_MEMFD) ? " nor a memfd" : "");
		}
	}
	// Not every fd can tell its size; those that can must hold the plane.
	off_t size = lseek(a->fd[i], 0, SEEK_END);
	if (size >= 0 && offset >= (uint64_t)size) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS, why, n, "plane %d: offset %" PRIu64
			" is past the end (%lld bytes)", i, offset, (long long)size);
	}
	if (stride == 0) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE, why, n, "plane %d: stride is 0", i);
	}
	// The layout of tiled modifiers is the driver's business; linear ones are ours.
	bool linear = a->modifier == DRM_FORMAT_MOD_LINEAR || a->modifier == DRM_FORMAT_MOD_INVALID;
	if (linear && stride < row_bytes) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE, why, n, "plane %d: stride %" PRIu64
			" is too small for %d pixels of %s (%" PRIu64 " bytes per row)", i, stride,
			a->width, info->name, row_bytes);
	}
	if (size >= 0 && end > (uint64_t)size) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS, why, n, "plane %d: offset %" PRIu64
			" + stride %" PRIu64 " x %u rows ends past the buffer (%lld bytes)", i,
			offset, stride, rows, (long long)size);
	}
	return MOSAIC_DMABUF_LAYOUT_ERROR_NONE;
}

enum mosaic_dmabuf_layout_error mosaic_dmabuf_layout_check(
	const struct mosaic_dmabuf_attributes *a, uint32_t flags, char *why, size_t n)
{
	char name[32];
	const struct mosaic_format_info *info = mosaic_format_get_info(a->fourcc);
	if (info == NULL) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_FORMAT, why, n, "unsupported format %s",
			mosaic_format_name(a->fourcc, name));
	}
	if (a->width <= 0 || a->height <= 0 || a->width > MOSAIC_MAX_IMAGE_SIZE ||
			a->height > MOSAIC_MAX_IMAGE_SIZE) {
		return fail(MOSAIC_DMABUF_LAYOUT_ERROR_SIZE, why, n,
			"invalid size %dx%d (must be 1..%d)", a->width, a->height,
			MOSAIC_MAX_IMAGE_SIZE);
	}
	const int n_planes = info->n_planes;
	for (int i = 0; i < n_planes && i < a->n_planes && i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (a->fd[i] < 0) {
			return fail(MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING, why, n,
				"plane %d of %s is missing (invalid fd %d)", i, info->name, a->fd[i]);
		}
	}
	if (a->n_planes != n_planes) {
		return fail(a->n_planes < n_planes ? MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING :
			MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_EXTRA, why, n, "%s has %d plane%s, %d given",
			info->name, n_planes, n_planes == 1 ? "" : "s", a->n_planes);
	}
	for (int i = 0; i < n_planes; i++) {
		enum mosaic_dmabuf_layout_error err = check_plane(a, i, info, flags, why, n);
		if (err != MOSAIC_DMABUF_LAYOUT_ERROR_NONE) {
			return err;
		}
	}
	return MOSAIC_DMABUF_LAYOUT_ERROR_NONE;
}
