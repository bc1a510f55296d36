/*
 * test-pixman: drawing, with expected pixels worked out here: the eight
 * transforms, premultiplied blending of rects and textures, clip regions,
 * nearest and bilinear scaling, fractional sources and destination boxes
 * far larger than the target.
 */
#include <math.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include "test-pixman.h"

/* Six distinct opaque texel colors, named A..F as in the grids below. */
const uint32_t texel[6] = {
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

void test_transforms(void **state)
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

void test_rect_blending(void **state)
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

void test_texture_blending(void **state)
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

void test_clip_region(void **state)
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

void test_scaling_filters(void **state)
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

void test_fractional_source(void **state)
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

void test_huge_destination(void **state)
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
