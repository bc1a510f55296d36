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
 * (vulkan/dmabuf_cpu_copy.c). Reads of the texture copy it too. The driver
 * keeps its textures in plain memory anyway: the copy is what an import would
 * have cost on the first draw, paid on every pass instead.
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
static bool read_into(struct gles_renderer *r, struct gles_texture *t, uint32_t fourcc,
	bool upload)
{
	struct mosaic_buffer *buffer = t->cpu_source;
	if (t->cpu_scratch != NULL) {
		// Logs its reason.
		if (!mosaic_buffer_convert_yuv(buffer, fourcc, NULL, t->cpu_scratch,
				t->cpu_scratch_stride)) {
			return false;
		}
		if (upload) {
			gles_upload_rect(r, t->format, t->cpu_scratch, t->cpu_scratch_stride, 0, 0,
				buffer->width, buffer->height);
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
		gles_upload_rect(r, t->format, access.data, access.stride, 0, 0, buffer->width,
			buffer->height);
	}
	mosaic_buffer_access_end(&access);
	return true;
}

bool gles_dmabuf_cpu_copy_load(struct gles_texture *t, uint64_t seq)
{
	struct gles_renderer *r = gles_renderer_from_base(t->base.renderer);
	// Once per pass, even when it fails: one log line, not one per draw.
	t->cpu_loaded_seq = seq;
	glBindTexture(GL_TEXTURE_2D, t->tex);
	bool ok = read_into(r, t, t->base.fourcc, true);
	glBindTexture(GL_TEXTURE_2D, 0);
	ok = gles_check_errors(r, "dmabuf CPU copy") && ok;
	if (!ok) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot copy the dmabuf: its texture shows "
			"what it showed before");
	}
	return ok;
}

struct gles_texture *gles_dmabuf_cpu_copy_create(struct gles_renderer *r,
	struct mosaic_buffer *buffer)
{
	char name[32];
	struct mosaic_dmabuf_attributes a;
	if (!mosaic_buffer_get_dmabuf(buffer, &a)) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: the buffer has no dmabuf planes");
		return NULL;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(a.fourcc);
	const struct gles_format *fmt = copy_format(r, a.fourcc);
	if (info == NULL || fmt == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: %s dmabufs cannot be copied into a texture "
			"on %s", mosaic_format_name(a.fourcc, name), r->device_name);
		return NULL;
	}
	struct gles_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	t->cpu_source = buffer;
	t->format = fmt;
	t->target = GL_TEXTURE_2D;
	t->filter = GL_LINEAR;
	t->source = info->has_alpha ? GLES_SOURCE_RGBA : GLES_SOURCE_RGBX;
	if (info->is_yuv) {
		t->cpu_scratch_stride = (uint32_t)buffer->width * 4;
		t->cpu_scratch = malloc((size_t)t->cpu_scratch_stride * (size_t)buffer->height);
		if (t->cpu_scratch == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			free(t);
			return NULL;
		}
	}
	// Mapped now (the mapping is cached on the buffer): a buffer the CPU
	// cannot read is refused here, with the core's one line, where
	// linux-dmabuf can still say so.
	if (!read_into(r, t, a.fourcc, false)) {
		free(t->cpu_scratch);
		free(t);
		return NULL;
	}
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		free(t->cpu_scratch);
		free(t);
		return NULL;
	}
	while (glGetError() != GL_NO_ERROR) {
	}
	glGenTextures(1, &t->tex);
	glBindTexture(GL_TEXTURE_2D, t->tex);
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
		glDeleteTextures(1, &t->tex);
	}
	gles_pop_context(r, &saved);
	if (error != GL_NO_ERROR) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot create a %dx%d %s texture (GL error "
			"0x%x)", buffer->width, buffer->height, mosaic_format_name(fmt->fourcc, name),
			error);
		free(t->cpu_scratch);
		free(t);
		return NULL;
	}
	// The texture shows the buffer: the buffer stays until the texture goes.
	mosaic_buffer_lock(buffer);
	if (!r->cpu_copy_logged) {
		r->cpu_copy_logged = true;
		mosaic_log(MOSAIC_LOG_INFO, "gles: %s is not given dmabufs to sample: they are "
			"copied by the CPU, once per pass that shows them", r->device_name);
	}
	return t;
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
