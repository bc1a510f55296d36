/*
 * Pixel tests of the pixman backend. Every expected value is worked out in
 * the tests from the conventions of the API (transform rules, premultiplied
 * OVER, bilinear weights), never taken from the renderer's own output. One
 * binary: this file holds the fixtures and helpers (test-pixman.h) and runs
 * the tests of test-pixman-*.c.
 */
#include <stdlib.h>

#include <drm_fourcc.h>

#include "test-pixman.h"

struct log_capture cap;
struct mosaic_renderer *renderer;

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

struct output output_create(int width, int height, uint32_t fourcc, uint32_t fill)
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

void output_destroy(struct output *o)
{
	mosaic_buffer_drop(o->buffer);
	free(o->pixels);
}

uint32_t at(const struct output *o, int x, int y)
{
	return o->pixels[y * o->width + x];
}

struct mosaic_texture *texture_argb(int width, int height, const uint32_t *px)
{
	struct mosaic_texture *t = mosaic_texture_from_pixels(renderer, width, height,
		DRM_FORMAT_ARGB8888, (uint32_t)width * 4, px);
	assert_non_null(t);
	return t;
}

void draw(struct output *o, const struct mosaic_texture_options *opts)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o->buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, opts));
	assert_true(mosaic_pass_submit(pass, NULL));
}

void draw_rect(struct output *o, const struct mosaic_rect_options *opts)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o->buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, opts));
	assert_true(mosaic_pass_submit(pass, NULL));
}

void read_argb(struct mosaic_texture *tex, const struct mosaic_box *box, uint32_t *out)
{
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = (uint32_t)box->width * 4,
		.data = out,
		.src_box = *box,
	}));
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
