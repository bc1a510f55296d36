/* The GLES tests' log counters, GL error checks and fixtures (see gles_common.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosaic/mosaic.h>

#include "gles_common.h"

int gles_test_log_errors;
int gles_test_gl_errors;
char gles_test_last_error[1024];

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

void gles_test_log_init(void)
{
	mosaic_log_init(getenv("MOSAIC_DEBUG") != NULL ? MOSAIC_LOG_DEBUG : MOSAIC_LOG_INFO,
		gles_test_log, NULL);
}

struct mosaic_renderer *gles_test_renderer(void)
{
	struct mosaic_renderer *renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
	});
	if (renderer == NULL) {
		printf("no EGL/GLES renderer could start (no EGL platform or no GLES driver)\n");
		exit(77);
	}
	return renderer;
}

GLenum gles_test_gl_query(struct mosaic_renderer *renderer, GLuint tex)
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

GLenum gles_test_gl_error(struct mosaic_renderer *renderer)
{
	return gles_test_gl_query(renderer, 0);
}

int gles_test_setup(void **state)
{
	gles_test_log_errors = 0;
	gles_test_gl_errors = 0;
	return 0;
}

int gles_test_teardown(void **state)
{
	if (gles_test_gl_errors != 0 || gles_test_log_errors != 0) {
		fprintf(stderr, "%d GL errors, %d error lines logged\n", gles_test_gl_errors,
			gles_test_log_errors);
		return -1;
	}
	return 0;
}
