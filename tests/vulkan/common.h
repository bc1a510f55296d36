#ifndef MOSAIC_TEST_VULKAN_COMMON_H
#define MOSAIC_TEST_VULKAN_COMMON_H

/*
 * Helpers of the Vulkan tests: a log handler that counts validation
 * messages, CPU targets, and pixel comparison with the pixman reference.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosaic/mosaic.h>
#include <mosaic/vulkan.h>

struct test_log {
	/* Validation-layer messages (warnings and errors). */
	int validation;
	/* ERROR lines of the library (from any source). */
	int errors;
	bool no_validation_layer;
	int staging_grows;
	int staging_wraps;
	int staging_shrinks;
	/* Host buffers made non-coherent (MOSAIC_VK_DEBUG_NONCOHERENT=1). */
	int noncoherent_buffers;
	/* When set, ERROR lines are expected and not printed. */
	bool quiet_errors;
	/* YUV formats the renderer said it reconstructs with nearest chroma ("YUYV "). */
	char nearest_chroma[128];
	/* The renderer said it obeys MOSAIC_VK_FAIL_SUBMIT. */
	bool fail_submit_switch;
	/* INFO lines saying that dmabufs are copied by the CPU. */
	int cpu_copy_notes;
};

extern struct test_log test_log;

/* cmocka fixtures: a fresh Vulkan renderer per test; teardown fails on validation messages. */
int test_setup(void **state);
int test_teardown(void **state);

/* Installs the counting log handler and resets the counters. */
void test_log_reset(void);

/* A Vulkan renderer, or exit(77) with one line when the machine has none. */
struct mosaic_renderer *test_vulkan_renderer(void);

/*
 * The same with MOSAIC_VK_PATH set to `path` ("graphics" or "compute") while
 * it is made; NULL (and no renderer left) where the device takes another path.
 */
struct mosaic_renderer *test_vulkan_renderer_on_path(const char *path);

/* A CPU buffer of malloc'd memory (cleared to `fill`), owned by the returned struct. */
struct test_image {
	struct mosaic_buffer *buffer;
	void *data;
	int width, height;
	uint32_t fourcc, stride;
};

void test_image_init(struct test_image *image, int width, int height, uint32_t fourcc,
	uint32_t fill);
void test_image_finish(struct test_image *image);

/* Deterministic premultiplied ARGB8888 pixels, some translucent. */
void test_pattern(uint32_t *pixels, int width, int height, uint32_t seed);

/*
 * Compares two images of the same size after converting both to ARGB8888;
 * alpha is ignored for formats without alpha. Returns the largest channel
 * difference and prints the first mismatching pixel above `tolerance`.
 */
int test_compare(const struct test_image *a, const struct test_image *b, int tolerance,
	const char *what);

/*
 * Fills the four quadrants of a `w` x `h` target (opaque red, green, blue,
 * and translucent grey, replacing what was there) in one pass, and waits
 * for it. Returns the pass's completion point.
 */
uint64_t test_draw_quadrants(struct mosaic_renderer *renderer, struct mosaic_buffer *target,
	int w, int h);

/* Asserts that ARGB8888 `pixels` (tight rows) hold those quadrants, within one step. */
void test_check_quadrants(const uint32_t *pixels, int w, int h);

/* Reads a whole texture as ARGB8888 into `out` (width * height pixels). */
bool test_read_texture(struct mosaic_texture *texture, uint32_t *out);

/* Bytes handed out by malloc in every arena of the process. */
long test_heap_in_use(void);

/* CLOCK_MONOTONIC in nanoseconds, for timings the tests print. */
int64_t test_now_ns(void);

/* Sorts `n` values ascending (for medians of timings). */
void test_sort_i64(int64_t *values, size_t n);

/* Resident memory of the process in KiB. */
long test_rss_kib(void);

#endif
