/*
 * Per-draw GPU times (mosaic_render_timer_options.per_draw): one time per
 * draw, in order, GPU timestamps on the graphics path and an estimate on the
 * compute path; draws done as transfers are measured too; a pass with more
 * draws than the frame's timestamp pool reports them as not measured and
 * the next pass measures them; a timer without per_draw reports nothing.
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
	mosaic_render_timer_destroy(timer);

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
