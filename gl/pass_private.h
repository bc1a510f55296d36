#ifndef MOSAIC_GL_PASS_PRIVATE_H
#define MOSAIC_GL_PASS_PRIVATE_H

/*
 * The GLES pass, shared by its three files: pass.c (begin, submit, sync
 * files), draw.c (recording and running the draws) and cpu_target.c (CPU
 * buffers rendered through an offscreen texture).
 */

#include <stdbool.h>
#include <stddef.h>

#include "gl/gles_private.h"
#include "private/buffer_access.h"
#include "private/touched.h"

/*
 * Draws are recorded and run at submit: consecutive draws that share a
 * program, texture, filter, blend state and, with nearest filtering, the map
 * to texels become one indexed draw, and every
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
	/*
	 * DRAW of a texture: u_texel_u, u_texel_v and u_texel_size of quad.frag
	 * (nearest filtering; all 0 for linear). Draws with another map are
	 * another command.
	 */
	float texel[3][4];
};

#define FLOATS_PER_VERTEX GLES_FLOATS_PER_VERTEX

struct gles_pass {
	struct mosaic_pass base;
	struct gles_renderer *renderer;
	struct gles_buffer *target;
	/* The renderer's pass_seq when the pass began. */
	uint64_t seq;
	/* CPU-memory target: rendered offscreen, uploaded and read back at submit. */
	bool data_target;
	/* The target's pixels while the pass is open (data_target only). */
	struct mosaic_buffer_access access;
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

	struct gles_cmd *cmds;
	size_t n_cmds, cap_cmds;
	float *verts;
	size_t n_verts, cap_verts;
	struct mosaic_box *rects;
	size_t n_rects, cap_rects;
	bool failed;
};

struct gles_pass *gles_pass_from_base(struct mosaic_pass *base);

/* draw.c */
void gles_pass_add_rect(struct mosaic_pass *base, const struct mosaic_rect_options *opts);
void gles_pass_add_texture(struct mosaic_pass *base, const struct mosaic_texture_options *opts);
/*
 * Runs the recorded commands into the bound framebuffer (the context is
 * current). False, with one line, when the vertices could not be uploaded:
 * then nothing is drawn.
 */
bool gles_pass_run_commands(struct gles_pass *pass);

/* cpu_target.c */
/* Notes the bounding box of a draw's clip (CPU-memory targets only). */
void gles_cpu_target_touch(struct gles_pass *pass, const pixman_region32_t *clip);
/*
 * Starts CPU access to the pass's buffer as a render target: sets
 * data_target, access and storage. False with one log line.
 */
bool gles_cpu_target_begin(struct gles_pass *pass, struct mosaic_buffer *buffer);
/* Ends the access begun by gles_cpu_target_begin(), if any. */
void gles_cpu_target_end(struct gles_pass *pass);
/* Makes (once per buffer) the offscreen storage of the target (the context is current). */
bool gles_cpu_target_setup(struct gles_pass *pass);
/* Makes pass->touched from the noted boxes; true when it is not empty. */
bool gles_cpu_target_build_touched(struct gles_pass *pass);
/* Uploads the touched pixels the first draw does not replace. */
bool gles_cpu_target_upload(struct gles_pass *pass);
/* Reads the touched pixels back into the buffer. */
bool gles_cpu_target_read_back(struct gles_pass *pass);

#endif
