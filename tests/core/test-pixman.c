/*
 * Pixel tests of the pixman backend. Every expected value is worked out in
 * this file from the conventions of the API (transform rules, premultiplied
 * OVER, bilinear weights), never taken from the renderer's own output.
 */
#include <math.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include "common.h"

static struct log_capture cap;
static struct mosaic_renderer *renderer;

static int group_setup(void **state)
{
	log_capture_start(&cap);
	renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	return renderer != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	mosaic_renderer_destroy(renderer);
	return 0;
}

static int setup(void **state)
{
	log_capture_reset(&cap);
	return 0;
}

static int teardown(void **state)
{
	assert_no_error(&cap);
	return 0;
}

/* An ARGB8888 output over test memory, filled with `fill`. */
struct output {
	int width, height;
	uint32_t *pixels;
	struct mosaic_buffer *buffer;
};

static struct output output_create(int width, int height, uint32_t fourcc, uint32_t fill)
{
	struct output o = { .width = width, .height = height };
	o.pixels = malloc((size_t)width * height * 4);
	assert_non_null(o.pixels);
	for (int i = 0; i < width * height; i++) {
		o.pixels[i] = fill;
	}
	o.buffer = mosaic_buffer_from_data(width, height, fourcc, (uint32_t)width * 4, o.pixels);
	assert_non_null(o.buffer);
	return o;
}

static void output_destroy(struct output *o)
{
	mosaic_buffer_drop(o->buffer);
	free(o->pixels);
}

static uint32_t at(const struct output *o, int x, int y)
{
	return o->pixels[y * o->width + x];
}

static struct mosaic_texture *texture_argb(int width, int height, const uint32_t *px)
{
	struct mosaic_texture *t = mosaic_texture_from_pixels(renderer, width, height,
		DRM_FORMAT_ARGB8888, (uint32_t)width * 4, px);
	assert_non_null(t);
	return t;
}

static void draw(struct output *o, const struct mosaic_texture_options *opts)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o->buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, opts));
	assert_true(mosaic_pass_submit(pass, NULL));
}

static void draw_rect(struct output *o, const struct mosaic_rect_options *opts)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o->buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, opts));
	assert_true(mosaic_pass_submit(pass, NULL));
}

/* Six distinct opaque texel colors, named A..F as in the grids below. */
static const uint32_t texel[6] = {
	0xff100000, 0xff200000, 0xff300000, // A B C
	0xff400000, 0xff500000, 0xff600000, // D E F
};
#define SENTINEL 0xff0000ffu

/*
 * The 3x2 texture
 *     A B C
 *     D E F
 * through each transform, worked out by hand: 90 turns the content a quarter
 * turn counter-clockwise (its top row becomes the left column, read upwards),
 * flipped mirrors left-right first.
 */
static const char *const grids[8] = {
	[MOSAIC_TRANSFORM_NORMAL] = "ABC" "DEF",
	[MOSAIC_TRANSFORM_90] = "CF" "BE" "AD",
	[MOSAIC_TRANSFORM_180] = "FED" "CBA",
	[MOSAIC_TRANSFORM_270] = "DA" "EB" "FC",
	[MOSAIC_TRANSFORM_FLIPPED] = "CBA" "FED",
	[MOSAIC_TRANSFORM_FLIPPED_90] = "AD" "BE" "CF",
	[MOSAIC_TRANSFORM_FLIPPED_180] = "DEF" "ABC",
	[MOSAIC_TRANSFORM_FLIPPED_270] = "FC" "EB" "DA",
};

static void test_transforms(void **state)
{
	struct mosaic_texture *tex = texture_argb(3, 2, texel);
	for (int t = 0; t < 8; t++) {
		int gw = (t & 1) ? 2 : 3, gh = (t & 1) ? 3 : 2;
		for (int scale = 1; scale <= 2; scale++) {
			for (int filter = 0; filter < 2; filter++) {
				// Linear filtering at 1:1 hits texel centers exactly.
				if (filter == MOSAIC_FILTER_LINEAR && scale != 1) {
					continue;
				}
				struct output o = output_create(8, 8, DRM_FORMAT_ARGB8888, SENTINEL);
				draw(&o, &(struct mosaic_texture_options){
					.texture = tex,
					// Default size at scale 1, an explicit box at 2.
					.dst_box = scale == 1 ? (struct mosaic_box){ 0, 0, 0, 0 } :
						(struct mosaic_box){ 1, 2, gw * 2, gh * 2 },
					.transform = (enum mosaic_transform)t,
					.filter = (enum mosaic_filter)filter,
				});
				int ox = scale == 1 ? 0 : 1, oy = scale == 1 ? 0 : 2;
				for (int y = 0; y < 8; y++) {
					for (int x = 0; x < 8; x++) {
						int gx = (x - ox) / scale, gy = (y - oy) / scale;
						uint32_t want = SENTINEL;
						if (x >= ox && y >= oy && gx < gw && gy < gh) {
							want = texel[grids[t][gy * gw + gx] - 'A'];
						}
						if (at(&o, x, y) != want) {
							print_error("transform %s, scale %d, filter %d\n",
								mosaic_transform_name(
									(enum mosaic_transform)t),
								scale, filter);
						}
						assert_pixel_near(at(&o, x, y), want, 0, x, y);
					}
				}
				output_destroy(&o);
			}
		}
	}
	mosaic_texture_destroy(tex);
}

/* round(v * 255) */
static int u8(double v)
{
	return (int)lround(v * 255.0);
}

static void test_rect_blending(void **state)
{
	// Opaque destination, premultiplied source (r .25, g .5, b 0, a .5):
	// OVER gives S + D (1 - Sa).
	const uint32_t dst = argb(0xff, 0x20, 0x80, 0xc0);
	struct output o = output_create(2, 1, DRM_FORMAT_ARGB8888, dst);
	draw_rect(&o, &(struct mosaic_rect_options){
		.box = { 0, 0, 1, 1 },
		.color = { 0.25f, 0.5f, 0.0f, 0.5f },
	});
	uint32_t want = argb(0xff, (uint8_t)u8(0.25 + 0x20 / 255.0 * 0.5),
		(uint8_t)u8(0.5 + 0x80 / 255.0 * 0.5), (uint8_t)u8(0xc0 / 255.0 * 0.5));
	assert_pixel_near(at(&o, 0, 0), want, 1, 0, 0);
	assert_pixel_near(at(&o, 1, 0), dst, 0, 1, 0);

	// NONE replaces, alpha included.
	draw_rect(&o, &(struct mosaic_rect_options){
		.box = { 1, 0, 1, 1 },
		.color = { 0.25f, 0.5f, 0.0f, 0.5f },
		.blend = MOSAIC_BLEND_NONE,
	});
	assert_pixel_near(at(&o, 1, 0), argb(0x80, 0x40, 0x80, 0x00), 1, 1, 0);
	draw_rect(&o, &(struct mosaic_rect_options){
		.box = { 0, 0, 2, 1 },
		.blend = MOSAIC_BLEND_NONE,
	});
	assert_int_equal(at(&o, 0, 0), 0);
	assert_int_equal(at(&o, 1, 0), 0);

	// OVER onto a translucent destination: Da' = Sa + Da (1 - Sa).
	o.pixels[0] = argb(0x80, 0x80, 0x00, 0x00);
	draw_rect(&o, &(struct mosaic_rect_options){
		.box = { 0, 0, 1, 1 },
		.color = { 0.0f, 0.0f, 0.25f, 0.25f },
	});
	want = argb((uint8_t)u8(0.25 + 0x80 / 255.0 * 0.75), (uint8_t)u8(0x80 / 255.0 * 0.75), 0,
		(uint8_t)u8(0.25));
	assert_pixel_near(at(&o, 0, 0), want, 1, 0, 0);
	output_destroy(&o);

	// An XRGB destination is opaque whatever its X bits hold.
	o = output_create(1, 1, DRM_FORMAT_XRGB8888, 0x00204060);
	draw_rect(&o, &(struct mosaic_rect_options){
		.box = { 0, 0, 1, 1 },
		.color = { 0.25f, 0.0f, 0.0f, 0.5f },
	});
	want = argb(0xff, (uint8_t)u8(0.25 + 0x20 / 255.0 * 0.5), (uint8_t)u8(0x40 / 255.0 * 0.5),
		(uint8_t)u8(0x60 / 255.0 * 0.5));
	assert_pixel_near(at(&o, 0, 0) | 0xff000000, want, 1, 0, 0);
	output_destroy(&o);
}

static void test_texture_blending(void **state)
{
	// One premultiplied texel (a .5, r .25, g 0, b .5) over opaque green.
	const uint32_t src = argb(0x80, 0x40, 0x00, 0x80);
	const uint32_t dst = argb(0xff, 0x00, 0xff, 0x00);
	struct mosaic_texture *tex = texture_argb(1, 1, &src);
	const double sa = 0x80 / 255.0, sr = 0x40 / 255.0, sb = 0x80 / 255.0;

	for (int i = 0; i < 5; i++) {
		const float alphas[] = { 1.0f, 0.5f, 0.25f, 0.8f, 0.0f };
		float alpha = alphas[i];
		struct output o = output_create(2, 1, DRM_FORMAT_ARGB8888, dst);
		draw(&o, &(struct mosaic_texture_options){
			.texture = tex,
			.alpha = &alpha,
		});
		// OVER with a multiplier m: S m + D (1 - Sa m).
		double m = alpha;
		uint32_t want = argb((uint8_t)u8(sa * m + 1.0 * (1 - sa * m)), (uint8_t)u8(sr * m),
			(uint8_t)u8(1.0 * (1 - sa * m)), (uint8_t)u8(sb * m));
		assert_pixel_near(at(&o, 0, 0), want, 1, 0, 0);
		assert_pixel_near(at(&o, 1, 0), dst, 0, 1, 0);

		// NONE: S m replaces the destination.
		draw(&o, &(struct mosaic_texture_options){
			.texture = tex,
			.dst_box = { 1, 0, 1, 1 },
			.alpha = &alpha,
			.blend = MOSAIC_BLEND_NONE,
		});
		want = argb((uint8_t)u8(sa * m), (uint8_t)u8(sr * m), 0, (uint8_t)u8(sb * m));
		assert_pixel_near(at(&o, 1, 0), want, 1, 1, 0);
		output_destroy(&o);
	}
	mosaic_texture_destroy(tex);
}

static void test_clip_region(void **state)
{
	struct output o = output_create(10, 8, DRM_FORMAT_XRGB8888, 0xff000000);
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 2, 2);
	pixman_region32_union_rect(&clip, &clip, 5, 1, 3, 2);
	pixman_region32_union_rect(&clip, &clip, 1, 5, 8, 1);
	pixman_region32_union_rect(&clip, &clip, 9, 7, 5, 5);
	// The rect covers x 1..8, y 1..6: the clip cuts it into pieces.
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o.buffer, NULL);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 1, 1, 8, 6 },
		.color = { 1, 1, 1, 1 },
		.clip = &clip,
	}));
	uint32_t px = 0xff00ff00;
	struct mosaic_texture *tex = texture_argb(1, 1, &px);
	// A texture scaled over the bottom right, same clip.
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { 6, 6, 4, 2 },
		.clip = &clip,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	for (int y = 0; y < 8; y++) {
		for (int x = 0; x < 10; x++) {
			bool in_clip = (x < 2 && y < 2) || (x >= 5 && x < 8 && y >= 1 && y < 3) ||
				(x >= 1 && x < 9 && y == 5) || (x >= 9 && y >= 7);
			bool in_rect = x >= 1 && x < 9 && y >= 1 && y < 7;
			bool in_tex = x >= 6 && y >= 6;
			uint32_t want = 0xff000000;
			if (in_clip && in_tex) {
				want = 0xff00ff00;
			} else if (in_clip && in_rect) {
				want = 0xffffffff;
			}
			assert_pixel_near(at(&o, x, y) | 0xff000000, want, 0, x, y);
		}
	}
	pixman_region32_fini(&clip);
	mosaic_texture_destroy(tex);
	output_destroy(&o);
}

/* The red channel of output pixels along the first row. */
static void assert_row_red(const struct output *o, const int *want, int n, int tol)
{
	for (int x = 0; x < n; x++) {
		uint32_t w = (at(o, x, 0) & 0xff00ffff) | (uint32_t)want[x] << 16;
		assert_pixel_near(at(o, x, 0), w, tol, x, 0);
	}
}

static void test_scaling_filters(void **state)
{
	// Two texels, black and red. A 2x upscale samples at u = (x + 0.5) / 2:
	// 0.25 0.75 1.25 1.75. Texel centers are at 0.5 and 1.5, the edges
	// clamp, so bilinear gives 0, 0.25, 0.75, 1 of red; nearest floor(u).
	const uint32_t px[2] = { 0xff000000, 0xffff0000 };
	struct mosaic_texture *tex = texture_argb(2, 1, px);
	struct output o = output_create(4, 1, DRM_FORMAT_ARGB8888, 0);
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 0, 0, 4, 1 }, .filter = MOSAIC_FILTER_LINEAR,
	});
	assert_row_red(&o, (const int[]){ 0, u8(0.25), u8(0.75), 255 }, 4, 1);
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 0, 0, 4, 1 }, .filter = MOSAIC_FILTER_NEAREST,
	});
	assert_row_red(&o, (const int[]){ 0, 0, 255, 255 }, 4, 0);
	output_destroy(&o);
	mosaic_texture_destroy(tex);

	// 2D: red grows with x, green with y; 2x2 -> 4x4. Pixel (1, 2)
	// samples (0.75, 1.25): red 0.25, green 0.75.
	const uint32_t quad[4] = { 0xff000000, 0xffff0000, 0xff00ff00, 0xffffff00 };
	tex = texture_argb(2, 2, quad);
	o = output_create(4, 4, DRM_FORMAT_ARGB8888, 0);
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 0, 0, 4, 4 },
	});
	const int ramp[4] = { 0, u8(0.25), u8(0.75), 255 };
	for (int y = 0; y < 4; y++) {
		for (int x = 0; x < 4; x++) {
			uint32_t want = argb(0xff, (uint8_t)ramp[x], (uint8_t)ramp[y], 0);
			assert_pixel_near(at(&o, x, y), want, 1, x, y);
		}
	}
	output_destroy(&o);

	// 2:1 downscale with nearest: u = 2x + 1 lands on texel borders;
	// floor(u) picks the right-hand texel, as GPUs do.
	const uint32_t row[4] = { 0xff000000, 0xff400000, 0xff800000, 0xffc00000 };
	mosaic_texture_destroy(tex);
	tex = texture_argb(4, 1, row);
	o = output_create(2, 1, DRM_FORMAT_ARGB8888, 0);
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 0, 0, 2, 1 }, .filter = MOSAIC_FILTER_NEAREST,
	});
	assert_row_red(&o, (const int[]){ 0x40, 0xc0 }, 2, 0);
	// Linear: u = 1 and 3, halfway between two texel centers.
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 0, 0, 2, 1 }, .filter = MOSAIC_FILTER_LINEAR,
	});
	assert_row_red(&o, (const int[]){ 0x20, 0xa0 }, 2, 1);
	output_destroy(&o);
	mosaic_texture_destroy(tex);
}

static void test_fractional_source(void **state)
{
	// Red 0, 80, 160, 240 in a 4x1 texture.
	const uint32_t row[4] = { 0xff000000, 0xff500000, 0xffa00000, 0xfff00000 };
	struct mosaic_texture *tex = texture_argb(4, 1, row);
	struct output o = output_create(4, 1, DRM_FORMAT_ARGB8888, 0);

	// src x 1.5..3.5 onto 2 pixels: u = 2.0 and 3.0.
	// Nearest: texels 2 and 3. Linear: halfway 80..160 and 160..240.
	struct mosaic_texture_options opts = {
		.texture = tex,
		.src_box = { 1.5, 0, 2, 1 },
		.filter = MOSAIC_FILTER_NEAREST,
	};
	draw(&o, &opts);
	assert_row_red(&o, (const int[]){ 160, 240, 0, 0 }, 4, 0);
	opts.filter = MOSAIC_FILTER_LINEAR;
	draw(&o, &opts);
	assert_row_red(&o, (const int[]){ 120, 200, 0, 0 }, 4, 1);

	// src x 0.25..1.25 onto 4 pixels: u = 0.375 0.625 0.875 1.125.
	// Linear: clamped 0, then 0.125 0.375 0.625 of the way from 0 to 80.
	opts.src_box = (struct mosaic_fbox){ 0.25, 0, 1, 1 };
	opts.dst_box = (struct mosaic_box){ 0, 0, 4, 1 };
	draw(&o, &opts);
	assert_row_red(&o, (const int[]){ 0, 10, 30, 50 }, 4, 1);
	// Nearest: floor(u) = 0 0 0 1.
	opts.filter = MOSAIC_FILTER_NEAREST;
	draw(&o, &opts);
	assert_row_red(&o, (const int[]){ 0, 0, 0, 80 }, 4, 0);

	// A fractional box with a transform: 180 of src x 1.5..3.5 reverses it.
	opts.src_box = (struct mosaic_fbox){ 1.5, 0, 2, 1 };
	opts.dst_box = (struct mosaic_box){ 0, 0, 2, 1 };
	opts.transform = MOSAIC_TRANSFORM_180;
	draw(&o, &opts);
	assert_row_red(&o, (const int[]){ 240, 160 }, 2, 0);
	output_destroy(&o);
	mosaic_texture_destroy(tex);
}

static void test_huge_destination(void **state)
{
	// 1024 texels (texel i: red i & 0xff, green i >> 8) stretched 64x over
	// a box starting 40024 pixels left of the output: pixel x samples
	// u = (40024 + x + 0.5) / 64 = 625.375 + (x + 0.5) / 64, so pixels 0..39
	// show texel 625 and 40..63 texel 626. Offsets that large do not fit
	// pixman's 16.16 fixed point if they are measured from the box origin.
	uint32_t *px = calloc(1024, sizeof(*px));
	for (uint32_t i = 0; i < 1024; i++) {
		px[i] = 0xff000000 | (i & 0xff) << 16 | (i >> 8) << 8;
	}
	struct mosaic_texture *tex = texture_argb(1024, 1, px);
	struct output o = output_create(64, 64, DRM_FORMAT_ARGB8888, SENTINEL);
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { -40024, 0, 65536, 1 },
		.filter = MOSAIC_FILTER_NEAREST,
	});
	for (int x = 0; x < 64; x++) {
		assert_pixel_near(at(&o, x, 0), px[x < 40 ? 625 : 626], 0, x, 0);
		assert_pixel_near(at(&o, x, 1), SENTINEL, 0, x, 1);
	}
	// The same vertically: with 270 the texture's left edge is at the top.
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 63, -40024, 1, 65536 },
		.filter = MOSAIC_FILTER_NEAREST, .transform = MOSAIC_TRANSFORM_270,
	});
	for (int y = 1; y < 64; y++) {
		assert_pixel_near(at(&o, 63, y), px[y < 40 ? 625 : 626], 0, 63, y);
	}
	// A box reaching to INT32_MAX on the right still draws (texel 0).
	draw(&o, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 2, 2, INT32_MAX, 1 }, .filter = MOSAIC_FILTER_NEAREST,
	});
	for (int x = 0; x < 64; x++) {
		assert_pixel_near(at(&o, x, 2), x < 2 ? SENTINEL : px[0], 0, x, 2);
	}
	output_destroy(&o);
	mosaic_texture_destroy(tex);
	free(px);
}

static void read_argb(struct mosaic_texture *tex, const struct mosaic_box *box, uint32_t *out)
{
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = (uint32_t)box->width * 4,
		.data = out,
		.src_box = *box,
	}));
}

static void test_update_damage_only(void **state)
{
	uint32_t red[16], green[16];
	for (int i = 0; i < 16; i++) {
		red[i] = 0xffff0000;
		green[i] = 0xff00ff00 | (uint32_t)i;
	}
	struct mosaic_texture *tex = texture_argb(4, 4, red);
	struct mosaic_buffer *b = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16, green);
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 0, 1, 1);
	pixman_region32_union_rect(&damage, &damage, 2, 1, 2, 2);
	pixman_region32_union_rect(&damage, &damage, 3, 3, 10, 10);
	assert_true(mosaic_texture_update_from_buffer(tex, b, &damage));
	uint32_t got[16];
	read_argb(tex, &(struct mosaic_box){ 0, 0, 4, 4 }, got);
	for (int y = 0; y < 4; y++) {
		for (int x = 0; x < 4; x++) {
			bool damaged = (x == 0 && y == 0) || (x >= 2 && y >= 1 && y < 3) ||
				(x == 3 && y == 3);
			assert_pixel_near(got[y * 4 + x], damaged ? green[y * 4 + x] : red[0], 0,
				x, y);
		}
	}
	// NULL damage: everything.
	assert_true(mosaic_texture_update_from_buffer(tex, b, NULL));
	read_argb(tex, &(struct mosaic_box){ 0, 0, 4, 4 }, got);
	assert_memory_equal(got, green, sizeof(got));

	// Another format is refused.
	struct mosaic_buffer *x = mosaic_buffer_from_data(4, 4, DRM_FORMAT_XRGB8888, 16, green);
	assert_false(mosaic_texture_update_from_buffer(tex, x, NULL));
	assert_one_error(&cap, "XRGB8888");
	mosaic_buffer_drop(x);
	pixman_region32_fini(&damage);
	mosaic_buffer_drop(b);
	mosaic_texture_destroy(tex);
}

/* Layouts of the formats, written from their DRM names. */
struct layout {
	uint32_t fourcc;
	int bpp;
	/* shift and bits of a, r, g, b; bits 0 = channel absent */
	int shift[4], bits[4];
};

static const struct layout layouts[] = {
	{ DRM_FORMAT_ARGB8888, 4, { 24, 16, 8, 0 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XRGB8888, 4, { 24, 16, 8, 0 }, { 0, 8, 8, 8 } },
	{ DRM_FORMAT_ABGR8888, 4, { 24, 0, 8, 16 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XBGR8888, 4, { 24, 0, 8, 16 }, { 0, 8, 8, 8 } },
	{ DRM_FORMAT_RGB565, 2, { 0, 11, 5, 0 }, { 0, 5, 6, 5 } },
	{ DRM_FORMAT_ARGB2101010, 4, { 30, 20, 10, 0 }, { 2, 10, 10, 10 } },
	{ DRM_FORMAT_XRGB2101010, 4, { 30, 20, 10, 0 }, { 0, 10, 10, 10 } },
	{ DRM_FORMAT_ABGR2101010, 4, { 30, 0, 10, 20 }, { 2, 10, 10, 10 } },
	{ DRM_FORMAT_XBGR2101010, 4, { 30, 0, 10, 20 }, { 0, 10, 10, 10 } },
};

static uint32_t encode(const struct layout *l, const double c[4])
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		if (l->bits[i] > 0) {
			uint32_t max = (1u << l->bits[i]) - 1;
			v |= (uint32_t)lround(c[i] * max) << l->shift[i];
		}
	}
	return v;
}

static uint32_t load(const struct layout *l, const void *p)
{
	if (l->bpp == 2) {
		return *(const uint16_t *)p;
	}
	return *(const uint32_t *)p;
}

/* Asserts every present channel of `v` is c * max within one step. */
static void assert_encoded(const struct layout *l, uint32_t v, const double c[4], int x)
{
	char name[32];
	for (int i = 0; i < 4; i++) {
		if (l->bits[i] == 0) {
			continue;
		}
		uint32_t max = (1u << l->bits[i]) - 1;
		long got = (long)((v >> l->shift[i]) & max);
		long want = lround(c[i] * max);
		if (labs(got - want) > 1) {
			print_error("%s pixel %d channel %d: got %ld, want %ld\n",
				mosaic_format_name(l->fourcc, name), x, i, got, want);
			fail();
		}
	}
}

/*
 * Colors (a, r, g, b) premultiplied, chosen so that the 8-bit and the 5/6
 * bit encodings hit exact steps.
 */
static const double colors[3][4] = {
	{ 1.0, 1.0, 0.0, 0.0 },
	{ 1.0, 0.0, 1.0, 1.0 },
	{ 0.0, 0.0, 0.0, 0.0 },
};

static void test_output_formats(void **state)
{
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	uint32_t src_px = argb(0xff, 0x00, 0xff, 0xff);
	struct mosaic_texture *tex = texture_argb(1, 1, &src_px);
	for (size_t f = 0; f < sizeof(layouts) / sizeof(layouts[0]); f++) {
		const struct layout *l = &layouts[f];
		struct mosaic_buffer *b = mosaic_allocator_create_buffer(alloc, 3, 1, l->fourcc,
			NULL, 0);
		assert_non_null(b);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, b, NULL);
		assert_non_null(pass);
		// Pixel 0: red rect; pixel 1: the cyan texel; pixel 2: cleared.
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 3, 1 }, .color = { 0.5f, 0.5f, 0.5f, 1.0f },
		}));
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 1, 1 }, .color = { 1, 0, 0, 1 },
		}));
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex, .dst_box = { 1, 0, 1, 1 },
		}));
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 2, 0, 1, 1 }, .blend = MOSAIC_BLEND_NONE,
		}));
		assert_true(mosaic_pass_submit(pass, NULL));

		void *data;
		uint32_t fourcc, stride;
		assert_true(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
			&fourcc, &stride));
		for (int x = 0; x < 3; x++) {
			assert_encoded(l, load(l, (uint8_t *)data + x * l->bpp), colors[x], x);
		}
		mosaic_buffer_end_data_access(b);
		mosaic_buffer_drop(b);
	}
	mosaic_texture_destroy(tex);
	mosaic_allocator_destroy(alloc);
}

static void test_texture_formats(void **state)
{
	// Texels encoded by hand in each format, read back as ARGB8888.
	for (size_t f = 0; f < sizeof(layouts) / sizeof(layouts[0]); f++) {
		const struct layout *l = &layouts[f];
		uint8_t mem[3 * 4] = {0};
		for (int x = 0; x < 3; x++) {
			uint32_t v = encode(l, colors[x]);
			// The ignored bits of X formats are garbage on purpose.
			if (l->bits[0] == 0 && l->bpp == 4) {
				v |= (uint32_t)0x1 << l->shift[0];
			}
			memcpy(mem + x * l->bpp, &v, (size_t)l->bpp);
		}
		struct mosaic_texture *tex = mosaic_texture_from_pixels(renderer, 3, 1, l->fourcc,
			(uint32_t)(3 * l->bpp), mem);
		assert_non_null(tex);
		assert_int_equal(mosaic_texture_get_fourcc(tex), l->fourcc);
		uint32_t got[3];
		read_argb(tex, &(struct mosaic_box){ 0, 0, 3, 1 }, got);
		for (int x = 0; x < 3; x++) {
			double c[4] = { colors[x][0], colors[x][1], colors[x][2], colors[x][3] };
			if (l->bits[0] == 0) {
				c[0] = 1.0; // no alpha channel: opaque
			}
			assert_encoded(&layouts[0], got[x], c, x);
		}
		mosaic_texture_destroy(tex);
	}
}

static void test_read_pixels_convert(void **state)
{
	// A 4x3 ARGB8888 texture; row y, column x holds (a, x*16+y, 0x80, 0x42).
	uint32_t px[12];
	for (int y = 0; y < 3; y++) {
		for (int x = 0; x < 4; x++) {
			px[y * 4 + x] = argb(0xff, (uint8_t)(0x80 + x * 16 + y), 0x82, 0x42);
		}
	}
	px[1 * 4 + 2] = argb(0x80, 0x40, 0x20, 0x10);
	struct mosaic_texture *tex = texture_argb(4, 3, px);
	const struct mosaic_box box = { 1, 1, 2, 2 };

	// ARGB8888 -> ABGR8888, with a stride wider than the rectangle.
	uint32_t out[2 * 3];
	memset(out, 0xee, sizeof(out));
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ABGR8888, .stride = 12, .data = out, .src_box = box,
	}));
	for (int y = 0; y < 2; y++) {
		for (int x = 0; x < 2; x++) {
			uint32_t s = px[(y + 1) * 4 + x + 1];
			uint32_t want = (s & 0xff00ff00) | (s >> 16 & 0xff) | (s & 0xff) << 16;
			assert_int_equal(out[y * 3 + x], want);
		}
		// Bytes past the rectangle are not touched.
		assert_int_equal(out[y * 3 + 2], 0xeeeeeeee);
	}

	// XRGB8888 texture with garbage in X reads back opaque.
	uint32_t xpx[2] = { 0x12345678, 0x00abcdef };
	struct mosaic_texture *xtex = mosaic_texture_from_pixels(renderer, 2, 1,
		DRM_FORMAT_XRGB8888, 8, xpx);
	uint32_t xout[2];
	assert_true(mosaic_texture_read_pixels(xtex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 8, .data = xout,
	}));
	assert_int_equal(xout[0], 0xff345678);
	assert_int_equal(xout[1], 0xffabcdef);
	mosaic_texture_destroy(xtex);

	// RGB565: 0x82 and 0x42 are exact 6- and 5-bit steps (32 and 8).
	uint16_t out565[2 * 2];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_RGB565, .stride = 4, .data = out565,
		.src_box = { 0, 0, 2, 2 },
	}));
	for (int y = 0; y < 2; y++) {
		for (int x = 0; x < 2; x++) {
			int r = 0x80 + x * 16 + y;
			long want = lround(r * 31.0 / 255) << 11 | 32 << 5 | 8;
			long got = out565[y * 2 + x];
			assert_in_range(got >> 11, (want >> 11) - 1, (want >> 11) + 1);
			assert_int_equal(got & 0x7ff, want & 0x7ff);
		}
	}

	// ARGB2101010 and ABGR2101010, the translucent texel included.
	const uint32_t tenbits[] = { DRM_FORMAT_ARGB2101010, DRM_FORMAT_ABGR2101010 };
	for (int k = 0; k < 2; k++) {
		const struct layout *l = &layouts[k == 0 ? 5 : 7];
		assert_int_equal(l->fourcc, tenbits[k]);
		uint32_t out10[4];
		assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
			.fourcc = tenbits[k], .stride = 8, .data = out10, .src_box = box,
		}));
		for (int y = 0; y < 2; y++) {
			for (int x = 0; x < 2; x++) {
				uint32_t s = px[(y + 1) * 4 + x + 1];
				const double c[4] = { channel(s, 24) / 255.0, channel(s, 16) / 255.0,
					channel(s, 8) / 255.0, channel(s, 0) / 255.0 };
				assert_encoded(l, out10[y * 2 + x], c, x);
			}
		}
	}

	// The asynchronous form: complete at once for pixman.
	uint32_t async_out[4];
	memset(async_out, 0, sizeof(async_out));
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(tex,
		&(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888, .stride = 8, .data = async_out, .src_box = box,
		});
	assert_non_null(req);
	assert_true(mosaic_read_request_is_complete(req));
	assert_int_equal(mosaic_read_request_get_fd(req), -1);
	assert_true(mosaic_read_request_finish(req));
	for (int y = 0; y < 2; y++) {
		for (int x = 0; x < 2; x++) {
			assert_int_equal(async_out[y * 2 + x], px[(y + 1) * 4 + x + 1]);
		}
	}
	assert_int_equal(mosaic_texture_get_preferred_read_format(tex), DRM_FORMAT_ARGB8888);
	mosaic_texture_destroy(tex);
}

static void test_unaligned_rows(void **state)
{
	// wl_shm allows tightly packed RGB565 rows of odd width (6 bytes here),
	// which are not 4-byte aligned.
	uint16_t px[3 * 2] = { 0xf800, 0x07e0, 0x001f, 0xffff, 0x0000, 0xf81f };
	struct mosaic_texture *tex = mosaic_texture_from_pixels(renderer, 3, 2, DRM_FORMAT_RGB565,
		6, px);
	assert_non_null(tex);
	uint32_t got[6];
	read_argb(tex, &(struct mosaic_box){ 0, 0, 3, 2 }, got);
	const uint32_t want[6] = { 0xffff0000, 0xff00ff00, 0xff0000ff, 0xffffffff, 0xff000000,
		0xffff00ff };
	assert_memory_equal(got, want, sizeof(want));
	uint16_t back[3 * 2];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_RGB565, .stride = 6, .data = back,
	}));
	assert_memory_equal(back, px, sizeof(px));

	// And as a render target.
	uint16_t target[3 * 2] = {0};
	struct mosaic_buffer *b = mosaic_buffer_from_data(3, 2, DRM_FORMAT_RGB565, 6, target);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, b, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_memory_equal(target, px, sizeof(px));
	mosaic_buffer_drop(b);
	mosaic_texture_destroy(tex);

	// 32-bit pixels at an odd address (a wl_shm pool offset may be anything).
	uint8_t raw[2 * 4 + 1];
	const uint32_t argb_px[2] = { 0x80402010, 0xff00ff00 };
	memcpy(raw + 1, argb_px, sizeof(argb_px));
	tex = mosaic_texture_from_pixels(renderer, 2, 1, DRM_FORMAT_ARGB8888, 8, raw + 1);
	assert_non_null(tex);
	uint8_t out[2 * 4 + 3];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 8, .data = out + 3,
	}));
	assert_memory_equal(out + 3, argb_px, sizeof(argb_px));
	b = mosaic_buffer_from_data(2, 1, DRM_FORMAT_ARGB8888, 8, raw + 1);
	pass = mosaic_renderer_begin_pass(renderer, b, NULL);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 1, 0, 1, 1 }, .color = { 0, 0, 1, 1 }, .blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	uint32_t written[2];
	memcpy(written, raw + 1, sizeof(written));
	assert_int_equal(written[0], argb_px[0]);
	assert_int_equal(written[1], 0xff0000ff);
	mosaic_buffer_drop(b);
	mosaic_texture_destroy(tex);
}

static void test_completion_points(void **state)
{
	struct output o = output_create(2, 2, DRM_FORMAT_XRGB8888, 0);
	uint64_t first = mosaic_renderer_get_completed_point(renderer);
	for (uint64_t i = 1; i <= 3; i++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o.buffer, NULL);
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_int_equal(done.point, first + i);
		assert_int_equal(done.sync_file_fd, -1);
		// pixman completes synchronously.
		assert_int_equal(mosaic_renderer_get_completed_point(renderer), first + i);
		assert_true(mosaic_renderer_wait_point(renderer, done.point, 0));
	}
	output_destroy(&o);
}

static void test_nested_access(void **state)
{
	// A texture made from the buffer a pass is drawing into: the buffer is
	// already being accessed, so this fails with one line.
	struct output o = output_create(2, 2, DRM_FORMAT_XRGB8888, 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o.buffer, NULL);
	assert_null(mosaic_texture_from_buffer(renderer, o.buffer));
	assert_one_error(&cap, "nest");
	// A second pass, on this buffer or any other, fails: one open pass per
	// renderer. The first one goes on.
	assert_null(mosaic_renderer_begin_pass(renderer, o.buffer, NULL));
	assert_one_error(&cap, "another pass");
	struct output other = output_create(2, 2, DRM_FORMAT_XRGB8888, 0);
	assert_null(mosaic_renderer_begin_pass(renderer, other.buffer, NULL));
	assert_one_error(&cap, "another pass");
	assert_int_equal(other.buffer->n_locks, 0);
	assert_int_equal(o.buffer->n_locks, 1);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 1, 1 }, .color = { 1, 1, 1, 1 },
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_int_equal(o.buffer->n_locks, 0);
	assert_int_equal(at(&o, 0, 0), 0xffffffff);
	// Submitted: the other buffer can have its pass now.
	pass = mosaic_renderer_begin_pass(renderer, other.buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_submit(pass, NULL));
	output_destroy(&other);
	output_destroy(&o);
}

/* A compositor buffer whose CPU access misbehaves in a chosen way. */
enum bad_kind { BAD_REFUSES, BAD_FORMAT, BAD_STRIDE, BAD_NO_CPU };

struct bad_buffer {
	struct mosaic_buffer base;
	enum bad_kind kind;
	uint32_t pixels[16];
};

static void bad_destroy(struct mosaic_buffer *buffer)
{
	free(buffer);
}

static bool bad_begin(struct mosaic_buffer *buffer, uint32_t flags, void **data,
	uint32_t *fourcc, uint32_t *stride)
{
	struct bad_buffer *b = (struct bad_buffer *)buffer;
	*data = b->pixels;
	*fourcc = b->kind == BAD_FORMAT ? DRM_FORMAT_NV12 : DRM_FORMAT_ARGB8888;
	*stride = b->kind == BAD_STRIDE ? 8 : 16;
	return b->kind != BAD_REFUSES;
}

static void bad_end(struct mosaic_buffer *buffer)
{
}

static const struct mosaic_buffer_impl bad_impl = {
	.destroy = bad_destroy,
	.begin_data_access = bad_begin,
	.end_data_access = bad_end,
};
static const struct mosaic_buffer_impl no_cpu_impl = {
	.destroy = bad_destroy,
};

static void test_bad_buffers(void **state)
{
	const char *msgs[] = {
		[BAD_REFUSES] = "refused",
		[BAD_FORMAT] = "NV12",
		[BAD_STRIDE] = "too small",
		[BAD_NO_CPU] = "no CPU access",
	};
	uint32_t px[16] = {0};
	struct mosaic_texture *tex = texture_argb(4, 4, px);
	for (int k = 0; k < 4; k++) {
		struct bad_buffer *b = calloc(1, sizeof(*b));
		mosaic_buffer_init(&b->base, k == BAD_NO_CPU ? &no_cpu_impl : &bad_impl, 4, 4);
		b->kind = (enum bad_kind)k;

		assert_null(mosaic_texture_from_buffer(renderer, &b->base));
		assert_one_error(&cap, msgs[k]);
		assert_false(b->base.accessing_data);
		assert_null(mosaic_renderer_begin_pass(renderer, &b->base, NULL));
		assert_one_error(&cap, msgs[k]);
		assert_false(b->base.accessing_data);
		assert_int_equal(b->base.n_locks, 0);
		assert_false(mosaic_texture_update_from_buffer(tex, &b->base, NULL));
		assert_one_error(&cap, msgs[k]);
		assert_false(b->base.accessing_data);
		// The texture kept its content.
		uint32_t got[16] = { 1 };
		read_argb(tex, &(struct mosaic_box){ 0, 0, 4, 4 }, got);
		assert_memory_equal(got, px, sizeof(px));
		mosaic_buffer_drop(&b->base);
	}
	mosaic_texture_destroy(tex);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_transforms),
		T(test_rect_blending),
		T(test_texture_blending),
		T(test_clip_region),
		T(test_scaling_filters),
		T(test_fractional_source),
		T(test_huge_destination),
		T(test_update_damage_only),
		T(test_output_formats),
		T(test_texture_formats),
		T(test_read_pixels_convert),
		T(test_unaligned_rows),
		T(test_completion_points),
		T(test_nested_access),
		T(test_bad_buffers),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
