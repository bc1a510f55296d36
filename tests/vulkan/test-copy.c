/*
 * The copy fast path: scenes whose leading draws are plain copies (a
 * fullscreen opaque window, a clear and a box-clipped copy, a format
 * conversion) give the same bytes with the fast path on and off
 * (MOSAIC_VK_COPY=0), on the graphics and the compute path, into CPU targets
 * and the renderer's own images; mosaic_vulkan_renderer_get_copy_count()
 * says how many draws were transfers. The X byte of an X target is padding
 * and is not compared; an XRGB source into an ARGB target reads as opaque.
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

#define W 64
#define H 48

enum scene {
	/* An opaque window covering the target. */
	SCENE_FULLSCREEN,
	/* A clear, then an opaque window covering it (the clear is dropped). */
	SCENE_CLEAR_FULLSCREEN,
	/* A clear, a blend-none copy of part of a texture in two boxes, a translucent rect. */
	SCENE_BOX_CLIPPED,
	/* An XRGB texture (X bytes not 0xff) into the target: shaded into ARGB targets. */
	SCENE_XRGB_SOURCE,
	/* An ABGR texture, blend none, into an ARGB target: a blit. */
	SCENE_CONVERT,
	/* A copy, a shaded draw, then a copy: the second one is shaded. */
	SCENE_COPY_DRAW_COPY,
	/*
	 * No clear: a copy in a box, a translucent rect over it and past it.
	 * CPU targets only (Vulkan images start undefined): their pixels under
	 * the rect but outside the copy are loaded, those under the copy need not be.
	 */
	SCENE_PARTIAL,
	SCENE_COUNT,
};

static const char *const scene_names[SCENE_COUNT] = {
	"fullscreen", "clear+fullscreen", "box-clipped", "xrgb source", "convert",
	"copy, draw, copy", "partial copy",
};

struct textures {
	struct mosaic_texture *xrgb, *argb, *abgr, *small;
};

static void make_textures(struct mosaic_renderer *r, struct textures *t)
{
	static uint32_t pixels[(W + 8) * (H + 8)];
	test_pattern(pixels, W, H, 7);
	// As XRGB, the translucent pattern's alpha bytes are X bytes that are not 0xff.
	t->xrgb = mosaic_texture_from_pixels(r, W, H, DRM_FORMAT_XRGB8888, W * 4, pixels);
	test_pattern(pixels, W + 8, H + 8, 11);
	t->argb = mosaic_texture_from_pixels(r, W + 8, H + 8, DRM_FORMAT_ARGB8888, (W + 8) * 4,
		pixels);
	t->abgr = mosaic_texture_from_pixels(r, W + 8, H + 8, DRM_FORMAT_ABGR8888, (W + 8) * 4,
		pixels);
	test_pattern(pixels, 9, 7, 3);
	t->small = mosaic_texture_from_pixels(r, 9, 7, DRM_FORMAT_ARGB8888, 9 * 4, pixels);
	assert_non_null(t->xrgb);
	assert_non_null(t->argb);
	assert_non_null(t->abgr);
	assert_non_null(t->small);
}

static void destroy_textures(struct textures *t)
{
	mosaic_texture_destroy(t->xrgb);
	mosaic_texture_destroy(t->argb);
	mosaic_texture_destroy(t->abgr);
	mosaic_texture_destroy(t->small);
}

static void add_texture(struct mosaic_pass *pass, struct mosaic_texture *texture,
	struct mosaic_fbox src, struct mosaic_box dst, const pixman_region32_t *clip,
	enum mosaic_blend blend)
{
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = texture,
		.src_box = src,
		.dst_box = dst,
		.clip = clip,
		.blend = blend,
	}));
}

static void clear(struct mosaic_pass *pass)
{
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0.1f, 0.2f, 0.3f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
}

/* Draws the scene with the fast path on or off; returns the copy count. */
static uint32_t draw(struct mosaic_renderer *r, struct mosaic_buffer *target, enum scene scene,
	bool copy)
{
	setenv("MOSAIC_VK_COPY", copy ? "1" : "0", 1);
	struct textures t;
	make_textures(r, &t);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	const struct mosaic_fbox all = {0};
	const struct mosaic_box full = { 0, 0, W, H };
	pixman_region32_t boxes;
	pixman_region32_init_rect(&boxes, 3, 2, 20, 30);
	pixman_region32_union_rect(&boxes, &boxes, 30, 10, 31, 35);
	switch (scene) {
	case SCENE_FULLSCREEN:
		add_texture(pass, t.xrgb, all, full, NULL, MOSAIC_BLEND_PREMULTIPLIED);
		break;
	case SCENE_CLEAR_FULLSCREEN:
		clear(pass);
		add_texture(pass, t.xrgb, all, full, NULL, MOSAIC_BLEND_PREMULTIPLIED);
		break;
	case SCENE_BOX_CLIPPED:
		clear(pass);
		add_texture(pass, t.argb, (struct mosaic_fbox){ 5, 3, W, H }, full, &boxes,
			MOSAIC_BLEND_NONE);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 10, 5, 30, 20 },
			.color = { 0.2f, 0.0f, 0.25f, 0.5f },
		}));
		break;
	case SCENE_XRGB_SOURCE:
		add_texture(pass, t.xrgb, all, full, NULL, MOSAIC_BLEND_NONE);
		break;
	case SCENE_CONVERT:
		add_texture(pass, t.abgr, (struct mosaic_fbox){ 2, 1, W, H }, full, NULL,
			MOSAIC_BLEND_NONE);
		break;
	case SCENE_COPY_DRAW_COPY:
		add_texture(pass, t.xrgb, all, full, NULL, MOSAIC_BLEND_PREMULTIPLIED);
		add_texture(pass, t.small, all, (struct mosaic_box){ 7, 9, 18, 14 }, NULL,
			MOSAIC_BLEND_PREMULTIPLIED);
		add_texture(pass, t.argb, (struct mosaic_fbox){ 0, 0, 20, 20 },
			(struct mosaic_box){ 20, 20, 20, 20 }, NULL, MOSAIC_BLEND_NONE);
		break;
	case SCENE_PARTIAL:
		add_texture(pass, t.argb, (struct mosaic_fbox){ 3, 3, 30, 20 },
			(struct mosaic_box){ 10, 10, 30, 20 }, NULL, MOSAIC_BLEND_NONE);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 50, 40 },
			.color = { 0.2f, 0.0f, 0.25f, 0.5f },
		}));
		break;
	case SCENE_COUNT:
		break;
	}
	pixman_region32_fini(&boxes);
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	destroy_textures(&t);
	unsetenv("MOSAIC_VK_COPY");
	return mosaic_vulkan_renderer_get_copy_count(r);
}

/*
 * The copies the scene is expected to make into a target of `fourcc`; with
 * no `transfers` (the compute path into a GPU target), none.
 */
static uint32_t expected_copies(enum scene scene, uint32_t fourcc, bool transfers)
{
	if (!transfers) {
		return 0;
	}
	bool x_target = fourcc == DRM_FORMAT_XRGB8888;
	switch (scene) {
	case SCENE_FULLSCREEN:
		return x_target ? 1 : 0;
	case SCENE_CLEAR_FULLSCREEN:
		// Into ARGB the window is shaded, after the clear done as a transfer.
		return 1;
	case SCENE_BOX_CLIPPED:
		return 2;
	case SCENE_XRGB_SOURCE:
		return x_target ? 1 : 0;
	case SCENE_CONVERT:
		return 1;
	case SCENE_COPY_DRAW_COPY:
		return x_target ? 1 : 0;
	case SCENE_PARTIAL:
		return 1;
	case SCENE_COUNT:
		break;
	}
	return 0;
}

/*
 * The largest channel difference the compute path may show: it blends every
 * layer of a pixel in floats and rounds once, so a shaded draw over a copy
 * (rounded to 8 bits by the transfer) may land one step away. Everything
 * else is byte for byte.
 */
static int tolerance(const char *path, enum scene scene, bool transfers)
{
	bool shaded_over_copy = scene == SCENE_BOX_CLIPPED || scene == SCENE_COPY_DRAW_COPY ||
		scene == SCENE_PARTIAL;
	return strcmp(path, "compute") == 0 && transfers && shaded_over_copy ? 1 : 0;
}

/* Compares two ARGB8888 pixel arrays (not the X byte of X targets). */
static void compare(const uint32_t *a, const uint32_t *b, size_t n, uint32_t fourcc,
	int tol, const char *what)
{
	int channels = fourcc == DRM_FORMAT_XRGB8888 ? 3 : 4;
	int worst = 0;
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < channels; c++) {
			int d = abs((int)((a[i] >> (8 * c)) & 0xff) - (int)((b[i] >> (8 * c)) & 0xff));
			if (d > tol) {
				fail_msg("%s: pixel (%zu, %zu) is %08x with the fast path, %08x "
					"without", what, i % W, i / W, a[i], b[i]);
			}
			worst = d > worst ? d : worst;
		}
	}
	printf("%s: largest difference %d (%d allowed)\n", what, worst, tol);
}

/* The image's pixels without row padding. */
static void packed(const struct test_image *image, uint32_t *out)
{
	for (int y = 0; y < H; y++) {
		memcpy(&out[y * W], (const uint8_t *)image->data + (size_t)y * image->stride, W * 4);
	}
}

static void check_cpu(struct mosaic_renderer *r, const char *path, uint32_t fourcc)
{
	static uint32_t pon[W * H], poff[W * H];
	for (int s = 0; s < SCENE_COUNT; s++) {
		struct test_image on, off;
		test_image_init(&on, W, H, fourcc, 0xff405060);
		test_image_init(&off, W, H, fourcc, 0xff405060);
		uint32_t copies = draw(r, on.buffer, (enum scene)s, true);
		assert_int_equal(draw(r, off.buffer, (enum scene)s, false), 0);
		char what[96];
		snprintf(what, sizeof(what), "%s path, CPU %s target, %s", path,
			fourcc == DRM_FORMAT_XRGB8888 ? "XRGB" : "ARGB", scene_names[s]);
		printf("%s: %u copies\n", what, copies);
		assert_int_equal(copies, expected_copies((enum scene)s, fourcc, true));
		packed(&on, pon);
		packed(&off, poff);
		compare(pon, poff, (size_t)W * H, fourcc, tolerance(path, (enum scene)s, true),
			what);
		if (s == SCENE_XRGB_SOURCE && fourcc == DRM_FORMAT_ARGB8888) {
			// pixman reads X bytes as opaque.
			for (size_t i = 0; i < (size_t)W * H; i++) {
				if (pon[i] >> 24 != 0xff) {
					fail_msg("%s: pixel (%zu, %zu) is %08x: not opaque", what,
						i % W, i / W, pon[i]);
				}
			}
		}
		if (s == SCENE_PARTIAL) {
			// Under the rect, outside the copy: the rect over the loaded fill color.
			uint32_t p = pon[35 * W + 45];
			const int want[3] = { 0x53, 0x28, 0x70 };
			for (int c = 0; c < 3; c++) {
				int got = (int)(p >> (16 - 8 * c)) & 0xff;
				if (abs(got - want[c]) > 1) {
					fail_msg("%s: pixel (45, 35) is %08x, not the rect over the "
						"target's pixels", what, p);
				}
			}
		}
		test_image_finish(&on);
		test_image_finish(&off);
	}
}

static void check_gpu(struct mosaic_renderer *r, const char *path, uint32_t fourcc)
{
	static uint32_t pon[W * H], poff[W * H];
	for (int s = 0; s < SCENE_PARTIAL; s++) {
		struct mosaic_buffer *on = mosaic_vulkan_buffer_create(r, W, H, fourcc);
		struct mosaic_buffer *off = mosaic_vulkan_buffer_create(r, W, H, fourcc);
		assert_non_null(on);
		assert_non_null(off);
		uint32_t copies = draw(r, on, (enum scene)s, true);
		assert_int_equal(draw(r, off, (enum scene)s, false), 0);
		char what[96];
		snprintf(what, sizeof(what), "%s path, Vulkan %s target, %s", path,
			fourcc == DRM_FORMAT_XRGB8888 ? "XRGB" : "ARGB", scene_names[s]);
		printf("%s: %u copies\n", what, copies);
		// The compute path does no transfers into the renderer's images.
		bool transfers = strcmp(path, "graphics") == 0;
		assert_int_equal(copies, expected_copies((enum scene)s, fourcc, transfers));
		struct mosaic_texture *ton = mosaic_texture_from_buffer(r, on);
		struct mosaic_texture *toff = mosaic_texture_from_buffer(r, off);
		assert_non_null(ton);
		assert_non_null(toff);
		assert_true(test_read_texture(ton, pon));
		assert_true(test_read_texture(toff, poff));
		compare(pon, poff, (size_t)W * H, fourcc,
			tolerance(path, (enum scene)s, transfers), what);
		mosaic_texture_destroy(ton);
		mosaic_texture_destroy(toff);
		mosaic_buffer_drop(on);
		mosaic_buffer_drop(off);
	}
}

static void run_path(const char *path)
{
	test_log_reset();
	struct mosaic_renderer *r = test_vulkan_renderer_on_path(path);
	if (r == NULL) {
		skip();
	}
	const uint32_t formats[] = { DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888 };
	for (size_t i = 0; i < 2; i++) {
		check_cpu(r, path, formats[i]);
		check_gpu(r, path, formats[i]);
	}
	mosaic_renderer_destroy(r);
	assert_int_equal(test_log.validation, 0);
	assert_int_equal(test_log.errors, 0);
}

static void test_graphics(void **state)
{
	(void)state;
	run_path("graphics");
}

static void test_compute(void **state)
{
	(void)state;
	run_path("compute");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_graphics),
		cmocka_unit_test(test_compute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
