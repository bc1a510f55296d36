/*
 * The GLES backend on whatever EGL gives (llvmpipe through the surfaceless
 * platform on CI): start-up, context hygiene, uploads, reads, and pixel
 * comparisons of small scenes with the pixman reference.
 */
#define _GNU_SOURCE /* memfd_create */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <drm_fourcc.h>
#include <pixman.h>

#include <mosaic/allocator.h>
#include <mosaic/gles.h>
#include <mosaic/interface.h>
#include <mosaic/mosaic.h>

#include "gles_common.h"

static struct mosaic_renderer *gl;
static struct mosaic_renderer *ref;

#define CHECK_GL() assert_int_equal(gles_test_gl_error(gl), GL_NO_ERROR)

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random premultiplied ARGB8888 pixels (some opaque, some transparent). */
static void fill_premultiplied(uint32_t *pixels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t r = rng();
		uint32_t a = (r >> 24) & 0xff;
		if ((r & 7) == 0) {
			a = 0xff;
		} else if ((r & 7) == 1) {
			a = 0;
		}
		uint32_t c[3];
		for (int k = 0; k < 3; k++) {
			c[k] = a == 0 ? 0 : (rng() & 0xff) % (a + 1);
		}
		pixels[i] = a << 24 | c[0] << 16 | c[1] << 8 | c[2];
	}
}

static pixman_format_code_t pixman_code(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_ARGB8888: return PIXMAN_a8r8g8b8;
	case DRM_FORMAT_XRGB8888: return PIXMAN_x8r8g8b8;
	case DRM_FORMAT_ABGR8888: return PIXMAN_a8b8g8r8;
	case DRM_FORMAT_XBGR8888: return PIXMAN_x8b8g8r8;
	case DRM_FORMAT_RGB565: return PIXMAN_r5g6b5;
	case DRM_FORMAT_ARGB2101010: return PIXMAN_a2r10g10b10;
	case DRM_FORMAT_XRGB2101010: return PIXMAN_x2r10g10b10;
	case DRM_FORMAT_ABGR2101010: return PIXMAN_a2b10g10r10;
	case DRM_FORMAT_XBGR2101010: return PIXMAN_x2b10g10r10;
	}
	return 0;
}

/* Converts `w` x `h` pixels of `fourcc` into ARGB8888 (tight rows). */
static uint32_t *to_argb(uint32_t fourcc, const void *data, uint32_t stride, int w, int h)
{
	uint32_t *out = calloc((size_t)w * h, 4);
	pixman_image_t *src = pixman_image_create_bits(pixman_code(fourcc), w, h,
		(uint32_t *)(uintptr_t)data, (int)stride);
	pixman_image_t *dst = pixman_image_create_bits(PIXMAN_a8r8g8b8, w, h, out, w * 4);
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0, w, h);
	pixman_image_unref(src);
	pixman_image_unref(dst);
	return out;
}

/* Counts pixels whose channels differ by more than `tol` (alpha ignored for X formats). */
static int compare(uint32_t fourcc, const void *a, const void *b, uint32_t stride, int w, int h,
	int tol, const char *what)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	uint32_t *pa = to_argb(fourcc, a, stride, w, h);
	uint32_t *pb = to_argb(fourcc, b, stride, w, h);
	// A 2-bit alpha channel rounds to steps of 85 in 8 bits: one step either way.
	bool alpha2 = fourcc == DRM_FORMAT_ARGB2101010 || fourcc == DRM_FORMAT_ABGR2101010;
	int bad = 0;
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			uint32_t va = pa[y * w + x], vb = pb[y * w + x];
			int worst = 0;
			for (int shift = 0; shift < 32; shift += 8) {
				if (shift == 24 && !info->has_alpha) {
					continue;
				}
				int d = abs((int)((va >> shift) & 0xff) - (int)((vb >> shift) & 0xff));
				if (shift == 24 && alpha2) {
					d = d <= 85 ? 0 : d;
				}
				worst = d > worst ? d : worst;
			}
			if (worst > tol) {
				if (bad < 5) {
					fprintf(stderr, "%s (%s): pixel %d,%d gles %08x pixman %08x\n",
						what, info->name, x, y, va, vb);
				}
				bad++;
			}
		}
	}
	free(pa);
	free(pb);
	return bad;
}

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

static void test_rects(void **state)
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

static void test_textures(void **state)
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

static void test_fractional(void **state)
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

static void test_many(void **state)
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

static void test_many_quads(void **state)
{
	// 256 x 160 scales the 32 x 20 source by exactly 8.
	run_scene(scene_checkerboard, DRM_FORMAT_ARGB8888, 256, 160, TOL_NEAREST,
		"checkerboard");
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

static void test_gpu_allocator(void **state)
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

static void test_features(void **state)
{
	assert_true(mosaic_renderer_is_gles(gl));
	assert_int_equal(mosaic_renderer_get_backend(gl), MOSAIC_BACKEND_GLES);
	const char *platform = mosaic_gles_renderer_get_egl_platform(gl);
	fprintf(stderr, "gles on %s (platform %s, features 0x%llx)\n",
		mosaic_renderer_get_device_name(gl), platform,
		(unsigned long long)mosaic_renderer_get_features(gl));
	const char *name = mosaic_renderer_get_device_name(gl);
	if (strstr(name, "llvmpipe") != NULL) {
		assert_true(mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE);
	}
	const struct mosaic_format_set *tex = mosaic_renderer_get_texture_formats(gl,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	const struct mosaic_format_set *rend = mosaic_renderer_get_render_formats(gl,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_true(mosaic_format_set_has(tex, DRM_FORMAT_ABGR8888, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_format_set_has(rend, DRM_FORMAT_ABGR8888, DRM_FORMAT_MOD_LINEAR));
	assert_false(mosaic_renderer_is_pixman(gl));
	CHECK_GL();
}

/* The caller's context (and no context) survives every call. */
static void test_context_restore(void **state)
{
	EGLDisplay display = mosaic_gles_renderer_get_egl_display(gl);
	assert_true(eglBindAPI(EGL_OPENGL_ES_API));
	const EGLint attribs[] = { EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE };
	EGLContext mine = eglCreateContext(display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, attribs);
	assert_true(mine != EGL_NO_CONTEXT);
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, mine));

	uint32_t pixels[4 * 4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 4, 4, DRM_FORMAT_ARGB8888, 16,
		pixels);
	assert_non_null(tex);
	assert_true(eglGetCurrentContext() == mine);
	uint32_t out[4 * 4];
	struct mosaic_buffer *buffer = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16, out);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, buffer, NULL);
	assert_non_null(pass);
	assert_true(eglGetCurrentContext() == mine);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_true(eglGetCurrentContext() == mine);
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mine);
	mosaic_buffer_drop(buffer);

	// With nothing current, the renderer's context stays current after a call
	// (it is slow to make current on some drivers) until released.
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT));
	tex = mosaic_texture_from_pixels(gl, 4, 4, DRM_FORMAT_ARGB8888, 16, pixels);
	assert_true(eglGetCurrentContext() == mosaic_gles_renderer_get_egl_context(gl));
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mosaic_gles_renderer_get_egl_context(gl));
	mosaic_gles_renderer_release_context(gl);
	assert_true(eglGetCurrentContext() == EGL_NO_CONTEXT);
	// The compositor's context made current in between is still restored.
	tex = mosaic_texture_from_pixels(gl, 4, 4, DRM_FORMAT_ARGB8888, 16, pixels);
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, mine));
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mine);
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT));
	eglDestroyContext(display, mine);
	CHECK_GL();
	mosaic_gles_renderer_release_context(gl);
}

static void *upload_on_thread(void *data)
{
	uint32_t pixels[4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 2, 2, DRM_FORMAT_ARGB8888, 8,
		pixels);
	bool made = tex != NULL;
	mosaic_texture_destroy(tex);
	// What the thread leaves current goes with it.
	mosaic_gles_renderer_release_context(gl);
	return made ? data : NULL;
}

/*
 * A renderer moved to another thread: released first, it works there; kept
 * current here, the other thread's call fails with one line saying why.
 */
static void test_context_threads(void **state)
{
	uint32_t pixels[4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 2, 2, DRM_FORMAT_ARGB8888, 8,
		pixels);
	assert_non_null(tex);
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mosaic_gles_renderer_get_egl_context(gl));
	pthread_t thread;
	void *result;
	assert_int_equal(pthread_create(&thread, NULL, upload_on_thread, gl), 0);
	assert_int_equal(pthread_join(thread, &result), 0);
	assert_null(result);
	assert_int_equal(gles_test_log_errors, 1);
	assert_non_null(strstr(gles_test_last_error, "mosaic_gles_renderer_release_context"));
	gles_test_log_errors = 0;

	mosaic_gles_renderer_release_context(gl);
	assert_int_equal(pthread_create(&thread, NULL, upload_on_thread, gl), 0);
	assert_int_equal(pthread_join(thread, &result), 0);
	assert_non_null(result);
	assert_int_equal(gles_test_log_errors, 0);
}

/* Uploads with a padded stride, damage updates and reads in every format. */
static void test_upload_read(void **state)
{
	const int w = 19, h = 11;
	size_t n;
	const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
	for (size_t i = 0; i < n; i++) {
		uint32_t fourcc = infos[i].fourcc;
		uint32_t stride = ((uint32_t)w * infos[i].bytes_per_pixel + 8 + 3) & ~3u;
		if (!mosaic_format_set_has(mosaic_renderer_get_texture_formats(gl,
				MOSAIC_BUFFER_CAP_DATA_PTR), fourcc, DRM_FORMAT_MOD_LINEAR)) {
			// Refused when the texture is made, with one line saying why.
			uint8_t *zeros = calloc(1, (size_t)stride * h);
			int errors = gles_test_log_errors;
			assert_null(mosaic_texture_from_pixels(gl, w, h, fourcc, stride, zeros));
			assert_int_equal(gles_test_log_errors, errors + 1);
			gles_test_log_errors = errors;
			free(zeros);
			CHECK_GL();
			continue;
		}
		size_t size = (size_t)stride * h;
		uint8_t *data = malloc(size), *back = calloc(1, size);
		for (size_t k = 0; k < size; k++) {
			data[k] = (uint8_t)rng();
		}
		struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, w, h, fourcc, stride,
			data);
		assert_non_null(tex);
		CHECK_GL();

		// Damage: two rectangles change; the rest must keep the first upload.
		uint8_t *update = malloc(size);
		for (size_t k = 0; k < size; k++) {
			update[k] = (uint8_t)rng();
		}
		struct mosaic_buffer *buffer = mosaic_buffer_from_data(w, h, fourcc, stride, update);
		pixman_region32_t damage;
		pixman_region32_init_rect(&damage, 2, 1, 5, 4);
		pixman_region32_union_rect(&damage, &damage, 10, 6, 9, 5);
		assert_true(mosaic_texture_update_from_buffer(tex, buffer, &damage));
		CHECK_GL();
		size_t bpp = infos[i].bytes_per_pixel;
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				if (pixman_region32_contains_point(&damage, x, y, NULL)) {
					memcpy(data + y * stride + x * bpp, update + y * stride + x * bpp,
						bpp);
				}
			}
		}
		pixman_region32_fini(&damage);
		mosaic_buffer_drop(buffer);

		assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
			.fourcc = fourcc, .stride = stride, .data = back,
		}));
		CHECK_GL();
		assert_int_equal(compare(fourcc, back, data, stride, w, h, 0, "read back"), 0);

		// A sub-rectangle in another format, through the asynchronous path.
		uint32_t argb[8 * 5];
		struct mosaic_read_request *req = mosaic_texture_read_pixels_start(tex,
			&(struct mosaic_read_pixels_options){
				.fourcc = DRM_FORMAT_ARGB8888, .stride = 32, .data = argb,
				.src_box = { 3, 2, 8, 5 },
			});
		assert_non_null(req);
		int fd = mosaic_read_request_get_fd(req);
		if (fd < 0) {
			// Without an fd, completion is polled; the read must get there.
			for (int k = 0; k < 100000 && !mosaic_read_request_is_complete(req); k++) {
			}
		}
		assert_true(mosaic_read_request_finish(req));
		CHECK_GL();
		uint32_t *expect = to_argb(fourcc, data + 2 * stride + 3 * bpp, stride, 8, 5);
		for (int k = 0; k < 8 * 5; k++) {
			uint32_t e = infos[i].has_alpha ? expect[k] : expect[k] | 0xff000000;
			if (argb[k] != e) {
				fprintf(stderr, "%s async read: pixel %d is %08x, expected %08x\n",
					infos[i].name, k, argb[k], e);
			}
			assert_int_equal(argb[k], e);
		}
		free(expect);
		(void)mosaic_texture_get_preferred_read_format(tex);
		mosaic_texture_destroy(tex);
		CHECK_GL();
		free(data);
		free(back);
		free(update);
	}
}

static void test_completion_timer(void **state)
{
	struct mosaic_render_timer *timer = mosaic_render_timer_create(gl);
	bool timers = (mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_GPU_TIMERS) != 0;
	assert_int_equal(timer != NULL, timers);
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(alloc, 64, 64,
		DRM_FORMAT_XRGB8888, NULL, 0);
	assert_non_null(buffer);
	uint64_t last = 0;
	for (int i = 0; i < 3; i++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, buffer,
			&(struct mosaic_pass_options){ .timer = timer, .signal_sync_file = true });
		assert_non_null(pass);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 64, 64 }, .color = { 0.5f, 0.5f, 0.5f, 1.0f },
		}));
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(done.point > last);
		last = done.point;
		if (done.sync_file_fd >= 0) {
			close(done.sync_file_fd);
		}
		assert_true(mosaic_renderer_wait_point(gl, done.point, -1));
		assert_true(mosaic_renderer_get_completed_point(gl) >= done.point);
		if (timer != NULL) {
			assert_true(mosaic_render_timer_get_duration_ns(timer) >= 0);
		}
	}
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	// 50% gray: 127.5 may round to 0x7f or 0x80 depending on the GPU.
	uint32_t px = ((uint32_t *)data)[0];
	for (int c = 0; c < 3; c++) {
		int v = (int)((px >> (8 * c)) & 0xff);
		assert_true(v == 0x7f || v == 0x80);
	}
	mosaic_buffer_end_data_access(buffer);
	mosaic_buffer_drop(buffer);
	mosaic_allocator_destroy(alloc);
	mosaic_render_timer_destroy(timer);
	CHECK_GL();
}

/* A 1x1 texture of `r` read back: the renderer's context works. */
static void assert_renderer_works(struct mosaic_renderer *r)
{
	uint32_t px = 0xff336699, out = 0;
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_ARGB8888, 4,
		&px);
	assert_non_null(tex);
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 4, .data = &out,
	}));
	assert_int_equal(out, px);
	mosaic_texture_destroy(tex);
}

/* The device platform (forced) finds the same kind of device where it exists. */
static void test_device_platform(void **state)
{
	setenv("MOSAIC_EGL_PLATFORM", "device", 1);
	struct mosaic_renderer *dev = mosaic_gles_renderer_create(-1);
	unsetenv("MOSAIC_EGL_PLATFORM");
	if (dev == NULL) {
		gles_test_log_errors = 0;
		skip();
	}
	assert_string_equal(mosaic_gles_renderer_get_egl_platform(dev), "device");
	assert_renderer_works(dev);
	mosaic_renderer_destroy(dev);
}

/*
 * Two renderers on the same EGL display (EGL keeps one per platform and
 * device): the one that goes first leaves the display to the other, in
 * either order of destruction, with no error line.
 */
static void test_shared_display(void **state)
{
	const char *platform = mosaic_gles_renderer_get_egl_platform(gl);
	setenv("MOSAIC_EGL_PLATFORM", platform, 1);
	for (int order = 0; order < 2; order++) {
		struct mosaic_renderer *a = mosaic_gles_renderer_create(-1);
		struct mosaic_renderer *b = mosaic_gles_renderer_create(-1);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(mosaic_gles_renderer_get_egl_platform(b), platform);
		assert_renderer_works(a);
		assert_renderer_works(b);
		mosaic_renderer_destroy(order == 0 ? a : b);
		assert_renderer_works(order == 0 ? b : a);
		assert_renderer_works(gl);
		mosaic_renderer_destroy(order == 0 ? b : a);
		assert_renderer_works(gl);
	}
	unsetenv("MOSAIC_EGL_PLATFORM");
	assert_int_equal(gles_test_log_errors, 0);
}

/* A renderer may go before the buffers it cached state on. */
static void test_renderer_before_buffers(void **state)
{
	struct mosaic_renderer *r = mosaic_gles_renderer_create(-1);
	assert_non_null(r);
	uint32_t pixels[8 * 8] = {0};
	struct mosaic_buffer *target = mosaic_buffer_from_data(8, 8, DRM_FORMAT_ARGB8888, 32,
		pixels);
	for (int i = 0; i < 2; i++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
		assert_non_null(pass);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 2, 2, 4, 4 }, .color = { 0, 0, 1, 1 },
		}));
		assert_true(mosaic_pass_submit(pass, NULL));
	}
	assert_int_equal(pixels[2 * 8 + 2], 0xff0000ff);
	assert_int_equal(pixels[0], 0);
	mosaic_renderer_destroy(r);
	// The cached offscreen target went with the renderer; the buffer stays usable.
	mosaic_buffer_drop(target);
}

/* dmabuf paths need a DRM node: they run in tests/gles/test_gles_dmabuf.c. */
static void test_dmabuf_features(void **state)
{
	uint64_t f = mosaic_renderer_get_features(gl);
	const struct mosaic_format_set *set = mosaic_renderer_get_texture_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF);
	// Import advertised iff some dmabuf format is listed.
	assert_int_equal((f & MOSAIC_FEATURE_DMABUF_IMPORT) != 0, set->n_formats > 0);
	uint32_t px = 0;
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 1, 1, DRM_FORMAT_ARGB8888, 4,
		&px);
	struct mosaic_dmabuf_attributes attribs;
	int errors = gles_test_log_errors;
	bool exported = mosaic_gles_texture_export_dmabuf(tex, &attribs);
	assert_int_equal(exported, (f & MOSAIC_FEATURE_DMABUF_EXPORT) != 0);
	if (exported) {
		mosaic_dmabuf_attributes_finish(&attribs);
	} else {
		// The refusal is logged once.
		assert_int_equal(gles_test_log_errors, errors + 1);
		gles_test_log_errors = errors;
	}
	mosaic_texture_destroy(tex);
	CHECK_GL();
}

/* A 16x16 linear image of `fourcc` at the start of `fd`, imported directly with EGL. */
static bool egl_imports(EGLDisplay display, int fd, uint32_t fourcc)
{
	PFNEGLCREATEIMAGEKHRPROC create =
		(PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	PFNEGLDESTROYIMAGEKHRPROC destroy =
		(PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	static const EGLint keys[3][3] = {
		{ EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE0_OFFSET_EXT,
			EGL_DMA_BUF_PLANE0_PITCH_EXT },
		{ EGL_DMA_BUF_PLANE1_FD_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT,
			EGL_DMA_BUF_PLANE1_PITCH_EXT },
		{ EGL_DMA_BUF_PLANE2_FD_EXT, EGL_DMA_BUF_PLANE2_OFFSET_EXT,
			EGL_DMA_BUF_PLANE2_PITCH_EXT },
	};
	EGLint attribs[6 + 3 * 6 + 1] = {
		EGL_WIDTH, 16, EGL_HEIGHT, 16, EGL_LINUX_DRM_FOURCC_EXT, (EGLint)fourcc,
	};
	int n = 6;
	EGLint offset = 0;
	for (int p = 0; p < info->n_planes; p++) {
		uint64_t row_bytes;
		uint32_t rows;
		assert_true(mosaic_format_plane_size(info, p, 16, 16, &row_bytes, &rows));
		const EGLint values[3] = { fd, offset, (EGLint)row_bytes };
		for (int k = 0; k < 3; k++) {
			attribs[n++] = keys[p][k];
			attribs[n++] = values[k];
		}
		offset += (EGLint)(row_bytes * rows);
	}
	attribs[n] = EGL_NONE;
	EGLImageKHR image = create(display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL,
		attribs);
	if (image == EGL_NO_IMAGE_KHR) {
		return false;
	}
	destroy(display, image);
	return true;
}

static void yuv_formats_of_egl(const struct mosaic_format_set *tex,
	const struct mosaic_format_set *render, const struct mosaic_format_info *all, size_t n);
static void draw_yuyv_red(void);

/*
 * YUV formats: never render formats. On a software driver, which is given no
 * dmabuf (mosaic maps and converts them), every YUV format of the table is a
 * texture format with the LINEAR and implicit layouts. Elsewhere a texture
 * format exactly when EGL lists it and it imports (checked here with a memfd,
 * where the driver maps any fd), then with the modifiers EGL lists plus the
 * implicit one. A YUYV memfd draws red with the colour hints.
 */
static void test_yuv_dmabuf(void **state)
{
	const struct mosaic_format_set *tex = mosaic_renderer_get_texture_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF);
	const struct mosaic_format_set *render = mosaic_renderer_get_render_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF);
	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	if (mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE) {
		for (size_t i = 0; i < n; i++) {
			if (!all[i].is_yuv) {
				continue;
			}
			assert_null(mosaic_format_set_get(render, all[i].fourcc));
			// Converted into R'G'B' of 10 bits (P010) or 8: offered where GL holds that.
			uint32_t rgb = all[i].fourcc == DRM_FORMAT_P010 ? DRM_FORMAT_XRGB2101010 :
				DRM_FORMAT_XRGB8888;
			const struct mosaic_format *f = mosaic_format_set_get(tex, all[i].fourcc);
			if (mosaic_format_set_get(mosaic_renderer_get_texture_formats(gl,
					MOSAIC_BUFFER_CAP_DATA_PTR), rgb) == NULL) {
				assert_null(f);
				continue;
			}
			assert_non_null(f);
			assert_int_equal(f->n_modifiers, 2);
			assert_true(mosaic_format_set_has(tex, all[i].fourcc, DRM_FORMAT_MOD_INVALID));
			assert_true(mosaic_format_set_has(tex, all[i].fourcc, DRM_FORMAT_MOD_LINEAR));
		}
		draw_yuyv_red();
		return;
	}
	yuv_formats_of_egl(tex, render, all, n);
}

/* The hardware rule of test_yuv_dmabuf(): what EGL lists and imports. */
static void yuv_formats_of_egl(const struct mosaic_format_set *tex,
	const struct mosaic_format_set *render, const struct mosaic_format_info *all, size_t n)
{
	EGLDisplay display = mosaic_gles_renderer_get_egl_display(gl);
	PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_modifiers =
		(PFNEGLQUERYDMABUFMODIFIERSEXTPROC)eglGetProcAddress("eglQueryDmaBufModifiersEXT");
	const char *exts = eglQueryString(display, EGL_EXTENSIONS);
	if (query_modifiers == NULL || exts == NULL ||
			strstr(exts, "EGL_EXT_image_dma_buf_import_modifiers") == NULL) {
		skip();
	}
	int probe = memfd_create("test-gles-probe", MFD_CLOEXEC);
	assert_true(probe >= 0);
	assert_int_equal(ftruncate(probe, 16 * 16 * 4), 0);
	if (!egl_imports(display, probe, DRM_FORMAT_XRGB8888)) {
		close(probe);
		skip();
	}
	for (size_t i = 0; i < n; i++) {
		if (!all[i].is_yuv) {
			continue;
		}
		assert_null(mosaic_format_set_get(render, all[i].fourcc));
		EGLuint64KHR mods[64];
		EGLBoolean external[64];
		EGLint n_mods = 0;
		assert_true(query_modifiers(display, (EGLint)all[i].fourcc, 64, mods, external,
			&n_mods));
		const struct mosaic_format *f = mosaic_format_set_get(tex, all[i].fourcc);
		bool imports = n_mods > 0 && egl_imports(display, probe, all[i].fourcc);
		print_message("%s: %d modifiers listed, %s, %s\n", all[i].name, n_mods,
			imports ? "imports" : "does not import", f != NULL ? "advertised" :
			"not advertised");
		if (!imports) {
			assert_null(f);
			continue;
		}
		assert_non_null(f);
		assert_int_equal(f->n_modifiers, (size_t)n_mods + 1);
		assert_true(mosaic_format_set_has(tex, all[i].fourcc, DRM_FORMAT_MOD_INVALID));
		for (EGLint j = 0; j < n_mods; j++) {
			assert_true(mosaic_format_set_has(tex, all[i].fourcc, mods[j]));
		}
	}
	close(probe);
	if (mosaic_format_set_has(tex, DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR)) {
		draw_yuyv_red();
	}
}

/* A YUYV memfd of BT.709 limited red draws red. */
static void draw_yuyv_red(void)
{
	// BT.709 limited red: Y 63, Cb 102, Cr 240.
	int fd = memfd_create("test-gles-yuyv", MFD_CLOEXEC);
	assert_true(fd >= 0);
	const uint8_t pair[4] = { 63, 102, 63, 240 };
	uint8_t rows[2][8];
	for (int i = 0; i < 2; i++) {
		memcpy(rows[i], pair, 4);
		memcpy(rows[i] + 4, pair, 4);
	}
	assert_int_equal(write(fd, rows, sizeof(rows)), (ssize_t)sizeof(rows));
	struct mosaic_dmabuf_attributes a = {
		.width = 4, .height = 2, .fourcc = DRM_FORMAT_YUYV,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 1,
		.stride = { 8 }, .fd = { fd, -1, -1, -1 },
		.yuv = { .matrix = MOSAIC_YUV_MATRIX_BT709 },
	};
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a,
		&(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	assert_non_null(b);
	struct mosaic_texture *t = mosaic_texture_from_buffer(gl, b);
	assert_non_null(t);
	uint32_t out[4 * 2] = {0};
	struct mosaic_buffer *target = mosaic_buffer_from_data(4, 2, DRM_FORMAT_XRGB8888, 16,
		out);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = t, .filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	for (int i = 0; i < 8; i++) {
		uint32_t p = out[i];
		// Red within 2 steps: the driver rounds its own way.
		assert_true((p >> 16 & 0xff) >= 253 && (p >> 8 & 0xff) <= 2 && (p & 0xff) <= 2);
	}
	mosaic_buffer_drop(target);
	mosaic_texture_destroy(t);
	mosaic_buffer_drop(b);
	CHECK_GL();
}

int main(void)
{
	gles_test_log_init();
	gl = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
	});
	if (gl == NULL) {
		printf("no EGL/GLES renderer could start (no EGL platform or no GLES driver)\n");
		return 77;
	}
	ref = mosaic_pixman_renderer_create();
	for (int i = 0; i < N_TEXTURES; i++) {
		size_t n = (size_t)texture_specs[i].width * texture_specs[i].height;
		texture_pixels[i] = malloc(n * 4);
		fill_premultiplied(texture_pixels[i], n);
	}

	const struct CMUnitTest tests[] = {
		GLES_TEST(test_features),
		GLES_TEST(test_context_restore),
		GLES_TEST(test_context_threads),
		GLES_TEST(test_upload_read),
		GLES_TEST(test_rects),
		GLES_TEST(test_textures),
		GLES_TEST(test_fractional),
		GLES_TEST(test_many),
		GLES_TEST(test_many_quads),
		GLES_TEST(test_completion_timer),
		GLES_TEST(test_device_platform),
		GLES_TEST(test_shared_display),
		GLES_TEST(test_renderer_before_buffers),
		GLES_TEST(test_dmabuf_features),
		GLES_TEST(test_yuv_dmabuf),
		GLES_TEST(test_gpu_allocator),
	};
	int failed = cmocka_run_group_tests_name("gles", tests, NULL, NULL);

	mosaic_renderer_destroy(ref);
	mosaic_renderer_destroy(gl);
	for (int i = 0; i < N_TEXTURES; i++) {
		free(texture_pixels[i]);
	}
	return failed;
}
