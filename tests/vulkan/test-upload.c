/*
 * Uploads through the staging ring, checked pixel by pixel: damage of
 * several rectangles while the ring grows, and many partial updates with
 * readbacks of sub-boxes, and reads that convert rows of odd 16-bit
 * pixel counts. With MOSAIC_VK_DEBUG_NONCOHERENT=1 (a meson test
 * variant) every host buffer behaves as non-coherent memory, so that a
 * missing or short flush or invalidate shows as wrong pixels.
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

static bool noncoherent_mode(void)
{
	const char *env = getenv("MOSAIC_VK_DEBUG_NONCOHERENT");
	return env != NULL && env[0] == '1';
}

/* In the non-coherent variant, the renderer's buffers (the ring at least) must be made so. */
static void check_mode(void)
{
	if (noncoherent_mode()) {
		assert_true(test_log.noncoherent_buffers > 0);
	}
}

/* Copies `pattern` into `image` inside `damage` (the client drawing its next frame). */
static void paint(struct test_image *image, const uint32_t *pattern,
	const pixman_region32_t *damage)
{
	for (int y = 0; y < image->height; y++) {
		uint32_t *row = (uint32_t *)(void *)((uint8_t *)image->data +
			(size_t)y * image->stride);
		for (int x = 0; x < image->width; x++) {
			if (pixman_region32_contains_point(damage, x, y, NULL)) {
				row[x] = pattern[y * image->width + x];
			}
		}
	}
}

/* The number of pixels of `out` that differ from `image`'s pixels. */
static long count_wrong(const struct test_image *image, const uint32_t *out)
{
	long wrong = 0;
	for (int y = 0; y < image->height; y++) {
		const uint32_t *row = (const uint32_t *)(const void *)((const uint8_t *)image->data +
			(size_t)y * image->stride);
		for (int x = 0; x < image->width; x++) {
			if (out[y * image->width + x] != row[x]) {
				if (wrong == 0) {
					fprintf(stderr, "pixel %d,%d: %08x, expected %08x\n", x, y,
						out[y * image->width + x], row[x]);
				}
				wrong++;
			}
		}
	}
	return wrong;
}

/*
 * A texture of 3 MiB fills three quarters of the fresh 4 MiB ring; an update
 * of two rectangles follows in the same frame: the first (320x320, 400 KiB)
 * would fit in what is left, the second (1024x400) does not, so the ring
 * grows. Every copy must read from the buffer its bytes were written to.
 */
static void test_upload_grows(void **state)
{
	struct mosaic_renderer *r = *state;
	check_mode();
	enum { W = 1024, H = 768 };
	struct test_image image;
	test_image_init(&image, W, H, DRM_FORMAT_ARGB8888, 0);
	uint32_t *pattern = malloc((size_t)W * H * 4), *out = malloc((size_t)W * H * 4);
	pixman_region32_t all;
	pixman_region32_init_rect(&all, 0, 0, W, H);
	test_pattern(pattern, W, H, 1);
	paint(&image, pattern, &all);
	pixman_region32_fini(&all);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, image.buffer);
	assert_non_null(tex);
	assert_int_equal(test_log.staging_grows, 0);

	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 0, 320, 320);
	pixman_region32_union_rect(&damage, &damage, 0, 368, W, 400);
	assert_int_equal(pixman_region32_n_rects(&damage), 2);
	test_pattern(pattern, W, H, 2);
	paint(&image, pattern, &damage);
	assert_true(mosaic_texture_update_from_buffer(tex, image.buffer, &damage));
	assert_int_equal(test_log.staging_grows, 1);
	pixman_region32_fini(&damage);

	assert_true(test_read_texture(tex, out));
	assert_int_equal(count_wrong(&image, out), 0);

	mosaic_texture_destroy(tex);
	test_image_finish(&image);
	free(pattern);
	free(out);
}

/*
 * 60 frames of one to four rectangles each, some frames with two updates
 * before the read, read back in full or as a small sub-box at an odd
 * position (an invalidate of part of the readback buffer).
 */
static void test_partial_updates(void **state)
{
	struct mosaic_renderer *r = *state;
	check_mode();
	enum { W = 509, H = 331 };
	struct test_image image;
	test_image_init(&image, W, H, DRM_FORMAT_ARGB8888, 0xff102030);
	uint32_t *pattern = malloc((size_t)W * H * 4), *out = malloc((size_t)W * H * 4);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, image.buffer);
	assert_non_null(tex);
	uint32_t s = 12345;
	for (int frame = 0; frame < 60; frame++) {
		int updates = frame % 3 == 0 ? 2 : 1;
		for (int u = 0; u < updates; u++) {
			pixman_region32_t damage;
			pixman_region32_init(&damage);
			int n = 1 + frame % 4;
			for (int i = 0; i < n; i++) {
				s = s * 1664525u + 1013904223u;
				int x = (int)((s >> 8) % W), y = (int)((s >> 16) % H);
				int w = 1 + (int)((s >> 4) % (uint32_t)(W - x));
				int h = 1 + (int)((s >> 20) % (uint32_t)(H - y));
				pixman_region32_union_rect(&damage, &damage, x, y, (unsigned)w,
					(unsigned)h);
			}
			test_pattern(pattern, W, H, (uint32_t)(100 + frame * 2 + u));
			paint(&image, pattern, &damage);
			assert_true(mosaic_texture_update_from_buffer(tex, image.buffer, &damage));
			pixman_region32_fini(&damage);
		}
		if (frame % 2 == 0) {
			assert_true(test_read_texture(tex, out));
			assert_int_equal(count_wrong(&image, out), 0);
			continue;
		}
		struct mosaic_box box = { 3 + frame, 1 + frame * 2, 7 + frame % 5, 5 };
		assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
			.src_box = box,
			.fourcc = DRM_FORMAT_ARGB8888,
			.stride = (uint32_t)box.width * 4,
			.data = out,
		}));
		for (int y = 0; y < box.height; y++) {
			const uint32_t *row = (const uint32_t *)(const void *)((uint8_t *)image.data +
				(size_t)(box.y + y) * image.stride);
			assert_memory_equal(out + y * box.width, row + box.x, (size_t)box.width * 4);
		}
	}
	mosaic_texture_destroy(tex);
	test_image_finish(&image);
	free(pattern);
	free(out);
}

/* What `renderer` reads from a W x H texture of `fourcc` into rows of `out_fourcc`. */
static void read_converted(struct mosaic_renderer *renderer, int w, int h, uint32_t fourcc,
	uint32_t stride, const void *pixels, uint32_t out_fourcc, uint32_t out_stride, void *out)
{
	struct mosaic_texture *tex = mosaic_texture_from_pixels(renderer, w, h, fourcc, stride,
		pixels);
	assert_non_null(tex);
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = out_fourcc,
		.stride = out_stride,
		.data = out,
	}));
	mosaic_texture_destroy(tex);
}

/*
 * Reads that convert where rows are no whole number of 32-bit words (which
 * pixman cannot wrap): an RGB565 texture of odd width into XRGB8888, and
 * an XRGB8888 texture into RGB565 rows of an odd number of pixels. The
 * pixman renderer's reads are the reference.
 */
static void test_read_unaligned_rows(void **state)
{
	struct mosaic_renderer *r = *state;
	struct mosaic_renderer *ref = mosaic_pixman_renderer_create();
	assert_non_null(ref);
	enum { W = 21, H = 11 };
	uint32_t xrgb[W * H], got32[W * H], want32[W * H];
	uint16_t rgb565[W * H], got16[W * H], want16[W * H];
	test_pattern(xrgb, W, H, 5);
	for (int i = 0; i < W * H; i++) {
		rgb565[i] = (uint16_t)(xrgb[i] ^ (xrgb[i] >> 16));
	}
	read_converted(r, W, H, DRM_FORMAT_RGB565, W * 2, rgb565, DRM_FORMAT_XRGB8888, W * 4,
		got32);
	read_converted(ref, W, H, DRM_FORMAT_RGB565, W * 2, rgb565, DRM_FORMAT_XRGB8888, W * 4,
		want32);
	assert_memory_equal(got32, want32, sizeof(got32));
	read_converted(r, W, H, DRM_FORMAT_XRGB8888, W * 4, xrgb, DRM_FORMAT_RGB565, W * 2,
		got16);
	read_converted(ref, W, H, DRM_FORMAT_XRGB8888, W * 4, xrgb, DRM_FORMAT_RGB565, W * 2,
		want16);
	assert_memory_equal(got16, want16, sizeof(got16));
	mosaic_renderer_destroy(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upload_grows, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_partial_updates, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_read_unaligned_rows, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
