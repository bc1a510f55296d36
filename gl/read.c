#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <pixman.h>

#include <mosaic/format.h>

#include "gl/gles_private.h"
#include "private/format.h"
#include "private/list.h"
#include "private/log.h"

/* A copy of the rows with a stride pixman accepts (a multiple of 4), or NULL. */
static void *aligned_copy(const void *src, uint32_t stride, uint32_t row_bytes, int height,
	uint32_t *out_stride)
{
	*out_stride = (row_bytes + 3) & ~3u;
	char *copy = malloc((size_t)*out_stride * (size_t)height);
	if (copy == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	for (int y = 0; y < height; y++) {
		memcpy(copy + (size_t)y * *out_stride, (const char *)src + (size_t)y * stride,
			row_bytes);
	}
	return copy;
}

bool gles_convert(uint32_t src_fourcc, const void *src, uint32_t src_stride,
	uint32_t dst_fourcc, void *dst, uint32_t dst_stride, int width, int height)
{
	const struct mosaic_format_info *dst_info = mosaic_format_get_info(dst_fourcc);
	const struct mosaic_format_info *src_info = mosaic_format_get_info(src_fourcc);
	// pixman wants 4-byte aligned rows; 16-bit images (and boxes inside them) may
	// have others.
	void *src_copy = NULL, *dst_copy = NULL;
	uint32_t dst_copy_stride = 0;
	if (src_stride % 4 != 0 || (uintptr_t)src % 4 != 0) {
		src_copy = aligned_copy(src, src_stride, width * src_info->bytes_per_pixel, height,
			&src_stride);
		if (src_copy == NULL) {
			return false;
		}
		src = src_copy;
	}
	void *out = dst;
	uint32_t out_stride = dst_stride;
	if (dst_stride % 4 != 0 || (uintptr_t)dst % 4 != 0) {
		dst_copy_stride = (width * dst_info->bytes_per_pixel + 3) & ~3u;
		dst_copy = malloc((size_t)dst_copy_stride * (size_t)height);
		if (dst_copy == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			free(src_copy);
			return false;
		}
		out = dst_copy;
		out_stride = dst_copy_stride;
	}
	pixman_image_t *s = pixman_image_create_bits_no_clear(mosaic_format_to_pixman(src_fourcc),
		width, height, (uint32_t *)(uintptr_t)src, (int)src_stride);
	pixman_image_t *d = pixman_image_create_bits_no_clear(mosaic_format_to_pixman(dst_fourcc),
		width, height, out, (int)out_stride);
	bool ok = s != NULL && d != NULL;
	if (ok) {
		pixman_image_composite32(PIXMAN_OP_SRC, s, NULL, d, 0, 0, 0, 0, 0, 0, width,
			height);
	} else {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot convert pixels");
	}
	if (s != NULL) {
		pixman_image_unref(s);
	}
	if (d != NULL) {
		pixman_image_unref(d);
	}
	if (ok && dst_copy != NULL) {
		for (int y = 0; y < height; y++) {
			memcpy((char *)dst + (size_t)y * dst_stride,
				(char *)dst_copy + (size_t)y * dst_copy_stride,
				width * dst_info->bytes_per_pixel);
		}
	}
	free(src_copy);
	free(dst_copy);
	return ok;
}

/* True when rows of `have` can stand for `want` byte for byte. */
static bool same_layout(uint32_t have, uint32_t want)
{
	if (have == want) {
		return true;
	}
	// Alpha may hold anything where the caller ignores it.
	const struct mosaic_format_info *w = mosaic_format_get_info(want);
	const struct mosaic_format_info *h = mosaic_format_get_info(have);
	return w != NULL && !w->has_alpha && h != NULL && h->opaque_substitute == want;
}

/*
 * How to read the bound framebuffer: the GL format/type and the fourcc that
 * describes the rows glReadPixels writes. Reads in the storage's own layout
 * when GL allows it, else in GL_RGBA (always allowed).
 */
static void choose_read(struct gles_renderer *r, const struct gles_format *storage,
	GLenum *format, GLenum *type, uint32_t *fourcc, size_t *bpp)
{
	bool direct = false;
	if (storage != NULL) {
		if (storage->format == GL_RGBA && (storage->type == GL_UNSIGNED_BYTE ||
				storage->type == GL_UNSIGNED_INT_2_10_10_10_REV)) {
			direct = true;
		} else if (storage->format == GL_BGRA_EXT && r->exts.read_bgra) {
			direct = true;
		} else {
			GLint impl_format = 0, impl_type = 0;
			glGetIntegerv(GL_IMPLEMENTATION_COLOR_READ_FORMAT, &impl_format);
			glGetIntegerv(GL_IMPLEMENTATION_COLOR_READ_TYPE, &impl_type);
			direct = (GLenum)impl_format == storage->format &&
				(GLenum)impl_type == storage->type;
		}
	}
	if (direct) {
		*format = storage->format;
		*type = storage->type;
		*fourcc = storage->memory_fourcc;
		*bpp = storage->bpp;
	} else {
		*format = GL_RGBA;
		*type = GL_UNSIGNED_BYTE;
		*fourcc = DRM_FORMAT_ABGR8888;
		*bpp = 4;
	}
}

/* The fourcc that describes the rows read from a `src_fourcc` image. */
static uint32_t source_fourcc(uint32_t src_fourcc, uint32_t read_fourcc)
{
	const struct mosaic_format_info *src = mosaic_format_get_info(src_fourcc);
	const struct mosaic_format_info *read = mosaic_format_get_info(read_fourcc);
	// X images may hold anything in their alpha channel: read it as X.
	if (src != NULL && !src->has_alpha && read != NULL && read->opaque_substitute != 0) {
		return read->opaque_substitute;
	}
	return read_fourcc;
}

uint32_t gles_preferred_read_format(struct gles_renderer *r, uint32_t src_fourcc,
	const struct gles_format *storage)
{
	GLenum format, type;
	uint32_t fourcc;
	size_t bpp;
	choose_read(r, storage, &format, &type, &fourcc, &bpp);
	return source_fourcc(src_fourcc, fourcc);
}

bool gles_read_framebuffer(struct gles_renderer *r, uint32_t src_fourcc,
	const struct gles_format *storage, const struct mosaic_box *box,
	uint32_t dst_fourcc, uint32_t dst_stride, void *dst)
{
	GLenum format, type;
	uint32_t read_fourcc;
	size_t bpp;
	choose_read(r, storage, &format, &type, &read_fourcc, &bpp);
	uint32_t have = source_fourcc(src_fourcc, read_fourcc);
	bool direct = same_layout(have, dst_fourcc);

	if (direct && dst_stride % bpp == 0 && (r->exts.pack_subimage ||
			dst_stride == box->width * bpp)) {
		if (r->exts.pack_subimage) {
			glPixelStorei(GL_PACK_ROW_LENGTH, (GLint)(dst_stride / bpp));
		}
		glReadPixels(box->x, box->y, box->width, box->height, format, type, dst);
		if (r->exts.pack_subimage) {
			glPixelStorei(GL_PACK_ROW_LENGTH, 0);
		}
		return true;
	}

	uint32_t tmp_stride = (uint32_t)(box->width * bpp);
	void *tmp = malloc((size_t)tmp_stride * (size_t)box->height);
	if (tmp == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	glReadPixels(box->x, box->y, box->width, box->height, format, type, tmp);
	bool ok = true;
	if (direct) {
		for (int y = 0; y < box->height; y++) {
			memcpy((char *)dst + (size_t)y * dst_stride,
				(char *)tmp + (size_t)y * tmp_stride, tmp_stride);
		}
	} else {
		ok = gles_convert(have, tmp, tmp_stride, dst_fourcc, dst, dst_stride, box->width,
			box->height);
	}
	free(tmp);
	return ok;
}

bool gles_read_framebuffer_boxes(struct gles_renderer *r, uint32_t src_fourcc,
	const struct gles_format *storage, const pixman_box32_t *boxes, int n_boxes,
	uint32_t dst_fourcc, uint32_t dst_stride, void *dst)
{
	const struct mosaic_format_info *dst_info = mosaic_format_get_info(dst_fourcc);
	GLenum format, type;
	uint32_t read_fourcc;
	size_t bpp;
	choose_read(r, storage, &format, &type, &read_fourcc, &bpp);
	size_t total = 0;
	for (int i = 0; i < n_boxes; i++) {
		total += (size_t)(boxes[i].x2 - boxes[i].x1) * (size_t)(boxes[i].y2 - boxes[i].y1) *
			bpp;
	}
	if (!r->use_pbo || total == 0) {
		bool ok = true;
		for (int i = 0; i < n_boxes && ok; i++) {
			struct mosaic_box box = {
				boxes[i].x1, boxes[i].y1, boxes[i].x2 - boxes[i].x1,
				boxes[i].y2 - boxes[i].y1,
			};
			void *at = (char *)dst + (size_t)box.y * dst_stride +
				(size_t)box.x * dst_info->bytes_per_pixel;
			ok = gles_read_framebuffer(r, src_fourcc, storage, &box, dst_fourcc,
				dst_stride, at);
		}
		return ok;
	}
	// Every box into one pixel buffer (no wait), then one wait when it is mapped.
	if (r->pack_pbo == 0) {
		glGenBuffers(1, &r->pack_pbo);
	}
	glBindBuffer(GL_PIXEL_PACK_BUFFER, r->pack_pbo);
	gles_take_error(r);
	glBufferData(GL_PIXEL_PACK_BUFFER, (GLsizeiptr)total, NULL, GL_STREAM_READ);
	GLenum error = gles_take_error(r);
	if (error != GL_NO_ERROR) {
		glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
		if (!r->base.lost) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot make a read buffer of %zu bytes "
				"(GL error 0x%x)", total, error);
		}
		return false;
	}
	size_t offset = 0;
	for (int i = 0; i < n_boxes; i++) {
		int w = boxes[i].x2 - boxes[i].x1, h = boxes[i].y2 - boxes[i].y1;
		glReadPixels(boxes[i].x1, boxes[i].y1, w, h, format, type,
			(void *)(uintptr_t)offset);
		offset += (size_t)w * h * bpp;
	}
	const char *map = glMapBufferRange(GL_PIXEL_PACK_BUFFER, 0, (GLsizeiptr)total,
		GL_MAP_READ_BIT);
	bool ok = map != NULL;
	if (!ok) {
		error = gles_take_error(r);
		if (!r->base.lost) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot map the read buffer (GL error "
				"0x%x)", error);
		}
	}
	uint32_t have = source_fourcc(src_fourcc, read_fourcc);
	bool direct = same_layout(have, dst_fourcc);
	offset = 0;
	for (int i = 0; i < n_boxes && ok; i++) {
		int w = boxes[i].x2 - boxes[i].x1, h = boxes[i].y2 - boxes[i].y1;
		uint32_t row = (uint32_t)((size_t)w * bpp);
		char *at = (char *)dst + (size_t)boxes[i].y1 * dst_stride +
			(size_t)boxes[i].x1 * dst_info->bytes_per_pixel;
		if (direct) {
			for (int y = 0; y < h; y++) {
				memcpy(at + (size_t)y * dst_stride, map + offset + (size_t)y * row, row);
			}
		} else {
			ok = gles_convert(have, map + offset, row, dst_fourcc, at, dst_stride, w, h);
		}
		offset += (size_t)row * h;
	}
	if (map != NULL) {
		glUnmapBuffer(GL_PIXEL_PACK_BUFFER);
	}
	glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
	return ok;
}

/* A read through a pixel pack buffer and a fence (GLES 3). */
struct gles_read_request {
	struct mosaic_read_request base;
	struct gles_renderer *renderer;
	GLuint pbo;
	GLsync sync;
	int fd;
	uint32_t have_fourcc;
	size_t bpp;
};

static int read_request_get_fd(struct mosaic_read_request *base)
{
	struct gles_read_request *req = mosaic_container_of(base, struct gles_read_request, base);
	return req->fd;
}

static bool read_request_is_complete(struct mosaic_read_request *base)
{
	struct gles_read_request *req = mosaic_container_of(base, struct gles_read_request, base);
	struct gles_saved_context saved;
	if (!gles_push_context(req->renderer, &saved)) {
		return false;
	}
	GLint status = GL_UNSIGNALED;
	glGetSynciv(req->sync, GL_SYNC_STATUS, 1, NULL, &status);
	gles_pop_context(req->renderer, &saved);
	return status == GL_SIGNALED;
}

static bool read_request_finish(struct mosaic_read_request *base)
{
	struct gles_read_request *req = mosaic_container_of(base, struct gles_read_request, base);
	struct gles_renderer *r = req->renderer;
	const struct mosaic_read_pixels_options *opts = &req->base.options;
	bool ok = false;
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		goto out;
	}
	if (glClientWaitSync(req->sync, 0, GL_TIMEOUT_IGNORED) == GL_WAIT_FAILED) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: waiting for a read failed");
	} else if (!gles_check_reset(r)) {
		int w = opts->src_box.width, h = opts->src_box.height;
		uint32_t stride = (uint32_t)(w * req->bpp);
		glBindBuffer(GL_PIXEL_PACK_BUFFER, req->pbo);
		void *map = glMapBufferRange(GL_PIXEL_PACK_BUFFER, 0, (GLsizeiptr)stride * h,
			GL_MAP_READ_BIT);
		if (map == NULL) {
			GLenum error = gles_take_error(r);
			if (!r->base.lost) {
				mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot map the read buffer "
					"(GL error 0x%x)", error);
			}
		} else {
			if (same_layout(req->have_fourcc, opts->fourcc)) {
				for (int y = 0; y < h; y++) {
					memcpy((char *)opts->data + (size_t)y * opts->stride,
						(char *)map + (size_t)y * stride, stride);
				}
				ok = true;
			} else {
				ok = gles_convert(req->have_fourcc, map, stride, opts->fourcc,
					opts->data, opts->stride, w, h);
			}
			glUnmapBuffer(GL_PIXEL_PACK_BUFFER);
		}
		glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
	}
	glDeleteSync(req->sync);
	glDeleteBuffers(1, &req->pbo);
	ok = gles_check_errors(r, "read pixels finish") && ok;
	gles_pop_context(r, &saved);
out:
	if (req->fd >= 0) {
		close(req->fd);
	}
	free(req);
	return ok;
}

static const struct mosaic_read_request_impl read_request_impl = {
	.get_fd = read_request_get_fd,
	.is_complete = read_request_is_complete,
	.finish = read_request_finish,
};

/* Without GLES 3 pixel buffers: read now and hand back a complete request. */
static int done_get_fd(struct mosaic_read_request *request)
{
	return -1;
}

static bool done_is_complete(struct mosaic_read_request *request)
{
	return true;
}

static bool done_finish(struct mosaic_read_request *request)
{
	free(request);
	return true;
}

static const struct mosaic_read_request_impl done_request_impl = {
	.get_fd = done_get_fd,
	.is_complete = done_is_complete,
	.finish = done_finish,
};

struct mosaic_read_request *gles_read_pixels_start(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	struct gles_texture *t = gles_texture_from_base(texture);
	struct gles_renderer *r = gles_renderer_from_base(texture->renderer);
	if (r->gl_major < 3) {
		struct mosaic_read_request *done = calloc(1, sizeof(*done));
		if (done == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return NULL;
		}
		if (!texture->impl->read_pixels(texture, options)) {
			free(done);
			return NULL;
		}
		mosaic_read_request_init(done, &done_request_impl, texture, options);
		return done;
	}

	struct gles_read_request *req = calloc(1, sizeof(*req));
	if (req == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	req->renderer = r;
	req->fd = -1;
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		free(req);
		return NULL;
	}
	// Logs its failures; the read then shows what the texture showed before.
	if (gles_texture_is_cpu_copy(t)) {
		gles_dmabuf_cpu_copy_load(t->buffer, 0);
	}
	if (!gles_texture_bind_read_fbo(t)) {
		goto err;
	}
	const struct gles_format *storage = gles_texture_read_storage(t);
	GLenum format, type;
	uint32_t read_fourcc;
	choose_read(r, storage, &format, &type, &read_fourcc, &req->bpp);
	req->have_fourcc = source_fourcc(gles_texture_read_fourcc(t), read_fourcc);
	const struct mosaic_box *box = &options->src_box;
	glGenBuffers(1, &req->pbo);
	glBindBuffer(GL_PIXEL_PACK_BUFFER, req->pbo);
	gles_take_error(r);
	glBufferData(GL_PIXEL_PACK_BUFFER, (GLsizeiptr)(box->width * req->bpp) * box->height,
		NULL, GL_STREAM_READ);
	GLenum error = gles_take_error(r);
	if (error != GL_NO_ERROR) {
		glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
		glBindFramebuffer(GL_FRAMEBUFFER, 0);
		glDeleteBuffers(1, &req->pbo);
		if (!r->base.lost) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot make a %dx%d read buffer (GL error "
				"0x%x)", box->width, box->height, error);
		}
		goto err;
	}
	glReadPixels(box->x, box->y, box->width, box->height, format, type, NULL);
	glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	req->sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	if (req->sync == 0) {
		error = gles_take_error(r);
		glDeleteBuffers(1, &req->pbo);
		if (!r->base.lost) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot make a fence for a read (GL error "
				"0x%x)", error);
		}
		goto err;
	}
	if (r->exts.native_fence) {
		EGLSyncKHR native = r->procs.eglCreateSyncKHR(r->display,
			EGL_SYNC_NATIVE_FENCE_ANDROID, NULL);
		if (native != EGL_NO_SYNC_KHR) {
			glFlush();
			req->fd = r->procs.eglDupNativeFenceFDANDROID(r->display, native);
			r->procs.eglDestroySyncKHR(r->display, native);
		}
	} else {
		glFlush();
	}
	if (!gles_check_errors(r, "read pixels start") || gles_check_reset(r)) {
		glDeleteSync(req->sync);
		glDeleteBuffers(1, &req->pbo);
		goto err;
	}
	gles_pop_context(r, &saved);
	mosaic_read_request_init(&req->base, &read_request_impl, texture, options);
	return &req->base;

err:
	gles_pop_context(r, &saved);
	if (req->fd >= 0) {
		close(req->fd);
	}
	free(req);
	return NULL;
}
