/*
 * Pixel tests: every scene is drawn by the Vulkan renderer and by pixman
 * into CPU buffers of the same format, then compared channel by channel.
 * Tolerances (1/255 steps, as in the conformance runner): fills and nearest
 * sampling 2 (rounding of unorm conversions), RGB565 targets 9 (one 5-bit
 * step), bilinear 6: pixman truncates its weights to 7 bits, which on the
 * random, maximum-contrast texels used here is off by up to 255 * 2/128 = 4,
 * plus the GPU's own rounding (the conformance scenes, with smoother
 * content, use 4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "common.h"

#define TEX_W 8
#define TEX_H 6

struct scene_ctx {
	struct mosaic_renderer *renderer;
	struct mosaic_texture *tex;
	struct mosaic_texture *opaque_tex;
};

typedef void (*scene_func)(struct mosaic_pass *pass, struct scene_ctx *ctx, int param);

static void make_textures(struct scene_ctx *ctx)
{
	uint32_t pixels[TEX_W * TEX_H];
	test_pattern(pixels, TEX_W, TEX_H, 7);
	ctx->tex = mosaic_texture_from_pixels(ctx->renderer, TEX_W, TEX_H, DRM_FORMAT_ARGB8888,
		TEX_W * 4, pixels);
	assert_non_null(ctx->tex);
	// XRGB with garbage in the X byte: it must read as opaque.
	test_pattern(pixels, TEX_W, TEX_H, 9);
	for (int i = 0; i < TEX_W * TEX_H; i++) {
		pixels[i] = (pixels[i] & 0x00ffffff) | ((uint32_t)i << 26);
	}
	ctx->opaque_tex = mosaic_texture_from_pixels(ctx->renderer, TEX_W, TEX_H,
		DRM_FORMAT_XRGB8888, TEX_W * 4, pixels);
	assert_non_null(ctx->opaque_tex);
}

static void draw_scene(struct mosaic_renderer *renderer, struct test_image *target,
	scene_func scene, int param)
{
	struct scene_ctx ctx = { .renderer = renderer };
	make_textures(&ctx);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, target->buffer, NULL);
	assert_non_null(pass);
	scene(pass, &ctx, param);
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(renderer, done.point, -1));
	mosaic_texture_destroy(ctx.tex);
	mosaic_texture_destroy(ctx.opaque_tex);
}

static void check_scene(scene_func scene, int param, uint32_t fourcc, int tolerance,
	const char *name)
{
	test_log_reset();
	struct mosaic_renderer *vk = test_vulkan_renderer();
	struct mosaic_renderer *px = mosaic_pixman_renderer_create();
	struct test_image a, b;
	test_image_init(&a, 40, 32, fourcc, 0xff204060);
	test_image_init(&b, 40, 32, fourcc, 0xff204060);
	draw_scene(vk, &a, scene, param);
	draw_scene(px, &b, scene, param);
	char what[96];
	char fname[32];
	snprintf(what, sizeof(what), "%s/%d on %s", name, param, mosaic_format_name(fourcc, fname));
	int worst = test_compare(&a, &b, tolerance, what);
	test_image_finish(&a);
	test_image_finish(&b);
	mosaic_renderer_destroy(vk);
	mosaic_renderer_destroy(px);
	assert_int_equal(test_log.validation, 0);
	if (worst > tolerance) {
		fail_msg("%s: largest difference %d > %d", what, worst, tolerance);
	}
}

static void scene_rects(struct mosaic_pass *pass, struct scene_ctx *ctx, int param)
{
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 2, 3, 30, 20 },
		.color = { 0.5f, 0.25f, 0.0f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 10, 10);
	pixman_region32_union_rect(&clip, &clip, 20, 15, 15, 12);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 5, 5, 32, 24 },
		.color = { 0.0f, 0.3f, 0.4f, 0.5f },
		.clip = &clip,
		.blend = param == 0 ? MOSAIC_BLEND_PREMULTIPLIED : MOSAIC_BLEND_NONE,
	}));
	pixman_region32_fini(&clip);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { -5, 25, 100, 100 },
		.color = { 0.1f, 0.2f, 0.3f, 0.6f },
	}));
}

static void scene_transform(struct mosaic_pass *pass, struct scene_ctx *ctx, int param)
{
	enum mosaic_transform t = (enum mosaic_transform)param;
	bool swap = mosaic_transform_swaps_axes(t);
	// 2x scaling with nearest: every destination pixel center is inside one texel.
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = ctx->tex,
		.dst_box = { 3, 2, (swap ? TEX_H : TEX_W) * 2, (swap ? TEX_W : TEX_H) * 2 },
		.transform = t,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	// Unscaled, translucent, onto the first one.
	float alpha = 0.5f;
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = ctx->opaque_tex,
		.dst_box = { 12, 9, 0, 0 },
		.transform = t,
		.alpha = &alpha,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	// A sub-rectangle of the source, replacing the destination.
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = ctx->tex,
		.src_box = { 2, 1, 4, 3 },
		.dst_box = { 26, 20, swap ? 6 : 8, swap ? 8 : 6 },
		.transform = t,
		.filter = MOSAIC_FILTER_NEAREST,
		.blend = MOSAIC_BLEND_NONE,
	}));
}

static void scene_linear(struct mosaic_pass *pass, struct scene_ctx *ctx, int param)
{
	enum mosaic_transform t = (enum mosaic_transform)param;
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 25, 40);
	pixman_region32_union_rect(&clip, &clip, 28, 0, 12, 11);
	// Upscaling by a non-integer factor, clipped to two rectangles.
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = ctx->opaque_tex,
		.dst_box = { 1, 1, 37, 29 },
		.transform = t,
		.clip = &clip,
	}));
	pixman_region32_fini(&clip);
	float alpha = 0.75f;
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = ctx->tex,
		.src_box = { 0.5, 0.5, 6.0, 4.5 },
		.dst_box = { 4, 6, 20, 15 },
		.transform = t,
		.alpha = &alpha,
	}));
}

/*
 * Many overlapping translucent quads: runs of them are drawn as one instanced
 * draw, broken by texture, blend and pipeline changes, clears and clips of
 * several rectangles; 700 quads outgrow the first quad buffers of a frame.
 * `param` is the length of the runs between changes.
 */
static void scene_many_quads(struct mosaic_pass *pass, struct scene_ctx *ctx, int param)
{
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 13, 32);
	pixman_region32_union_rect(&clip, &clip, 17, 5, 9, 20);
	for (int i = 0; i < 700; i++) {
		int run = i / param;
		int x = (i * 7) % 33 - 1, y = (i * 5) % 27 - 1;
		float alpha = 0.5f + (float)(i % 5) * 0.1f;
		if (i % 97 == 0) {
			assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { x, y, 9, 7 },
				.color = { 0.2f, 0.1f, 0.3f, 1.0f },
				.blend = MOSAIC_BLEND_NONE,
			}));
		} else if (run % 3 == 2) {
			assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { x, y, 11, 5 },
				.color = { 0.3f * alpha, 0.0f, 0.2f * alpha, alpha },
				.clip = i % 2 == 0 ? &clip : NULL,
			}));
		} else {
			assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
				.texture = run % 3 == 0 ? ctx->tex : ctx->opaque_tex,
				.dst_box = { x, y, TEX_W, TEX_H },
				.alpha = &alpha,
				.clip = i % 11 == 0 ? &clip : NULL,
				.filter = MOSAIC_FILTER_NEAREST,
				.blend = i % 13 == 0 ? MOSAIC_BLEND_NONE : MOSAIC_BLEND_PREMULTIPLIED,
			}));
		}
	}
	pixman_region32_fini(&clip);
}

static void test_many_quads(void **state)
{
	check_scene(scene_many_quads, 1, DRM_FORMAT_ARGB8888, 2, "many quads");
	check_scene(scene_many_quads, 40, DRM_FORMAT_ARGB8888, 2, "many quads");
	// One run of 700 quads of the translucent texture: where dozens of layers
	// stack, the GPU's and pixman's rounding of each blend add up to 3 steps
	// (drawn one quad per draw, the GPU gives the same pixels).
	check_scene(scene_many_quads, 1000, DRM_FORMAT_XRGB8888, 3, "many quads");
}

static void test_rects(void **state)
{
	static const uint32_t formats[] = {
		DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888, DRM_FORMAT_ABGR8888,
		DRM_FORMAT_XBGR8888, DRM_FORMAT_RGB565, DRM_FORMAT_ARGB2101010,
		DRM_FORMAT_XBGR2101010,
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		int tolerance = formats[i] == DRM_FORMAT_RGB565 ? 9 : 2;
		check_scene(scene_rects, 0, formats[i], tolerance, "rects");
		check_scene(scene_rects, 1, formats[i], tolerance, "rects");
	}
}

static void test_transforms_nearest(void **state)
{
	for (int t = 0; t < 8; t++) {
		check_scene(scene_transform, t, DRM_FORMAT_ARGB8888, 2, "nearest");
	}
	check_scene(scene_transform, MOSAIC_TRANSFORM_FLIPPED_90, DRM_FORMAT_XBGR8888, 2,
		"nearest");
}

static void test_transforms_linear(void **state)
{
	for (int t = 0; t < 8; t++) {
		check_scene(scene_linear, t, DRM_FORMAT_XRGB8888, 6, "linear");
	}
	check_scene(scene_linear, MOSAIC_TRANSFORM_270, DRM_FORMAT_ABGR8888, 6, "linear");
}

int main(void)
{
	// Results printed before a failed assertion must not be lost.
	setvbuf(stdout, NULL, _IONBF, 0);
	test_log_reset();
	mosaic_renderer_destroy(test_vulkan_renderer());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rects),
		cmocka_unit_test(test_transforms_nearest),
		cmocka_unit_test(test_transforms_linear),
		cmocka_unit_test(test_many_quads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
