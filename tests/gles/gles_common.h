#ifndef MOSAIC_TESTS_GLES_COMMON_H
#define MOSAIC_TESTS_GLES_COMMON_H

/*
 * Shared by the GLES tests: the renderer, a log handler that counts
 * errors, a GL error check run after public calls (a GL error left behind
 * fails the test), and the cmocka fixtures that fail a test which left
 * either behind.
 */

#include <EGL/egl.h>
#include <GLES2/gl2.h>

#include <mosaic/gles.h>
#include <mosaic/log.h>

/* ERROR lines logged since the last reset; tests that expect one take it back. */
extern int gles_test_log_errors;
/* Of those, the GL errors KHR_debug reported ("GL: ..." lines). */
extern int gles_test_gl_errors;
/* The last ERROR line. */
extern char gles_test_last_error[1024];

/* A GLES renderer on any EGL platform, or exit(77) with one line when none starts. */
struct mosaic_renderer *gles_test_renderer(void);

/* Routes the library's log to the counters (DEBUG lines too with MOSAIC_DEBUG set). */
void gles_test_log_init(void);

/*
 * In the renderer's context, restoring the caller's: glIsTexture(tex) when
 * `tex` is non-zero, else glGetError() (GL_NO_ERROR when clean).
 */
GLenum gles_test_gl_query(struct mosaic_renderer *renderer, GLuint tex);

/* The GL error of the renderer's context (GL_NO_ERROR when clean); restores the caller's. */
GLenum gles_test_gl_error(struct mosaic_renderer *renderer);

/* cmocka fixtures: the counters start at zero; a test that leaves one set fails. */
int gles_test_setup(void **state);
int gles_test_teardown(void **state);
/* A test of the table run between those fixtures. */
#define GLES_TEST(test) cmocka_unit_test_setup_teardown(test, gles_test_setup, gles_test_teardown)

#endif
