/*
 * test-gles: the renderer's EGL side: what it reports, the caller's context
 * kept across calls, a renderer moved between threads, the device platform,
 * two renderers on one EGL display, and a renderer destroyed before buffers.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <drm_fourcc.h>

#include <mosaic/gles.h>
#include <mosaic/mosaic.h>

#include "test_gles.h"

void test_features(void **state)
{
	assert_true(mosaic_renderer_is_gles(gl));
	assert_int_equal(mosaic_renderer_get_backend(gl), MOSAIC_BACKEND_GLES);
	const char *platform = mosaic_gles_renderer_get_egl_platform(gl);
	fprintf(stderr, "gles on %s (platform %s, features 0x%llx)\n",
		mosaic_renderer_get_device_name(gl), platform,
		(unsigned long long)mosaic_renderer_get_features(gl));
	const char *name = mosaic_renderer_get_device_name(gl);
	if (strstr(name, "llvmpipe") != NULL) {
		assert_true(mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE);
	}
	const struct mosaic_format_set *tex = mosaic_renderer_get_texture_formats(gl,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	const struct mosaic_format_set *rend = mosaic_renderer_get_render_formats(gl,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_true(mosaic_format_set_has(tex, DRM_FORMAT_ABGR8888, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_format_set_has(rend, DRM_FORMAT_ABGR8888, DRM_FORMAT_MOD_LINEAR));
	assert_false(mosaic_renderer_is_pixman(gl));
	CHECK_GL();
}

/* The caller's context (and no context) survives every call. */
void test_context_restore(void **state)
{
	EGLDisplay display = mosaic_gles_renderer_get_egl_display(gl);
	assert_true(eglBindAPI(EGL_OPENGL_ES_API));
	const EGLint attribs[] = { EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE };
	EGLContext mine = eglCreateContext(display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, attribs);
	assert_true(mine != EGL_NO_CONTEXT);
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, mine));

	uint32_t pixels[4 * 4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 4, 4, DRM_FORMAT_ARGB8888, 16,
		pixels);
	assert_non_null(tex);
	assert_true(eglGetCurrentContext() == mine);
	uint32_t out[4 * 4];
	struct mosaic_buffer *buffer = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16, out);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, buffer, NULL);
	assert_non_null(pass);
	assert_true(eglGetCurrentContext() == mine);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_true(eglGetCurrentContext() == mine);
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mine);
	mosaic_buffer_drop(buffer);

	// With nothing current, the renderer's context stays current after a call
	// (it is slow to make current on some drivers) until released.
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT));
	tex = mosaic_texture_from_pixels(gl, 4, 4, DRM_FORMAT_ARGB8888, 16, pixels);
	assert_true(eglGetCurrentContext() == mosaic_gles_renderer_get_egl_context(gl));
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mosaic_gles_renderer_get_egl_context(gl));
	mosaic_gles_renderer_release_context(gl);
	assert_true(eglGetCurrentContext() == EGL_NO_CONTEXT);
	// The compositor's context made current in between is still restored.
	tex = mosaic_texture_from_pixels(gl, 4, 4, DRM_FORMAT_ARGB8888, 16, pixels);
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, mine));
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mine);
	assert_true(eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT));
	eglDestroyContext(display, mine);
	CHECK_GL();
	mosaic_gles_renderer_release_context(gl);
}

static void *upload_on_thread(void *data)
{
	uint32_t pixels[4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 2, 2, DRM_FORMAT_ARGB8888, 8,
		pixels);
	bool made = tex != NULL;
	mosaic_texture_destroy(tex);
	// What the thread leaves current goes with it.
	mosaic_gles_renderer_release_context(gl);
	return made ? data : NULL;
}

/*
 * A renderer moved to another thread: released first, it works there; kept
 * current here, the other thread's call fails with one line saying why.
 */
void test_context_threads(void **state)
{
	uint32_t pixels[4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 2, 2, DRM_FORMAT_ARGB8888, 8,
		pixels);
	assert_non_null(tex);
	mosaic_texture_destroy(tex);
	assert_true(eglGetCurrentContext() == mosaic_gles_renderer_get_egl_context(gl));
	pthread_t thread;
	void *result;
	assert_int_equal(pthread_create(&thread, NULL, upload_on_thread, gl), 0);
	assert_int_equal(pthread_join(thread, &result), 0);
	assert_null(result);
	assert_int_equal(gles_test_log_errors, 1);
	assert_non_null(strstr(gles_test_last_error, "mosaic_gles_renderer_release_context"));
	gles_test_log_errors = 0;

	mosaic_gles_renderer_release_context(gl);
	assert_int_equal(pthread_create(&thread, NULL, upload_on_thread, gl), 0);
	assert_int_equal(pthread_join(thread, &result), 0);
	assert_non_null(result);
	assert_int_equal(gles_test_log_errors, 0);
}

/* A 1x1 texture of `r` read back: the renderer's context works. */
static void assert_renderer_works(struct mosaic_renderer *r)
{
	uint32_t px = 0xff336699, out = 0;
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_ARGB8888, 4,
		&px);
	assert_non_null(tex);
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 4, .data = &out,
	}));
	assert_int_equal(out, px);
	mosaic_texture_destroy(tex);
}

/* The device platform (forced) finds the same kind of device where it exists. */
void test_device_platform(void **state)
{
	setenv("MOSAIC_EGL_PLATFORM", "device", 1);
	struct mosaic_renderer *dev = mosaic_gles_renderer_create(-1);
	unsetenv("MOSAIC_EGL_PLATFORM");
	if (dev == NULL) {
		gles_test_log_errors = 0;
		skip();
	}
	assert_string_equal(mosaic_gles_renderer_get_egl_platform(dev), "device");
	assert_renderer_works(dev);
	mosaic_renderer_destroy(dev);
}

/*
 * Two renderers on the same EGL display (EGL keeps one per platform and
 * device): the one that goes first leaves the display to the other, in
 * either order of destruction, with no error line.
 */
void test_shared_display(void **state)
{
	const char *platform = mosaic_gles_renderer_get_egl_platform(gl);
	setenv("MOSAIC_EGL_PLATFORM", platform, 1);
	for (int order = 0; order < 2; order++) {
		struct mosaic_renderer *a = mosaic_gles_renderer_create(-1);
		struct mosaic_renderer *b = mosaic_gles_renderer_create(-1);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(mosaic_gles_renderer_get_egl_platform(b), platform);
		assert_renderer_works(a);
		assert_renderer_works(b);
		mosaic_renderer_destroy(order == 0 ? a : b);
		assert_renderer_works(order == 0 ? b : a);
		assert_renderer_works(gl);
		mosaic_renderer_destroy(order == 0 ? b : a);
		assert_renderer_works(gl);
	}
	unsetenv("MOSAIC_EGL_PLATFORM");
	assert_int_equal(gles_test_log_errors, 0);
}

/* A renderer may go before the buffers it cached state on. */
void test_renderer_before_buffers(void **state)
{
	struct mosaic_renderer *r = mosaic_gles_renderer_create(-1);
	assert_non_null(r);
	uint32_t pixels[8 * 8] = {0};
	struct mosaic_buffer *target = mosaic_buffer_from_data(8, 8, DRM_FORMAT_ARGB8888, 32,
		pixels);
	for (int i = 0; i < 2; i++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
		assert_non_null(pass);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 2, 2, 4, 4 }, .color = { 0, 0, 1, 1 },
		}));
		assert_true(mosaic_pass_submit(pass, NULL));
	}
	assert_int_equal(pixels[2 * 8 + 2], 0xff0000ff);
	assert_int_equal(pixels[0], 0);
	mosaic_renderer_destroy(r);
	// The cached offscreen target went with the renderer; the buffer stays usable.
	mosaic_buffer_drop(target);
}
