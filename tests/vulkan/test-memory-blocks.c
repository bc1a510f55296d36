/*
 * Small images share memory blocks: many small textures cost one memory
 * allocation, each keeps its own pixels (nothing overlaps), freed ranges
 * are reused, and a large texture still gets memory of its own. Counted
 * with mosaic_vulkan_renderer_get_create_count().
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

/* Small, and medium: a few fit a block. */
enum { N = 64, S = 16, M = 200 };

static struct mosaic_texture *make(struct mosaic_renderer *r, uint32_t *pixels, uint32_t seed,
	int size)
{
	test_pattern(pixels, size, size, seed);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, size,
		size, DRM_FORMAT_ARGB8888, (uint32_t)size * 4, pixels);
	assert_non_null(tex);
	return tex;
}

static void check(struct mosaic_texture *tex, const uint32_t *pixels, int size)
{
	uint32_t *out = malloc((size_t)size * (size_t)size * 4);
	assert_true(test_read_texture(tex, out));
	assert_memory_equal(out, pixels, (size_t)size * (size_t)size * 4);
	free(out);
}

/* Lets the GPU finish, so that destroyed textures give their memory back. */
static void finish_gpu(struct mosaic_renderer *r)
{
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, 8, 8, DRM_FORMAT_ARGB8888);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	mosaic_buffer_drop(target);
}

static void test_small_images_share_blocks(void **state)
{
	struct mosaic_renderer *r = *state;
	static uint32_t pixels[N][S * S];
	struct mosaic_texture *tex[N];
	uint64_t before = mosaic_vulkan_renderer_get_create_count(r);
	for (int i = 0; i < N; i++) {
		tex[i] = make(r, pixels[i], (uint32_t)i, S);
	}
	// Per texture an image, a view and a descriptor set; besides, one descriptor
	// pool, and one memory block for all of them.
	uint64_t made = mosaic_vulkan_renderer_get_create_count(r) - before;
	printf("%d textures of %dx%d: %llu Vulkan objects\n", N, S, S,
		(unsigned long long)made);
	assert_int_equal(made, 3 * N + 2);
	for (int i = 0; i < N; i++) {
		check(tex[i], pixels[i], S);
	}

	// Every other one goes; new ones take their place.
	for (int i = 0; i < N; i += 2) {
		mosaic_texture_destroy(tex[i]);
	}
	finish_gpu(r);
	before = mosaic_vulkan_renderer_get_create_count(r);
	for (int i = 0; i < N; i += 2) {
		tex[i] = make(r, pixels[i], 1000 + (uint32_t)i, S);
	}
	assert_int_equal(mosaic_vulkan_renderer_get_create_count(r) - before, 3 * (N / 2));
	for (int i = 0; i < N; i++) {
		check(tex[i], pixels[i], S);
	}
	for (int i = 0; i < N; i++) {
		mosaic_texture_destroy(tex[i]);
	}
	finish_gpu(r);
}

/*
 * Makes images of M x M pixels until one needs a new block; returns its
 * index (the ones before it share the first block).
 */
static int fill_block(struct mosaic_renderer *r, struct mosaic_texture **tex, uint32_t *pixels,
	int max)
{
	for (int i = 0; i < max; i++) {
		uint64_t before = mosaic_vulkan_renderer_get_create_count(r);
		tex[i] = make(r, pixels, (uint32_t)i, M);
		// Image, view and set, and a memory block when the last one is full.
		uint64_t made = mosaic_vulkan_renderer_get_create_count(r) - before;
		if (made == 4) {
			return i;
		}
		assert_int_equal(made, 3);
	}
	fail_msg("%d images of %dx%d fit one block", max, M, M);
	return -1;
}

static void test_freed_ranges_reused(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { MAX = 64 };
	static uint32_t pixels[M * M];
	struct mosaic_texture *tex[MAX + 1] = {0};
	// The first one also made the descriptor pool: count from the second block on.
	struct mosaic_texture *first = make(r, pixels, 99, M);
	int fit = fill_block(r, tex, pixels, MAX);
	printf("%d images of %dx%d per block\n", fit + 1, M, M);
	assert_true(fit > 2);
	// tex[fit] is alone in the second block: when it goes, so does the block.
	mosaic_texture_destroy(tex[fit]);
	mosaic_texture_destroy(tex[fit / 2]);
	finish_gpu(r);
	uint64_t before = mosaic_vulkan_renderer_get_create_count(r);
	tex[fit / 2] = make(r, pixels, 500, M);
	assert_int_equal(mosaic_vulkan_renderer_get_create_count(r) - before, 3);
	check(tex[fit / 2], pixels, M);
	// The first block is full again: the next one needs a new block.
	before = mosaic_vulkan_renderer_get_create_count(r);
	tex[fit] = make(r, pixels, 501, M);
	assert_int_equal(mosaic_vulkan_renderer_get_create_count(r) - before, 4);
	for (int i = 0; i <= fit; i++) {
		mosaic_texture_destroy(tex[i]);
	}
	mosaic_texture_destroy(first);
	finish_gpu(r);
}

static void test_large_images_alone(void **state)
{
	struct mosaic_renderer *r = *state;
	static uint32_t pixels[512 * 512];
	struct mosaic_texture *warm = make(r, pixels, 1, S);
	uint64_t before = mosaic_vulkan_renderer_get_create_count(r);
	struct mosaic_texture *large = make(r, pixels, 7, 512);
	// Image, memory of its own, view and set.
	assert_int_equal(mosaic_vulkan_renderer_get_create_count(r) - before, 4);
	mosaic_texture_destroy(large);
	mosaic_texture_destroy(warm);
}
int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_small_images_share_blocks, test_setup,
			test_teardown),
		cmocka_unit_test_setup_teardown(test_freed_ranges_reused, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_large_images_alone, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
