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
	// pixman picks the nearest texel with floor(x - e); GPUs use floor(x).
	// Moving by e makes exact ties (2:1 downscales) land on the same texel.
	const double e = 1.0 / 65536.0;
	*out = (struct pixman_f_transform){ .m = {
		{ m[0], m[1], m[2] + e },
		{ m[3], m[4], m[5] + e },
		{ 0, 0, 1 },
	} };
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

	pixman_image_t *src = texture->image;
	pixman_image_set_transform(src, &transform);
	pixman_image_set_filter(src, opts->filter == MOSAIC_FILTER_NEAREST ?
		PIXMAN_FILTER_NEAREST : PIXMAN_FILTER_BILINEAR, NULL, 0);
	// Sampling outside the texture clamps to its edge, as GPU samplers do.
	pixman_image_set_repeat(src, PIXMAN_REPEAT_PAD);

	pixman_image_t *mask = NULL;
	if (*opts->alpha < 1.0f) {
		pixman_color_t color = pixman_color_from_float(0, 0, 0, *opts->alpha);
		mask = pixman_image_create_solid_fill(&color);
		if (mask == NULL) {
			mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot create the alpha mask");
			goto fail;
		}
	}

	// One composite per clip rectangle rather than a clip region on the
	// target: pixman would copy that region inside the composite, where an
	// allocation failure makes the draw vanish without a word.
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(opts->clip, &n);
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *r = &rects[i];
		pixman_image_composite32(blend_op(opts->blend), src, mask, pass->target,
			r->x1 - ext->x1, r->y1 - ext->y1, 0, 0, r->x1, r->y1,
			r->x2 - r->x1, r->y2 - r->y1);
	}

	pixman_image_set_transform(src, NULL);
	if (mask != NULL) {
		pixman_image_unref(mask);
	}
	return;

fail:
	pass->failed = true;
	pixman_image_set_transform(src, NULL);
	if (mask != NULL) {
		pixman_image_unref(mask);
	}
}

static bool pixman_pass_submit(struct mosaic_pass *base, uint64_t point, int *out_sync_file)
{
	struct pixman_pass *pass = pixman_pass_from_base(base);
	// Every draw already happened: the work is complete before the point exists.
	bool ok = !pass->failed;
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
	mosaic_pass_init(&pass->base, &pixman_pass_impl, renderer, buffer);
	return &pass->base;
}
