/*
 * The GLES backend on whatever EGL gives (llvmpipe through the surfaceless
 * platform on CI): start-up, context hygiene, uploads, reads, and pixel
 * comparisons of small scenes with the pixman reference. One binary: the
 * tests are in test_gles_*.c (see test_gles.h); this file runs them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <mosaic/mosaic.h>

#include "test_gles.h"

struct mosaic_renderer *gl;
struct mosaic_renderer *ref;

int main(void)
{
	gles_test_log_init();
	gl = gles_test_renderer();
	ref = mosaic_pixman_renderer_create();
	scene_pixels_init();

	const struct CMUnitTest tests[] = {
		GLES_TEST(test_features),
		GLES_TEST(test_context_restore),
		GLES_TEST(test_context_threads),
		GLES_TEST(test_upload_read),
		GLES_TEST(test_rects),
		GLES_TEST(test_textures),
		GLES_TEST(test_fractional),
		GLES_TEST(test_many),
		GLES_TEST(test_many_quads),
		GLES_TEST(test_many_commands),
		GLES_TEST(test_completion_timer),
		GLES_TEST(test_device_platform),
		GLES_TEST(test_shared_display),
		GLES_TEST(test_renderer_before_buffers),
		GLES_TEST(test_dmabuf_features),
		GLES_TEST(test_yuv_dmabuf),
		GLES_TEST(test_gpu_allocator),
	};
	int failed = cmocka_run_group_tests_name("gles", tests, NULL, NULL);

	mosaic_renderer_destroy(ref);
	mosaic_renderer_destroy(gl);
	scene_pixels_finish();
	return failed;
}
