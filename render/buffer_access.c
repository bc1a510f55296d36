#include <mosaic/buffer.h>
#include <mosaic/format.h>

#include "private/buffer_access.h"
#include "private/dmabuf.h"
#include "private/format.h"
#include "private/log.h"

bool mosaic_buffer_access_begin(struct mosaic_buffer_access *access,
	struct mosaic_buffer *buffer, uint32_t flags)
{
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	*access = (struct mosaic_buffer_access){
		.buffer = buffer,
		.flags = flags,
		// Buffers without a CPU pointer are mapped when they are linear dmabufs.
		.dmabuf = !(caps & MOSAIC_BUFFER_CAP_DATA_PTR) && (caps & MOSAIC_BUFFER_CAP_DMABUF),
	};
	if (access->dmabuf) {
		// Logs its reason.
		if (!mosaic_dmabuf_begin_cpu_access(buffer, flags, &access->data, &access->fourcc,
				&access->stride)) {
			return false;
		}
	} else if (!(caps & MOSAIC_BUFFER_CAP_DATA_PTR)) {
		mosaic_log(MOSAIC_LOG_ERROR, "the buffer offers no CPU access");
		return false;
	} else if (buffer->accessing_data) {
		// Checked here so that the failure is reported once, with the likely cause.
		mosaic_log(MOSAIC_LOG_ERROR, "CPU access to the buffer does not nest "
			"(is it the target of an open pass?)");
		return false;
	} else if (!mosaic_buffer_begin_data_access(buffer, flags, &access->data,
			&access->fourcc, &access->stride)) {
		mosaic_log(MOSAIC_LOG_ERROR, "the buffer refused CPU access");
		return false;
	}
	// Logs its reason.
	if (!mosaic_format_check_layout(access->fourcc, buffer->width, buffer->height,
			access->stride)) {
		mosaic_buffer_access_end(access);
		return false;
	}
	return true;
}

void mosaic_buffer_access_end(struct mosaic_buffer_access *access)
{
	if (access->dmabuf) {
		mosaic_dmabuf_end_cpu_access(access->buffer);
	} else {
		mosaic_buffer_end_data_access(access->buffer);
	}
	*access = (struct mosaic_buffer_access){0};
}

bool mosaic_buffer_access_begin_as(struct mosaic_buffer_access *access,
	struct mosaic_buffer *buffer, uint32_t flags, uint32_t fourcc)
{
	// Logs its reason.
	if (!mosaic_buffer_access_begin(access, buffer, flags)) {
		return false;
	}
	if (access->fourcc != fourcc) {
		char a[32], b[32];
		mosaic_log(MOSAIC_LOG_ERROR, "buffer format %s differs from texture format %s",
			mosaic_format_name(access->fourcc, a), mosaic_format_name(fourcc, b));
		mosaic_buffer_access_end(access);
		return false;
	}
	return true;
}

bool mosaic_buffer_convert_yuv(struct mosaic_buffer *buffer, uint32_t fourcc,
	const pixman_region32_t *region, void *dst, uint32_t dst_stride)
{
	char a[32], b[32];
	struct mosaic_dmabuf_cpu_planes planes;
	// Logs its reason.
	if (!mosaic_dmabuf_begin_cpu_access_planes(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ,
			&planes)) {
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	bool ok = planes.fourcc == fourcc && info != NULL && info->is_yuv;
	if (!ok) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer format %s differs from texture format %s",
			mosaic_format_name(planes.fourcc, a), mosaic_format_name(fourcc, b));
	} else {
		struct mosaic_yuv_plane yuv_planes[MOSAIC_FORMAT_MAX_PLANES];
		for (int p = 0; p < info->n_planes; p++) {
			yuv_planes[p] = (struct mosaic_yuv_plane){ planes.data[p], planes.stride[p] };
		}
		int n = 1;
		pixman_box32_t whole = { 0, 0, buffer->width, buffer->height };
		const pixman_box32_t *rects = region != NULL ?
			pixman_region32_rectangles((pixman_region32_t *)region, &n) : &whole;
		for (int i = 0; i < n; i++) {
			mosaic_yuv_convert(info, &planes.yuv, yuv_planes, buffer->width,
				buffer->height, rects[i].x1, rects[i].y1, rects[i].x2 - rects[i].x1,
				rects[i].y2 - rects[i].y1, (uint32_t *)dst, dst_stride);
		}
	}
	mosaic_dmabuf_end_cpu_access(buffer);
	return ok;
}
