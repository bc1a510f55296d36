#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gl/pass_private.h"
#include "private/log.h"

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
	gles_cpu_target_touch(pass, clip);
	for (int i = 0; i < n; i++) {
		pass->rects[pass->n_rects++] = (struct mosaic_box){
			boxes[i].x1, boxes[i].y1, boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1,
		};
	}
	cmd->count += (size_t)n;
}

/* The command the next vertices go to: the last one when its state matches. */
static struct gles_cmd *draw_cmd(struct gles_pass *pass, enum gles_source source,
	GLenum target, GLuint tex, GLint filter, bool blend, const float texel[3][4])
{
	static const float no_texel[3][4] = {0};
	texel = texel != NULL ? texel : no_texel;
	struct gles_cmd *cmd = last_cmd(pass);
	if (cmd != NULL && cmd->type == GLES_CMD_DRAW && cmd->source == source &&
			cmd->target == target && cmd->tex == tex && cmd->filter == filter &&
			cmd->blend == blend && memcmp(cmd->texel, texel, sizeof(cmd->texel)) == 0) {
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
	memcpy(cmd->texel, texel, sizeof(cmd->texel));
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
	gles_cpu_target_touch(pass, clip);
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

void gles_pass_add_rect(struct mosaic_pass *base, const struct mosaic_rect_options *opts)
{
	struct gles_pass *pass = gles_pass_from_base(base);
	const struct mosaic_color *c = &opts->color;
	if (opts->blend == MOSAIC_BLEND_NONE || c->a >= 1.0f) {
		// Replacing pixels: a scissored clear per rectangle, no shader.
		add_clear(pass, c, opts->clip);
		return;
	}
	struct gles_cmd *cmd = draw_cmd(pass, GLES_SOURCE_SOLID, 0, 0, 0, true, NULL);
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

/*
 * quad.frag's map for nearest filtering: the core's map from output pixels to
 * texels, with the clip's top-left corner as the origin (as the pixman
 * backend does) so that the terms stay small where pixels are drawn.
 */
static void texel_map(float out[3][4], const struct mosaic_texture_options *opts)
{
	const pixman_box32_t *ext = pixman_region32_extents(opts->clip);
	struct mosaic_affine map;
	mosaic_texture_coords_map(&map, &opts->src_box, &opts->dst_box, opts->transform,
		ext->x1, ext->y1);
	const double *m = map.m;
	const double w = opts->texture->width, h = opts->texture->height;
	const float rows[3][4] = {
		{ (float)m[0], (float)m[1], (float)m[2], (float)ext->x1 },
		{ (float)m[3], (float)m[4], (float)m[5], (float)ext->y1 },
		{ (float)w, (float)h, (float)(1.0 / w), (float)(1.0 / h) },
	};
	memcpy(out, rows, sizeof(rows));
}

void gles_pass_add_texture(struct mosaic_pass *base,
	const struct mosaic_texture_options *opts)
{
	struct gles_pass *pass = gles_pass_from_base(base);
	struct gles_texture *t = gles_texture_from_base(opts->texture);
	float alpha = *opts->alpha;
	// Opaque content drawn opaquely: OVER and SRC agree, and no blending is cheaper.
	bool blend = opts->blend == MOSAIC_BLEND_PREMULTIPLIED &&
		!(t->source == GLES_SOURCE_RGBX && alpha >= 1.0f);
	GLint filter = opts->filter == MOSAIC_FILTER_NEAREST ? GL_NEAREST : GL_LINEAR;
	if (gles_texture_is_cpu_copy(t) && t->buffer->cpu_loaded_seq != pass->seq) {
		// Runs before the pass's draws; logs its failures (the texture then
		// shows what it showed before).
		struct gles_saved_context saved;
		if (gles_push_context(pass->renderer, &saved)) {
			gles_dmabuf_cpu_copy_load(t->buffer, pass->seq);
			gles_pop_context(pass->renderer, &saved);
		}
	}
	float texel[3][4] = {0};
	if (opts->filter == MOSAIC_FILTER_NEAREST) {
		texel_map(texel, opts);
	}
	struct gles_cmd *cmd = draw_cmd(pass, t->source, t->target, t->tex, filter, blend,
		texel);
	if (cmd == NULL) {
		return;
	}
	struct mosaic_affine map;
	texture_map(&map, opts);
	const float color[4] = { alpha, alpha, alpha, alpha };
	add_quads(pass, cmd, opts->clip, &map, color);
}

bool gles_pass_run_commands(struct gles_pass *pass)
{
	struct gles_renderer *r = pass->renderer;
	if (pass->n_verts > 0) {
		glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
		glBufferData(GL_ARRAY_BUFFER,
			(GLsizeiptr)(pass->n_verts * FLOATS_PER_VERTEX * sizeof(float)),
			pass->verts, GL_STREAM_DRAW);
		// Drawing from a buffer without storage is undefined (NVIDIA
		// crashes): nothing is drawn when the upload failed.
		GLenum error = gles_take_error(r);
		if (error != GL_NO_ERROR) {
			if (!r->base.lost) {
				mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot upload %zu vertices "
					"(GL error 0x%x)", pass->n_verts, error);
			}
			glBindBuffer(GL_ARRAY_BUFFER, 0);
			return false;
		}
		glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, r->ibo);
	}
	glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
	glDisable(GL_BLEND);
	bool blending = false;
	GLuint program = 0;
	/*
	 * GL calls cost more than anything else here (each one goes through
	 * the dispatch layer and the driver's validation): state that a
	 * command shares with the one before is not set again. What was set
	 * within this run is known; everything starts as unknown.
	 */
	GLenum bound_target = 0;
	GLuint bound_tex = 0;
	GLint bound_filter = 0;
	bool texel_known[GLES_SOURCE_COUNT] = {0};
	float texel_set[GLES_SOURCE_COUNT][3][4];
	// The vertex the attributes point at; draws within the index buffer's
	// reach of it start at an offset into the index buffer instead.
	size_t attrib_base = SIZE_MAX;
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
			if (cmd->target != bound_target || cmd->tex != bound_tex) {
				if (bound_target != 0 && bound_target != cmd->target) {
					glBindTexture(bound_target, 0);
				}
				glActiveTexture(GL_TEXTURE0);
				glBindTexture(cmd->target, cmd->tex);
				bound_target = cmd->target;
				bound_tex = cmd->tex;
				bound_filter = 0;
			}
			if (cmd->filter != bound_filter) {
				glTexParameteri(cmd->target, GL_TEXTURE_MIN_FILTER, cmd->filter);
				glTexParameteri(cmd->target, GL_TEXTURE_MAG_FILTER, cmd->filter);
				bound_filter = cmd->filter;
			}
			float (*set)[4] = texel_set[cmd->source];
			bool known = texel_known[cmd->source];
			if (!known || memcmp(set[0], cmd->texel[0], sizeof(set[0])) != 0) {
				glUniform4fv(prog->texel_u, 1, cmd->texel[0]);
			}
			if (!known || memcmp(set[1], cmd->texel[1], sizeof(set[1])) != 0) {
				glUniform4fv(prog->texel_v, 1, cmd->texel[1]);
			}
			if (!known || memcmp(set[2], cmd->texel[2], sizeof(set[2])) != 0) {
				glUniform4fv(prog->texel_size, 1, cmd->texel[2]);
			}
			memcpy(set, cmd->texel, sizeof(cmd->texel));
			texel_known[cmd->source] = true;
		}
		// 16-bit indices reach GLES_MAX_QUADS_PER_DRAW quads past the vertex the
		// attributes point at; past that, they move on.
		for (size_t q = 0; q < cmd->count / 4; q += GLES_MAX_QUADS_PER_DRAW) {
			size_t n = cmd->count / 4 - q;
			n = n < GLES_MAX_QUADS_PER_DRAW ? n : GLES_MAX_QUADS_PER_DRAW;
			size_t start = cmd->first + 4 * q;
			if (attrib_base == SIZE_MAX || start < attrib_base ||
					start + 4 * n > attrib_base + 4 * GLES_MAX_QUADS_PER_DRAW) {
				gles_set_vertex_offset(start);
				attrib_base = start;
			}
			// Vertices come 4 per quad: the offset is a whole number of quads.
			size_t first_index = (start - attrib_base) / 4 * 6;
			glDrawElements(GL_TRIANGLES, (GLsizei)(6 * n), GL_UNSIGNED_SHORT,
				(const void *)(uintptr_t)(first_index * sizeof(uint16_t)));
		}
	}
	if (bound_target != 0) {
		glBindTexture(bound_target, 0);
	}
	if (blending) {
		glDisable(GL_BLEND);
	}
	glUseProgram(0);
	glBindBuffer(GL_ARRAY_BUFFER, 0);
	glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, 0);
	return true;
}

