/*
 * Checks the shared test helpers themselves: the conversions every pixel
 * test relies on must be right before any backend is judged with them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "test_common.h"

static void set_pixel(struct test_image *image, int x, int y, uint8_t r, uint8_t g, uint8_t b,
	uint8_t a)
{
	uint8_t *p = test_image_pixel(image, x, y);
	p[0] = r;
	p[1] = g;
	p[2] = b;
	p[3] = a;
}

static void test_decode_known_words(void **state)
{
	// ARGB8888 word 0x80402000: premultiplied (r .25, g .125, b 0) at alpha .5.
	uint32_t argb = 0x80402000;
	struct test_image image;
	assert_true(test_image_from_pixels(&image, 1, 1, DRM_FORMAT_ARGB8888, 4, &argb));
	const uint8_t *p = test_image_pixel(&image, 0, 0);
	assert_int_equal(p[0], 0x80); // 0x40 / (0x80 / 255) = 127.5 -> 128 after rounding
	assert_int_equal(p[1], 0x40);
	assert_int_equal(p[2], 0);
	assert_int_equal(p[3], 0x80);
	test_image_finish(&image);

	// XBGR8888 ignores the top byte: always opaque, R in the low byte.
	uint32_t xbgr = 0x00112233;
	assert_true(test_image_from_pixels(&image, 1, 1, DRM_FORMAT_XBGR8888, 4, &xbgr));
	p = test_image_pixel(&image, 0, 0);
	assert_int_equal(p[0], 0x33);
	assert_int_equal(p[1], 0x22);
	assert_int_equal(p[2], 0x11);
	assert_int_equal(p[3], 255);
	test_image_finish(&image);

	// RGB565 pure green (0x07e0) and pure red (0xf800).
	uint16_t rgb565[2] = { 0x07e0, 0xf800 };
	assert_true(test_image_from_pixels(&image, 2, 1, DRM_FORMAT_RGB565, 4, rgb565));
	p = test_image_pixel(&image, 0, 0);
	assert_memory_equal(p, ((uint8_t[]){ 0, 255, 0, 255 }), 4);
	p = test_image_pixel(&image, 1, 0);
	assert_memory_equal(p, ((uint8_t[]){ 255, 0, 0, 255 }), 4);
	test_image_finish(&image);

	// ARGB2101010: alpha 2/3 (0b10), blue 1023 * 2/3 = 682 premultiplied -> straight 255.
	uint32_t a2 = (2u << 30) | 682u;
	assert_true(test_image_from_pixels(&image, 1, 1, DRM_FORMAT_ARGB2101010, 4, &a2));
	p = test_image_pixel(&image, 0, 0);
	assert_int_equal(p[2], 255);
	assert_int_equal(p[3], 170);
	test_image_finish(&image);
}

static void test_round_trip(void **state)
{
	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	for (size_t i = 0; i < n; i++) {
		if (all[i].is_yuv) {
			// No CPU pixel layout: YUV comes as dmabuf planes.
			continue;
		}
		// Opaque colors that every format, 565 included, stores exactly.
		struct test_image in, out;
		assert_true(test_image_init(&in, 3, 2));
		set_pixel(&in, 0, 0, 255, 0, 0, 255);
		set_pixel(&in, 1, 0, 0, 255, 0, 255);
		set_pixel(&in, 2, 0, 0, 0, 255, 255);
		set_pixel(&in, 0, 1, 255, 255, 255, 255);
		set_pixel(&in, 1, 1, 0, 0, 0, 255);
		set_pixel(&in, 2, 1, 255, 0, 255, 255);
		uint8_t pixels[2 * 16];
		assert_true(test_image_to_pixels(&in, all[i].fourcc, 16, pixels));
		assert_true(test_image_from_pixels(&out, 3, 2, all[i].fourcc, 16, pixels));
		struct test_image_diff diff;
		if (!test_image_compare(&in, &out, 0, &diff)) {
			fail_msg("%s: round trip differs by %d", all[i].name, diff.max_diff);
		}
		test_image_finish(&in);
		test_image_finish(&out);
	}
}

static void test_compare_counts(void **state)
{
	struct test_image a, b;
	assert_true(test_image_init(&a, 4, 4));
	assert_true(test_image_init(&b, 4, 4));
	for (int y = 0; y < 4; y++) {
		for (int x = 0; x < 4; x++) {
			set_pixel(&a, x, y, 100, 100, 100, 255);
			set_pixel(&b, x, y, 100, 100, 100, 255);
		}
	}
	set_pixel(&b, 1, 2, 102, 100, 100, 255); // within 2
	set_pixel(&b, 3, 3, 100, 90, 100, 255);  // off by 10
	// Nearly transparent: straight values differ a lot, what shows does not.
	set_pixel(&a, 0, 0, 0, 0, 0, 1);
	set_pixel(&b, 0, 0, 200, 0, 0, 1);

	struct test_image_diff diff;
	assert_false(test_image_compare(&a, &b, 2, &diff));
	assert_int_equal(diff.max_diff, 10);
	assert_int_equal(diff.n_bad, 1);
	assert_int_equal(diff.n_different, 3);
	assert_int_equal(diff.first_x, 3);
	assert_int_equal(diff.first_y, 3);
	assert_true(test_image_compare(&a, &b, 10, &diff));

	struct test_image d;
	assert_true(test_image_make_diff(&d, &a, &b, 2));
	assert_true(test_image_pixel(&d, 3, 3)[0] >= 128);
	assert_int_equal(test_image_pixel(&d, 3, 3)[1], 0);
	test_image_finish(&d);
	test_image_finish(&a);
	test_image_finish(&b);
}

static void test_read_back_through_pixman(void **state)
{
	struct mosaic_renderer *renderer = mosaic_renderer_create(
		&(struct mosaic_renderer_options){ .backend = MOSAIC_BACKEND_PIXMAN });
	assert_non_null(renderer);
	struct mosaic_buffer *buffer = test_buffer_create(8, 4, DRM_FORMAT_ARGB8888);
	assert_non_null(buffer);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, buffer, NULL);
	assert_non_null(pass);
	// Half-transparent pure blue, premultiplied.
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 2, 1, 4, 2 },
		.color = { 0, 0, 0.5f, 0.5f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(renderer, done.point, -1));

	struct test_image image;
	assert_true(test_image_read_buffer(&image, buffer, renderer));
	assert_memory_equal(test_image_pixel(&image, 0, 0), ((uint8_t[]){ 0, 0, 0, 0 }), 4);
	const uint8_t *p = test_image_pixel(&image, 3, 2);
	assert_int_equal(p[2], 255);
	assert_in_range(p[3], 127, 128);

	struct mosaic_texture *texture = mosaic_texture_from_buffer(renderer, buffer);
	assert_non_null(texture);
	struct test_image from_texture;
	assert_true(test_image_read_texture(&from_texture, texture));
	assert_true(test_image_compare(&image, &from_texture, 0, NULL));
	test_image_finish(&from_texture);
	mosaic_texture_destroy(texture);

	test_image_finish(&image);
	mosaic_buffer_drop(buffer);
	mosaic_renderer_destroy(renderer);
}

static void test_backend_list(void **state)
{
	struct test_backend list[TEST_MAX_BACKENDS];
	size_t n = test_backends_probe(list, true);
	assert_true(n >= 1);
	assert_int_equal(list[0].backend, MOSAIC_BACKEND_PIXMAN);
	for (size_t i = 0; i < TEST_MAX_BACKENDS; i++) {
		// Every backend is either usable or says why not.
		assert_true(list[i].renderer != NULL || list[i].reason[0] != '\0');
	}
	test_backends_finish(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_known_words),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_compare_counts),
		cmocka_unit_test(test_read_back_through_pixman),
		cmocka_unit_test(test_backend_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
