#ifndef MOSAIC_TESTS_GLES_TEST_GLES_H
#define MOSAIC_TESTS_GLES_TEST_GLES_H

/*
 * test-gles is one binary built from test_gles*.c; this header holds what
 * its files share: the renderers main() makes, the pixel helpers and the
 * tests, which main() runs in one table.
 */

#include <stddef.h>
#include <stdint.h>

#include <mosaic/mosaic.h>

#include "gles_common.h"

/* The GLES renderer under test and the pixman reference (test_gles.c). */
extern struct mosaic_renderer *gl;
extern struct mosaic_renderer *ref;

#define CHECK_GL() assert_int_equal(gles_test_gl_error(gl), GL_NO_ERROR)

/* test_gles_pixels.c: random pixels (one sequence for the binary) and comparisons. */
uint32_t rng(void);
/* Random premultiplied ARGB8888 pixels (some opaque, some transparent). */
void fill_premultiplied(uint32_t *pixels, size_t n);
/* Converts `w` x `h` pixels of `fourcc` into ARGB8888 (tight rows). */
uint32_t *to_argb(uint32_t fourcc, const void *data, uint32_t stride, int w, int h);
/* Counts pixels whose channels differ by more than `tol` (alpha ignored for X formats). */
int compare(uint32_t fourcc, const void *a, const void *b, uint32_t stride, int w, int h,
	int tol, const char *what);

/* test_gles_scenes.c: small scenes drawn by both renderers and compared. */
/* The pixels of the scenes' textures, made before the tests run; freed after. */
void scene_pixels_init(void);
void scene_pixels_finish(void);
void test_rects(void **state);
void test_textures(void **state);
void test_fractional(void **state);
void test_many(void **state);
void test_many_quads(void **state);
void test_many_commands(void **state);
void test_gpu_allocator(void **state);

/* test_gles_context.c: the renderer's EGL context, displays and threads. */
void test_features(void **state);
void test_context_restore(void **state);
void test_context_threads(void **state);
void test_device_platform(void **state);
void test_shared_display(void **state);
void test_renderer_before_buffers(void **state);

/* test_gles_upload_read.c: uploads, damage updates, reads and pass completion. */
void test_upload_read(void **state);
void test_completion_timer(void **state);

/* test_gles_dmabuf_formats.c: what is advertised for dmabufs, YUV formats included. */
void test_dmabuf_features(void **state);
void test_yuv_dmabuf(void **state);

#endif
