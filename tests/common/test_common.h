#ifndef MOSAIC_TEST_COMMON_H
#define MOSAIC_TEST_COMMON_H

/**
 * Helpers shared by the test programs (static library tests_common, meson
 * dependency tests_common_dep). They use the public API only, so a test
 * built on them checks what a compositor would see.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <mosaic/mosaic.h>

/** The exit status meson reports as SKIP. */
#define TEST_EXIT_SKIP 77

/**
 * Prints one line "SKIP: <what is missing>" to stdout and exits with
 * TEST_EXIT_SKIP. Use it when the machine lacks a capability, never to hide
 * a failure.
 */
noreturn void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** An image of straight (not premultiplied) 8-bit RGBA, rows packed, R first in memory. */
struct test_image {
	int width, height;
	/** width * height * 4 bytes, owned by the image. */
	uint8_t *data;
};

/** Allocates a zeroed (transparent black) image. False on invalid size or out of memory. */
bool test_image_init(struct test_image *image, int width, int height);

/** Frees the pixels and zeroes the struct. Accepts an already finished image. */
void test_image_finish(struct test_image *image);

/** The 4 bytes of pixel (x, y); no bounds check. */
static inline uint8_t *test_image_pixel(const struct test_image *image, int x, int y)
{
	return image->data + ((size_t)y * (size_t)image->width + (size_t)x) * 4;
}

/**
 * Converts `width` x `height` pixels of a known format (premultiplied, as
 * the API stores them) into `image` (initialized here): channels widened or
 * narrowed to 8 bits with rounding, alpha 255 for formats without alpha,
 * then un-premultiplied. False for an unknown format.
 */
bool test_image_from_pixels(struct test_image *image, int width, int height, uint32_t fourcc,
	uint32_t stride, const void *data);

/**
 * The reverse: premultiplies `image` (by the alpha the format can store) and
 * packs it into `data` (`stride` bytes per row) in `fourcc`, with
 * mosaic-render's pixels_pack(). False for an unknown format.
 */
bool test_image_to_pixels(const struct test_image *image, uint32_t fourcc, uint32_t stride,
	void *data);

/**
 * Reads a rendered buffer into `image` (initialized here). Buffers with CPU
 * access are read directly; others are imported as a texture of `renderer`
 * (may be NULL when the buffer has CPU access) and read back. The pass that
 * drew into the buffer must be complete (mosaic_renderer_wait_point()).
 */
bool test_image_read_buffer(struct test_image *image, struct mosaic_buffer *buffer,
	struct mosaic_renderer *renderer);

/** Reads a whole texture into `image` (initialized here) with mosaic_texture_read_pixels(). */
bool test_image_read_texture(struct test_image *image, struct mosaic_texture *texture);

/** What test_image_compare() found. */
struct test_image_diff {
	/** Largest per-channel difference over all pixels, 0..255. */
	int max_diff;
	/** Pixels with a channel differing by more than the tolerance. */
	size_t n_bad;
	/** Pixels differing at all. */
	size_t n_different;
	/** The first pixel over the tolerance (row-major order), or -1, -1. */
	int first_x, first_y;
};

/**
 * Compares two images of the same size channel by channel. Color channels
 * are compared premultiplied by alpha (what the image shows over black), so
 * that rounding in nearly transparent pixels, which un-premultiplying
 * magnifies, does not count; alpha is compared as is. Returns true when no
 * channel differs by more than `tolerance` (in 1/255 steps). `diff` may be
 * NULL. Images of different sizes never match (max_diff 255, every pixel bad).
 */
bool test_image_compare(const struct test_image *expected, const struct test_image *actual,
	int tolerance, struct test_image_diff *diff);

/**
 * Makes an image that shows where two images differ: pixels over the
 * tolerance in red (brighter for larger differences), differences within it
 * in yellow, equal pixels as a dimmed grey copy of `expected`. `out` is
 * initialized here.
 */
bool test_image_make_diff(struct test_image *out, const struct test_image *expected,
	const struct test_image *actual, int tolerance);

/** Writes `image` as an 8-bit RGBA PNG. False (with a message on stderr) on failure. */
bool test_png_write(const char *path, const struct test_image *image);

/**
 * Fills `buf` with the directory where test `name` writes its files:
 * $MOSAIC_BUILD_ROOT/test-output/<name>, or ./test-output/<name> when the
 * variable is unset, and creates it. False when it cannot be created.
 */
bool test_output_dir(const char *name, char *buf, size_t size);

/**
 * On a failed comparison: writes <label>-expected.png, <label>-actual.png
 * and <label>-diff.png into test_output_dir(test_name) and prints one line
 * per file naming it. Returns false when a file could not be written.
 */
bool test_save_mismatch(const char *test_name, const char *label,
	const struct test_image *expected, const struct test_image *actual, int tolerance);

/** One backend and whether it can be tested on this machine. */
struct test_backend {
	enum mosaic_backend backend;
	/** "pixman", "vulkan", "gles". */
	const char *name;
	/** Compiled in (mosaic_backend_is_built()). */
	bool built;
	/** A renderer, owned by the list, when the backend started; NULL otherwise. */
	struct mosaic_renderer *renderer;
	/** Why it cannot be tested ("not built", or the renderer's error), or "". */
	char reason[256];
};

#define TEST_MAX_BACKENDS 3

/**
 * Tries every backend (pixman, vulkan, gles): each one that was built is
 * created with an explicit request. Fills `list` with all three, in that
 * order, and returns how many have a renderer. When `print` is true, prints
 * one line per backend ("backend vulkan: available (llvmpipe)", "backend
 * gles: skipped: <reason>"), so a backend that is built but cannot start is
 * visible in the test log and not silently left out. While probing, library
 * errors are collected into `reason`; the default log handler is restored
 * afterwards. Honors MOSAIC_TEST_BACKENDS=name,name to restrict the list.
 */
size_t test_backends_probe(struct test_backend list[static TEST_MAX_BACKENDS], bool print);

/** Destroys the renderers of the list (their textures must be gone). */
void test_backends_finish(struct test_backend list[static TEST_MAX_BACKENDS]);

/**
 * Allocates a zeroed shm output buffer (see mosaic_shm_allocator_create()).
 * The caller drops it with mosaic_buffer_drop(). NULL on failure.
 */
struct mosaic_buffer *test_buffer_create(int width, int height, uint32_t fourcc);

#endif
