#ifndef MOSAIC_TESTS_GLES_FAULT_HOOKS_H
#define MOSAIC_TESTS_GLES_FAULT_HOOKS_H

/* The GL and EGL failures fault_hooks.c injects, and what it counts. */

#include <stdbool.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>

#include "alloc_fail.h"

enum fault_entry {
	E_TEX_IMAGE_2D, E_BUFFER_DATA, E_MAP_BUFFER_RANGE, E_FENCE_SYNC, E_CREATE_SYNC,
	E_CREATE_IMAGE, E_RESET_STATUS, E_COUNT
};
extern const char *const fault_entry_names[E_COUNT];

struct fault_sweep {
	bool armed;
	int calls[E_COUNT];
	/* The entry point and its call (1-based) to fail; -1: none. */
	int fail_entry, fail_call;
	bool injected;
	/*
	 * The context reset (from the reset status' failing call on), and
	 * whether glGetError has reported GL_CONTEXT_LOST there.
	 */
	EGLContext reset;
	bool reset_reported;
	/* Reported by the next glGetError / eglGetError. */
	GLenum gl_error;
	EGLint egl_error;
};
extern struct fault_sweep fault_sweep;

#endif
