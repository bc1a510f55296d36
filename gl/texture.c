#include <assert.h>
#include <stdlib.h>
#include <string.h>


#include <mosaic/gles.h>

#include "gl/gles_private.h"
#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

static const struct mosaic_texture_impl gles_texture_impl;

MOSAIC_EXPORT bool mosaic_texture_is_gles(const struct mosaic_texture *texture)
{
	return texture != NULL && texture->impl == &gles_texture_impl;
}

struct gles_texture *gles_texture_from_base(struct mosaic_texture *texture)
{
	assert(mosaic_texture_is_gles(texture));
	return mosaic_container_of(texture, struct gles_texture, base);
}

MOSAIC_EXPORT void mosaic_gles_texture_get_attribs(struct mosaic_texture *texture,
	struct mosaic_gles_texture_attribs *attribs)
{
	struct gles_texture *t = gles_texture_from_base(texture);
	// External samplers give the driver's view of the format (X reads as opaque).
	const struct mosaic_format_info *info = mosaic_format_get_info(texture->fourcc);
	*attribs = (struct mosaic_gles_texture_attribs){
		.target = t->target,
		.tex = t->tex,
		.has_alpha = t->source == GLES_SOURCE_EXTERNAL ?
			info == NULL || info->has_alpha : t->source != GLES_SOURCE_RGBX,
	};
}

void gles_upload_rect(struct gles_renderer *r, const struct gles_format *fmt,
	const void *data, uint32_t stride, int x, int y, int width, int height)
{
	const char *rows = (const char *)data + (size_t)y * stride + (size_t)x * fmt->bpp;
	if (r->exts.unpack_subimage) {
		// The client's rows are read in place: no repacking copy.
		glPixelStorei(GL_UNPACK_ROW_LENGTH_EXT, (GLint)(stride / fmt->bpp));
		glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, width, height, fmt->format, fmt->type,
			rows);
		glPixelStorei(GL_UNPACK_ROW_LENGTH_EXT, 0);
		return;
	}
	if (stride == (uint32_t)width * fmt->bpp) {
		glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, width, height, fmt->format, fmt->type,
			rows);
		return;
	}
	for (int row = 0; row < height; row++) {
		glTexSubImage2D(GL_TEXTURE_2D, 0, x, y + row, width, 1, fmt->format, fmt->type,
			rows + (size_t)row * stride);
	}
}

void gles_upload_boxes(struct gles_renderer *r, const struct gles_format *fmt,
	const void *data, uint32_t stride, const pixman_box32_t *boxes, int n_boxes)
{
	size_t total = 0;
	for (int i = 0; i < n_boxes; i++) {
		total += (size_t)(boxes[i].x2 - boxes[i].x1) * (size_t)(boxes[i].y2 - boxes[i].y1) *
			fmt->bpp;
	}
	void *map = NULL;
	if (r->use_pbo && total >= r->pbo_min_bytes && total > 0) {
		if (r->upload_pbo == 0) {
			glGenBuffers(1, &r->upload_pbo);
		}
		glBindBuffer(GL_PIXEL_UNPACK_BUFFER, r->upload_pbo);
		// Fresh storage each time: the driver never waits for the last upload's reads.
		glBufferData(GL_PIXEL_UNPACK_BUFFER, (GLsizeiptr)total, NULL, GL_STREAM_DRAW);
		GLenum error = gles_take_error(r);
		if (error == GL_NO_ERROR) {
			map = glMapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, (GLsizeiptr)total,
				GL_MAP_WRITE_BIT | GL_MAP_INVALIDATE_BUFFER_BIT);
			if (map == NULL) {
				error = gles_take_error(r);
			}
		}
		if (map == NULL) {
			glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
			if (r->base.lost) {
				return;
			}
			// The pixel buffer only saves a copy: the direct upload does the same.
			mosaic_log(MOSAIC_LOG_WARN, "gles: no pixel buffer of %zu bytes for an upload "
				"(GL error 0x%x): uploading directly", total, error);
		}
	}
	if (map == NULL) {
		for (int i = 0; i < n_boxes; i++) {
			gles_upload_rect(r, fmt, data, stride, boxes[i].x1, boxes[i].y1,
				boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1);
		}
		return;
	}
	// Tight rows, box after box; then one glTexSubImage2D per box from its offset.
	size_t offset = 0;
	for (int i = 0; i < n_boxes; i++) {
		size_t row = (size_t)(boxes[i].x2 - boxes[i].x1) * fmt->bpp;
		const char *src = (const char *)data + (size_t)boxes[i].y1 * stride +
			(size_t)boxes[i].x1 * fmt->bpp;
		for (int y = boxes[i].y1; y < boxes[i].y2; y++) {
			memcpy((char *)map + offset, src, row);
			offset += row;
			src += stride;
		}
	}
	bool ok = glUnmapBuffer(GL_PIXEL_UNPACK_BUFFER) == GL_TRUE;
	offset = 0;
	for (int i = 0; i < n_boxes && ok; i++) {
		int w = boxes[i].x2 - boxes[i].x1, h = boxes[i].y2 - boxes[i].y1;
		glTexSubImage2D(GL_TEXTURE_2D, 0, boxes[i].x1, boxes[i].y1, w, h, fmt->format,
			fmt->type, (const void *)(uintptr_t)offset);
		offset += (size_t)w * h * fmt->bpp;
	}
	glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
	if (!ok) {
		// The mapped contents were lost (rare: display mode changes): upload directly.
		for (int i = 0; i < n_boxes; i++) {
			gles_upload_rect(r, fmt, data, stride, boxes[i].x1, boxes[i].y1,
				boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1);
		}
	}
}

static void gles_texture_destroy(struct mosaic_texture *texture)
{
	struct gles_texture *t = gles_texture_from_base(texture);
	struct gles_renderer *r = gles_renderer_from_base(texture->renderer);
	struct gles_saved_context saved;
	if (gles_push_context(r, &saved)) {
		if (t->fbo != 0) {
			glDeleteFramebuffers(1, &t->fbo);
		}
		if (t->buffer == NULL && t->tex != 0) {
			glDeleteTextures(1, &t->tex);
		}
		gles_texture_finish_export(t);
		gles_pop_context(r, &saved);
	}
	if (t->buffer != NULL) {
		mosaic_buffer_unlock(t->buffer->buffer);
	}
	free(t);
}

static bool gles_texture_update_from_buffer(struct mosaic_texture *texture,
	const struct mosaic_texture_update *update)
{
	struct gles_texture *t = gles_texture_from_base(texture);
	struct gles_renderer *r = gles_renderer_from_base(texture->renderer);
	if (t->format == NULL || t->buffer != NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: textures of dmabufs and GPU buffers are "
			"updated by rendering into their buffer");
		return false;
	}
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		return false;
	}
	glBindTexture(GL_TEXTURE_2D, t->tex);
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(update->damage, &n);
	gles_upload_boxes(r, t->format, update->data, update->stride, rects, n);
	glBindTexture(GL_TEXTURE_2D, 0);
	bool ok = gles_check_errors(r, "texture update") && !gles_check_reset(r);
	gles_pop_context(r, &saved);
	return ok;
}

/* Binds a framebuffer reading the texture (the context is current). */
bool gles_texture_bind_read_fbo(struct gles_texture *t)
{
	// A CPU copy is read through a framebuffer of its own texture.
	if (t->buffer != NULL && !gles_texture_is_cpu_copy(t)) {
		GLuint fbo = gles_buffer_get_fbo(t->buffer);
		if (fbo == 0) {
			return false;
		}
		glBindFramebuffer(GL_FRAMEBUFFER, fbo);
		return true;
	}
	if (t->fbo == 0) {
		glGenFramebuffers(1, &t->fbo);
		glBindFramebuffer(GL_FRAMEBUFFER, t->fbo);
		glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
			t->tex, 0);
	} else {
		glBindFramebuffer(GL_FRAMEBUFFER, t->fbo);
	}
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
		char name[32];
		mosaic_log(MOSAIC_LOG_ERROR, "gles: %s textures cannot be read on %s",
			mosaic_format_name(t->base.fourcc, name),
			gles_renderer_from_base(t->base.renderer)->device_name);
		glBindFramebuffer(GL_FRAMEBUFFER, 0);
		return false;
	}
	return true;
}

/* The format of the texture's pixels as GL holds them: YUV CPU copies hold R'G'B'. */
uint32_t gles_texture_read_fourcc(struct gles_texture *t)
{
	return gles_texture_is_cpu_copy(t) ? t->buffer->cpu_format->fourcc : t->base.fourcc;
}

/* What GL stores for the texture, as far as readback is concerned. */
const struct gles_format *gles_texture_read_storage(struct gles_texture *t)
{
	if (t->format != NULL) {
		return t->format;
	}
	// GPU buffers: the render storage of their format.
	if (t->buffer != NULL && t->buffer->rt_storage != NULL) {
		return t->buffer->rt_storage;
	}
	// dmabuf imports are read through a renderbuffer of the buffer's format.
	return gles_format_get(t->base.fourcc);
}

static bool gles_texture_read_pixels(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	struct gles_texture *t = gles_texture_from_base(texture);
	struct gles_renderer *r = gles_renderer_from_base(texture->renderer);
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		return false;
	}
	// Logs its failures; the read then shows what the texture showed before.
	if (gles_texture_is_cpu_copy(t)) {
		gles_dmabuf_cpu_copy_load(t->buffer, 0);
	}
	bool ok = gles_texture_bind_read_fbo(t);
	if (ok) {
		ok = gles_read_framebuffer(r, gles_texture_read_fourcc(t),
			gles_texture_read_storage(t),
			&options->src_box, options->fourcc, options->stride, options->data);
		glBindFramebuffer(GL_FRAMEBUFFER, 0);
	}
	ok = gles_check_errors(r, "read pixels") && !gles_check_reset(r) && ok;
	gles_pop_context(r, &saved);
	return ok;
}

static uint32_t gles_texture_preferred_read_format(struct mosaic_texture *texture)
{
	struct gles_texture *t = gles_texture_from_base(texture);
	struct gles_renderer *r = gles_renderer_from_base(texture->renderer);
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		return texture->fourcc;
	}
	uint32_t fourcc = texture->fourcc;
	if (gles_texture_bind_read_fbo(t)) {
		fourcc = gles_preferred_read_format(r, gles_texture_read_fourcc(t),
			gles_texture_read_storage(t));
		glBindFramebuffer(GL_FRAMEBUFFER, 0);
	}
	gles_pop_context(r, &saved);
	return fourcc;
}

static const struct mosaic_texture_impl gles_texture_impl = {
	.destroy = gles_texture_destroy,
	.update_from_buffer = gles_texture_update_from_buffer,
	.read_pixels = gles_texture_read_pixels,
	.read_pixels_start = gles_read_pixels_start,
	.preferred_read_format = gles_texture_preferred_read_format,
};

static void set_sampler_defaults(GLenum target)
{
	glTexParameteri(target, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(target, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	glTexParameteri(target, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
	glTexParameteri(target, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
}

static struct mosaic_texture *texture_from_data(struct gles_renderer *r,
	struct mosaic_buffer *buffer)
{
	char name[32];
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data, &fourcc,
			&stride)) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: the buffer offers no CPU access or dmabuf");
		return NULL;
	}
	struct gles_texture *t = NULL;
	const struct gles_format *fmt = gles_format_get(fourcc);
	if (!gles_format_supported(r, fmt)) {
		// Rejected here, not at draw time.
		mosaic_log(MOSAIC_LOG_ERROR, "gles: format %s has no GL equivalent on %s",
			mosaic_format_name(fourcc, name), r->device_name);
		goto out;
	}
	if (!mosaic_format_check_layout(fourcc, buffer->width, buffer->height, stride)) {
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto out;
	}
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		free(t);
		t = NULL;
		goto out;
	}
	t->target = GL_TEXTURE_2D;
	t->format = fmt;
	t->source = fmt->has_alpha ? GLES_SOURCE_RGBA : GLES_SOURCE_RGBX;
	t->filter = GL_LINEAR;
	glGenTextures(1, &t->tex);
	glBindTexture(GL_TEXTURE_2D, t->tex);
	set_sampler_defaults(GL_TEXTURE_2D);
	if (fmt->swap_rb) {
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_R, GL_BLUE);
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_B, GL_RED);
	}
	while (glGetError() != GL_NO_ERROR) {
	}
	if (r->exts.unpack_subimage || stride == (uint32_t)buffer->width * fmt->bpp) {
		glPixelStorei(GL_UNPACK_ROW_LENGTH_EXT, r->exts.unpack_subimage ?
			(GLint)(stride / fmt->bpp) : 0);
		glTexImage2D(GL_TEXTURE_2D, 0, fmt->internal_format, buffer->width,
			buffer->height, 0, fmt->format, fmt->type, data);
		if (r->exts.unpack_subimage) {
			glPixelStorei(GL_UNPACK_ROW_LENGTH_EXT, 0);
		}
	} else {
		glTexImage2D(GL_TEXTURE_2D, 0, fmt->internal_format, buffer->width,
			buffer->height, 0, fmt->format, fmt->type, NULL);
		gles_upload_rect(r, fmt, data, stride, 0, 0, buffer->width, buffer->height);
	}
	GLenum error = gles_take_error(r);
	glBindTexture(GL_TEXTURE_2D, 0);
	if (error != GL_NO_ERROR || gles_check_reset(r)) {
		// A loss has its own line.
		if (!r->base.lost) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot create a %dx%d %s texture "
				"(GL error 0x%x)", buffer->width, buffer->height,
				mosaic_format_name(fourcc, name), error);
		}
		glDeleteTextures(1, &t->tex);
		free(t);
		t = NULL;
	}
	gles_pop_context(r, &saved);
	if (t != NULL) {
		mosaic_texture_init(&t->base, &gles_texture_impl, &r->base, buffer->width,
			buffer->height, fourcc);
	}
out:
	mosaic_buffer_end_data_access(buffer);
	return t != NULL ? &t->base : NULL;
}

/*
 * A texture of a dmabuf: its EGL import, sampled in place, or on a software
 * driver (`cpu_copy`) its copy in an ordinary texture (dmabuf_cpu_copy.c).
 * Either is cached on the buffer and shared by its textures.
 */
static struct mosaic_texture *texture_from_dmabuf(struct gles_renderer *r,
	struct mosaic_buffer *buffer, bool cpu_copy)
{
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		return NULL;
	}
	struct gles_texture *t = NULL;
	struct gles_buffer *b = gles_buffer_get(r, buffer);
	if (b == NULL || !(cpu_copy ? gles_dmabuf_cpu_copy_init(b) :
			gles_buffer_import_dmabuf(b, false))) {
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto out;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(b->fourcc);
	t->tex = b->tex;
	t->target = cpu_copy ? GL_TEXTURE_2D : b->tex_target;
	t->buffer = b;
	if (cpu_copy) {
		t->format = b->cpu_format;
	}
	t->filter = GL_LINEAR;
	if (!cpu_copy && b->external_only) {
		t->source = GLES_SOURCE_EXTERNAL;
	} else {
		t->source = info != NULL && !info->has_alpha ? GLES_SOURCE_RGBX : GLES_SOURCE_RGBA;
	}
	// The import or copy lives as long as the buffer; the texture keeps the buffer.
	mosaic_buffer_lock(buffer);
	mosaic_texture_init(&t->base, &gles_texture_impl, &r->base, buffer->width,
		buffer->height, b->fourcc);
out:
	gles_pop_context(r, &saved);
	return t != NULL ? &t->base : NULL;
}

/* Samples the GPU buffer's own texture: no copy. */
static struct mosaic_texture *texture_from_gpu_buffer(struct gles_renderer *r,
	struct gles_buffer *b)
{
	struct gles_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(b->fourcc);
	t->tex = b->rt_tex;
	t->target = GL_TEXTURE_2D;
	t->buffer = b;
	t->filter = GL_LINEAR;
	t->source = info->has_alpha ? GLES_SOURCE_RGBA : GLES_SOURCE_RGBX;
	// The texture is the buffer's: the buffer stays until the texture goes.
	mosaic_buffer_lock(b->buffer);
	mosaic_texture_init(&t->base, &gles_texture_impl, &r->base, b->buffer->width,
		b->buffer->height, b->fourcc);
	return &t->base;
}

struct mosaic_texture *gles_texture_from_buffer(struct mosaic_renderer *base,
	struct mosaic_buffer *buffer)
{
	struct gles_renderer *r = gles_renderer_from_base(base);
	bool gpu_buffer;
	struct gles_buffer *gpu = gles_gpu_buffer_get(r, buffer, &gpu_buffer);
	if (gpu_buffer) {
		return gpu != NULL ? texture_from_gpu_buffer(r, gpu) : NULL;
	}
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	// A software driver is given no dmabuf (dmabuf_cpu_copy.c).
	if (r->software && (caps & MOSAIC_BUFFER_CAP_DMABUF) != 0 &&
			(caps & MOSAIC_BUFFER_CAP_DATA_PTR) == 0) {
		return texture_from_dmabuf(r, buffer, true);
	}
	// A dmabuf this renderer can import is sampled in place; others are copied.
	if (!r->software && (caps & MOSAIC_BUFFER_CAP_DMABUF) != 0) {
		struct mosaic_dmabuf_attributes attribs;
		bool importable = mosaic_buffer_get_dmabuf(buffer, &attribs) &&
			mosaic_format_set_has(&r->base.dmabuf_texture_formats, attribs.fourcc,
				attribs.modifier);
		if (importable || (caps & MOSAIC_BUFFER_CAP_DATA_PTR) == 0) {
			return texture_from_dmabuf(r, buffer, false);
		}
	}
	if ((caps & MOSAIC_BUFFER_CAP_DATA_PTR) != 0) {
		return texture_from_data(r, buffer);
	}
	mosaic_log(MOSAIC_LOG_ERROR, "gles: the buffer offers no CPU access or dmabuf");
	return NULL;
}
