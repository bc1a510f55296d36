#include <stdlib.h>

#include <mosaic/format.h>

#include "gl/pass_private.h"
#include "private/log.h"

/*
 * A CPU buffer is rendered through an offscreen texture: only the pixels the
 * draws may change are uploaded before them and read back after them.
 */

void gles_cpu_target_touch(struct gles_pass *pass, const pixman_region32_t *clip)
{
	if (pass->data_target && !mosaic_touched_add(&pass->touched_boxes, clip)) {
		pass->failed = true;
	}
}

bool gles_cpu_target_build_touched(struct gles_pass *pass)
{
	// Through pixel buffers a rectangle is a call, not a wait: many more pay off.
	int max_rects = pass->renderer->use_pbo ? 256 : 32;
	mosaic_touched_build(&pass->touched_boxes, &pass->touched, max_rects);
	return pixman_region32_not_empty(&pass->touched);
}

bool gles_cpu_target_begin(struct gles_pass *pass, struct mosaic_buffer *buffer)
{
	// Logs its reason.
	if (!mosaic_buffer_access_begin(&pass->access, buffer,
			MOSAIC_BUFFER_DATA_ACCESS_READ | MOSAIC_BUFFER_DATA_ACCESS_WRITE)) {
		return false;
	}
	pass->data_target = true;
	pass->storage = gles_render_storage(pass->renderer, pass->access.fourcc);
	return true;
}

void gles_cpu_target_end(struct gles_pass *pass)
{
	if (pass->data_target) {
		mosaic_buffer_access_end(&pass->access);
		pass->data_target = false;
	}
}

bool gles_cpu_target_setup(struct gles_pass *pass)
{
	struct gles_renderer *r = pass->renderer;
	struct gles_buffer *b = pass->target;
	char name[32];
	pass->storage = gles_render_storage(r, pass->access.fourcc);
	if (pass->storage == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot render into %s on %s",
			mosaic_format_name(pass->access.fourcc, name), r->device_name);
		return false;
	}
	if (b->rt_tex != 0 && b->rt_storage == pass->storage) {
		return gles_buffer_get_fbo(b) != 0;
	}
	if (b->fbo != 0) {
		glDeleteFramebuffers(1, &b->fbo);
		b->fbo = 0;
	}
	if (b->rt_tex != 0) {
		glDeleteTextures(1, &b->rt_tex);
	}
	const struct gles_format *s = pass->storage;
	gles_take_error(r);
	glGenTextures(1, &b->rt_tex);
	glBindTexture(GL_TEXTURE_2D, b->rt_tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glTexImage2D(GL_TEXTURE_2D, 0, s->internal_format, pass->base.buffer->width,
		pass->base.buffer->height, 0, s->format, s->type, NULL);
	glBindTexture(GL_TEXTURE_2D, 0);
	GLenum error = gles_take_error(r);
	if (error != GL_NO_ERROR) {
		// Without storage: made again by the next pass into this buffer.
		glDeleteTextures(1, &b->rt_tex);
		b->rt_tex = 0;
		if (!r->base.lost) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot make %dx%d storage to render "
				"into (GL error 0x%x)", pass->base.buffer->width,
				pass->base.buffer->height, error);
		}
		return false;
	}
	b->rt_storage = s;
	b->fourcc = pass->access.fourcc;
	return gles_buffer_get_fbo(b) != 0;
}

/* Puts the CPU pixels of `box` into the target's offscreen storage. */
static bool upload_box(struct gles_pass *pass, const pixman_box32_t *box)
{
	struct gles_renderer *r = pass->renderer;
	const struct gles_format *storage = pass->storage;
	int x = box->x1, y = box->y1, w = box->x2 - box->x1, h = box->y2 - box->y1;
	const struct mosaic_format_info *info = mosaic_format_get_info(pass->access.fourcc);
	const struct mosaic_format_info *mem = mosaic_format_get_info(storage->memory_fourcc);
	if (pass->access.fourcc == storage->memory_fourcc ||
			(!info->has_alpha && mem->opaque_substitute == pass->access.fourcc)) {
		gles_upload_rect(r, storage, pass->access.data, pass->access.stride, x, y, w, h);
		return true;
	}
	uint32_t stride = (uint32_t)(w * storage->bpp);
	void *tmp = malloc((size_t)stride * h);
	if (tmp == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	const char *src = (const char *)pass->access.data + (size_t)y * pass->access.stride +
		(size_t)x * info->bytes_per_pixel;
	bool ok = gles_convert(pass->access.fourcc, src, pass->access.stride, storage->memory_fourcc, tmp,
		stride, w, h);
	if (ok) {
		glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, w, h, storage->format, storage->type, tmp);
	}
	free(tmp);
	return ok;
}

bool gles_cpu_target_upload(struct gles_pass *pass)
{
	pixman_region32_t upload;
	pixman_region32_init(&upload);
	pixman_region32_subtract(&upload, &pass->touched, &pass->replaced);
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles(&upload, &n);
	// Many small pieces cost more in calls than the pixels they save.
	const pixman_box32_t *extents = pixman_region32_extents(&upload);
	if (n > (pass->renderer->use_pbo ? 256 : 16)) {
		boxes = extents;
		n = 1;
	}
	bool ok = true;
	glBindTexture(GL_TEXTURE_2D, pass->target->rt_tex);
	const struct mosaic_format_info *info = mosaic_format_get_info(pass->access.fourcc);
	const struct mosaic_format_info *mem =
		mosaic_format_get_info(pass->storage->memory_fourcc);
	if (pass->access.fourcc == pass->storage->memory_fourcc ||
			(!info->has_alpha && mem->opaque_substitute == pass->access.fourcc)) {
		gles_upload_boxes(pass->renderer, pass->storage, pass->access.data, pass->access.stride, boxes,
			n);
	} else {
		for (int i = 0; i < n && ok; i++) {
			ok = upload_box(pass, &boxes[i]);
		}
	}
	glBindTexture(GL_TEXTURE_2D, 0);
	pixman_region32_fini(&upload);
	return ok;
}

bool gles_cpu_target_read_back(struct gles_pass *pass)
{
	// Pixels outside the touched region were neither drawn nor uploaded.
	int n;
	const pixman_box32_t *t = pixman_region32_rectangles(&pass->touched, &n);
	return gles_read_framebuffer_boxes(pass->renderer, pass->access.fourcc, pass->storage,
		t, n, pass->access.fourcc, pass->access.stride, pass->access.data);
}
