#include <string.h>

#include <mosaic/interface.h>
#include <mosaic/geometry.h>

#include "private/export.h"
#include "private/log.h"

MOSAIC_EXPORT bool mosaic_box_empty(const struct mosaic_box *box)
{
	return box == NULL || box->width <= 0 || box->height <= 0;
}

MOSAIC_EXPORT bool mosaic_fbox_empty(const struct mosaic_fbox *box)
{
	return box == NULL || !(box->width > 0) || !(box->height > 0);
}

MOSAIC_EXPORT bool mosaic_box_intersection(struct mosaic_box *dst, const struct mosaic_box *a,
	const struct mosaic_box *b)
{
	if (dst == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "box intersection: no destination given");
		return false;
	}
	if (mosaic_box_empty(a) || mosaic_box_empty(b)) {
		*dst = (struct mosaic_box){0};
		return false;
	}
	// 64-bit so that boxes near INT_MAX cannot overflow.
	int64_t x1 = a->x > b->x ? a->x : b->x;
	int64_t y1 = a->y > b->y ? a->y : b->y;
	int64_t ax2 = (int64_t)a->x + a->width, bx2 = (int64_t)b->x + b->width;
	int64_t ay2 = (int64_t)a->y + a->height, by2 = (int64_t)b->y + b->height;
	int64_t x2 = ax2 < bx2 ? ax2 : bx2;
	int64_t y2 = ay2 < by2 ? ay2 : by2;
	if (x2 <= x1 || y2 <= y1) {
		*dst = (struct mosaic_box){0};
		return false;
	}
	*dst = (struct mosaic_box){
		.x = (int)x1, .y = (int)y1,
		.width = (int)(x2 - x1), .height = (int)(y2 - y1),
	};
	return true;
}

MOSAIC_EXPORT bool mosaic_box_contains_point(const struct mosaic_box *box, double x, double y)
{
	if (mosaic_box_empty(box)) {
		return false;
	}
	return x >= box->x && x < (double)box->x + box->width &&
		y >= box->y && y < (double)box->y + box->height;
}

/*
 * Each transform is a flip (mirror around the vertical axis) followed by a
 * counter-clockwise rotation of 90 * rot degrees. In a W x H space a point
 * (x, y) moves to:
 *   90: (y, W - x)   180: (W - x, H - y)   270: (H - y, x)   flipped: (W - x, y)
 * The box versions below follow from these by mapping both corners.
 */
MOSAIC_EXPORT void mosaic_fbox_transform(struct mosaic_fbox *dst, const struct mosaic_fbox *box,
	enum mosaic_transform transform, double width, double height)
{
	if (dst == NULL || box == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "box transform: NULL box");
		return;
	}
	struct mosaic_fbox src = *box;
	struct mosaic_fbox out = src;
	switch (transform) {
	case MOSAIC_TRANSFORM_NORMAL:
		break;
	case MOSAIC_TRANSFORM_90:
		out.x = src.y;
		out.y = width - src.x - src.width;
		break;
	case MOSAIC_TRANSFORM_180:
		out.x = width - src.x - src.width;
		out.y = height - src.y - src.height;
		break;
	case MOSAIC_TRANSFORM_270:
		out.x = height - src.y - src.height;
		out.y = src.x;
		break;
	case MOSAIC_TRANSFORM_FLIPPED:
		out.x = width - src.x - src.width;
		break;
	case MOSAIC_TRANSFORM_FLIPPED_90:
		out.x = src.y;
		out.y = src.x;
		break;
	case MOSAIC_TRANSFORM_FLIPPED_180:
		out.y = height - src.y - src.height;
		break;
	case MOSAIC_TRANSFORM_FLIPPED_270:
		out.x = height - src.y - src.height;
		out.y = width - src.x - src.width;
		break;
	}
	if (mosaic_transform_swaps_axes(transform)) {
		out.width = src.height;
		out.height = src.width;
	}
	*dst = out;
}

MOSAIC_EXPORT void mosaic_box_transform(struct mosaic_box *dst, const struct mosaic_box *box,
	enum mosaic_transform transform, int width, int height)
{
	if (dst == NULL || box == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "box transform: NULL box");
		return;
	}
	struct mosaic_fbox f = { box->x, box->y, box->width, box->height };
	mosaic_fbox_transform(&f, &f, transform, width, height);
	*dst = (struct mosaic_box){ (int)f.x, (int)f.y, (int)f.width, (int)f.height };
}

MOSAIC_EXPORT bool mosaic_transform_swaps_axes(enum mosaic_transform transform)
{
	return (transform & 1) != 0;
}

MOSAIC_EXPORT enum mosaic_transform mosaic_transform_invert(enum mosaic_transform transform)
{
	// Flipped transforms are reflections, hence their own inverse.
	if ((transform & MOSAIC_TRANSFORM_FLIPPED) != 0) {
		return transform;
	}
	return (enum mosaic_transform)((4 - (transform & 3)) & 3);
}

MOSAIC_EXPORT enum mosaic_transform mosaic_transform_compose(enum mosaic_transform a,
	enum mosaic_transform b)
{
	// b o a = R(rb) F^fb R(ra) F^fa, and F R(r) = R(-r) F.
	unsigned fa = (a >> 2) & 1, fb = (b >> 2) & 1;
	unsigned ra = a & 3, rb = b & 3;
	unsigned rot = fb ? (rb - ra) & 3 : (rb + ra) & 3;
	return (enum mosaic_transform)(((fa ^ fb) << 2) | rot);
}

MOSAIC_EXPORT void mosaic_transform_matrix(float mat[static 9], enum mosaic_transform transform)
{
	static const float matrices[8][9] = {
		[MOSAIC_TRANSFORM_NORMAL] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 },
		[MOSAIC_TRANSFORM_90] = { 0, 1, 0, -1, 0, 1, 0, 0, 1 },
		[MOSAIC_TRANSFORM_180] = { -1, 0, 1, 0, -1, 1, 0, 0, 1 },
		[MOSAIC_TRANSFORM_270] = { 0, -1, 1, 1, 0, 0, 0, 0, 1 },
		[MOSAIC_TRANSFORM_FLIPPED] = { -1, 0, 1, 0, 1, 0, 0, 0, 1 },
		[MOSAIC_TRANSFORM_FLIPPED_90] = { 0, 1, 0, 1, 0, 0, 0, 0, 1 },
		[MOSAIC_TRANSFORM_FLIPPED_180] = { 1, 0, 0, 0, -1, 1, 0, 0, 1 },
		[MOSAIC_TRANSFORM_FLIPPED_270] = { 0, -1, 1, -1, 0, 1, 0, 0, 1 },
	};
	memcpy(mat, matrices[transform & 7], sizeof(matrices[0]));
}

MOSAIC_EXPORT void mosaic_texture_coords_map(struct mosaic_affine *out,
	const struct mosaic_fbox *src, const struct mosaic_box *dst,
	enum mosaic_transform transform, int origin_x, int origin_y)
{
	float t[9];
	mosaic_transform_matrix(t, mosaic_transform_invert(transform));
	// s = (origin + q - dst.xy) / dst.wh in the unit square, through the
	// inverse transform, then into the source box: uv = src.xy + T(s) src.wh.
	// The origin's offset is an exact integer, so that a map that should hit
	// texel boundaries exactly does.
	double sx = 1.0 / dst->width, sy = 1.0 / dst->height;
	double ox = sx * (double)((int64_t)origin_x - dst->x);
	double oy = sy * (double)((int64_t)origin_y - dst->y);
	double u0 = t[0] * ox + t[1] * oy + t[2];
	double v0 = t[3] * ox + t[4] * oy + t[5];
	*out = (struct mosaic_affine){ .m = {
		t[0] * sx * src->width, t[1] * sy * src->width, u0 * src->width + src->x,
		t[3] * sx * src->height, t[4] * sy * src->height, v0 * src->height + src->y,
	} };
}

static const char *const transform_names[] = {
	[MOSAIC_TRANSFORM_NORMAL] = "normal",
	[MOSAIC_TRANSFORM_90] = "90",
	[MOSAIC_TRANSFORM_180] = "180",
	[MOSAIC_TRANSFORM_270] = "270",
	[MOSAIC_TRANSFORM_FLIPPED] = "flipped",
	[MOSAIC_TRANSFORM_FLIPPED_90] = "flipped-90",
	[MOSAIC_TRANSFORM_FLIPPED_180] = "flipped-180",
	[MOSAIC_TRANSFORM_FLIPPED_270] = "flipped-270",
};

MOSAIC_EXPORT const char *mosaic_transform_name(enum mosaic_transform transform)
{
	if ((unsigned)transform > MOSAIC_TRANSFORM_FLIPPED_270) {
		return NULL;
	}
	return transform_names[transform];
}

MOSAIC_EXPORT bool mosaic_transform_from_name(const char *name, enum mosaic_transform *out)
{
	if (name == NULL || out == NULL) {
		return false;
	}
	for (unsigned i = 0; i < sizeof(transform_names) / sizeof(transform_names[0]); i++) {
		if (strcmp(name, transform_names[i]) == 0) {
			*out = (enum mosaic_transform)i;
			return true;
		}
	}
	return false;
}
