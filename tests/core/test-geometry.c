/* Boxes, the eight output transforms, their matrices and names. */
#include <limits.h>
#include <math.h>

#include <mosaic/interface.h>

#include "common.h"

#define ALL_TRANSFORMS 8

static void assert_box(struct mosaic_box got, int x, int y, int w, int h)
{
	if (got.x != x || got.y != y || got.width != w || got.height != h) {
		print_error("box %d,%d %dx%d, want %d,%d %dx%d\n", got.x, got.y, got.width,
			got.height, x, y, w, h);
		fail();
	}
}

static void test_box_empty(void **state)
{
	assert_true(mosaic_box_empty(NULL));
	assert_true(mosaic_box_empty(&(struct mosaic_box){ 0, 0, 0, 0 }));
	assert_true(mosaic_box_empty(&(struct mosaic_box){ 5, 5, 0, 3 }));
	assert_true(mosaic_box_empty(&(struct mosaic_box){ 5, 5, 3, 0 }));
	assert_true(mosaic_box_empty(&(struct mosaic_box){ 5, 5, -3, 3 }));
	assert_true(mosaic_box_empty(&(struct mosaic_box){ 5, 5, 3, INT_MIN }));
	assert_false(mosaic_box_empty(&(struct mosaic_box){ -5, -5, 1, 1 }));

	assert_true(mosaic_fbox_empty(NULL));
	assert_true(mosaic_fbox_empty(&(struct mosaic_fbox){ 0, 0, 0, 1 }));
	assert_true(mosaic_fbox_empty(&(struct mosaic_fbox){ 0, 0, 1, -0.5 }));
	assert_true(mosaic_fbox_empty(&(struct mosaic_fbox){ 0, 0, NAN, 1 }));
	assert_true(mosaic_fbox_empty(&(struct mosaic_fbox){ 0, 0, 1, NAN }));
	assert_false(mosaic_fbox_empty(&(struct mosaic_fbox){ 0, 0, 0.001, 0.001 }));
}

static void test_box_intersection(void **state)
{
	struct mosaic_box a = { 0, 0, 10, 10 }, dst;

	assert_true(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ 5, 6, 10, 10 }));
	assert_box(dst, 5, 6, 5, 4);
	assert_true(mosaic_box_intersection(&dst, &(struct mosaic_box){ -5, -6, 10, 10 }, &a));
	assert_box(dst, 0, 0, 5, 4);
	// Contained.
	assert_true(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ 2, 3, 4, 5 }));
	assert_box(dst, 2, 3, 4, 5);
	// Touching edges share no pixel: empty, stored as zeroes.
	dst = (struct mosaic_box){ 1, 2, 3, 4 };
	assert_false(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ 10, 0, 5, 5 }));
	assert_box(dst, 0, 0, 0, 0);
	assert_false(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ 0, -5, 5, 5 }));
	assert_box(dst, 0, 0, 0, 0);
	// Disjoint.
	assert_false(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ 20, 20, 5, 5 }));
	assert_box(dst, 0, 0, 0, 0);
	// Empty or missing operands.
	dst = (struct mosaic_box){ 1, 2, 3, 4 };
	assert_false(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ 2, 2, 0, 5 }));
	assert_box(dst, 0, 0, 0, 0);
	assert_false(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ 2, 2, -5, 5 }));
	assert_false(mosaic_box_intersection(&dst, &(struct mosaic_box){ 2, 2, 5, -5 }, &a));
	assert_false(mosaic_box_intersection(&dst, NULL, &a));
	assert_false(mosaic_box_intersection(&dst, &a, NULL));
	assert_box(dst, 0, 0, 0, 0);

	// dst aliasing an operand.
	struct mosaic_box b = { 4, 4, 10, 10 };
	assert_true(mosaic_box_intersection(&b, &a, &b));
	assert_box(b, 4, 4, 6, 6);
	b = (struct mosaic_box){ 4, 4, 10, 10 };
	assert_true(mosaic_box_intersection(&b, &b, &a));
	assert_box(b, 4, 4, 6, 6);
	assert_true(mosaic_box_intersection(&b, &b, &b));
	assert_box(b, 4, 4, 6, 6);
}

static void test_box_intersection_extremes(void **state)
{
	struct mosaic_box dst;
	// Right edges past INT_MAX must not wrap around.
	struct mosaic_box a = { INT_MAX - 10, 0, 10, 10 };
	struct mosaic_box b = { INT_MAX - 5, 0, 100, 10 };
	assert_true(mosaic_box_intersection(&dst, &a, &b));
	assert_box(dst, INT_MAX - 5, 0, 5, 10);
	assert_true(mosaic_box_intersection(&dst, &b, &(struct mosaic_box){ INT_MAX - 1, 5,
		INT_MAX, INT_MAX }));
	assert_box(dst, INT_MAX - 1, 5, 96, 5);
	b = (struct mosaic_box){ INT_MAX, INT_MAX, INT_MAX, INT_MAX };
	assert_true(mosaic_box_intersection(&dst, &b, &b));
	assert_box(dst, INT_MAX, INT_MAX, INT_MAX, INT_MAX);
	assert_false(mosaic_box_intersection(&dst, &b, &(struct mosaic_box){ 0, 0, INT_MAX,
		INT_MAX }));

	// Boxes starting at INT_MIN.
	a = (struct mosaic_box){ INT_MIN, INT_MIN, INT_MAX, INT_MAX };
	assert_true(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ -5, -5, 10, 10 }));
	assert_box(dst, -5, -5, 4, 4);
	assert_false(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ -1, -1, 10, 10 }));
	assert_box(dst, 0, 0, 0, 0);
	assert_true(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ INT_MIN, -2, 1, 1 }));
	assert_box(dst, INT_MIN, -2, 1, 1);
	assert_false(mosaic_box_intersection(&dst, &a, &(struct mosaic_box){ INT_MIN, -1, 1, 1 }));
	// A full-range box against an output.
	b = (struct mosaic_box){ -1, -1, INT_MAX, INT_MAX };
	assert_true(mosaic_box_intersection(&dst, &b, &(struct mosaic_box){ 0, 0, 1920, 1080 }));
	assert_box(dst, 0, 0, 1920, 1080);
}

static void test_box_contains_point(void **state)
{
	struct mosaic_box b = { 10, 20, 5, 4 };
	assert_true(mosaic_box_contains_point(&b, 10, 20));
	assert_true(mosaic_box_contains_point(&b, 14.999, 23.999));
	assert_false(mosaic_box_contains_point(&b, 15, 21));
	assert_false(mosaic_box_contains_point(&b, 11, 24));
	assert_false(mosaic_box_contains_point(&b, 9.999, 21));
	assert_false(mosaic_box_contains_point(NULL, 0, 0));
	assert_false(mosaic_box_contains_point(&(struct mosaic_box){ 0, 0, 0, 5 }, 0, 0));
	b = (struct mosaic_box){ INT_MAX - 1, 0, INT_MAX, 1 };
	assert_true(mosaic_box_contains_point(&b, (double)INT_MAX + 5.0, 0.5));
}

/*
 * The box {1, 2, 3, 1} in a 10 x 6 space, through each transform, computed
 * by hand from the point rules of geometry.h:
 *   90: (y, W-x)  180: (W-x, H-y)  270: (H-y, x)  flipped: (W-x, y),
 * flipped-N = flip, then rotate N. A box maps to the box spanned by its
 * mapped corners.
 */
static const struct mosaic_box box_in = { 1, 2, 3, 1 };
static const struct mosaic_box box_out[ALL_TRANSFORMS] = {
	[MOSAIC_TRANSFORM_NORMAL] = { 1, 2, 3, 1 },
	// x: 2..3, y: 10-4..10-1
	[MOSAIC_TRANSFORM_90] = { 2, 6, 1, 3 },
	// x: 10-4..10-1, y: 6-3..6-2
	[MOSAIC_TRANSFORM_180] = { 6, 3, 3, 1 },
	// x: 6-3..6-2, y: 1..4
	[MOSAIC_TRANSFORM_270] = { 3, 1, 1, 3 },
	[MOSAIC_TRANSFORM_FLIPPED] = { 6, 2, 3, 1 },
	// flip gives (W-x, y), 90 of that: (y, W-(W-x)) = (y, x)
	[MOSAIC_TRANSFORM_FLIPPED_90] = { 2, 1, 1, 3 },
	// (x, H-y)
	[MOSAIC_TRANSFORM_FLIPPED_180] = { 1, 3, 3, 1 },
	// (H-y, W-x)
	[MOSAIC_TRANSFORM_FLIPPED_270] = { 3, 6, 1, 3 },
};

static void test_box_transform(void **state)
{
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		struct mosaic_box out;
		mosaic_box_transform(&out, &box_in, (enum mosaic_transform)t, 10, 6);
		const struct mosaic_box *e = &box_out[t];
		assert_box(out, e->x, e->y, e->width, e->height);
		// In place.
		struct mosaic_box inplace = box_in;
		mosaic_box_transform(&inplace, &inplace, (enum mosaic_transform)t, 10, 6);
		assert_box(inplace, e->x, e->y, e->width, e->height);
	}

	// The example of geometry.h: with 90 a 100x50 space becomes 50x100 and its
	// top-left pixel ends at the bottom-left.
	struct mosaic_box out;
	mosaic_box_transform(&out, &(struct mosaic_box){ 0, 0, 1, 1 }, MOSAIC_TRANSFORM_90,
		100, 50);
	assert_box(out, 0, 99, 1, 1);
	// The whole space maps onto the whole transformed space.
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		mosaic_box_transform(&out, &(struct mosaic_box){ 0, 0, 100, 50 },
			(enum mosaic_transform)t, 100, 50);
		if (t & 1) {
			assert_box(out, 0, 0, 50, 100);
		} else {
			assert_box(out, 0, 0, 100, 50);
		}
	}
}

static void test_fbox_transform(void **state)
{
	// {0.5, 1.25, 2.5, 0.5} in a 10 x 6 space, by hand as above.
	const struct mosaic_fbox in = { 0.5, 1.25, 2.5, 0.5 };
	const struct mosaic_fbox want[ALL_TRANSFORMS] = {
		[MOSAIC_TRANSFORM_NORMAL] = { 0.5, 1.25, 2.5, 0.5 },
		[MOSAIC_TRANSFORM_90] = { 1.25, 7.0, 0.5, 2.5 },
		[MOSAIC_TRANSFORM_180] = { 7.0, 4.25, 2.5, 0.5 },
		[MOSAIC_TRANSFORM_270] = { 4.25, 0.5, 0.5, 2.5 },
		[MOSAIC_TRANSFORM_FLIPPED] = { 7.0, 1.25, 2.5, 0.5 },
		[MOSAIC_TRANSFORM_FLIPPED_90] = { 1.25, 0.5, 0.5, 2.5 },
		[MOSAIC_TRANSFORM_FLIPPED_180] = { 0.5, 4.25, 2.5, 0.5 },
		[MOSAIC_TRANSFORM_FLIPPED_270] = { 4.25, 7.0, 0.5, 2.5 },
	};
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		struct mosaic_fbox out;
		mosaic_fbox_transform(&out, &in, (enum mosaic_transform)t, 10, 6);
		assert_float_equal(out.x, want[t].x, 1e-9);
		assert_float_equal(out.y, want[t].y, 1e-9);
		assert_float_equal(out.width, want[t].width, 1e-9);
		assert_float_equal(out.height, want[t].height, 1e-9);
		// Integer boxes agree with the fractional version.
		struct mosaic_fbox fi = { box_in.x, box_in.y, box_in.width, box_in.height };
		mosaic_fbox_transform(&fi, &fi, (enum mosaic_transform)t, 10, 6);
		assert_float_equal(fi.x, box_out[t].x, 0);
		assert_float_equal(fi.y, box_out[t].y, 0);
		assert_float_equal(fi.width, box_out[t].width, 0);
		assert_float_equal(fi.height, box_out[t].height, 0);
	}
}

static void test_swaps_axes(void **state)
{
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		bool want = t == MOSAIC_TRANSFORM_90 || t == MOSAIC_TRANSFORM_270 ||
			t == MOSAIC_TRANSFORM_FLIPPED_90 || t == MOSAIC_TRANSFORM_FLIPPED_270;
		assert_int_equal(mosaic_transform_swaps_axes((enum mosaic_transform)t), want);
	}
}

static void test_invert(void **state)
{
	const enum mosaic_transform want[ALL_TRANSFORMS] = {
		[MOSAIC_TRANSFORM_NORMAL] = MOSAIC_TRANSFORM_NORMAL,
		[MOSAIC_TRANSFORM_90] = MOSAIC_TRANSFORM_270,
		[MOSAIC_TRANSFORM_180] = MOSAIC_TRANSFORM_180,
		[MOSAIC_TRANSFORM_270] = MOSAIC_TRANSFORM_90,
		[MOSAIC_TRANSFORM_FLIPPED] = MOSAIC_TRANSFORM_FLIPPED,
		[MOSAIC_TRANSFORM_FLIPPED_90] = MOSAIC_TRANSFORM_FLIPPED_90,
		[MOSAIC_TRANSFORM_FLIPPED_180] = MOSAIC_TRANSFORM_FLIPPED_180,
		[MOSAIC_TRANSFORM_FLIPPED_270] = MOSAIC_TRANSFORM_FLIPPED_270,
	};
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		enum mosaic_transform tr = (enum mosaic_transform)t;
		enum mosaic_transform inv = mosaic_transform_invert(tr);
		assert_int_equal(inv, want[t]);
		assert_int_equal(mosaic_transform_compose(tr, inv), MOSAIC_TRANSFORM_NORMAL);
		assert_int_equal(mosaic_transform_compose(inv, tr), MOSAIC_TRANSFORM_NORMAL);
		assert_int_equal(mosaic_transform_compose(tr, MOSAIC_TRANSFORM_NORMAL), tr);
		assert_int_equal(mosaic_transform_compose(MOSAIC_TRANSFORM_NORMAL, tr), tr);

		// Inverting a box transform gives the original box back.
		struct mosaic_box out, back;
		mosaic_box_transform(&out, &box_in, tr, 10, 6);
		int w = (t & 1) ? 6 : 10, h = (t & 1) ? 10 : 6;
		mosaic_box_transform(&back, &out, inv, w, h);
		assert_box(back, box_in.x, box_in.y, box_in.width, box_in.height);
	}
}

static void test_compose_all_pairs(void **state)
{
	// compose(a, b) = "a, then b": check it against applying the two box
	// transforms in sequence. box_in has a distinct image under each of
	// the 8 transforms, so the comparison pins the composed transform.
	for (int i = 0; i < ALL_TRANSFORMS; i++) {
		for (int j = i + 1; j < ALL_TRANSFORMS; j++) {
			assert_false(box_out[i].x == box_out[j].x && box_out[i].y == box_out[j].y &&
				box_out[i].width == box_out[j].width);
		}
	}
	for (int a = 0; a < ALL_TRANSFORMS; a++) {
		for (int b = 0; b < ALL_TRANSFORMS; b++) {
			struct mosaic_box step1, step2, direct;
			mosaic_box_transform(&step1, &box_in, (enum mosaic_transform)a, 10, 6);
			int w = (a & 1) ? 6 : 10, h = (a & 1) ? 10 : 6;
			mosaic_box_transform(&step2, &step1, (enum mosaic_transform)b, w, h);
			enum mosaic_transform c = mosaic_transform_compose((enum mosaic_transform)a,
				(enum mosaic_transform)b);
			assert_in_range(c, 0, ALL_TRANSFORMS - 1);
			mosaic_box_transform(&direct, &box_in, c, 10, 6);
			if (memcmp(&step2, &direct, sizeof(direct)) != 0) {
				print_error("compose(%s, %s) = %s is wrong\n",
					mosaic_transform_name((enum mosaic_transform)a),
					mosaic_transform_name((enum mosaic_transform)b),
					mosaic_transform_name(c));
				fail();
			}
		}
	}
}

/* Applies the row-major 3x3 matrix to (u, v, 1). */
static void apply(const float m[9], double u, double v, double *ou, double *ov)
{
	double w = m[6] * u + m[7] * v + m[8];
	*ou = (m[0] * u + m[1] * v + m[2]) / w;
	*ov = (m[3] * u + m[4] * v + m[5]) / w;
}

static void test_matrix(void **state)
{
	// Hand-written point rules in normalized coordinates (W = H = 1).
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		float m[9];
		mosaic_transform_matrix(m, (enum mosaic_transform)t);
		const double pts[][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 0.25, 0.75 } };
		for (size_t i = 0; i < 4; i++) {
			double u = pts[i][0], v = pts[i][1], eu, ev, ou, ov;
			switch (t) {
			case MOSAIC_TRANSFORM_NORMAL: eu = u; ev = v; break;
			case MOSAIC_TRANSFORM_90: eu = v; ev = 1 - u; break;
			case MOSAIC_TRANSFORM_180: eu = 1 - u; ev = 1 - v; break;
			case MOSAIC_TRANSFORM_270: eu = 1 - v; ev = u; break;
			case MOSAIC_TRANSFORM_FLIPPED: eu = 1 - u; ev = v; break;
			case MOSAIC_TRANSFORM_FLIPPED_90: eu = v; ev = u; break;
			case MOSAIC_TRANSFORM_FLIPPED_180: eu = u; ev = 1 - v; break;
			default: eu = 1 - v; ev = 1 - u; break;
			}
			apply(m, u, v, &ou, &ov);
			assert_float_equal(ou, eu, 1e-6);
			assert_float_equal(ov, ev, 1e-6);
		}
	}
}

static void test_matrix_matches_box_transform(void **state)
{
	// The normalized corners of box_in, through the matrix and scaled to
	// the transformed space, span exactly the transformed box.
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		float m[9];
		mosaic_transform_matrix(m, (enum mosaic_transform)t);
		double tw = (t & 1) ? 6 : 10, th = (t & 1) ? 10 : 6;
		double x1 = INFINITY, y1 = INFINITY, x2 = -INFINITY, y2 = -INFINITY;
		for (int c = 0; c < 4; c++) {
			double x = box_in.x + ((c & 1) ? box_in.width : 0);
			double y = box_in.y + ((c & 2) ? box_in.height : 0);
			double u, v;
			apply(m, x / 10.0, y / 6.0, &u, &v);
			u *= tw;
			v *= th;
			x1 = fmin(x1, u);
			y1 = fmin(y1, v);
			x2 = fmax(x2, u);
			y2 = fmax(y2, v);
		}
		struct mosaic_box out;
		mosaic_box_transform(&out, &box_in, (enum mosaic_transform)t, 10, 6);
		assert_float_equal(x1, out.x, 1e-5);
		assert_float_equal(y1, out.y, 1e-5);
		assert_float_equal(x2 - x1, out.width, 1e-5);
		assert_float_equal(y2 - y1, out.height, 1e-5);

		// The matrix of the inverse is the inverse matrix.
		float mi[9];
		mosaic_transform_matrix(mi, mosaic_transform_invert((enum mosaic_transform)t));
		double u, v;
		apply(m, 0.3, 0.8, &u, &v);
		apply(mi, u, v, &u, &v);
		assert_float_equal(u, 0.3, 1e-6);
		assert_float_equal(v, 0.8, 1e-6);
	}
}

static void map_point(const struct mosaic_affine *a, double x, double y, double *u, double *v)
{
	*u = a->m[0] * x + a->m[1] * y + a->m[2];
	*v = a->m[3] * x + a->m[4] * y + a->m[5];
}

/*
 * The texture-coordinate map of every transform against corners worked out
 * by hand: the source box {2, 4, 8, 6} (corners (2,4) (10,4) (2,10) (10,10))
 * drawn into the destination box {10, 20, 30, 40}. For each transform, the
 * texture pixel shown at the destination's top-left, top-right and
 * bottom-left corners.
 */
static void test_texture_coords_map(void **state)
{
	const struct mosaic_fbox src = { 2, 4, 8, 6 };
	const struct mosaic_box dst = { 10, 20, 30, 40 };
	const double want[ALL_TRANSFORMS][3][2] = {
		[MOSAIC_TRANSFORM_NORMAL] = { { 2, 4 }, { 10, 4 }, { 2, 10 } },
		// Rotated 90 degrees counter-clockwise: the top-right corner is now top-left.
		[MOSAIC_TRANSFORM_90] = { { 10, 4 }, { 10, 10 }, { 2, 4 } },
		[MOSAIC_TRANSFORM_180] = { { 10, 10 }, { 2, 10 }, { 10, 4 } },
		[MOSAIC_TRANSFORM_270] = { { 2, 10 }, { 2, 4 }, { 10, 10 } },
		[MOSAIC_TRANSFORM_FLIPPED] = { { 10, 4 }, { 2, 4 }, { 10, 10 } },
		[MOSAIC_TRANSFORM_FLIPPED_90] = { { 2, 4 }, { 2, 10 }, { 10, 4 } },
		[MOSAIC_TRANSFORM_FLIPPED_180] = { { 2, 10 }, { 10, 10 }, { 2, 4 } },
		[MOSAIC_TRANSFORM_FLIPPED_270] = { { 10, 10 }, { 10, 4 }, { 2, 10 } },
	};
	const double corners[3][2] = { { 10, 20 }, { 40, 20 }, { 10, 60 } };
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		struct mosaic_affine map;
		mosaic_texture_coords_map(&map, &src, &dst, (enum mosaic_transform)t, 0, 0);
		for (int c = 0; c < 3; c++) {
			double u, v;
			map_point(&map, corners[c][0], corners[c][1], &u, &v);
			assert_float_equal(u, want[t][c][0], 1e-9);
			assert_float_equal(v, want[t][c][1], 1e-9);
		}
		// The centre shows the centre, whatever the transform.
		double u, v;
		map_point(&map, 25, 40, &u, &v);
		assert_float_equal(u, 6, 1e-9);
		assert_float_equal(v, 7, 1e-9);

		// With an origin, the same points relative to it.
		struct mosaic_affine moved;
		mosaic_texture_coords_map(&moved, &src, &dst, (enum mosaic_transform)t, 13, -7);
		for (int c = 0; c < 3; c++) {
			map_point(&moved, corners[c][0] - 13, corners[c][1] + 7, &u, &v);
			assert_float_equal(u, want[t][c][0], 1e-9);
			assert_float_equal(v, want[t][c][1], 1e-9);
		}
	}

	// The matrix itself, for two cases: 1:1 at the origin is the identity
	// moved by the source offset; 90 degrees swaps the axes and scales.
	struct mosaic_affine map;
	mosaic_texture_coords_map(&map, &(struct mosaic_fbox){ 3, 5, 30, 40 },
		&(struct mosaic_box){ 0, 0, 30, 40 }, MOSAIC_TRANSFORM_NORMAL, 0, 0);
	const double identity[6] = { 1, 0, 3, 0, 1, 5 };
	for (int i = 0; i < 6; i++) {
		assert_float_equal(map.m[i], identity[i], 1e-12);
	}
	// 90: u = src.x + src.w (1 - y / dst.h), v = src.y + src.h x / dst.w.
	mosaic_texture_coords_map(&map, &(struct mosaic_fbox){ 0, 0, 8, 6 },
		&(struct mosaic_box){ 0, 0, 12, 16 }, MOSAIC_TRANSFORM_90, 0, 0);
	const double rot[6] = { 0, -0.5, 8, 0.5, 0, 0 };
	for (int i = 0; i < 6; i++) {
		assert_float_equal(map.m[i], rot[i], 1e-12);
	}

	// A destination box far outside the buffer: with the origin near the
	// drawn pixels the constant terms stay small and exact.
	mosaic_texture_coords_map(&map, &(struct mosaic_fbox){ 0, 0, 100, 100 },
		&(struct mosaic_box){ INT_MIN + 1, INT_MIN + 1, 100, 100 },
		MOSAIC_TRANSFORM_NORMAL, INT_MIN + 51, INT_MIN + 1);
	assert_float_equal(map.m[2], 50, 1e-9);
	assert_float_equal(map.m[5], 0, 1e-9);
}

/*
 * The GPU backends evaluate the map in 32-bit floats and pick texel
 * floor(u), as pixman does in 16.16 fixed point; they agree on exact ties
 * (include/mosaic/pass.h) only because, for 2:1 and similar scales, the map's
 * terms with the origin at the drawn pixels are exact in both. 842x674 at
 * 421x337 (a buffer_scale 2 surface) at an odd position, every transform:
 * each pixel centre maps exactly onto a texel edge, in floats too.
 */
static void test_texture_coords_map_exact_ties(void **state)
{
	const struct mosaic_fbox src = { 0, 0, 842, 674 };
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		bool swap = mosaic_transform_swaps_axes((enum mosaic_transform)t);
		const struct mosaic_box dst = { 1001, 3, swap ? 337 : 421, swap ? 421 : 337 };
		struct mosaic_affine map;
		mosaic_texture_coords_map(&map, &src, &dst, (enum mosaic_transform)t, dst.x, dst.y);
		float f[6];
		for (int i = 0; i < 6; i++) {
			f[i] = (float)map.m[i];
			assert_true((double)f[i] == map.m[i]);
		}
		for (int y = 0; y < dst.height; y += 7) {
			for (int x = 0; x < dst.width; x += 5) {
				float px = (float)x + 0.5f, py = (float)y + 0.5f;
				float u = f[0] * px + f[1] * py + f[2];
				float v = f[3] * px + f[4] * py + f[5];
				assert_true(u == floorf(u) && v == floorf(v));
				assert_true(u >= 1 && u <= 841 && v >= 1 && v <= 673);
			}
		}
	}
}

static void test_names(void **state)
{
	const char *want[ALL_TRANSFORMS] = { "normal", "90", "180", "270", "flipped",
		"flipped-90", "flipped-180", "flipped-270" };
	for (int t = 0; t < ALL_TRANSFORMS; t++) {
		const char *name = mosaic_transform_name((enum mosaic_transform)t);
		assert_non_null(name);
		assert_string_equal(name, want[t]);
		enum mosaic_transform back = (enum mosaic_transform)99;
		assert_true(mosaic_transform_from_name(name, &back));
		assert_int_equal(back, t);
	}
	assert_null(mosaic_transform_name((enum mosaic_transform)8));
	assert_null(mosaic_transform_name((enum mosaic_transform)-1));
	enum mosaic_transform out = MOSAIC_TRANSFORM_180;
	assert_false(mosaic_transform_from_name("bogus", &out));
	assert_false(mosaic_transform_from_name("", &out));
	assert_false(mosaic_transform_from_name("Normal", &out));
	assert_false(mosaic_transform_from_name("flipped-", &out));
	assert_false(mosaic_transform_from_name(NULL, &out));
	assert_int_equal(out, MOSAIC_TRANSFORM_180);

	for (int b = MOSAIC_BACKEND_AUTO; b <= MOSAIC_BACKEND_GLES; b++) {
		const char *name = mosaic_backend_name((enum mosaic_backend)b);
		assert_non_null(name);
		enum mosaic_backend back = (enum mosaic_backend)99;
		assert_true(mosaic_backend_from_name(name, &back));
		assert_int_equal(back, b);
	}
	assert_string_equal(mosaic_backend_name(MOSAIC_BACKEND_PIXMAN), "pixman");
	assert_null(mosaic_backend_name((enum mosaic_backend)4));
	assert_null(mosaic_backend_name((enum mosaic_backend)-1));
	enum mosaic_backend bout = MOSAIC_BACKEND_GLES;
	assert_false(mosaic_backend_from_name("PIXMAN", &bout));
	assert_false(mosaic_backend_from_name(NULL, &bout));
	assert_int_equal(bout, MOSAIC_BACKEND_GLES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_box_empty),
		cmocka_unit_test(test_box_intersection),
		cmocka_unit_test(test_box_intersection_extremes),
		cmocka_unit_test(test_box_contains_point),
		cmocka_unit_test(test_box_transform),
		cmocka_unit_test(test_fbox_transform),
		cmocka_unit_test(test_swaps_axes),
		cmocka_unit_test(test_invert),
		cmocka_unit_test(test_compose_all_pairs),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_matrix_matches_box_transform),
		cmocka_unit_test(test_texture_coords_map),
		cmocka_unit_test(test_texture_coords_map_exact_ties),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
