/*
 * The compute path (MOSAIC_VK_PATH=compute): the same passes drawn through
 * the graphics pipeline and through the compute dispatch give the same
 * pixels, into CPU targets and into the renderer's own images; passes the
 * compute path does not cover (more textures than its descriptor array)
 * are drawn by the graphics path, correctly, and passes of up to 256
 * textures by the compute path; mosaic_vulkan_renderer_get_path()
 * tells which path the last pass took.
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

#define W 70
#define H 40
/* More than the compute path's descriptor array holds (at most 256 textures). */
#define MANY_TEXTURES 300

static struct mosaic_renderer *renderer_with_path(const char *path)
{
	setenv("MOSAIC_VK_PATH", path, 1);
	struct mosaic_renderer *r = test_vulkan_renderer();
	unsetenv("MOSAIC_VK_PATH");
	return r;
}

/* A compute renderer, or exit 77 where the device cannot take the compute path. */
static struct mosaic_renderer *compute_renderer(void)
{
	struct mosaic_renderer *r = renderer_with_path("compute");
	if (strcmp(mosaic_vulkan_renderer_get_path(r), "compute") != 0) {
		printf("the device cannot take the compute path (see the log)\n");
		mosaic_renderer_destroy(r);
		exit(77);
	}
	return r;
}

struct textures {
	struct mosaic_texture *translucent, *opaque;
};

static void make_textures(struct mosaic_renderer *r, struct textures *t)
{
	uint32_t pixels[9 * 7];
	test_pattern(pixels, 9, 7, 3);
	t->translucent = mosaic_texture_from_pixels(r, 9, 7, DRM_FORMAT_ARGB8888, 9 * 4, pixels);
	test_pattern(pixels, 9, 7, 5);
	t->opaque = mosaic_texture_from_pixels(r, 9, 7, DRM_FORMAT_XRGB8888, 9 * 4, pixels);
	assert_non_null(t->translucent);
	assert_non_null(t->opaque);
}

/*
 * Layers that cross tile edges: an opaque background over part of the
 * target, translucent and opaque textures with every transform, both
 * filters, clips of several rectangles, replacing draws and rects.
 */
static void draw_layers(struct mosaic_renderer *r, struct mosaic_buffer *target, bool nearest)
{
	struct textures t;
	make_textures(r, &t);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 50, 40 },
		.color = { 0.1f, 0.2f, 0.3f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 30, 17);
	pixman_region32_union_rect(&clip, &clip, 33, 20, 30, 20);
	for (int i = 0; i < 8; i++) {
		bool swap = mosaic_transform_swaps_axes((enum mosaic_transform)i);
		float alpha = 0.4f + 0.08f * (float)i;
		int w = 9 * (1 + i % 3), h = 7 * (1 + i % 2);
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = i % 2 == 0 ? t.translucent : t.opaque,
			.dst_box = { i * 7 - 3, i * 4 + 1, swap ? h : w, swap ? w : h },
			.src_box = i == 5 ? (struct mosaic_fbox){ 1.5, 0.5, 6.0, 5.0 } :
				(struct mosaic_fbox){0},
			.transform = (enum mosaic_transform)i,
			.alpha = i == 3 ? NULL : &alpha,
			.clip = i % 3 == 1 ? &clip : NULL,
			.filter = nearest ? MOSAIC_FILTER_NEAREST : MOSAIC_FILTER_LINEAR,
			.blend = i == 6 ? MOSAIC_BLEND_NONE : MOSAIC_BLEND_PREMULTIPLIED,
		}));
	}
	pixman_region32_fini(&clip);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 20, 10, 45, 25 },
		.color = { 0.2f, 0.0f, 0.25f, 0.5f },
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	mosaic_texture_destroy(t.translucent);
	mosaic_texture_destroy(t.opaque);
}

/* Into CPU targets: graphics and compute give the same pixels (unorm rounding aside). */
static void test_cpu_targets(void **state)
{
	(void)state;
	test_log_reset();
	struct mosaic_renderer *graphics = renderer_with_path("graphics");
	struct mosaic_renderer *compute = compute_renderer();
	for (int nearest = 0; nearest < 2; nearest++) {
		struct test_image a, b;
		test_image_init(&a, W, H, DRM_FORMAT_XRGB8888, 0xff405060);
		test_image_init(&b, W, H, DRM_FORMAT_XRGB8888, 0xff405060);
		draw_layers(graphics, a.buffer, nearest);
		assert_string_equal(mosaic_vulkan_renderer_get_path(graphics), "graphics");
		draw_layers(compute, b.buffer, nearest);
		assert_string_equal(mosaic_vulkan_renderer_get_path(compute), "compute");
		// Nearest: the texel rule of the two paths may differ at exact texel
		// edges only; the conformance tolerances are 2 (nearest) and 7 (linear).
		int worst = test_compare(&a, &b, nearest ? 2 : 3,
			nearest ? "nearest, graphics vs compute" : "linear, graphics vs compute");
		test_image_finish(&a);
		test_image_finish(&b);
		assert_true(worst <= (nearest ? 2 : 3));
	}
	mosaic_renderer_destroy(graphics);
	mosaic_renderer_destroy(compute);
	assert_int_equal(test_log.validation, 0);
}

/* Into the renderer's own image, read back through a texture of it. */
static void read_buffer(struct mosaic_renderer *r, struct mosaic_buffer *buffer, uint32_t *out)
{
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, buffer);
	assert_non_null(tex);
	assert_true(test_read_texture(tex, out));
	mosaic_texture_destroy(tex);
}

static void test_gpu_targets(void **state)
{
	(void)state;
	test_log_reset();
	struct mosaic_renderer *graphics = renderer_with_path("graphics");
	struct mosaic_renderer *compute = compute_renderer();
	struct mosaic_buffer *a = mosaic_vulkan_buffer_create(graphics, W, H, DRM_FORMAT_ARGB8888);
	struct mosaic_buffer *b = mosaic_vulkan_buffer_create(compute, W, H, DRM_FORMAT_ARGB8888);
	assert_non_null(a);
	assert_non_null(b);
	// The images start undefined: both passes cover every pixel first.
	for (int frame = 0; frame < 3; frame++) {
		struct mosaic_buffer *targets[2] = { a, b };
		struct mosaic_renderer *renderers[2] = { graphics, compute };
		for (int i = 0; i < 2; i++) {
			struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderers[i], targets[i],
				NULL);
			assert_non_null(pass);
			assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { 0, 0, W, H },
				.color = { 0.0f, 0.1f * (float)frame, 0.2f, 0.5f },
				.blend = MOSAIC_BLEND_NONE,
			}));
			struct mosaic_pass_completion done;
			assert_true(mosaic_pass_submit(pass, &done));
			assert_true(mosaic_renderer_wait_point(renderers[i], done.point, -1));
			draw_layers(renderers[i], targets[i], frame == 1);
		}
		uint32_t pa[W * H], pb[W * H];
		read_buffer(graphics, a, pa);
		read_buffer(compute, b, pb);
		int worst = 0;
		for (int p = 0; p < W * H; p++) {
			for (int c = 0; c < 32; c += 8) {
				int d = abs((int)((pa[p] >> c) & 0xff) - (int)((pb[p] >> c) & 0xff));
				worst = d > worst ? d : worst;
			}
		}
		printf("frame %d: graphics vs compute, largest difference %d\n", frame, worst);
		assert_true(worst <= (frame == 1 ? 2 : 3));
	}
	mosaic_buffer_drop(a);
	mosaic_buffer_drop(b);
	mosaic_renderer_destroy(graphics);
	mosaic_renderer_destroy(compute);
	assert_int_equal(test_log.validation, 0);
}

/* An opaque pixel that tells `i` apart from the other textures' ones. */
static uint32_t texel(int i)
{
	return 0xff000000u | (uint32_t)(i & 0xff) << 16 | (uint32_t)(i >> 8) << 8 |
		(uint32_t)(255 - (i & 0xff));
}

/* A pass with more textures than the compute path binds takes the graphics path. */
static void test_many_textures(void **state)
{
	(void)state;
	test_log_reset();
	struct mosaic_renderer *r = compute_renderer();
	// The array holds 256 textures where the limits allow it (16 at the least).
	VkPhysicalDeviceProperties props;
	vkGetPhysicalDeviceProperties(mosaic_vulkan_renderer_get_physical_device(r), &props);
	const VkPhysicalDeviceLimits *l = &props.limits;
	bool full_array = l->maxPerStageDescriptorSampledImages >= 256 &&
		l->maxDescriptorSetSampledImages >= 256 && l->maxPerStageResources >= 260;
	struct mosaic_texture *textures[MANY_TEXTURES];
	for (int i = 0; i < MANY_TEXTURES; i++) {
		uint32_t pixel = texel(i);
		textures[i] = mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_ARGB8888, 4, &pixel);
		assert_non_null(textures[i]);
	}
	static const int counts[] = { MANY_TEXTURES, 200, 2 };
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		int n = counts[c];
		if (n == 200 && !full_array) {
			continue;
		}
		struct test_image target;
		test_image_init(&target, MANY_TEXTURES, 2, DRM_FORMAT_ARGB8888, 0xff000000);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target.buffer, NULL);
		assert_non_null(pass);
		for (int i = 0; i < MANY_TEXTURES; i++) {
			assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
				.texture = textures[i % n],
				.dst_box = { i, 0, 1, 2 },
			}));
		}
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_string_equal(mosaic_vulkan_renderer_get_path(r),
			n > 256 ? "graphics" : "compute");
		for (int y = 0; y < 2; y++) {
			const uint32_t *row = (const uint32_t *)((const uint8_t *)target.data +
				(size_t)y * target.stride);
			for (int i = 0; i < MANY_TEXTURES; i++) {
				assert_int_equal(row[i], texel(i % n));
			}
		}
		test_image_finish(&target);
	}
	for (int i = 0; i < MANY_TEXTURES; i++) {
		mosaic_texture_destroy(textures[i]);
	}
	mosaic_renderer_destroy(r);
	assert_int_equal(test_log.validation, 0);
}

/* The color of the 1x1 rect at pixel i of test_many_entries (opaque, exact in 8 bits). */
static uint32_t cell(int i)
{
	return 0xff000000u | (uint32_t)(i % 251) << 16 | (uint32_t)(i % 13) << 8 | 0x40;
}

/*
 * Passes of up to 4096 draw-list entries (draws times clip rectangles) take
 * the compute path, larger ones the graphics path; both draw right. Every
 * tile holds entries over several words of the shader's bit set, and a
 * target-covering opaque rect at entry 40 (inside a word) is where each
 * tile's work starts.
 */
static void test_many_entries(void **state)
{
	(void)state;
	test_log_reset();
	struct mosaic_renderer *r = compute_renderer();
	const int w = 80, h = 80;
	static const int totals[] = { 4096, 4097 };
	for (size_t t = 0; t < 2; t++) {
		struct test_image target;
		test_image_init(&target, w, h, DRM_FORMAT_ARGB8888, 0);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target.buffer, NULL);
		assert_non_null(pass);
		int n_cells = totals[t] - 2;
		for (int e = 0; e < totals[t]; e++) {
			if (e == 0 || e == 40) {
				assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
					.box = { 0, 0, w, h },
					.color = e == 0 ? (struct mosaic_color){ 1, 0, 0, 1 } :
						(struct mosaic_color){ 0, 0, 1, 1 },
				}));
				continue;
			}
			int i = e < 40 ? e - 1 : e - 2;
			uint32_t c = cell(i);
			assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { i % w, i / w, 1, 1 },
				.color = { (float)((c >> 16) & 0xff) / 255.0f,
					(float)((c >> 8) & 0xff) / 255.0f, (float)(c & 0xff) / 255.0f,
					1.0f },
			}));
		}
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(mosaic_renderer_wait_point(r, done.point, -1));
		assert_string_equal(mosaic_vulkan_renderer_get_path(r),
			totals[t] <= 4096 ? "compute" : "graphics");
		for (int i = 0; i < w * h; i++) {
			const uint32_t *row = (const uint32_t *)((const uint8_t *)target.data +
				(size_t)(i / w) * target.stride);
			// Cells drawn before the blue rect at entry 40 are under it.
			uint32_t want = i >= 39 && i < n_cells ? cell(i) : 0xff0000ffu;
			if (row[i % w] != want) {
				fail_msg("%d entries, pixel %d: 0x%08x, not 0x%08x", totals[t], i,
					row[i % w], want);
			}
		}
		test_image_finish(&target);
	}
	mosaic_renderer_destroy(r);
	assert_int_equal(test_log.validation, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_log_reset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_targets),
		cmocka_unit_test(test_gpu_targets),
		cmocka_unit_test(test_many_textures),
		cmocka_unit_test(test_many_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
