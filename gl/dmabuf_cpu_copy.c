#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>

#include "gl/gles_private.h"
#include "private/buffer_access.h"
#include "private/format.h"
#include "private/log.h"

/*
 * dmabufs a software driver is not given, shown through a copy the CPU makes.
 *
 * Mesa 25.0.7's llvmpipe imports a dmabuf of another exporter (a udmabuf, a
 * vgem buffer, a dumb buffer of a card its display does not run on) without
 * an error, then faults in its rasterizer's JIT code when a draw samples it.
 * So on a software driver (gles_detect_software()) no dmabuf reaches EGL: the
 * core maps it read-only (mosaic_buffer_access_begin_as(), which waits for
 * the dmabuf's writers and brackets the access with DMA_BUF_IOCTL_SYNC; YUV
 * buffers through mosaic_buffer_convert_yuv()), and every pass that draws the
 * texture copies the whole buffer into an ordinary GL texture first, as the
 * Vulkan backend does for dmabufs lavapipe cannot import
 * (vulkan/dmabuf_cpu_copy.c). The GL texture is cached on the buffer, as an
 * import would be, and shared by every texture of the buffer; reads of such a
 * texture copy the buffer too.
 */

/* The GL storage of the copy: the buffer's format, or the R'G'B' a YUV one converts to. */
static const struct gles_format *copy_format(struct gles_renderer *r, uint32_t fourcc)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	if (info != NULL && info->is_yuv) {
		fourcc = mosaic_format_from_pixman(mosaic_format_pixman_yuv_code(fourcc));
	}
	const struct gles_format *fmt = gles_format_get(fourcc);
	return gles_format_supported(r, fmt) ? fmt : NULL;
}

/* Reads the buffer's pixels (and, with `upload`, puts them into the bound texture). */
static bool read_into(struct gles_buffer *b, uint32_t fourcc, bool upload)
{
	struct gles_renderer *r = b->renderer;
	struct mosaic_buffer *buffer = b->buffer;
	if (b->cpu_scratch != NULL) {
		// Logs its reason.
		if (!mosaic_buffer_convert_yuv(buffer, fourcc, NULL, b->cpu_scratch,
				b->cpu_scratch_stride)) {
			return false;
		}
		if (upload) {
			gles_upload_rect(r, b->cpu_format, b->cpu_scratch, b->cpu_scratch_stride, 0,
				0, buffer->width, buffer->height);
		}
		return true;
	}
	struct mosaic_buffer_access access;
	// Logs its reason.
	if (!mosaic_buffer_access_begin_as(&access, buffer, MOSAIC_BUFFER_DATA_ACCESS_READ,
			fourcc)) {
		return false;
	}
	if (upload) {
		gles_upload_rect(r, b->cpu_format, access.data, access.stride, 0, 0, buffer->width,
			buffer->height);
	}
	mosaic_buffer_access_end(&access);
	return true;
}

bool gles_dmabuf_cpu_copy_load(struct gles_buffer *b, uint64_t seq)
{
	// Once per pass, even when it fails: one log line, not one per draw.
	b->cpu_loaded_seq = seq;
	glBindTexture(GL_TEXTURE_2D, b->tex);
	bool ok = read_into(b, b->fourcc, true);
	glBindTexture(GL_TEXTURE_2D, 0);
	ok = gles_check_errors(b->renderer, "dmabuf CPU copy") && ok;
	if (!ok) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot copy the dmabuf: its texture shows "
			"what it showed before");
	}
	return ok;
}

bool gles_dmabuf_cpu_copy_init(struct gles_buffer *b)
{
	struct gles_renderer *r = b->renderer;
	struct mosaic_buffer *buffer = b->buffer;
	char name[32];
	if (b->cpu_format != NULL) {
		return true;
	}
	struct mosaic_dmabuf_attributes a;
	if (!mosaic_buffer_get_dmabuf(buffer, &a)) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: the buffer has no dmabuf planes");
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(a.fourcc);
	const struct gles_format *fmt = copy_format(r, a.fourcc);
	if (info == NULL || fmt == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: %s dmabufs cannot be copied into a texture "
			"on %s", mosaic_format_name(a.fourcc, name), r->device_name);
		return false;
	}
	b->cpu_format = fmt;
	if (info->is_yuv) {
		b->cpu_scratch_stride = (uint32_t)buffer->width * 4;
		b->cpu_scratch = malloc((size_t)b->cpu_scratch_stride * (size_t)buffer->height);
		if (b->cpu_scratch == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			goto err;
		}
	}
	// Mapped now (the mapping is cached on the buffer): a buffer the CPU
	// cannot read is refused here, with the core's one line, where
	// linux-dmabuf can still say so.
	if (!read_into(b, a.fourcc, false)) {
		goto err;
	}
	while (glGetError() != GL_NO_ERROR) {
	}
	glGenTextures(1, &b->tex);
	glBindTexture(GL_TEXTURE_2D, b->tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
	if (fmt->swap_rb) {
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_R, GL_BLUE);
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_B, GL_RED);
	}
	glTexImage2D(GL_TEXTURE_2D, 0, fmt->internal_format, buffer->width, buffer->height, 0,
		fmt->format, fmt->type, NULL);
	glBindTexture(GL_TEXTURE_2D, 0);
	GLenum error = glGetError();
	if (error != GL_NO_ERROR) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot create a %dx%d %s texture (GL error "
			"0x%x)", buffer->width, buffer->height, mosaic_format_name(fmt->fourcc, name),
			error);
		glDeleteTextures(1, &b->tex);
		b->tex = 0;
		goto err;
	}
	b->tex_target = GL_TEXTURE_2D;
	b->fourcc = a.fourcc;
	b->cpu_loaded_seq = 0;
	if (!r->cpu_copy_logged) {
		r->cpu_copy_logged = true;
		mosaic_log(MOSAIC_LOG_INFO, "gles: %s is not given dmabufs to sample: they are "
			"copied by the CPU, once per pass that shows them", r->device_name);
	}
	return true;

err:
	free(b->cpu_scratch);
	b->cpu_scratch = NULL;
	b->cpu_format = NULL;
	return false;
}

bool gles_dmabuf_cpu_copy_formats_init(struct gles_renderer *r)
{
	static const uint64_t layouts[] = { DRM_FORMAT_MOD_INVALID, DRM_FORMAT_MOD_LINEAR };
	size_t n;
	const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		uint32_t fourcc = infos[i].fourcc;
		bool texture = copy_format(r, fourcc) != NULL;
		bool render = !infos[i].is_yuv && gles_render_storage(r, fourcc) != NULL;
		for (size_t m = 0; m < 2 && ok; m++) {
			ok = (!texture || mosaic_format_set_add(&r->base.dmabuf_texture_formats,
					fourcc, layouts[m])) &&
				(!render || mosaic_format_set_add(&r->base.dmabuf_render_formats,
					fourcc, layouts[m]));
		}
	}
	return ok;
}
