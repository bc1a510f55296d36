#ifndef MOSAIC_TESTS_GLES_COMMON_H
#define MOSAIC_TESTS_GLES_COMMON_H

/*
 * Shared by the GLES tests: a log handler that counts errors, and a GL error
 * check run after public calls (a GL error left behind fails the test).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <EGL/egl.h>
#include <GLES2/gl2.h>

#include <mosaic/gles.h>
#include <mosaic/log.h>

static int gles_test_log_errors;
static int gles_test_gl_errors;
/* The last ERROR line. */
static char gles_test_last_error[1024];

static void gles_test_log(enum mosaic_log level, const char *msg, void *user_data)
{
	if (level == MOSAIC_LOG_ERROR) {
		gles_test_log_errors++;
		snprintf(gles_test_last_error, sizeof(gles_test_last_error), "%s", msg);
		// KHR_debug reports GL errors as "GL: ..." lines.
		if (strstr(msg, "GL: ") != NULL) {
			gles_test_gl_errors++;
		}
	}
	if (level <= MOSAIC_LOG_WARN || getenv("MOSAIC_DEBUG") != NULL) {
		fprintf(stderr, "mosaic: %s\n", msg);
	}
}

static inline void gles_test_log_init(void)
{
	mosaic_log_init(getenv("MOSAIC_DEBUG") != NULL ? MOSAIC_LOG_DEBUG : MOSAIC_LOG_INFO,
		gles_test_log, NULL);
}

/*
 * In the renderer's context, restoring the caller's: glIsTexture(tex) when
 * `tex` is non-zero, else glGetError() (GL_NO_ERROR when clean).
 */
static inline GLenum gles_test_gl_query(struct mosaic_renderer *renderer, GLuint tex)
{
	EGLDisplay display = eglGetCurrentDisplay();
	EGLContext context = eglGetCurrentContext();
	EGLSurface draw = eglGetCurrentSurface(EGL_DRAW);
	EGLSurface read = eglGetCurrentSurface(EGL_READ);
	EGLDisplay own = mosaic_gles_renderer_get_egl_display(renderer);
	if (!eglMakeCurrent(own, EGL_NO_SURFACE, EGL_NO_SURFACE,
			mosaic_gles_renderer_get_egl_context(renderer))) {
		return GL_INVALID_OPERATION;
	}
	GLenum result = tex != 0 ? glIsTexture(tex) : glGetError();
	if (context == EGL_NO_CONTEXT) {
		eglMakeCurrent(own, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	} else {
		eglMakeCurrent(display, draw, read, context);
	}
	return result;
}

/* The GL error of the renderer's context (GL_NO_ERROR when clean); restores the caller's. */
static inline GLenum gles_test_gl_error(struct mosaic_renderer *renderer)
{
	return gles_test_gl_query(renderer, 0);
}

#endif
