/*
 * test-gles: small scenes (fills, blends, clips, textures under every
 * transform and filter, many draws) rendered by GLES and by pixman into
 * memory and into buffers of the GPU allocator, and compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <pixman.h>

#include <mosaic/allocator.h>
#include <mosaic/mosaic.h>

#include "test_gles.h"

/* A scene draws into a pass; textures[i] come from the same pixels on both renderers. */
typedef void (*scene_func)(struct mosaic_pass *pass, struct mosaic_texture **textures,
	int width, int height);

#define N_TEXTURES 3

static const struct {
	uint32_t fourcc;
	int width, height;
} texture_specs[N_TEXTURES] = {
	{ DRM_FORMAT_ARGB8888, 37, 23 },
	{ DRM_FORMAT_XRGB8888, 16, 16 },
	{ DRM_FORMAT_ABGR8888, 9, 14 },
};

static uint32_t *texture_pixels[N_TEXTURES];

void scene_pixels_init(void)
{
	for (int i = 0; i < N_TEXTURES; i++) {
		size_t n = (size_t)texture_specs[i].width * texture_specs[i].height;
		texture_pixels[i] = malloc(n * 4);
		fill_premultiplied(texture_pixels[i], n);
	}
}

void scene_pixels_finish(void)
{
	for (int i = 0; i < N_TEXTURES; i++) {
		free(texture_pixels[i]);
	}
}

static void make_textures(struct mosaic_renderer *r, struct mosaic_texture **out)
{
	for (int i = 0; i < N_TEXTURES; i++) {
		// ARGB pixels reinterpreted as ABGR stay premultiplied: only r and b swap.
		out[i] = mosaic_texture_from_pixels(r, texture_specs[i].width,
			texture_specs[i].height, texture_specs[i].fourcc,
			(uint32_t)texture_specs[i].width * 4, texture_pixels[i]);
		assert_non_null(out[i]);
	}
}

/* Renders the scene with both renderers into `fourcc` and compares. */
static void run_scene(scene_func scene, uint32_t fourcc, int w, int h, int tol,
	const char *what)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	uint32_t stride = ((uint32_t)w * info->bytes_per_pixel + 12 + 3) & ~3u;
	size_t size = (size_t)stride * h;
	uint8_t *bg = malloc(size), *out_gl = malloc(size), *out_ref = malloc(size);
	for (size_t i = 0; i < size; i++) {
		bg[i] = (uint8_t)rng();
	}
	memcpy(out_gl, bg, size);
	memcpy(out_ref, bg, size);

	struct mosaic_renderer *renderers[2] = { gl, ref };
	uint8_t *outs[2] = { out_gl, out_ref };
	for (int k = 0; k < 2; k++) {
		struct mosaic_texture *textures[N_TEXTURES];
		make_textures(renderers[k], textures);
		struct mosaic_buffer *buffer = mosaic_buffer_from_data(w, h, fourcc, stride, outs[k]);
		assert_non_null(buffer);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderers[k], buffer, NULL);
		assert_non_null(pass);
		scene(pass, textures, w, h);
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(mosaic_renderer_wait_point(renderers[k], done.point, -1));
		mosaic_buffer_drop(buffer);
		for (int i = 0; i < N_TEXTURES; i++) {
			mosaic_texture_destroy(textures[i]);
		}
		if (k == 0) {
			CHECK_GL();
		}
	}
	int bad = compare(fourcc, out_gl, out_ref, stride, w, h, tol, what);
	if (bad > 0) {
		fprintf(stderr, "%s (%s): %d of %d pixels differ by more than %d\n", what,
			info->name, bad, w * h, tol);
	}
	assert_int_equal(bad, 0);
	free(bg);
	free(out_gl);
	free(out_ref);
}

static const uint32_t target_formats[] = {
	DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_XBGR8888,
	DRM_FORMAT_RGB565, DRM_FORMAT_ARGB2101010, DRM_FORMAT_XRGB2101010,
	DRM_FORMAT_ABGR2101010, DRM_FORMAT_XBGR2101010,
};

/*
 * Tolerances in 1/255 steps, the ones tests/conformance/conformance.c derives:
 * 2 where texels are picked exactly (only blending rounds differently), 7 for
 * bilinear scaling (pixman keeps 7 bits of weight, GPUs 8), and one step of
 * the output format when it is coarser than 8 bits (RGB565: 9).
 */
#define TOL_NEAREST 2

#define TOL_LINEAR 7

static int tolerance(uint32_t fourcc, int base)
{
	return fourcc == DRM_FORMAT_RGB565 && base < 9 ? 9 : base;
}

static void scene_rects(struct mosaic_pass *pass, struct mosaic_texture **textures, int w, int h)
{
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 3, 2, w - 10, h - 7 },
		.color = { 0.1f, 0.2f, 0.3f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 10, 5, 30, 20 },
		.color = { 0.25f, 0.0f, 0.5f, 0.5f },
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 20, 10, 40, 30 },
		.color = { 0.2f, 0.1f, 0.0f, 0.3f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 8, 8);
	pixman_region32_union_rect(&clip, &clip, 30, 30, 20, 5);
	pixman_region32_union_rect(&clip, &clip, 50, 0, 4, 60);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, w, h },
		.color = { 0.6f, 0.3f, 0.1f, 0.75f },
		.clip = &clip,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { -5, h - 6, w + 10, 20 },
		.color = { 0.0f, 1.0f, 0.0f, 1.0f },
		.clip = &clip,
	}));
	pixman_region32_fini(&clip);
}

void test_rects(void **state)
{
	for (size_t i = 0; i < sizeof(target_formats) / sizeof(target_formats[0]); i++) {
		if (!mosaic_format_set_has(mosaic_renderer_get_render_formats(gl,
				MOSAIC_BUFFER_CAP_DATA_PTR), target_formats[i], DRM_FORMAT_MOD_LINEAR)) {
			continue;
		}
		run_scene(scene_rects, target_formats[i], 61, 47, tolerance(target_formats[i], TOL_NEAREST),
			"rects");
	}
}

static enum mosaic_filter scene_filter;

static enum mosaic_transform scene_transform;

/* Integer scale factors only, so nearest sampling never lands on a texel edge. */
static void scene_textures(struct mosaic_pass *pass, struct mosaic_texture **textures,
	int w, int h)
{
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, w / 2, h },
		.color = { 0.2f, 0.2f, 0.2f, 1.0f },
	}));
	enum mosaic_transform t = scene_transform;
	bool swap = mosaic_transform_swaps_axes(t);
	// 1:1, whole texture.
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = textures[0],
		.dst_box = { 2, 3, 0, 0 },
		.transform = t,
		.filter = scene_filter,
	}));
	// 2x, part of the texture, with alpha.
	float alpha = 0.6f;
	struct mosaic_fbox src = { 5, 4, 12, 9 };
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = textures[0],
		.src_box = src,
		.dst_box = { 30, 20, swap ? 18 : 24, swap ? 24 : 18 },
		.transform = t,
		.filter = scene_filter,
		.alpha = &alpha,
	}));
	// An X texture, blended and replacing, clipped to a region.
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 40, 20, 10);
	pixman_region32_union_rect(&clip, &clip, 25, 45, 30, 30);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = textures[1],
		.dst_box = { 4, 38, 48, 32 },
		.src_box = { 0, 0, 16, 16 },
		.transform = t,
		.filter = scene_filter,
		.alpha = &alpha,
		.clip = &clip,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = textures[2],
		.dst_box = { 60, 2, swap ? 28 : 18, swap ? 18 : 28 },
		.transform = t,
		.filter = scene_filter,
		.blend = MOSAIC_BLEND_NONE,
		.clip = &clip,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = textures[2],
		.dst_box = { 60, 40, swap ? 14 : 9, swap ? 9 : 14 },
		.transform = t,
		.filter = scene_filter,
	}));
	pixman_region32_fini(&clip);
}

void test_textures(void **state)
{
	char what[64];
	for (int t = 0; t < 8; t++) {
		for (int f = 0; f < 2; f++) {
			scene_transform = (enum mosaic_transform)t;
			scene_filter = f == 0 ? MOSAIC_FILTER_NEAREST : MOSAIC_FILTER_LINEAR;
			snprintf(what, sizeof(what), "textures %s %s", mosaic_transform_name(t),
				f == 0 ? "nearest" : "linear");
			run_scene(scene_textures, DRM_FORMAT_ARGB8888, 90, 80, f == 0 ? TOL_NEAREST : TOL_LINEAR, what);
		}
	}
	scene_transform = MOSAIC_TRANSFORM_90;
	scene_filter = MOSAIC_FILTER_LINEAR;
	for (size_t i = 0; i < sizeof(target_formats) / sizeof(target_formats[0]); i++) {
		if (!mosaic_format_set_has(mosaic_renderer_get_render_formats(gl,
				MOSAIC_BUFFER_CAP_DATA_PTR), target_formats[i], DRM_FORMAT_MOD_LINEAR)) {
			continue;
		}
		run_scene(scene_textures, target_formats[i], 90, 80,
			tolerance(target_formats[i], TOL_LINEAR), "textures 90 linear");
	}
}

static void scene_fractional(struct mosaic_pass *pass, struct mosaic_texture **textures,
	int w, int h)
{
	for (int t = 0; t < 8; t++) {
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = textures[0],
			.src_box = { 2.5, 1.25, 20.5, 13.75 },
			.dst_box = { (t % 4) * 33, (t / 4) * 40, 31, 37 },
			.transform = (enum mosaic_transform)t,
			.filter = MOSAIC_FILTER_LINEAR,
		}));
	}
}

void test_fractional(void **state)
{
	run_scene(scene_fractional, DRM_FORMAT_ARGB8888, 132, 80, TOL_LINEAR, "fractional linear");
}

/* Many small draws of one texture: one batch, the same pixels. */
static void scene_many(struct mosaic_pass *pass, struct mosaic_texture **textures, int w, int h)
{
	for (int i = 0; i < 200; i++) {
		float alpha = (float)(i % 10) / 10.0f + 0.05f;
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = textures[i % 3 == 0 ? 1 : 0],
			.dst_box = { (i * 7) % (w - 10), (i * 13) % (h - 10), 9, 9 },
			.src_box = { 1, 1, 9, 9 },
			.alpha = &alpha,
			.filter = MOSAIC_FILTER_NEAREST,
		}));
		if (i % 50 == 0) {
			// 26/255, not 0.1 (25.5/255, half a step): pixman turns a solid
			// colour into 8 bits by truncating its 16-bit value (25), llvmpipe
			// rounds (26), so each such rect adds one step of difference
			// that has nothing to do with batching.
			const float grey = 26.0f / 255.0f;
			assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { i % w, 0, 5, h },
				.color = { grey, grey, grey, 0.2f },
			}));
		}
	}
}

void test_many(void **state)
{
	// Up to a dozen layers blend over each pixel; pixman rounds twice per layer
	// (mask, then OVER), GL once, so the difference can grow past one step.
	run_scene(scene_many, DRM_FORMAT_XRGB8888, 100, 70, 3, "many draws");
}

/*
 * One translucent draw clipped to a checkerboard of 1x1 squares: 20480 quads
 * in one batch, more than one indexed draw call addresses.
 */
static void scene_checkerboard(struct mosaic_pass *pass, struct mosaic_texture **textures,
	int w, int h)
{
	pixman_box32_t *boxes = calloc((size_t)w * h / 2, sizeof(*boxes));
	int n = 0;
	for (int y = 0; y < h; y++) {
		for (int x = y % 2; x < w; x += 2) {
			boxes[n++] = (pixman_box32_t){ x, y, x + 1, y + 1 };
		}
	}
	pixman_region32_t clip;
	pixman_region32_init_rects(&clip, boxes, n);
	assert_int_equal(pixman_region32_n_rects(&clip), n);
	float alpha = 0.5f;
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = textures[0],
		.dst_box = { 0, 0, w, h },
		.src_box = { 0, 0, 32, 20 },
		.alpha = &alpha,
		.filter = MOSAIC_FILTER_NEAREST,
		.clip = &clip,
	}));
	pixman_region32_fini(&clip);
	free(boxes);
}

void test_many_quads(void **state)
{
	// 256 x 160 scales the 32 x 20 source by exactly 8.
	run_scene(scene_checkerboard, DRM_FORMAT_ARGB8888, 256, 160, TOL_NEAREST,
		"checkerboard");
}

/*
 * The same checkerboard as 20480 draws of one square each: each nearest draw
 * has a map of its own, so each is a command, and the commands' vertices run
 * past what one index buffer addresses from where the attributes point.
 */
static void scene_checker_draws(struct mosaic_pass *pass, struct mosaic_texture **textures,
	int w, int h)
{
	const float alpha = 0.5f;
	for (int y = 0; y < h; y++) {
		for (int x = y % 2; x < w; x += 2) {
			// Every 7th square from the other texture: commands alternate too.
			int k = (x + y * w) % 7 == 0 ? 1 : 0;
			pixman_region32_t clip;
			pixman_region32_init_rect(&clip, x, y, 1, 1);
			assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
				.texture = textures[k],
				.dst_box = { 0, 0, w, h },
				.src_box = { 0, 0, texture_specs[k].width, texture_specs[k].height },
				.alpha = &alpha,
				.filter = MOSAIC_FILTER_NEAREST,
				.clip = &clip,
			}));
			pixman_region32_fini(&clip);
		}
	}
}

void test_many_commands(void **state)
{
	run_scene(scene_checker_draws, DRM_FORMAT_ARGB8888, 256, 160, TOL_NEAREST,
		"checker draws");
}

/*
 * Renders `scene` (after a full clear: GPU buffers start undefined) into a
 * buffer of the GPU allocator and, with pixman, into memory; reads the GPU
 * buffer through a texture made from it and compares. Then samples that
 * texture (no copy) into a memory target, rotated and translucent, and
 * compares with pixman sampling its own result.
 */
static void run_gpu_scene(struct mosaic_allocator *alloc, scene_func scene, uint32_t fourcc,
	int w, int h, int tol, const char *what)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	uint32_t stride = ((uint32_t)w * info->bytes_per_pixel + 12 + 3) & ~3u;
	size_t size = (size_t)stride * h;
	uint8_t *out_gl = calloc(1, size), *out_ref = calloc(1, size);
	const struct mosaic_rect_options clear = {
		.box = { 0, 0, w, h },
		.color = { 0.3f, 0.1f, 0.2f, 0.5f },
		.blend = MOSAIC_BLEND_NONE,
	};

	struct mosaic_buffer *gpu = mosaic_allocator_create_buffer(alloc, w, h, fourcc, NULL, 0);
	assert_non_null(gpu);
	assert_int_equal(mosaic_buffer_get_caps(gpu), 0);
	struct mosaic_buffer *mem = mosaic_buffer_from_data(w, h, fourcc, stride, out_ref);
	assert_non_null(mem);
	struct mosaic_renderer *renderers[2] = { gl, ref };
	struct mosaic_buffer *targets[2] = { gpu, mem };
	for (int k = 0; k < 2; k++) {
		struct mosaic_texture *textures[N_TEXTURES];
		make_textures(renderers[k], textures);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderers[k], targets[k],
			NULL);
		assert_non_null(pass);
		assert_true(mosaic_pass_add_rect(pass, &clear));
		scene(pass, textures, w, h);
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(mosaic_renderer_wait_point(renderers[k], done.point, -1));
		for (int i = 0; i < N_TEXTURES; i++) {
			mosaic_texture_destroy(textures[i]);
		}
	}
	struct mosaic_texture *gpu_tex = mosaic_texture_from_buffer(gl, gpu);
	assert_non_null(gpu_tex);
	assert_int_equal(mosaic_texture_get_fourcc(gpu_tex), fourcc);
	// The texture keeps the buffer alive.
	mosaic_buffer_drop(gpu);
	assert_true(mosaic_texture_read_pixels(gpu_tex, &(struct mosaic_read_pixels_options){
		.fourcc = fourcc,
		.stride = stride,
		.data = out_gl,
	}));
	CHECK_GL();
	int bad = compare(fourcc, out_gl, out_ref, stride, w, h, tol, what);
	assert_int_equal(bad, 0);
	// What pixman samples below: the same texels (coarse alphas may round apart).
	uint8_t *read = malloc(size);
	memcpy(read, out_gl, size);

	// The asynchronous read of a part gives the same pixels.
	memset(out_gl, 0, size);
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(gpu_tex,
		&(struct mosaic_read_pixels_options){
			.fourcc = fourcc,
			.stride = stride,
			.data = out_gl,
			.src_box = { 0, 0, w, h / 2 },
		});
	assert_non_null(req);
	assert_true(mosaic_read_request_finish(req));
	assert_int_equal(compare(fourcc, out_gl, out_ref, stride, w, h / 2, tol, what), 0);

	// Sampled without a copy, into memory on both sides.
	struct mosaic_texture *ref_tex = mosaic_texture_from_pixels(ref, w, h, fourcc, stride,
		read);
	assert_non_null(ref_tex);
	struct mosaic_texture *sources[2] = { gpu_tex, ref_tex };
	uint32_t out_stride = (uint32_t)h * 4;
	size_t out_size = (size_t)out_stride * w;
	uint8_t *outs[2] = { calloc(1, out_size), calloc(1, out_size) };
	const float alpha = 0.7f;
	for (int k = 0; k < 2; k++) {
		struct mosaic_buffer *out = mosaic_buffer_from_data(h, w, DRM_FORMAT_ARGB8888,
			out_stride, outs[k]);
		assert_non_null(out);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderers[k], out, NULL);
		assert_non_null(pass);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, h, w },
			.color = { 0.0f, 0.2f, 0.4f, 1.0f },
		}));
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = sources[k],
			.dst_box = { 0, 0, h, w },
			.transform = MOSAIC_TRANSFORM_90,
			.filter = MOSAIC_FILTER_NEAREST,
			.alpha = &alpha,
		}));
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(mosaic_renderer_wait_point(renderers[k], done.point, -1));
		mosaic_buffer_drop(out);
	}
	CHECK_GL();
	assert_int_equal(compare(DRM_FORMAT_ARGB8888, outs[0], outs[1], out_stride, h, w,
		TOL_NEAREST, what), 0);

	mosaic_texture_destroy(ref_tex);
	mosaic_texture_destroy(gpu_tex);
	mosaic_buffer_drop(mem);
	CHECK_GL();
	free(outs[0]);
	free(outs[1]);
	free(read);
	free(out_gl);
	free(out_ref);
}

void test_gpu_allocator(void **state)
{
	struct mosaic_allocator *alloc = mosaic_renderer_create_gpu_allocator(gl);
	assert_non_null(alloc);
	assert_int_equal(mosaic_allocator_get_buffer_caps(alloc), 0);
	const struct mosaic_format_set *formats =
		mosaic_renderer_get_render_formats(gl, MOSAIC_BUFFER_CAP_DATA_PTR);
	char what[64];
	int tested = 0;
	for (size_t i = 0; i < sizeof(target_formats) / sizeof(target_formats[0]); i++) {
		uint32_t fourcc = target_formats[i];
		if (!mosaic_format_set_has(formats, fourcc, DRM_FORMAT_MOD_LINEAR)) {
			continue;
		}
		snprintf(what, sizeof(what), "gpu rects");
		run_gpu_scene(alloc, scene_rects, fourcc, 70, 60, tolerance(fourcc, TOL_NEAREST),
			what);
		scene_filter = MOSAIC_FILTER_NEAREST;
		scene_transform = MOSAIC_TRANSFORM_FLIPPED_90;
		snprintf(what, sizeof(what), "gpu textures");
		run_gpu_scene(alloc, scene_textures, fourcc, 90, 80,
			tolerance(fourcc, TOL_NEAREST), what);
		tested++;
	}
	assert_true(tested > 0);

	// Refusals are logged once each and leave no GL error behind.
	int errors = gles_test_log_errors;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	assert_null(mosaic_allocator_create_buffer(alloc, 16, 16, DRM_FORMAT_XRGB8888, &linear,
		1));
	assert_null(mosaic_allocator_create_buffer(alloc, 16, 16, DRM_FORMAT_NV12, NULL, 0));
	assert_int_equal(gles_test_log_errors, errors + 2);
	gles_test_log_errors = errors;

	// A GPU buffer of another renderer is refused, not misused.
	struct mosaic_renderer *other = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
	});
	assert_non_null(other);
	struct mosaic_buffer *foreign = mosaic_allocator_create_buffer(alloc, 8, 8,
		DRM_FORMAT_ARGB8888, NULL, 0);
	assert_non_null(foreign);
	assert_null(mosaic_texture_from_buffer(other, foreign));
	assert_null(mosaic_renderer_begin_pass(other, foreign, NULL));
	assert_true(gles_test_log_errors >= errors + 2);
	gles_test_log_errors = errors;
	mosaic_buffer_drop(foreign);
	mosaic_renderer_destroy(other);
	mosaic_allocator_destroy(alloc);
	CHECK_GL();
}
