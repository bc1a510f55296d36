#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include <mosaic/format.h>

#include "gl/gles_private.h"
#include "private/list.h"
#include "private/log.h"
#include "private/touched.h"

/*
 * Draws are recorded and run at submit: consecutive draws that share a
 * program, texture, filter and blend state become one indexed draw, and every
 * rectangle of a clip region is a quad of the same batch.
 */
enum gles_cmd_type {
	GLES_CMD_CLEAR,
	GLES_CMD_DRAW,
};

struct gles_cmd {
	enum gles_cmd_type type;
	/* CLEAR: rects[first .. first + count]; DRAW: vertices. */
	size_t first, count;
	struct mosaic_color color;
	enum gles_source source;
	GLenum target;
	GLuint tex;
	GLint filter;
	bool blend;
};

#define FLOATS_PER_VERTEX GLES_FLOATS_PER_VERTEX

struct gles_pass {
	struct mosaic_pass base;
	struct gles_renderer *renderer;
	struct gles_buffer *target;
	/* CPU-memory target: rendered offscreen, uploaded and read back at submit. */
	bool data_target;
	void *data;
	uint32_t fourcc, stride;
	const struct gles_format *storage;
	/*
	 * Only pixels inside `touched` (the clips' bounding boxes, merged into
	 * their extents past a few dozen rectangles) are uploaded and read back;
	 * of those, the ones the first draw replaces (`replaced`, empty unless
	 * that draw is a clear) are not uploaded. The boxes are collected per
	 * draw and made a region once, at submit: a union per draw costs more.
	 */
	pixman_region32_t touched;
	pixman_region32_t replaced;
	struct mosaic_touched touched_boxes;

	struct mosaic_render_timer *timer;
	int *wait_fds;
	size_t n_wait_fds;

	struct gles_cmd *cmds;
	size_t n_cmds, cap_cmds;
	float *verts;
	size_t n_verts, cap_verts;
	struct mosaic_box *rects;
	size_t n_rects, cap_rects;
	bool failed;
};

static const struct mosaic_pass_impl gles_pass_impl;

static struct gles_pass *gles_pass_from_base(struct mosaic_pass *base)
{
	return mosaic_container_of(base, struct gles_pass, base);
}

void gles_pass_destroy(struct gles_pass *pass)
{
	pixman_region32_fini(&pass->replaced);
	pixman_region32_fini(&pass->touched);
	free(pass->cmds);
	free(pass->verts);
	free(pass->rects);
	mosaic_touched_finish(&pass->touched_boxes);
	free(pass);
}

static bool grow(void **array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap) {
		return true;
	}
	size_t new_cap = *cap == 0 ? 64 : *cap;
	while (new_cap < need) {
		new_cap *= 2;
	}
	void *p = realloc(*array, new_cap * elem);
	if (p == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	*array = p;
	*cap = new_cap;
	return true;
}

static struct gles_cmd *push_cmd(struct gles_pass *pass)
{
	if (!grow((void **)&pass->cmds, &pass->cap_cmds, pass->n_cmds + 1,
			sizeof(*pass->cmds))) {
		pass->failed = true;
		return NULL;
	}
	struct gles_cmd *cmd = &pass->cmds[pass->n_cmds++];
	*cmd = (struct gles_cmd){0};
	return cmd;
}

static struct gles_cmd *last_cmd(struct gles_pass *pass)
{
	return pass->n_cmds > 0 ? &pass->cmds[pass->n_cmds - 1] : NULL;
}

/* Notes the bounding box of a draw's clip (CPU-memory targets only). */
static void touch(struct gles_pass *pass, const pixman_region32_t *clip)
{
	if (pass->data_target && !mosaic_touched_add(&pass->touched_boxes, clip)) {
		pass->failed = true;
	}
}

/* Makes the touched region of the boxes noted by touch(). */
static void build_touched(struct gles_pass *pass)
{
	// Through pixel buffers a rectangle is a call, not a wait: many more pay off.
	int max_rects = pass->renderer->use_pbo ? 256 : 32;
	mosaic_touched_build(&pass->touched_boxes, &pass->touched, max_rects);
}

static void add_clear(struct gles_pass *pass, const struct mosaic_color *color,
	const pixman_region32_t *clip)
{
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles(clip, &n);
	if (!grow((void **)&pass->rects, &pass->cap_rects, pass->n_rects + (size_t)n,
			sizeof(*pass->rects))) {
		pass->failed = true;
		return;
	}
	struct gles_cmd *cmd = last_cmd(pass);
	if (cmd == NULL || cmd->type != GLES_CMD_CLEAR ||
			memcmp(&cmd->color, color, sizeof(*color)) != 0) {
		if (pass->n_cmds == 0 && pass->data_target) {
			pixman_region32_copy(&pass->replaced, clip);
		}
		cmd = push_cmd(pass);
		if (cmd == NULL) {
			return;
		}
		cmd->type = GLES_CMD_CLEAR;
		cmd->color = *color;
		cmd->first = pass->n_rects;
	}
	touch(pass, clip);
	for (int i = 0; i < n; i++) {
		pass->rects[pass->n_rects++] = (struct mosaic_box){
			boxes[i].x1, boxes[i].y1, boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1,
		};
	}
	cmd->count += (size_t)n;
}

/* The command the next vertices go to: the last one when its state matches. */
static struct gles_cmd *draw_cmd(struct gles_pass *pass, enum gles_source source,
	GLenum target, GLuint tex, GLint filter, bool blend)
{
	struct gles_cmd *cmd = last_cmd(pass);
	if (cmd != NULL && cmd->type == GLES_CMD_DRAW && cmd->source == source &&
			cmd->target == target && cmd->tex == tex && cmd->filter == filter &&
			cmd->blend == blend) {
		return cmd;
	}
	cmd = push_cmd(pass);
	if (cmd == NULL) {
		return NULL;
	}
	*cmd = (struct gles_cmd){
		.type = GLES_CMD_DRAW,
		.first = pass->n_verts,
		.source = source,
		.target = target,
		.tex = tex,
		.filter = filter,
		.blend = blend,
	};
	return cmd;
}

static inline void put_vertex(float *p, float x, float y, double u, double v,
	const float color[4])
{
	p[0] = x;
	p[1] = y;
	p[2] = (float)u;
	p[3] = (float)v;
	memcpy(&p[4], color, 4 * sizeof(float));
}

/*
 * Appends a quad (4 vertices, drawn as 2 indexed triangles) per clip
 * rectangle. `map` (may be NULL) gives the texture coordinate of an output
 * point: the draw's transform applied exactly at the corners, which is exact
 * everywhere since the map is affine.
 */
static void add_quads(struct gles_pass *pass, struct gles_cmd *cmd,
	const pixman_region32_t *clip, const struct mosaic_affine *map, const float color[4])
{
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles(clip, &n);
	if (!grow((void **)&pass->verts, &pass->cap_verts, pass->n_verts + 4 * (size_t)n,
			FLOATS_PER_VERTEX * sizeof(float))) {
		pass->failed = true;
		return;
	}
	touch(pass, clip);
	const double sx = 2.0 / pass->base.buffer->width, sy = 2.0 / pass->base.buffer->height;
	static const double zero[6] = {0};
	const double *m = map != NULL ? map->m : zero;
	float *p = &pass->verts[pass->n_verts * FLOATS_PER_VERTEX];
	for (int i = 0; i < n; i++) {
		const double x0 = boxes[i].x1, x1 = boxes[i].x2;
		const double y0 = boxes[i].y1, y1 = boxes[i].y2;
		const float nx0 = (float)(x0 * sx - 1.0), nx1 = (float)(x1 * sx - 1.0);
		const float ny0 = (float)(y0 * sy - 1.0), ny1 = (float)(y1 * sy - 1.0);
		// The map at the first corner, then steps along x and y.
		const double u = m[0] * x0 + m[1] * y0 + m[2];
		const double v = m[3] * x0 + m[4] * y0 + m[5];
		const double ux = m[0] * (x1 - x0), vx = m[3] * (x1 - x0);
		const double uy = m[1] * (y1 - y0), vy = m[4] * (y1 - y0);
		put_vertex(p, nx0, ny0, u, v, color);
		put_vertex(p + FLOATS_PER_VERTEX, nx1, ny0, u + ux, v + vx, color);
		put_vertex(p + 2 * FLOATS_PER_VERTEX, nx0, ny1, u + uy, v + vy, color);
		put_vertex(p + 3 * FLOATS_PER_VERTEX, nx1, ny1, u + ux + uy, v + vx + vy, color);
		p += 4 * FLOATS_PER_VERTEX;
	}
	pass->n_verts += 4 * (size_t)n;
	cmd->count += 4 * (size_t)n;
}

static void gles_pass_add_rect(struct mosaic_pass *base, const struct mosaic_rect_options *opts)
{
	struct gles_pass *pass = gles_pass_from_base(base);
	const struct mosaic_color *c = &opts->color;
	if (opts->blend == MOSAIC_BLEND_NONE || c->a >= 1.0f) {
		// Replacing pixels: a scissored clear per rectangle, no shader.
		add_clear(pass, c, opts->clip);
		return;
	}
	struct gles_cmd *cmd = draw_cmd(pass, GLES_SOURCE_SOLID, 0, 0, 0, true);
	if (cmd != NULL) {
		const float color[4] = { c->r, c->g, c->b, c->a };
		add_quads(pass, cmd, opts->clip, NULL, color);
	}
}

/* Output point -> normalized texture coordinate. */
static void texture_map(struct mosaic_affine *out, const struct mosaic_texture_options *opts)
{
	mosaic_texture_coords_map(out, &opts->src_box, &opts->dst_box, opts->transform, 0, 0);
	double tw = opts->texture->width, th = opts->texture->height;
	for (int i = 0; i < 3; i++) {
		out->m[i] /= tw;
		out->m[3 + i] /= th;
	}
}

static void gles_pass_add_texture(struct mosaic_pass *base,
	const struct mosaic_texture_options *opts)
{
	struct gles_pass *pass = gles_pass_from_base(base);
	struct gles_texture *t = gles_texture_from_base(opts->texture);
	float alpha = *opts->alpha;
	// Opaque content drawn opaquely: OVER and SRC agree, and no blending is cheaper.
	bool blend = opts->blend == MOSAIC_BLEND_PREMULTIPLIED &&
		!(t->source == GLES_SOURCE_RGBX && alpha >= 1.0f);
	GLint filter = opts->filter == MOSAIC_FILTER_NEAREST ? GL_NEAREST : GL_LINEAR;
	struct gles_cmd *cmd = draw_cmd(pass, t->source, t->target, t->tex, filter, blend);
	if (cmd == NULL) {
		return;
	}
	struct mosaic_affine map;
	texture_map(&map, opts);
	const float color[4] = { alpha, alpha, alpha, alpha };
	add_quads(pass, cmd, opts->clip, &map, color);
}

/* Waits for the sync_files on the GPU where EGL can, else on the CPU. */
static bool wait_sync_files(struct gles_pass *pass)
{
	struct gles_renderer *r = pass->renderer;
	for (size_t i = 0; i < pass->n_wait_fds; i++) {
		if (r->exts.native_fence && r->exts.wait_sync) {
			const EGLint attribs[] = {
				EGL_SYNC_NATIVE_FENCE_FD_ANDROID, pass->wait_fds[i],
				EGL_NONE,
			};
			EGLSyncKHR sync = r->procs.eglCreateSyncKHR(r->display,
				EGL_SYNC_NATIVE_FENCE_ANDROID, attribs);
			if (sync != EGL_NO_SYNC_KHR) {
				// EGL owns the fd now.
				pass->wait_fds[i] = -1;
				bool ok = r->procs.eglWaitSyncKHR(r->display, sync, 0) == EGL_TRUE;
				r->procs.eglDestroySyncKHR(r->display, sync);
				if (ok) {
					continue;
				}
			}
			mosaic_log(MOSAIC_LOG_DEBUG, "gles: GPU wait failed, waiting on the CPU");
		}
		if (pass->wait_fds[i] < 0) {
			continue;
		}
		struct pollfd pfd = { .fd = pass->wait_fds[i], .events = POLLIN };
		int ret;
		do {
			ret = poll(&pfd, 1, -1);
		} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
		if (ret < 0) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "gles: poll on a sync_file failed");
			return false;
		}
	}
	return true;
}

/* Puts the CPU pixels of `box` into the target's offscreen storage. */
static bool upload_box(struct gles_pass *pass, const pixman_box32_t *box)
{
	struct gles_renderer *r = pass->renderer;
	const struct gles_format *storage = pass->storage;
	int x = box->x1, y = box->y1, w = box->x2 - box->x1, h = box->y2 - box->y1;
	const struct mosaic_format_info *info = mosaic_format_get_info(pass->fourcc);
	const struct mosaic_format_info *mem = mosaic_format_get_info(storage->memory_fourcc);
	if (pass->fourcc == storage->memory_fourcc ||
			(!info->has_alpha && mem->opaque_substitute == pass->fourcc)) {
		gles_upload_rect(r, storage, pass->data, pass->stride, x, y, w, h);
		return true;
	}
	uint32_t stride = (uint32_t)(w * storage->bpp);
	void *tmp = malloc((size_t)stride * h);
	if (tmp == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	const char *src = (const char *)pass->data + (size_t)y * pass->stride +
		(size_t)x * info->bytes_per_pixel;
	bool ok = gles_convert(pass->fourcc, src, pass->stride, storage->memory_fourcc, tmp,
		stride, w, h);
	if (ok) {
		glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, w, h, storage->format, storage->type, tmp);
	}
	free(tmp);
	return ok;
}

/* Uploads the touched pixels the first draw does not replace. */
static bool upload_target(struct gles_pass *pass)
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
	const struct mosaic_format_info *info = mosaic_format_get_info(pass->fourcc);
	const struct mosaic_format_info *mem =
		mosaic_format_get_info(pass->storage->memory_fourcc);
	if (pass->fourcc == pass->storage->memory_fourcc ||
			(!info->has_alpha && mem->opaque_substitute == pass->fourcc)) {
		gles_upload_boxes(pass->renderer, pass->storage, pass->data, pass->stride, boxes,
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

static void run_commands(struct gles_pass *pass)
{
	struct gles_renderer *r = pass->renderer;
	if (pass->n_verts > 0) {
		glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
		glBufferData(GL_ARRAY_BUFFER,
			(GLsizeiptr)(pass->n_verts * FLOATS_PER_VERTEX * sizeof(float)),
			pass->verts, GL_STREAM_DRAW);
		glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, r->ibo);
	}
	glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
	glDisable(GL_BLEND);
	bool blending = false;
	GLuint program = 0;
	for (size_t i = 0; i < pass->n_cmds; i++) {
		const struct gles_cmd *cmd = &pass->cmds[i];
		if (cmd->type == GLES_CMD_CLEAR) {
			glEnable(GL_SCISSOR_TEST);
			glClearColor(cmd->color.r, cmd->color.g, cmd->color.b, cmd->color.a);
			for (size_t j = 0; j < cmd->count; j++) {
				const struct mosaic_box *b = &pass->rects[cmd->first + j];
				glScissor(b->x, b->y, b->width, b->height);
				glClear(GL_COLOR_BUFFER_BIT);
			}
			glDisable(GL_SCISSOR_TEST);
			continue;
		}
		if (cmd->blend != blending) {
			if (cmd->blend) {
				glEnable(GL_BLEND);
			} else {
				glDisable(GL_BLEND);
			}
			blending = cmd->blend;
		}
		const struct gles_program *prog = &r->programs[cmd->source];
		if (prog->program != program) {
			glUseProgram(prog->program);
			program = prog->program;
		}
		if (cmd->source != GLES_SOURCE_SOLID) {
			glActiveTexture(GL_TEXTURE0);
			glBindTexture(cmd->target, cmd->tex);
			glTexParameteri(cmd->target, GL_TEXTURE_MIN_FILTER, cmd->filter);
			glTexParameteri(cmd->target, GL_TEXTURE_MAG_FILTER, cmd->filter);
		}
		// 16-bit indices: past GLES_MAX_QUADS_PER_DRAW quads, the attributes move on.
		for (size_t q = 0; q < cmd->count / 4; q += GLES_MAX_QUADS_PER_DRAW) {
			size_t n = cmd->count / 4 - q;
			n = n < GLES_MAX_QUADS_PER_DRAW ? n : GLES_MAX_QUADS_PER_DRAW;
			gles_set_vertex_offset(cmd->first + 4 * q);
			glDrawElements(GL_TRIANGLES, (GLsizei)(6 * n), GL_UNSIGNED_SHORT, NULL);
		}
		if (cmd->source != GLES_SOURCE_SOLID) {
			glBindTexture(cmd->target, 0);
		}
	}
	if (blending) {
		glDisable(GL_BLEND);
	}
	glUseProgram(0);
	glBindBuffer(GL_ARRAY_BUFFER, 0);
	glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, 0);
}

static void recycle(struct gles_pass *pass)
{
	struct gles_renderer *r = pass->renderer;
	for (size_t i = 0; i < pass->n_wait_fds; i++) {
		if (pass->wait_fds[i] >= 0) {
			close(pass->wait_fds[i]);
		}
	}
	free(pass->wait_fds);
	pass->wait_fds = NULL;
	pass->n_wait_fds = 0;
	if (r->spare_pass == NULL) {
		r->spare_pass = pass;
	} else {
		gles_pass_destroy(pass);
	}
}

/*
 * A sync_file of the target dmabuf's implicit fences, for drivers without
 * EGL_ANDROID_native_fence_sync: the kernel attached the pass's fence to the
 * buffer at flush. Software drivers attach none, so they finish first.
 */
static int implicit_sync_file(struct gles_pass *pass)
{
	struct mosaic_dmabuf_attributes attribs;
	if (!mosaic_buffer_get_dmabuf(pass->base.buffer, &attribs)) {
		return -1;
	}
	if (pass->renderer->software) {
		glFinish();
	} else {
		glFlush();
	}
	struct dma_buf_export_sync_file req = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	if (drmIoctl(attribs.fd[0], DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req) != 0) {
		mosaic_log_errno(MOSAIC_LOG_DEBUG, "gles: no sync_file from the dmabuf "
			"(DMA_BUF_IOCTL_EXPORT_SYNC_FILE)");
		return -1;
	}
	return req.fd;
}

static bool gles_pass_submit(struct mosaic_pass *base, uint64_t point, int *out_sync_file)
{
	struct gles_pass *pass = gles_pass_from_base(base);
	struct gles_renderer *r = pass->renderer;
	struct mosaic_buffer *buffer = base->buffer;
	bool ok = !pass->failed;
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		ok = false;
		goto out;
	}
	glBindFramebuffer(GL_FRAMEBUFFER, pass->target->fbo);
	glViewport(0, 0, buffer->width, buffer->height);
	build_touched(pass);
	bool touched = pixman_region32_not_empty(&pass->touched);
	if (ok && pass->data_target && touched) {
		ok = upload_target(pass);
	}
	ok = ok && wait_sync_files(pass);
	if (ok) {
		if (pass->timer != NULL) {
			gles_timer_begin(pass->timer);
		}
		run_commands(pass);
		if (pass->timer != NULL) {
			gles_timer_end(pass->timer);
		}
	}
	if (ok && pass->data_target && touched) {
		// Pixels outside the touched region were neither drawn nor uploaded.
		int n;
		const pixman_box32_t *t = pixman_region32_rectangles(&pass->touched, &n);
		ok = gles_read_framebuffer_boxes(r, pass->fourcc, pass->storage, t, n,
			pass->fourcc, pass->stride, pass->data);
		// glReadPixels returned: this pass and every one before it are done.
		if (ok) {
			gles_mark_complete(r, point);
		}
	} else if (ok) {
		// dmabuf targets, and CPU-memory passes that drew nothing: a fence.
		if (out_sync_file != NULL && r->exts.native_fence) {
			EGLSyncKHR native = r->procs.eglCreateSyncKHR(r->display,
				EGL_SYNC_NATIVE_FENCE_ANDROID, NULL);
			if (native != EGL_NO_SYNC_KHR) {
				glFlush();
				*out_sync_file = r->procs.eglDupNativeFenceFDANDROID(r->display,
					native);
				r->procs.eglDestroySyncKHR(r->display, native);
			}
		} else if (out_sync_file != NULL) {
			*out_sync_file = implicit_sync_file(pass);
		}
		EGLSyncKHR sync = EGL_NO_SYNC_KHR;
		if (r->exts.fence_sync) {
			sync = r->procs.eglCreateSyncKHR(r->display, EGL_SYNC_FENCE_KHR, NULL);
		}
		glFlush();
		if (sync == EGL_NO_SYNC_KHR || !gles_add_pending(r, point, sync)) {
			if (sync != EGL_NO_SYNC_KHR) {
				r->procs.eglDestroySyncKHR(r->display, sync);
			}
			// Without a fence, implicit dmabuf sync orders consumers after this work.
			gles_mark_complete(r, point);
		}
	}
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	ok = gles_check_errors(r, "submit") && ok;
	if (gles_check_reset(r)) {
		ok = false;
	}
	gles_pop_context(r, &saved);
out:
	if (pass->data_target) {
		mosaic_buffer_end_data_access(buffer);
	}
	recycle(pass);
	return ok;
}

static const struct mosaic_pass_impl gles_pass_impl = {
	.add_rect = gles_pass_add_rect,
	.add_texture = gles_pass_add_texture,
	.submit = gles_pass_submit,
};

/* Makes (once per buffer) the offscreen storage of a CPU-memory target. */
static bool setup_data_target(struct gles_pass *pass)
{
	struct gles_renderer *r = pass->renderer;
	struct gles_buffer *b = pass->target;
	char name[32];
	pass->storage = gles_render_storage(r, pass->fourcc);
	if (pass->storage == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot render into %s on %s",
			mosaic_format_name(pass->fourcc, name), r->device_name);
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
	glGenTextures(1, &b->rt_tex);
	glBindTexture(GL_TEXTURE_2D, b->rt_tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glTexImage2D(GL_TEXTURE_2D, 0, s->internal_format, pass->base.buffer->width,
		pass->base.buffer->height, 0, s->format, s->type, NULL);
	glBindTexture(GL_TEXTURE_2D, 0);
	b->rt_storage = s;
	b->fourcc = pass->fourcc;
	return gles_buffer_get_fbo(b) != 0;
}

struct mosaic_pass *gles_begin_pass(struct mosaic_renderer *base,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options)
{
	struct gles_renderer *r = gles_renderer_from_base(base);
	struct gles_pass *pass = r->spare_pass;
	if (pass != NULL) {
		r->spare_pass = NULL;
	} else {
		pass = calloc(1, sizeof(*pass));
		if (pass == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return NULL;
		}
		pixman_region32_init(&pass->replaced);
		pixman_region32_init(&pass->touched);
		mosaic_touched_init(&pass->touched_boxes);
	}
	pass->renderer = r;
	// setup_data_target reads it before mosaic_pass_init sets the rest.
	pass->base.buffer = buffer;
	pass->n_cmds = pass->n_verts = pass->n_rects = 0;
	mosaic_touched_reset(&pass->touched_boxes);
	pass->failed = false;
	pixman_region32_clear(&pass->touched);
	pixman_region32_clear(&pass->replaced);
	pass->timer = options->timer;
	pass->data_target = false;

	if (options->n_wait_sync_files > 0) {
		pass->wait_fds = calloc(options->n_wait_sync_files, sizeof(*pass->wait_fds));
		if (pass->wait_fds == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			goto err_pass;
		}
		for (size_t i = 0; i < options->n_wait_sync_files; i++) {
			pass->wait_fds[i] = fcntl(options->wait_sync_files[i], F_DUPFD_CLOEXEC, 0);
			pass->n_wait_fds++;
			if (pass->wait_fds[i] < 0) {
				mosaic_log_errno(MOSAIC_LOG_ERROR, "gles: cannot duplicate a sync_file");
				goto err_pass;
			}
		}
	}

	bool gpu_buffer;
	struct gles_buffer *gpu_target = gles_gpu_buffer_get(r, buffer, &gpu_buffer);
	if (gpu_buffer && gpu_target == NULL) {
		goto err_pass;
	}
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	bool use_dmabuf = false;
	if (!gpu_buffer && (caps & MOSAIC_BUFFER_CAP_DMABUF) != 0) {
		struct mosaic_dmabuf_attributes attribs;
		use_dmabuf = mosaic_buffer_get_dmabuf(buffer, &attribs) &&
			mosaic_format_set_has(&r->base.dmabuf_render_formats, attribs.fourcc,
				attribs.modifier);
		if (!use_dmabuf && (caps & MOSAIC_BUFFER_CAP_DATA_PTR) == 0) {
			char name[32];
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot render into a %s dmabuf "
				"(modifier 0x%llx) on %s", mosaic_format_name(attribs.fourcc, name),
				(unsigned long long)attribs.modifier, r->device_name);
			goto err_pass;
		}
	}
	if (!use_dmabuf && !gpu_buffer) {
		if (!mosaic_buffer_begin_data_access(buffer,
				MOSAIC_BUFFER_DATA_ACCESS_READ | MOSAIC_BUFFER_DATA_ACCESS_WRITE, &pass->data,
				&pass->fourcc, &pass->stride)) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: the buffer offers no CPU access or "
				"dmabuf");
			goto err_pass;
		}
		if (!mosaic_format_check_layout(pass->fourcc, buffer->width, buffer->height,
				pass->stride)) {
			mosaic_buffer_end_data_access(buffer);
			goto err_pass;
		}
		pass->data_target = true;
	}

	pass->target = gpu_buffer ? gpu_target : gles_buffer_get(r, buffer);
	if (pass->target == NULL) {
		goto err_access;
	}
	if (pass->data_target) {
		pass->storage = gles_render_storage(r, pass->fourcc);
	}
	// A target used before needs no GL call: switching contexts costs more than the rest.
	struct gles_buffer *t = pass->target;
	bool ready = t->fbo != 0 && (!pass->data_target ||
		(t->rt_tex != 0 && pass->storage != NULL && t->rt_storage == pass->storage));
	if (!ready) {
		struct gles_saved_context saved;
		if (!gles_push_context(r, &saved)) {
			goto err_access;
		}
		bool ok = pass->data_target ? setup_data_target(pass) :
			gles_buffer_get_fbo(pass->target) != 0;
		ok = gles_check_errors(r, "begin_pass") && ok;
		gles_pop_context(r, &saved);
		if (!ok) {
			goto err_access;
		}
	}
	mosaic_pass_init(&pass->base, &gles_pass_impl, base, buffer);
	return &pass->base;

err_access:
	if (pass->data_target) {
		mosaic_buffer_end_data_access(buffer);
	}
err_pass:
	recycle(pass);
	return NULL;
}
