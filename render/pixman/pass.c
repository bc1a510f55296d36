#include <stdlib.h>

#include <mosaic/pixman.h>

#include "private/list.h"
#include "private/log.h"
#include "render/pixman/pixman_private.h"

static struct pixman_pass *pixman_pass_from_base(struct mosaic_pass *pass)
{
	return mosaic_container_of(pass, struct pixman_pass, base);
}

static pixman_op_t blend_op(enum mosaic_blend blend)
{
	return blend == MOSAIC_BLEND_NONE ? PIXMAN_OP_SRC : PIXMAN_OP_OVER;
}

static void pixman_pass_add_rect(struct mosaic_pass *base, const struct mosaic_rect_options *opts)
{
	struct pixman_pass *pass = pixman_pass_from_base(base);
	pixman_color_t color = pixman_color_from_float(opts->color.r, opts->color.g,
		opts->color.b, opts->color.a);
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(opts->clip, &n);
	if (!pixman_image_fill_boxes(blend_op(opts->blend), pass->target, &color, n, rects)) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: filling a rectangle failed");
		pass->failed = true;
	}
}

/*
 * The transform from output pixels, relative to (origin_x, origin_y), to
 * texture pixels (the core's map, moved to the origin). pixman works in
 * 16.16 fixed point, so the origin must be a point near the drawn pixels
 * (the clip's top-left): then the coordinates pixman handles stay small even
 * for destination boxes that reach far outside the buffer.
 */
static void source_transform(struct pixman_f_transform *out,
	const struct mosaic_texture_options *opts, int origin_x, int origin_y)
{
	struct mosaic_affine map;
	mosaic_texture_coords_map(&map, &opts->src_box, &opts->dst_box, opts->transform,
		origin_x, origin_y);
	const double *m = map.m;
	// pixman picks the nearest texel with floor(x - e); mosaic's rule is
	// floor(x) (enum mosaic_filter), which the GPU backends compute per
	// pixel. Moving by e gives floor(x) on exact ties (2:1 downscales).
	const double e = 1.0 / 65536.0;
	*out = (struct pixman_f_transform){ .m = {
		{ m[0], m[1], m[2] + e },
		{ m[3], m[4], m[5] + e },
		{ 0, 0, 1 },
	} };
}

/*
 * How a texture draw samples. A map whose linear part is a signed
 * permutation times odd whole numbers (1:1, multiples of 90 degrees, flips,
 * downscales by 3, 5, ...) and whose translation is a whole number plus less
 * than one bilinear weight step (the e above, and the rounding to 16.16)
 * puts every pixel centre on one texel with a weight of 0 for its
 * neighbours: the nearest filter gives the very same pixels, and lets pixman
 * take its nearest and rotation fast paths. The identity needs no transform
 * at all, only a source offset, and neither does a nearest draw with the
 * identity as its linear part. Only between formats of at most 8 bits a
 * channel: with wider ones pixman converts through floats on its general
 * path and by bit replication on others.
 */
enum sampling {
	SAMPLE_GENERAL,
	/** The transform as it is, with the nearest filter. */
	SAMPLE_UNIT,
	/** No transform: the source offset by whole texels. */
	SAMPLE_COPY,
};

/*
 * floor(v / 65536), and whether the fraction stays below one step of
 * pixman's bilinear weights (the top 7 bits of the fraction): then the
 * bilinear filter weighs the next texel by 0, and the nearest one,
 * floor(x - e) at a pixel centre, picks the same texel.
 */
static bool whole_texels(pixman_fixed_t v, int *texels)
{
	const pixman_fixed_t weight_step = 1 << (16 - 7);
	*texels = (int)(v >> 16);
	return (v & 0xffff) < weight_step;
}

/* +-1, +-3, +-5...: pixel centres n + 0.5 go to k n + k / 2, a texel centre. */
static bool odd_whole(pixman_fixed_t v)
{
	int64_t a = v < 0 ? -(int64_t)v : v;
	return a % (2 * pixman_fixed_1) == pixman_fixed_1;
}

static enum sampling classify(const struct pixman_transform *t, enum mosaic_filter filter,
	int *dx, int *dy)
{
	const pixman_fixed_t one = pixman_fixed_1;
	const pixman_fixed_t (*m)[3] = t->matrix;
	if (m[2][0] != 0 || m[2][1] != 0 || m[2][2] != one) {
		return SAMPLE_GENERAL;
	}
	if (filter == MOSAIC_FILTER_NEAREST && m[0][0] == one && m[0][1] == 0 &&
			m[1][0] == 0 && m[1][1] == one) {
		// Nearest picks floor(n + 0.5 + t - e) = n + floor(t + 0.5 - e), whatever t is.
		*dx = (int)((m[0][2] + one / 2 - pixman_fixed_e) >> 16);
		*dy = (int)((m[1][2] + one / 2 - pixman_fixed_e) >> 16);
		return SAMPLE_COPY;
	}
	bool row0_x = odd_whole(m[0][0]) && m[0][1] == 0;
	bool row0_y = m[0][0] == 0 && odd_whole(m[0][1]);
	bool row1_x = odd_whole(m[1][0]) && m[1][1] == 0;
	bool row1_y = m[1][0] == 0 && odd_whole(m[1][1]);
	if (!((row0_x && row1_y) || (row0_y && row1_x))) {
		return SAMPLE_GENERAL;
	}
	// Bilinear samples pixel centre n + 0.5 at +-k (n + 0.5) + t - 0.5: with
	// k odd, a whole number plus t's fraction.
	int kx, ky;
	if (!whole_texels(m[0][2], &kx) || !whole_texels(m[1][2], &ky)) {
		return SAMPLE_GENERAL;
	}
	if (m[0][0] == one && m[1][1] == one) {
		*dx = kx;
		*dy = ky;
		return SAMPLE_COPY;
	}
	return SAMPLE_UNIT;
}

static bool narrow_format(pixman_format_code_t format)
{
	return PIXMAN_FORMAT_A(format) <= 8 && PIXMAN_FORMAT_R(format) <= 8 &&
		PIXMAN_FORMAT_G(format) <= 8 && PIXMAN_FORMAT_B(format) <= 8;
}

/* The solid mask for `alpha`, kept by the pass while draws reuse the value. */
static pixman_image_t *alpha_mask(struct pixman_pass *pass, float alpha)
{
	if (pass->mask != NULL && pass->mask_alpha == alpha) {
		return pass->mask;
	}
	pixman_color_t color = pixman_color_from_float(0, 0, 0, alpha);
	pixman_image_t *mask = pixman_image_create_solid_fill(&color);
	if (mask == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot create the alpha mask");
		return NULL;
	}
	if (pass->mask != NULL) {
		pixman_image_unref(pass->mask);
	}
	pass->mask = mask;
	pass->mask_alpha = alpha;
	return mask;
}

static void pixman_pass_add_texture(struct mosaic_pass *base,
	const struct mosaic_texture_options *opts)
{
	struct pixman_pass *pass = pixman_pass_from_base(base);
	struct pixman_texture *texture = pixman_texture_from_base(opts->texture);
	// The core clipped this to the destination box and the buffer.
	const pixman_box32_t *ext = pixman_region32_extents(opts->clip);

	struct pixman_f_transform ftransform;
	source_transform(&ftransform, opts, ext->x1, ext->y1);
	struct pixman_transform transform;
	if (!pixman_transform_from_pixman_f_transform(&transform, &ftransform)) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: the source transform does not fit 16.16 "
			"fixed point; texture draw skipped");
		pass->failed = true;
		return;
	}
	int dx = 0, dy = 0;
	pixman_image_t *src = texture->image;
	enum sampling sampling = SAMPLE_GENERAL;
	if (pass->narrow_target && !pass->general_path &&
			narrow_format(pixman_image_get_format(src))) {
		sampling = classify(&transform, opts->filter, &dx, &dy);
	}

	pixman_image_t *mask = NULL;
	if (*opts->alpha < 1.0f) {
		mask = alpha_mask(pass, *opts->alpha);
		if (mask == NULL) {
			pass->failed = true;
			return;
		}
	}

	// Set on every draw: the image is also the application's (mosaic_pixman_texture_get_image).
	pixman_image_set_transform(src, sampling == SAMPLE_COPY ? NULL : &transform);
	pixman_image_set_filter(src, sampling != SAMPLE_GENERAL ||
		opts->filter == MOSAIC_FILTER_NEAREST ?
		PIXMAN_FILTER_NEAREST : PIXMAN_FILTER_BILINEAR, NULL, 0);
	// Sampling outside the texture clamps to its edge, as GPU samplers do.
	pixman_image_set_repeat(src, PIXMAN_REPEAT_PAD);

	// One composite per clip rectangle rather than a clip region on the
	// target: pixman would copy that region inside the composite, where an
	// allocation failure makes the draw vanish without a word.
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(opts->clip, &n);
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *r = &rects[i];
		pixman_image_composite32(blend_op(opts->blend), src, mask, pass->target,
			r->x1 - ext->x1 + dx, r->y1 - ext->y1 + dy, 0, 0, r->x1, r->y1,
			r->x2 - r->x1, r->y2 - r->y1);
	}
	pixman_image_set_transform(src, NULL);
}

static bool pixman_pass_submit(struct mosaic_pass *base, uint64_t point, int *out_sync_file)
{
	struct pixman_pass *pass = pixman_pass_from_base(base);
	// Every draw already happened: the work is complete before the point exists.
	bool ok = !pass->failed;
	if (pass->mask != NULL) {
		pixman_image_unref(pass->mask);
	}
	pixman_buffer_view_finish(&pass->view);
	free(pass);
	return ok;
}

static const struct mosaic_pass_impl pixman_pass_impl = {
	.add_rect = pixman_pass_add_rect,
	.add_texture = pixman_pass_add_texture,
	.submit = pixman_pass_submit,
};

struct mosaic_pass *pixman_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options)
{
	struct pixman_pass *pass = calloc(1, sizeof(*pass));
	if (pass == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	if (!pixman_buffer_view_init(&pass->view, buffer,
			MOSAIC_BUFFER_DATA_ACCESS_READ | MOSAIC_BUFFER_DATA_ACCESS_WRITE)) {
		free(pass);
		return NULL;
	}
	pass->target = pass->view.image;
	struct pixman_renderer *r = mosaic_container_of(renderer, struct pixman_renderer, base);
	pass->general_path = r->general_path;
	pass->narrow_target = narrow_format(pixman_image_get_format(pass->target));
	mosaic_pass_init(&pass->base, &pixman_pass_impl, renderer, buffer);
	return &pass->base;
}
