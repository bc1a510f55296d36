/*
 * gl-call-times: an LD_PRELOAD library that times the EGL and GL calls a
 * program makes (the common ones, and the extension entry points mosaic
 * resolves through eglGetProcAddress) and prints, at exit, each one's calls,
 * total and mean wall time. It answers "where does a GLES pass spend its CPU
 * time" on a driver no profiler here can see into:
 *
 *   LD_PRELOAD=build/tests/gles/libgl-call-times.so build/tests/gles/gles-perf quads gpu 0 500
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>

#define EXPORT __attribute__((visibility("default")))

struct stat_entry {
	const char *name;
	uint64_t calls, ns;
};

enum {
	S_eglMakeCurrent, S_eglGetCurrentContext, S_eglGetCurrentDisplay, S_eglGetCurrentSurface,
	S_eglCreateSyncKHR, S_eglDestroySyncKHR, S_eglClientWaitSyncKHR,
	S_eglDupNativeFenceFDANDROID, S_glGetGraphicsResetStatusKHR, S_glGetError, S_glFlush,
	S_glFinish, S_glBindFramebuffer, S_glViewport, S_glScissor, S_glEnable, S_glDisable,
	S_glUseProgram, S_glBindTexture, S_glBindBuffer, S_glBufferData, S_glTexSubImage2D,
	S_glReadPixels, S_glDrawArrays, S_glClear, S_glClearColor, S_glUniform4fv, S_glBlendFunc,
	S_glGetIntegerv, S_glVertexAttribPointer, S_glMapBufferRange, S_glUnmapBuffer, S_COUNT
};

#define NAME(f) [S_##f] = { #f, 0, 0 }
static struct stat_entry stats[S_COUNT] = {
	NAME(eglMakeCurrent), NAME(eglGetCurrentContext), NAME(eglGetCurrentDisplay),
	NAME(eglGetCurrentSurface), NAME(eglCreateSyncKHR), NAME(eglDestroySyncKHR),
	NAME(eglClientWaitSyncKHR), NAME(eglDupNativeFenceFDANDROID),
	NAME(glGetGraphicsResetStatusKHR), NAME(glGetError), NAME(glFlush), NAME(glFinish),
	NAME(glBindFramebuffer), NAME(glViewport), NAME(glScissor), NAME(glEnable),
	NAME(glDisable), NAME(glUseProgram), NAME(glBindTexture), NAME(glBindBuffer),
	NAME(glBufferData), NAME(glTexSubImage2D), NAME(glReadPixels), NAME(glDrawArrays),
	NAME(glClear), NAME(glClearColor), NAME(glUniform4fv), NAME(glBlendFunc),
	NAME(glGetIntegerv), NAME(glVertexAttribPointer), NAME(glMapBufferRange),
	NAME(glUnmapBuffer),
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (f == NULL) {
		fprintf(stderr, "gl-call-times: no %s below\n", name);
		abort();
	}
	return f;
}

/* A timed wrapper of `f` returning `ret`; `real_f` is the next definition. */
#define TIMED(ret, f, params, args) \
	EXPORT ret f params; \
	ret f params \
	{ \
		static ret (*real) params; \
		if (real == NULL) { \
			real = (ret (*) params)next(#f); \
		} \
		uint64_t t0 = now_ns(); \
		ret r = real args; \
		stats[S_##f].ns += now_ns() - t0; \
		stats[S_##f].calls++; \
		return r; \
	}
#define TIMED_VOID(f, params, args) \
	EXPORT void f params; \
	void f params \
	{ \
		static void (*real) params; \
		if (real == NULL) { \
			real = (void (*) params)next(#f); \
		} \
		uint64_t t0 = now_ns(); \
		real args; \
		stats[S_##f].ns += now_ns() - t0; \
		stats[S_##f].calls++; \
	}

TIMED(EGLBoolean, eglMakeCurrent, (EGLDisplay d, EGLSurface dr, EGLSurface rd, EGLContext c),
	(d, dr, rd, c))
TIMED(EGLContext, eglGetCurrentContext, (void), ())
TIMED(EGLDisplay, eglGetCurrentDisplay, (void), ())
TIMED(EGLSurface, eglGetCurrentSurface, (EGLint w), (w))
TIMED(GLenum, glGetError, (void), ())
TIMED_VOID(glFlush, (void), ())
TIMED_VOID(glFinish, (void), ())
TIMED_VOID(glBindFramebuffer, (GLenum t, GLuint f), (t, f))
TIMED_VOID(glViewport, (GLint x, GLint y, GLsizei w, GLsizei h), (x, y, w, h))
TIMED_VOID(glScissor, (GLint x, GLint y, GLsizei w, GLsizei h), (x, y, w, h))
TIMED_VOID(glEnable, (GLenum c), (c))
TIMED_VOID(glDisable, (GLenum c), (c))
TIMED_VOID(glUseProgram, (GLuint p), (p))
TIMED_VOID(glBindTexture, (GLenum t, GLuint x), (t, x))
TIMED_VOID(glBindBuffer, (GLenum t, GLuint b), (t, b))
TIMED_VOID(glBufferData, (GLenum t, GLsizeiptr s, const void *d, GLenum u), (t, s, d, u))
TIMED_VOID(glTexSubImage2D, (GLenum t, GLint l, GLint x, GLint y, GLsizei w, GLsizei h,
	GLenum f, GLenum ty, const void *p), (t, l, x, y, w, h, f, ty, p))
TIMED_VOID(glReadPixels, (GLint x, GLint y, GLsizei w, GLsizei h, GLenum f, GLenum t, void *p),
	(x, y, w, h, f, t, p))
TIMED_VOID(glDrawArrays, (GLenum m, GLint f, GLsizei c), (m, f, c))
TIMED_VOID(glClear, (GLbitfield m), (m))
TIMED_VOID(glClearColor, (GLfloat r, GLfloat g, GLfloat b, GLfloat a), (r, g, b, a))
TIMED_VOID(glUniform4fv, (GLint l, GLsizei c, const GLfloat *v), (l, c, v))
TIMED_VOID(glBlendFunc, (GLenum s, GLenum d), (s, d))
TIMED_VOID(glGetIntegerv, (GLenum p, GLint *v), (p, v))
TIMED_VOID(glVertexAttribPointer, (GLuint i, GLint s, GLenum t, GLboolean n, GLsizei st,
	const void *p), (i, s, t, n, st, p))
TIMED(void *, glMapBufferRange, (GLenum t, GLintptr o, GLsizeiptr l, GLbitfield a),
	(t, o, l, a))
TIMED(GLboolean, glUnmapBuffer, (GLenum t), (t))

/* The extension entry points, wrapped when they are asked for by name. */
static PFNEGLCREATESYNCKHRPROC real_create_sync;
static PFNEGLDESTROYSYNCKHRPROC real_destroy_sync;
static PFNEGLCLIENTWAITSYNCKHRPROC real_client_wait;
static PFNEGLDUPNATIVEFENCEFDANDROIDPROC real_dup_fence;
static PFNGLGETGRAPHICSRESETSTATUSKHRPROC real_reset_status;

#define ACCOUNT(f, t0) (stats[S_##f].ns += now_ns() - (t0), stats[S_##f].calls++)

static EGLSyncKHR EGLAPIENTRY wrap_create_sync(EGLDisplay d, EGLenum type, const EGLint *a)
{
	uint64_t t0 = now_ns();
	EGLSyncKHR s = real_create_sync(d, type, a);
	ACCOUNT(eglCreateSyncKHR, t0);
	return s;
}

static EGLBoolean EGLAPIENTRY wrap_destroy_sync(EGLDisplay d, EGLSyncKHR s)
{
	uint64_t t0 = now_ns();
	EGLBoolean r = real_destroy_sync(d, s);
	ACCOUNT(eglDestroySyncKHR, t0);
	return r;
}

static EGLint EGLAPIENTRY wrap_client_wait(EGLDisplay d, EGLSyncKHR s, EGLint f, EGLTimeKHR t)
{
	uint64_t t0 = now_ns();
	EGLint r = real_client_wait(d, s, f, t);
	ACCOUNT(eglClientWaitSyncKHR, t0);
	return r;
}

static EGLint EGLAPIENTRY wrap_dup_fence(EGLDisplay d, EGLSyncKHR s)
{
	uint64_t t0 = now_ns();
	EGLint r = real_dup_fence(d, s);
	ACCOUNT(eglDupNativeFenceFDANDROID, t0);
	return r;
}

static GLenum GL_APIENTRY wrap_reset_status(void)
{
	uint64_t t0 = now_ns();
	GLenum r = real_reset_status();
	ACCOUNT(glGetGraphicsResetStatusKHR, t0);
	return r;
}

EXPORT __eglMustCastToProperFunctionPointerType eglGetProcAddress(const char *name);

__eglMustCastToProperFunctionPointerType eglGetProcAddress(const char *name)
{
	static __eglMustCastToProperFunctionPointerType (*real)(const char *);
	if (real == NULL) {
		real = (__eglMustCastToProperFunctionPointerType (*)(const char *))
			next("eglGetProcAddress");
	}
	__eglMustCastToProperFunctionPointerType f = real(name);
	if (f == NULL) {
		return NULL;
	}
#define WRAP_PROC(str, real_var, wrapper) \
	if (strcmp(name, str) == 0) { \
		real_var = (__typeof__(real_var))f; \
		return (__eglMustCastToProperFunctionPointerType)wrapper; \
	}
	WRAP_PROC("eglCreateSyncKHR", real_create_sync, wrap_create_sync)
	WRAP_PROC("eglDestroySyncKHR", real_destroy_sync, wrap_destroy_sync)
	WRAP_PROC("eglClientWaitSyncKHR", real_client_wait, wrap_client_wait)
	WRAP_PROC("eglDupNativeFenceFDANDROID", real_dup_fence, wrap_dup_fence)
	WRAP_PROC("glGetGraphicsResetStatusKHR", real_reset_status, wrap_reset_status)
	WRAP_PROC("glGetGraphicsResetStatusEXT", real_reset_status, wrap_reset_status)
	return f;
}

static int by_time(const void *a, const void *b)
{
	const struct stat_entry *x = a, *y = b;
	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

__attribute__((destructor)) static void report(void)
{
	struct stat_entry sorted[S_COUNT];
	memcpy(sorted, stats, sizeof(sorted));
	qsort(sorted, S_COUNT, sizeof(sorted[0]), by_time);
	fprintf(stderr, "gl-call-times: %-30s %10s %12s %10s\n", "call", "calls", "total us",
		"us/call");
	for (int i = 0; i < S_COUNT; i++) {
		if (sorted[i].calls == 0) {
			continue;
		}
		fprintf(stderr, "gl-call-times: %-30s %10llu %12.1f %10.2f\n", sorted[i].name,
			(unsigned long long)sorted[i].calls, (double)sorted[i].ns / 1e3,
			(double)sorted[i].ns / 1e3 / (double)sorted[i].calls);
	}
}
