/*
 * The core's checks and normalization, seen from a backend: a recording
 * backend built on interface.h captures exactly what the hooks receive, so
 * the tests can tell "rejected with one log line", "dropped as empty" and
 * "passed on, normalized" apart. One binary: this file holds the tests of
 * rects, textures and passes and runs all; the backend and the texture
 * tests are in test-pass-validation-*.c (test-pass-validation.h).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "test-pass-validation.h"

void test_rect_clip(void **state)
{
	struct fixture *f = *state;
	// Clipped to the buffer.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { -10, 40, 30, 30 },
		.color = { 0.5f, 0.25f, 0, 1 },
	}));
	assert_int_equal(rec.n_rects, 1);
	assert_region(&rec.clip, &(struct mosaic_box){ 0, 40, 20, 10 }, 1);
	assert_float_equal(rec.rect.color.g, 0.25f, 0);

	// Clip region of several rectangles, partly outside the box and buffer.
	pixman_region32_t clip;
	pixman_region32_init(&clip);
	pixman_region32_union_rect(&clip, &clip, 0, 0, 15, 15);
	pixman_region32_union_rect(&clip, &clip, 30, 5, 10, 10);
	pixman_region32_union_rect(&clip, &clip, 90, 40, 50, 50);
	pixman_region32_union_rect(&clip, &clip, 60, 60, 5, 5);
	pixman_region32_t clip_before;
	pixman_region32_init(&clip_before);
	pixman_region32_copy(&clip_before, &clip);
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 10, 10, 85, 35 },
		.color = { 0, 0, 0, 1 },
		.clip = &clip,
	}));
	assert_int_equal(rec.n_rects, 2);
	const struct mosaic_box want[] = {
		{ 10, 10, 5, 5 }, { 30, 10, 10, 5 }, { 90, 40, 5, 5 },
	};
	assert_region(&rec.clip, want, 3);

	// Nothing left to draw: accepted and dropped, no hook call.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 50, 20, 5, 5 }, .color = { 0, 0, 0, 1 }, .clip = &clip,
	}));
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 100, 0, 5, 5 }, .color = { 0, 0, 0, 1 },
	}));
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { INT_MAX - 2, INT_MAX - 2, INT_MAX, INT_MAX }, .color = { 0, 0, 0, 1 },
	}));
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 0, 5 }, .color = { 0, 0, 0, 1 },
	}));
	// Transparent OVER changes nothing; transparent SRC clears.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 0 },
	}));
	assert_int_equal(rec.n_rects, 2);
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 0 }, .blend = MOSAIC_BLEND_NONE,
	}));
	assert_int_equal(rec.n_rects, 3);
	assert_int_equal(rec.rect.blend, MOSAIC_BLEND_NONE);

	// A huge box starting left of the buffer.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { INT_MIN, INT_MIN, INT_MAX, INT_MAX }, .color = { 0, 0, 0, 1 },
	}));
	assert_int_equal(rec.n_rects, 3);
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { -5, -5, INT_MAX, INT_MAX }, .color = { 0, 0, 0, 1 },
	}));
	assert_int_equal(rec.n_rects, 4);
	assert_region(&rec.clip, &(struct mosaic_box){ 0, 0, 100, 50 }, 1);

	// The caller's clip is left alone.
	assert_true(pixman_region32_equal(&clip, &clip_before));
	pixman_region32_fini(&clip_before);
	pixman_region32_fini(&clip);
	assert_no_error(&cap);
}

void test_rect_rejects(void **state)
{
	struct fixture *f = *state;
	const struct { struct mosaic_rect_options o; const char *msg; } bad[] = {
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 1 }, .blend = 2 }, "blend" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 1 }, .blend = -1 }, "blend" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 1.5f } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { -0.1f, 0, 0, 1 } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { NAN, 0, 0, 1 } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, INFINITY } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0.6f, 0, 0, 0.5f } }, "premultiplied" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0.2f, 0 } }, "premultiplied" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 1, 0, 0.5f },
			.blend = MOSAIC_BLEND_NONE }, "premultiplied" },
		{ { .box = { 0, 0, -5, 5 }, .color = { 0, 0, 0, 1 } }, "negative" },
		{ { .box = { 0, 0, 5, INT_MIN }, .color = { 0, 0, 0, 1 } }, "negative" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mosaic_pass_add_rect(f->pass, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
	}
	assert_false(mosaic_pass_add_rect(f->pass, NULL));
	assert_one_error(&cap, "no pass or options");
	assert_false(mosaic_pass_add_rect(NULL, &bad[0].o));
	assert_one_error(&cap, "no pass or options");
	assert_int_equal(rec.n_rects, 0);
}

void test_texture_defaults(void **state)
{
	struct fixture *f = *state;
	// Whole texture at 0,0, alpha 1.
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture,
	}));
	assert_int_equal(rec.n_textures, 1);
	assert_float_equal(rec.texture.src_box.x, 0, 0);
	assert_float_equal(rec.texture.src_box.y, 0, 0);
	assert_float_equal(rec.texture.src_box.width, 20, 0);
	assert_float_equal(rec.texture.src_box.height, 10, 0);
	assert_memory_equal(&rec.texture.dst_box, &((struct mosaic_box){ 0, 0, 20, 10 }),
		sizeof(struct mosaic_box));
	assert_float_equal(rec.alpha, 1.0f, 0);
	assert_region(&rec.clip, &(struct mosaic_box){ 0, 0, 20, 10 }, 1);

	// The default destination is the transformed source size.
	for (int t = 0; t < 8; t++) {
		assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
			.texture = f->texture,
			.src_box = { 2, 1, 6.6, 3.2 },
			.transform = (enum mosaic_transform)t,
		}));
		int w = (t & 1) ? 3 : 7, h = (t & 1) ? 7 : 3;
		assert_memory_equal(&rec.texture.dst_box, &((struct mosaic_box){ 0, 0, w, h }),
			sizeof(struct mosaic_box));
		assert_int_equal(rec.texture.transform, t);
		assert_float_equal(rec.texture.src_box.width, 6.6, 0);
	}

	// Clip of several rectangles against the destination and the buffer.
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 10, 10);
	pixman_region32_union_rect(&clip, &clip, 95, 45, 10, 10);
	float alpha = 0.5f;
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture,
		.dst_box = { 5, 5, 200, 200 },
		.alpha = &alpha,
		.clip = &clip,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	const struct mosaic_box want[] = { { 5, 5, 5, 5 }, { 95, 45, 5, 5 } };
	assert_region(&rec.clip, want, 2);
	assert_float_equal(rec.alpha, 0.5f, 0);
	assert_int_equal(rec.texture.filter, MOSAIC_FILTER_NEAREST);
	assert_memory_equal(&rec.texture.dst_box, &((struct mosaic_box){ 5, 5, 200, 200 }),
		sizeof(struct mosaic_box));
	pixman_region32_fini(&clip);

	// Dropped: alpha 0 with OVER, outside the buffer, zero-width dst.
	int before = rec.n_textures;
	alpha = 0.0f;
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .alpha = &alpha,
	}));
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .dst_box = { 100, 0, 10, 10 },
	}));
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .dst_box = { 10, 0, 0, 10 },
	}));
	assert_int_equal(rec.n_textures, before);
	// alpha 0 with SRC clears, so it is drawn.
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .alpha = &alpha, .blend = MOSAIC_BLEND_NONE,
	}));
	assert_int_equal(rec.n_textures, before + 1);
	assert_float_equal(rec.alpha, 0.0f, 0);
	assert_no_error(&cap);
}

void test_texture_rejects(void **state)
{
	struct fixture *f = *state;
	struct mosaic_texture *t = f->texture;
	float a_neg = -0.1f, a_big = 1.1f, a_nan = NAN;
	const struct { struct mosaic_texture_options o; const char *msg; } bad[] = {
		{ { .texture = t, .transform = 8 }, "invalid transform 8" },
		{ { .texture = t, .transform = -1 }, "invalid transform -1" },
		{ { .texture = t, .filter = 2 }, "invalid filter" },
		{ { .texture = t, .blend = 5 }, "invalid blend" },
		{ { .texture = t, .alpha = &a_neg }, "alpha" },
		{ { .texture = t, .alpha = &a_big }, "alpha" },
		{ { .texture = t, .alpha = &a_nan }, "alpha" },
		{ { .texture = t, .src_box = { -1, 0, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, -0.5, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 16, 0, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 5, 5, 5.5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, 21, 10 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, -5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 1, 1, 0, 5 } }, "source box" },
		{ { .texture = t, .src_box = { NAN, 0, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, INFINITY, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, 5, 1e300 } }, "source box" },
		{ { .texture = t, .dst_box = { 0, 0, -5, 5 } }, "negative destination" },
		{ { .texture = t, .dst_box = { 0, 0, 5, -1 } }, "negative destination" },
		{ { .texture = t, .dst_box = { 0, 0, INT_MIN, INT_MIN } }, "negative destination" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mosaic_pass_add_texture(f->pass, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
	}
	assert_false(mosaic_pass_add_texture(f->pass, NULL));
	assert_one_error(&cap, "no pass, options or texture");
	assert_false(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){0}));
	assert_one_error(&cap, "no pass, options or texture");
	assert_false(mosaic_pass_add_texture(NULL, &bad[0].o));
	assert_one_error(&cap, "no pass, options or texture");

	// A texture of another renderer.
	struct mosaic_renderer *other = mosaic_pixman_renderer_create();
	uint32_t px = 0xffffffff;
	struct mosaic_texture *foreign = mosaic_texture_from_pixels(other, 1, 1,
		DRM_FORMAT_ARGB8888, 4, &px);
	assert_non_null(foreign);
	assert_false(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = foreign,
	}));
	assert_one_error(&cap, "another renderer");
	mosaic_texture_destroy(foreign);
	mosaic_renderer_destroy(other);
	assert_int_equal(rec.n_textures, 0);
}

void test_begin_submit(void **state)
{
	struct fixture *f = *state;
	struct mosaic_buffer *out = &f->output->base;
	// The open pass holds a lock on its buffer.
	assert_int_equal(out->n_locks, 1);
	struct mosaic_pass_completion done = { .point = 99, .sync_file_fd = 99 };
	assert_true(mosaic_pass_submit(f->pass, &done));
	f->pass = NULL;
	assert_int_equal(done.point, 1);
	assert_int_equal(done.sync_file_fd, -1);
	assert_false(rec.asked_sync_file);
	assert_int_equal(rec.buffer_locks_in_pass, 1);
	assert_int_equal(out->n_locks, 0);
	assert_int_equal(f->output->releases, 1);
	assert_int_equal(mosaic_renderer_get_completed_point(f->renderer), 1);

	// Points increase by one per submitted pass.
	for (uint64_t want = 2; want < 5; want++) {
		struct mosaic_pass *p = mosaic_renderer_begin_pass(f->renderer, out,
			&(struct mosaic_pass_options){ .signal_sync_file = true });
		assert_non_null(p);
		assert_true(mosaic_pass_submit(p, &done));
		assert_int_equal(done.point, want);
		assert_int_equal(rec.point, want);
		assert_true(rec.asked_sync_file);
		assert_int_equal(mosaic_renderer_get_completed_point(f->renderer), want);
		assert_true(mosaic_renderer_wait_point(f->renderer, want, 0));
	}
	// No completion wanted: no sync_file asked for either.
	struct mosaic_pass *p = mosaic_renderer_begin_pass(f->renderer, out,
		&(struct mosaic_pass_options){ .signal_sync_file = true });
	assert_true(mosaic_pass_submit(p, NULL));
	assert_false(rec.asked_sync_file);
	assert_no_error(&cap);

	assert_false(mosaic_pass_submit(NULL, &done));
	assert_one_error(&cap, "no pass");
	assert_int_equal(done.sync_file_fd, -1);

	// A timer of this renderer is accepted, one of another is not.
	struct mosaic_render_timer *timer = mosaic_render_timer_create(f->renderer);
	assert_non_null(timer);
	p = mosaic_renderer_begin_pass(f->renderer, out,
		&(struct mosaic_pass_options){ .timer = timer });
	assert_non_null(p);
	assert_true(mosaic_pass_submit(p, NULL));
	assert_int_equal(mosaic_render_timer_get_duration_ns(timer), 42);
	struct mosaic_renderer *other = fake_renderer_create();
	assert_null(mosaic_renderer_begin_pass(other, out,
		&(struct mosaic_pass_options){ .timer = timer }));
	assert_one_error(&cap, "another renderer");
	mosaic_renderer_destroy(other);
	mosaic_render_timer_destroy(timer);
	assert_int_equal(out->n_locks, 0);
}

/*
 * A backend names itself through its impl: one that is not built in is a
 * renderer like the others, and the core does not need to know it.
 */
void test_backend_identity(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(mosaic_renderer_get_name(f->renderer), "recording");
	assert_int_equal(mosaic_renderer_get_backend(f->renderer), MOSAIC_BACKEND_AUTO);
	// Until the backend names its device, the device name is the backend's.
	assert_string_equal(mosaic_renderer_get_device_name(f->renderer), "recording");
	assert_null(mosaic_renderer_get_name(NULL));
	assert_one_error(&cap, "no renderer");

	struct mosaic_renderer *pixman = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	assert_non_null(pixman);
	assert_int_equal(mosaic_renderer_get_backend(pixman), MOSAIC_BACKEND_PIXMAN);
	assert_string_equal(mosaic_renderer_get_name(pixman),
		mosaic_backend_name(MOSAIC_BACKEND_PIXMAN));
	mosaic_renderer_destroy(pixman);
	assert_no_error(&cap);
}

void test_begin_rejects(void **state)
{
	struct fixture *f = *state;
	assert_true(mosaic_pass_submit(f->pass, NULL));
	f->pass = NULL;
	int begins = rec.n_begin;

	struct mosaic_buffer *out = &f->output->base;
	assert_null(mosaic_renderer_begin_pass(NULL, out, NULL));
	assert_one_error(&cap, "no renderer or buffer");
	assert_null(mosaic_renderer_begin_pass(f->renderer, NULL, NULL));
	assert_one_error(&cap, "no renderer or buffer");
	assert_null(mosaic_renderer_begin_pass(f->renderer, out,
		&(struct mosaic_pass_options){ .n_wait_sync_files = 2 }));
	assert_one_error(&cap, "sync_files");

	const int sizes[][2] = { { 0, 10 }, { 10, 0 }, { -1, 10 },
		{ MOSAIC_MAX_IMAGE_SIZE + 1, 10 }, { 10, INT_MAX } };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct size_buffer *b = size_buffer_create(sizes[i][0], sizes[i][1]);
		assert_null(mosaic_renderer_begin_pass(f->renderer, &b->base, NULL));
		assert_one_error(&cap, "invalid buffer size");
		assert_null(mosaic_texture_from_buffer(f->renderer, &b->base));
		assert_one_error(&cap, "invalid buffer size");
		assert_int_equal(b->base.n_locks, 0);
		mosaic_buffer_drop(&b->base);
	}
	assert_int_equal(rec.n_begin, begins);
	assert_int_equal(out->n_locks, 0);

	assert_null(mosaic_texture_from_buffer(NULL, out));
	assert_one_error(&cap, "no renderer");
	assert_null(mosaic_texture_from_buffer(f->renderer, NULL));
	assert_one_error(&cap, "no buffer");
}

int main(void)
{
	pixman_region32_init(&rec.clip);
	pixman_region32_init(&rec.damage);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rect_clip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rect_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_texture_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_texture_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_submit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_texture_from_pixels_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_preamble, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_pixels_checks, setup, teardown),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	pixman_region32_fini(&rec.clip);
	pixman_region32_fini(&rec.damage);
	return ret;
}
