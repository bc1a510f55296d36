/*
 * Per-draw GPU times (mosaic_render_timer_options.per_draw): one time per
 * draw, in order, GPU timestamps on the graphics path and an estimate on the
 * compute path; draws done as transfers are measured too; a pass with more
 * draws than the frame's timestamp pool reports them as not measured and
 * the next pass measures them; a timer without per_draw reports nothing.
 * On the compute path, a device with a shader clock also measures each tile
 * (mosaic_render_timer_get_tile_times()): busy tiles cost more than empty
 * ones, and the tiles share out the dispatch's time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <vulkan/vulkan.h>

#include "common.h"

#define W 128
#define H 96
#define MANY 600

/* A fullscreen copy, `n` translucent textures, a translucent rect: n + 2 draws. */
static void draw(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_render_timer *timer, int n)
{
	static uint32_t pixels[W * H];
	test_pattern(pixels, W, H, 5);
	struct mosaic_texture *opaque = mosaic_texture_from_pixels(r, W, H, DRM_FORMAT_XRGB8888,
		W * 4, pixels);
	struct mosaic_texture *translucent = mosaic_texture_from_pixels(r, 16, 16,
		DRM_FORMAT_ARGB8888, W * 4, pixels);
	assert_non_null(opaque);
	assert_non_null(translucent);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target,
		&(struct mosaic_pass_options){ .timer = timer });
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = opaque,
		.dst_box = { 0, 0, W, H },
	}));
	for (int i = 0; i < n; i++) {
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = translucent,
			.dst_box = { (i * 13) % (W - 40), (i * 7) % (H - 40), 16 + i % 24, 40 },
		}));
	}
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H / 2 },
		.color = { 0.1f, 0.0f, 0.2f, 0.5f },
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	mosaic_texture_destroy(opaque);
	mosaic_texture_destroy(translucent);
}

static void check_path(const char *path, enum mosaic_draw_times want_kind)
{
	test_log_reset();
	struct mosaic_renderer *r = test_vulkan_renderer_on_path(path);
	if (r == NULL) {
		skip();
	}
	struct test_image target;
	test_image_init(&target, W, H, DRM_FORMAT_XRGB8888, 0xff000000);
	struct mosaic_render_timer *timer = mosaic_render_timer_create_with_options(r,
		&(struct mosaic_render_timer_options){ .per_draw = true });
	if (timer == NULL) {
		printf("the device has no timestamps\n");
		exit(77);
	}
	static int64_t ns[MANY + 2];
	enum mosaic_draw_times kind;

	draw(r, target.buffer, timer, 10);
	int64_t pass_ns = mosaic_render_timer_get_duration_ns(timer);
	size_t n = mosaic_render_timer_get_draw_times(timer, ns, MANY + 2, &kind);
	assert_int_equal(n, 12);
	assert_int_equal(kind, want_kind);
	assert_int_equal(mosaic_vulkan_renderer_get_copy_count(r), 1);
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		printf("%s: draw %zu: %lld ns\n", path, i, (long long)ns[i]);
		assert_true(ns[i] >= 0);
		sum += ns[i];
	}
	printf("%s: pass %lld ns, draws %lld ns\n", path, (long long)pass_ns, (long long)sum);
	assert_true(pass_ns > 0);
	// The draws' timestamps lie within the pass's.
	assert_true(sum <= pass_ns);
	// Fewer slots than draws: the count is still the pass's.
	assert_int_equal(mosaic_render_timer_get_draw_times(timer, ns, 3, NULL), 12);
	if (strcmp(path, "graphics") == 0) {
		// Drawn in one render pass: no tiles.
		struct mosaic_tile_grid grid = { 1, 1, 1, 1 };
		assert_int_equal(mosaic_render_timer_get_tile_times(timer, ns, MANY, &grid), 0);
		assert_int_equal(grid.columns, 0);
		assert_int_equal(grid.tile_width, 0);
	}

	// More timestamps than the first pool holds: not measured, then measured.
	draw(r, target.buffer, timer, MANY);
	assert_int_equal(mosaic_render_timer_get_draw_times(timer, ns, MANY + 2, &kind),
		MANY + 2);
	bool graphics = strcmp(path, "graphics") == 0;
	// The compute path marks only the copy and the dispatch: it never runs out.
	assert_true(graphics ? ns[MANY] == -1 : ns[MANY] >= 0);
	draw(r, target.buffer, timer, MANY);
	assert_int_equal(mosaic_render_timer_get_draw_times(timer, ns, MANY + 2, &kind),
		MANY + 2);
	for (size_t i = 0; i < MANY + 2; i++) {
		assert_true(ns[i] >= 0);
	}
	mosaic_render_timer_destroy(timer);

	// A whole-pass timer measures no draws.
	timer = mosaic_render_timer_create(r);
	assert_non_null(timer);
	draw(r, target.buffer, timer, 3);
	assert_true(mosaic_render_timer_get_duration_ns(timer) > 0);
	assert_int_equal(mosaic_render_timer_get_draw_times(timer, ns, MANY, &kind), 0);
	assert_int_equal(kind, MOSAIC_DRAW_TIMES_UNSUPPORTED);
	assert_int_equal(mosaic_render_timer_get_tile_times(timer, ns, MANY, NULL), 0);
	mosaic_render_timer_destroy(timer);

	test_image_finish(&target);
	mosaic_renderer_destroy(r);
	assert_int_equal(test_log.validation, 0);
	assert_int_equal(test_log.errors, 0);
}

/* Whether the renderer's device has VK_KHR_shader_clock's subgroup clock. */
static bool has_shader_clock(struct mosaic_renderer *r)
{
	VkPhysicalDevice phdev = mosaic_vulkan_renderer_get_physical_device(r);
	uint32_t n = 0;
	vkEnumerateDeviceExtensionProperties(phdev, NULL, &n, NULL);
	VkExtensionProperties *exts = calloc(n + 1, sizeof(*exts));
	assert_non_null(exts);
	vkEnumerateDeviceExtensionProperties(phdev, NULL, &n, exts);
	bool found = false;
	for (uint32_t i = 0; i < n; i++) {
		found = found || strcmp(exts[i].extensionName, VK_KHR_SHADER_CLOCK_EXTENSION_NAME) == 0;
	}
	free(exts);
	if (!found) {
		return false;
	}
	VkPhysicalDeviceShaderClockFeaturesKHR clock = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CLOCK_FEATURES_KHR,
	};
	vkGetPhysicalDeviceFeatures2(phdev, &(VkPhysicalDeviceFeatures2){
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = &clock,
	});
	return clock.shaderSubgroupClock;
}

static int compare_ns(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

#define TILES_W 256
#define TILES_H 128
#define LAYERS 64

static void sort_ns(int64_t *values, size_t n)
{
	qsort(values, n, sizeof(*values), compare_ns);
}

/* LAYERS translucent, filtered draws over the left half of `target`. */
static void draw_layers(struct mosaic_renderer *r, struct mosaic_render_timer *timer,
	struct mosaic_texture *texture, struct mosaic_buffer *target)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target,
		&(struct mosaic_pass_options){ .timer = timer });
	assert_non_null(pass);
	for (int i = 0; i < LAYERS; i++) {
		const float alpha = 0.9f;
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = texture,
			.src_box = { 0.5, 0.25, 60.0 - (i % 32), 63.0 },
			.dst_box = { 0, 0, TILES_W / 2, TILES_H },
			.alpha = &alpha,
		}));
	}
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
}

/*
 * The left half of the output under LAYERS translucent, filtered draws,
 * the right half under none: each left tile does LAYERS texture reads per
 * pixel, each right one only looks through the draw list.
 */
static void test_tile_times(void **state)
{
	(void)state;
	test_log_reset();
	struct mosaic_renderer *r = test_vulkan_renderer_on_path("compute");
	if (r == NULL) {
		skip();
	}
	struct mosaic_render_timer *timer = mosaic_render_timer_create_with_options(r,
		&(struct mosaic_render_timer_options){ .per_draw = true });
	if (timer == NULL) {
		printf("the device has no timestamps\n");
		exit(77);
	}
	static uint32_t pixels[64 * 64];
	test_pattern(pixels, 64, 64, 3);
	struct mosaic_texture *texture = mosaic_texture_from_pixels(r, 64, 64,
		DRM_FORMAT_ARGB8888, 64 * 4, pixels);
	assert_non_null(texture);
	struct test_image target;
	test_image_init(&target, TILES_W, TILES_H, DRM_FORMAT_XRGB8888, 0xff000000);
	static int64_t ns[LAYERS], tiles[256], left[128], right[128];
	struct mosaic_tile_grid grid = {0};
	size_t n = 0;
	bool clock = has_shader_clock(r);
	/*
	 * Tiles are timed on the clock, and a CPU device's threads may be
	 * preempted inside any tile when the machine is busy: the quickest tile
	 * of each half is the evidence (at least one of each was likely not
	 * preempted), and a frame that shows it is enough. The first frame also
	 * makes the pipeline's caches warm.
	 */
	bool shown = false;
	for (int frame = 0; frame < 12 && !shown; frame++) {
		draw_layers(r, timer, texture, target.buffer);
		n = mosaic_render_timer_get_tile_times(timer, tiles, 256, &grid);
		int64_t pass_ns = mosaic_render_timer_get_duration_ns(timer);
		assert_int_equal(mosaic_render_timer_get_draw_times(timer, ns, LAYERS, NULL),
			LAYERS);
		if (!clock) {
			printf("no shader clock: no tile times\n");
			assert_int_equal(n, 0);
			assert_int_equal(grid.columns, 0);
			shown = true;
			break;
		}
		assert_int_equal(n, (TILES_W / 16) * (TILES_H / 16));
		assert_int_equal(grid.tile_width, 16);
		assert_int_equal(grid.tile_height, 16);
		assert_int_equal(grid.columns, TILES_W / 16);
		assert_int_equal(grid.rows, TILES_H / 16);
		int64_t tiles_sum = 0, draws_sum = 0;
		size_t n_left = 0, n_right = 0;
		for (size_t i = 0; i < n; i++) {
			assert_true(tiles[i] >= 0);
			tiles_sum += tiles[i];
			bool is_left = (int)(i % (size_t)grid.columns) < grid.columns / 2;
			if (is_left) {
				left[n_left++] = tiles[i];
			} else {
				right[n_right++] = tiles[i];
			}
		}
		for (size_t i = 0; i < LAYERS; i++) {
			draws_sum += ns[i];
		}
		// Both share out the one dispatch, each value rounded down.
		assert_true(tiles_sum <= pass_ns);
		assert_true(llabs(tiles_sum - draws_sum) <= (long long)(n + LAYERS));
		assert_true(tiles_sum > 0);
		sort_ns(left, n_left);
		sort_ns(right, n_right);
		printf("frame %d: pass %lld ns, tiles %lld ns, draws %lld ns; quickest tile: busy "
			"%lld ns, empty %lld ns; median: busy %lld ns, empty %lld ns\n", frame,
			(long long)pass_ns, (long long)tiles_sum, (long long)draws_sum,
			(long long)left[0], (long long)right[0], (long long)left[n_left / 2],
			(long long)right[n_right / 2]);
		shown = frame > 0 && left[0] > 2 * right[0];
	}
	assert_true(shown);

	// Fewer slots than tiles (or none, to ask for the count): the count is the grid's.
	assert_int_equal(mosaic_render_timer_get_tile_times(timer, tiles, 1, NULL), n);
	assert_int_equal(mosaic_render_timer_get_tile_times(timer, NULL, 0, NULL), n);
	assert_int_equal(mosaic_render_timer_get_draw_times(timer, NULL, 0, NULL), LAYERS);
	mosaic_render_timer_destroy(timer);
	mosaic_texture_destroy(texture);
	test_image_finish(&target);
	mosaic_renderer_destroy(r);
	assert_int_equal(test_log.validation, 0);
	assert_int_equal(test_log.errors, 0);
}

static void test_graphics(void **state)
{
	(void)state;
	check_path("graphics", MOSAIC_DRAW_TIMES_GPU);
}

static void test_compute(void **state)
{
	(void)state;
	check_path("compute", MOSAIC_DRAW_TIMES_GPU_ESTIMATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_graphics),
		cmocka_unit_test(test_compute),
		cmocka_unit_test(test_tile_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
