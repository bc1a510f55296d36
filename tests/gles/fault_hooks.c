/*
 * The GL and EGL interposers of test-gles-faults (see its header): some GL
 * and EGL entry points, and eglGetProcAddress for those the library
 * resolves through it. This executable's definitions are exported
 * dynamically, so that the library's calls resolve to them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_hooks.h"

#define INTERPOSE __attribute__((visibility("default")))


const char *const fault_entry_names[E_COUNT] = {
	[E_TEX_IMAGE_2D] = "glTexImage2D",
	[E_BUFFER_DATA] = "glBufferData",
	[E_MAP_BUFFER_RANGE] = "glMapBufferRange",
	[E_FENCE_SYNC] = "glFenceSync",
	[E_CREATE_SYNC] = "eglCreateSyncKHR",
	[E_CREATE_IMAGE] = "eglCreateImageKHR",
	[E_RESET_STATUS] = "glGetGraphicsResetStatusKHR (reset)",
};

struct fault_sweep fault_sweep = { .fail_entry = -1 };

static bool inject(enum fault_entry e)
{
	if (!fault_sweep.armed) {
		return false;
	}
	fault_sweep.calls[e]++;
	if (fault_sweep.injected || (int)e != fault_sweep.fail_entry || fault_sweep.calls[e] != fault_sweep.fail_call) {
		return false;
	}
	fault_sweep.injected = true;
	return true;
}

static void *real_proc(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (p == NULL) {
		fprintf(stderr, "no %s to wrap\n", name);
		abort();
	}
	return p;
}

#define REAL(type, name) \
	static type real_##name; \
	if (real_##name == NULL) { \
		real_##name = (type)real_proc(#name); \
	}

INTERPOSE void glTexImage2D(GLenum target, GLint level, GLint internal, GLsizei w, GLsizei h,
	GLint border, GLenum format, GLenum type, const void *data)
{
	REAL(PFNGLTEXIMAGE2DPROC, glTexImage2D);
	if (inject(E_TEX_IMAGE_2D)) {
		fault_sweep.gl_error = GL_OUT_OF_MEMORY;
		return;
	}
	real_glTexImage2D(target, level, internal, w, h, border, format, type, data);
}

INTERPOSE void glBufferData(GLenum target, GLsizeiptr size, const void *data, GLenum usage)
{
	REAL(PFNGLBUFFERDATAPROC, glBufferData);
	if (inject(E_BUFFER_DATA)) {
		fault_sweep.gl_error = GL_OUT_OF_MEMORY;
		return;
	}
	real_glBufferData(target, size, data, usage);
}

INTERPOSE void *glMapBufferRange(GLenum target, GLintptr offset, GLsizeiptr length,
	GLbitfield access)
{
	REAL(PFNGLMAPBUFFERRANGEPROC, glMapBufferRange);
	if (inject(E_MAP_BUFFER_RANGE)) {
		fault_sweep.gl_error = GL_OUT_OF_MEMORY;
		return NULL;
	}
	return real_glMapBufferRange(target, offset, length, access);
}

INTERPOSE GLsync glFenceSync(GLenum condition, GLbitfield flags)
{
	REAL(PFNGLFENCESYNCPROC, glFenceSync);
	if (inject(E_FENCE_SYNC)) {
		fault_sweep.gl_error = GL_OUT_OF_MEMORY;
		return 0;
	}
	return real_glFenceSync(condition, flags);
}

INTERPOSE GLenum glGetError(void)
{
	REAL(PFNGLGETERRORPROC, glGetError);
	if (fault_sweep.gl_error != GL_NO_ERROR) {
		GLenum error = fault_sweep.gl_error;
		fault_sweep.gl_error = GL_NO_ERROR;
		return error;
	}
	if (fault_sweep.reset != EGL_NO_CONTEXT && !fault_sweep.reset_reported &&
			eglGetCurrentContext() == fault_sweep.reset) {
		fault_sweep.reset_reported = true;
		return GL_CONTEXT_LOST_KHR;
	}
	return real_glGetError();
}

INTERPOSE EGLint eglGetError(void)
{
	REAL(PFNEGLGETERRORPROC, eglGetError);
	if (fault_sweep.egl_error != EGL_SUCCESS) {
		EGLint error = fault_sweep.egl_error;
		fault_sweep.egl_error = EGL_SUCCESS;
		return error;
	}
	return real_eglGetError();
}

static PFNEGLCREATESYNCKHRPROC real_create_sync;
static PFNEGLCREATEIMAGEKHRPROC real_create_image;
static PFNGLGETGRAPHICSRESETSTATUSKHRPROC real_reset_status;

static EGLSyncKHR wrap_create_sync(EGLDisplay display, EGLenum type, const EGLint *attribs)
{
	if (inject(E_CREATE_SYNC)) {
		fault_sweep.egl_error = EGL_BAD_ALLOC;
		return EGL_NO_SYNC_KHR;
	}
	return real_create_sync(display, type, attribs);
}

static EGLImageKHR wrap_create_image(EGLDisplay display, EGLContext context, EGLenum target,
	EGLClientBuffer buffer, const EGLint *attribs)
{
	if (inject(E_CREATE_IMAGE)) {
		fault_sweep.egl_error = EGL_BAD_ALLOC;
		return EGL_NO_IMAGE_KHR;
	}
	return real_create_image(display, context, target, buffer, attribs);
}

static GLenum wrap_reset_status(void)
{
	EGLContext current = eglGetCurrentContext();
	if (fault_sweep.reset != EGL_NO_CONTEXT && current == fault_sweep.reset) {
		return GL_GUILTY_CONTEXT_RESET_KHR;
	}
	if (inject(E_RESET_STATUS)) {
		fault_sweep.reset = current;
		return GL_GUILTY_CONTEXT_RESET_KHR;
	}
	return real_reset_status();
}

INTERPOSE __eglMustCastToProperFunctionPointerType eglGetProcAddress(const char *name)
{
	REAL(PFNEGLGETPROCADDRESSPROC, eglGetProcAddress);
	__eglMustCastToProperFunctionPointerType p = real_eglGetProcAddress(name);
	if (p == NULL) {
		return NULL;
	}
	if (strcmp(name, "eglCreateSyncKHR") == 0) {
		real_create_sync = (PFNEGLCREATESYNCKHRPROC)p;
		return (__eglMustCastToProperFunctionPointerType)wrap_create_sync;
	}
	if (strcmp(name, "eglCreateImageKHR") == 0) {
		real_create_image = (PFNEGLCREATEIMAGEKHRPROC)p;
		return (__eglMustCastToProperFunctionPointerType)wrap_create_image;
	}
	if (strcmp(name, "glGetGraphicsResetStatusKHR") == 0 ||
			strcmp(name, "glGetGraphicsResetStatusEXT") == 0) {
		real_reset_status = (PFNGLGETGRAPHICSRESETSTATUSKHRPROC)p;
		return (__eglMustCastToProperFunctionPointerType)wrap_reset_status;
	}
	return p;
}
