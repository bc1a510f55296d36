#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <mosaic/gles.h>

#include "gl/gles_private.h"
#include "private/backend.h"
#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

static const struct mosaic_renderer_impl gles_renderer_impl;

MOSAIC_EXPORT bool mosaic_renderer_is_gles(const struct mosaic_renderer *renderer)
{
	return renderer != NULL && renderer->impl == &gles_renderer_impl;
}

struct gles_renderer *gles_renderer_from_base(struct mosaic_renderer *renderer)
{
	assert(mosaic_renderer_is_gles(renderer));
	return mosaic_container_of(renderer, struct gles_renderer, base);
}

MOSAIC_EXPORT EGLDisplay mosaic_gles_renderer_get_egl_display(struct mosaic_renderer *renderer)
{
	return gles_renderer_from_base(renderer)->display;
}

MOSAIC_EXPORT EGLContext mosaic_gles_renderer_get_egl_context(struct mosaic_renderer *renderer)
{
	return gles_renderer_from_base(renderer)->context;
}

MOSAIC_EXPORT void mosaic_gles_renderer_release_context(struct mosaic_renderer *renderer)
{
	gles_release_context(gles_renderer_from_base(renderer));
}

MOSAIC_EXPORT const char *mosaic_gles_renderer_get_egl_platform(
	struct mosaic_renderer *renderer)
{
	return gles_renderer_from_base(renderer)->platform;
}

MOSAIC_EXPORT struct mosaic_renderer *mosaic_gles_renderer_create(int drm_fd)
{
	return mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
		.drm_fd = drm_fd,
	});
}

/* GL sync objects need GLES 3; EGL fences are the way on GLES 2. */
static bool gl_syncs(const struct gles_renderer *r)
{
	return r->gl_major >= 3;
}

bool gles_has_fences(const struct gles_renderer *r)
{
	return gl_syncs(r) || r->exts.fence_sync;
}

void *gles_fence_create(struct gles_renderer *r)
{
	if (gl_syncs(r)) {
		GLsync sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
		if (sync == NULL) {
			mosaic_log(MOSAIC_LOG_WARN, "gles: glFenceSync failed (GL error 0x%x): "
				"waiting for the pass instead", gles_take_error(r));
		}
		return sync;
	}
	if (!r->exts.fence_sync) {
		return NULL;
	}
	EGLSyncKHR sync = r->procs.eglCreateSyncKHR(r->display, EGL_SYNC_FENCE_KHR, NULL);
	if (sync == EGL_NO_SYNC_KHR) {
		mosaic_log(MOSAIC_LOG_WARN, "gles: eglCreateSyncKHR failed (EGL error 0x%x): "
			"waiting for the pass instead", eglGetError());
		return NULL;
	}
	return sync;
}

void gles_fence_destroy(struct gles_renderer *r, void *fence)
{
	if (gl_syncs(r)) {
		glDeleteSync(fence);
	} else {
		r->procs.eglDestroySyncKHR(r->display, fence);
	}
}

/* GL sync objects are queried in the renderer's context. */
static bool fences_push_context(struct gles_renderer *r, struct gles_saved_context *saved)
{
	return !gl_syncs(r) || gles_push_context(r, saved);
}

static void fences_pop_context(struct gles_renderer *r, const struct gles_saved_context *saved)
{
	if (gl_syncs(r)) {
		gles_pop_context(r, saved);
	}
}

static bool fence_signaled(struct gles_renderer *r, void *fence)
{
	if (gl_syncs(r)) {
		GLint status = 0;
		glGetSynciv(fence, GL_SYNC_STATUS, 1, NULL, &status);
		return status == GL_SIGNALED;
	}
	EGLint status = 0;
	return r->procs.eglGetSyncAttribKHR(r->display, fence, EGL_SYNC_STATUS_KHR, &status) &&
		status == EGL_SIGNALED_KHR;
}

/* 1: signaled, 0: timed out, -1: failed (one ERROR line). */
static int fence_wait(struct gles_renderer *r, void *fence, int64_t timeout_ns)
{
	if (gl_syncs(r)) {
		// Passes are flushed at submit: no flush flag.
		GLenum res = glClientWaitSync(fence, 0,
			timeout_ns < 0 ? GL_TIMEOUT_IGNORED : (GLuint64)timeout_ns);
		if (res == GL_WAIT_FAILED) {
			GLenum error = gles_take_error(r);
			if (!r->base.lost) {
				mosaic_log(MOSAIC_LOG_ERROR, "gles: glClientWaitSync failed "
					"(GL error 0x%x)", error);
			}
			return -1;
		}
		return res == GL_TIMEOUT_EXPIRED ? 0 : 1;
	}
	EGLTimeKHR timeout = timeout_ns < 0 ? EGL_FOREVER_KHR : (EGLTimeKHR)timeout_ns;
	// Passes are flushed at submit, so no flush flag (and no context) is needed.
	EGLint res = r->procs.eglClientWaitSyncKHR(r->display, fence, 0, timeout);
	if (res == EGL_FALSE) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: eglClientWaitSyncKHR failed (0x%x)",
			eglGetError());
		return -1;
	}
	return res == EGL_TIMEOUT_EXPIRED_KHR ? 0 : 1;
}

static void drop_pending(struct gles_renderer *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		gles_fence_destroy(r, r->pending[i].sync);
	}
	r->n_pending -= n;
	for (size_t i = 0; i < r->n_pending; i++) {
		r->pending[i] = r->pending[i + n];
	}
}

static void gles_renderer_destroy(struct mosaic_renderer *base)
{
	struct gles_renderer *r = gles_renderer_from_base(base);
	struct gles_saved_context saved;
	bool current = r->context != EGL_NO_CONTEXT && gles_push_context(r, &saved);
	if (current) {
		gles_buffers_finish(r);
		if (r->spare_pass != NULL) {
			gles_pass_destroy(r->spare_pass);
		}
		gles_shaders_finish(r);
		if (r->read_fbo != 0) {
			glDeleteFramebuffers(1, &r->read_fbo);
		}
		if (r->upload_pbo != 0) {
			glDeleteBuffers(1, &r->upload_pbo);
		}
		if (r->pack_pbo != 0) {
			glDeleteBuffers(1, &r->pack_pbo);
		}
		drop_pending(r, r->n_pending);
		gles_pop_context(r, &saved);
	}
	free(r->pending);
	gles_egl_finish(r);
	free(r);
}

bool gles_add_pending(struct gles_renderer *r, uint64_t point, void *sync)
{
	if (r->n_pending == r->cap_pending) {
		size_t cap = r->cap_pending == 0 ? 8 : r->cap_pending * 2;
		struct gles_pending *pending = realloc(r->pending, cap * sizeof(*pending));
		if (pending == NULL) {
			// Not a failure of the pass: the caller waits for it instead.
			mosaic_log_errno(MOSAIC_LOG_WARN, "allocation failed: waiting for the pass "
				"instead");
			return false;
		}
		r->pending = pending;
		r->cap_pending = cap;
	}
	r->pending[r->n_pending++] = (struct gles_pending){ .point = point, .sync = sync };
	return true;
}

/* Work is complete up to `point`: GL executes one context's work in order. */
void gles_mark_complete(struct gles_renderer *r, uint64_t point)
{
	size_t n = 0;
	while (n < r->n_pending && r->pending[n].point <= point) {
		n++;
	}
	drop_pending(r, n);
	if (point > r->completed_point) {
		r->completed_point = point;
	}
}

static uint64_t gles_get_completed_point(struct mosaic_renderer *base)
{
	struct gles_renderer *r = gles_renderer_from_base(base);
	struct gles_saved_context saved;
	if (r->n_pending == 0 || !fences_push_context(r, &saved)) {
		return r->completed_point;
	}
	size_t n = 0;
	uint64_t point = r->completed_point;
	for (; n < r->n_pending; n++) {
		if (!fence_signaled(r, r->pending[n].sync)) {
			break;
		}
		point = r->pending[n].point;
	}
	if (n > 0) {
		gles_mark_complete(r, point);
	}
	fences_pop_context(r, &saved);
	return r->completed_point;
}

static bool gles_wait_point(struct mosaic_renderer *base, uint64_t point, int64_t timeout_ns)
{
	struct gles_renderer *r = gles_renderer_from_base(base);
	if (point <= gles_get_completed_point(base)) {
		return true;
	}
	if (r->base.lost) {
		return false;
	}
	size_t i = 0;
	while (i < r->n_pending && r->pending[i].point < point) {
		i++;
	}
	if (i == r->n_pending) {
		// Points without a fence completed when they were submitted.
		return true;
	}
	struct gles_saved_context saved;
	if (!fences_push_context(r, &saved)) {
		return false;
	}
	int res = fence_wait(r, r->pending[i].sync, timeout_ns);
	if (res > 0) {
		gles_mark_complete(r, r->pending[i].point);
	}
	fences_pop_context(r, &saved);
	return res > 0;
}

struct gles_timer {
	struct mosaic_render_timer base;
	GLuint query;
	bool pending;
	int64_t duration_ns;
};

static const struct mosaic_render_timer_impl gles_timer_impl;

static struct gles_timer *gles_timer_from_base(struct mosaic_render_timer *timer)
{
	assert(timer->impl == &gles_timer_impl);
	return mosaic_container_of(timer, struct gles_timer, base);
}

void gles_timer_begin(struct mosaic_render_timer *base)
{
	struct gles_timer *timer = gles_timer_from_base(base);
	struct gles_renderer *r = gles_renderer_from_base(base->renderer);
	r->procs.glBeginQueryEXT(GL_TIME_ELAPSED_EXT, timer->query);
}

void gles_timer_end(struct mosaic_render_timer *base)
{
	struct gles_timer *timer = gles_timer_from_base(base);
	struct gles_renderer *r = gles_renderer_from_base(base->renderer);
	r->procs.glEndQueryEXT(GL_TIME_ELAPSED_EXT);
	timer->pending = true;
	timer->duration_ns = -1;
}

static int64_t gles_timer_get_duration_ns(struct mosaic_render_timer *base)
{
	struct gles_timer *timer = gles_timer_from_base(base);
	struct gles_renderer *r = gles_renderer_from_base(base->renderer);
	if (!timer->pending) {
		return timer->duration_ns;
	}
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		return -1;
	}
	GLuint64 ns = 0;
	r->procs.glGetQueryObjectui64vEXT(timer->query, GL_QUERY_RESULT_EXT, &ns);
	GLint disjoint = 0;
	glGetIntegerv(GL_GPU_DISJOINT_EXT, &disjoint);
	timer->pending = false;
	// A disjoint operation (power state change, reset) makes the value meaningless.
	timer->duration_ns = disjoint ? -1 : (int64_t)ns;
	gles_check_reset(r);
	gles_pop_context(r, &saved);
	return timer->duration_ns;
}

static void gles_timer_destroy(struct mosaic_render_timer *base)
{
	struct gles_timer *timer = gles_timer_from_base(base);
	struct gles_renderer *r = gles_renderer_from_base(base->renderer);
	struct gles_saved_context saved;
	if (gles_push_context(r, &saved)) {
		r->procs.glDeleteQueriesEXT(1, &timer->query);
		gles_pop_context(r, &saved);
	}
	free(timer);
}

static const struct mosaic_render_timer_impl gles_timer_impl = {
	.get_duration_ns = gles_timer_get_duration_ns,
	.destroy = gles_timer_destroy,
};

static struct mosaic_render_timer *gles_timer_create(struct mosaic_renderer *base)
{
	struct gles_renderer *r = gles_renderer_from_base(base);
	if (!r->exts.timer_query) {
		mosaic_log(MOSAIC_LOG_DEBUG, "gles: no GL_EXT_disjoint_timer_query on %s",
			r->device_name);
		return NULL;
	}
	struct gles_timer *timer = calloc(1, sizeof(*timer));
	if (timer == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		free(timer);
		return NULL;
	}
	r->procs.glGenQueriesEXT(1, &timer->query);
	gles_pop_context(r, &saved);
	timer->duration_ns = -1;
	mosaic_render_timer_init(&timer->base, &gles_timer_impl, base);
	return &timer->base;
}

static const struct mosaic_renderer_impl gles_renderer_impl = {
	.name = "gles",
	.destroy = gles_renderer_destroy,
	.texture_from_buffer = gles_texture_from_buffer,
	.begin_pass = gles_begin_pass,
	.get_completed_point = gles_get_completed_point,
	.wait_point = gles_wait_point,
	.timer_create = gles_timer_create,
	.create_gpu_allocator = gles_create_gpu_allocator,
};

static uint64_t compute_features(const struct gles_renderer *r)
{
	const struct gles_exts *e = &r->exts;
	uint64_t features = 0;
	// Software drivers take dmabufs through the core's mapping (dmabuf_cpu_copy.c).
	if ((e->dmabuf_import && e->egl_image) || r->software) {
		features |= MOSAIC_FEATURE_DMABUF_IMPORT;
		if (e->dmabuf_modifiers) {
			features |= MOSAIC_FEATURE_DRM_MODIFIERS;
		}
	}
	if ((e->dmabuf_export && e->gl_texture_image) || e->gbm_export) {
		features |= MOSAIC_FEATURE_DMABUF_EXPORT;
	}
	if (e->native_fence) {
		features |= MOSAIC_FEATURE_SYNC_FILE_EXPORT;
		// A software driver's "GPU" wait blocks the thread (gles_pass_wait_sync_file).
		if (e->wait_sync && !r->software) {
			features |= MOSAIC_FEATURE_SYNC_FILE_IMPORT;
		}
	} else if ((features & MOSAIC_FEATURE_DMABUF_IMPORT) != 0 &&
			r->base.dmabuf_render_formats.n_formats > 0) {
		// dmabuf targets give their implicit fences (CPU-memory targets are
		// complete at submit and give -1).
		features |= MOSAIC_FEATURE_SYNC_FILE_EXPORT;
	}
	if (e->timer_query) {
		features |= MOSAIC_FEATURE_GPU_TIMERS;
	}
	if (r->software) {
		features |= MOSAIC_FEATURE_SOFTWARE;
	}
	return features;
}

struct mosaic_renderer *mosaic_gles_backend_create(int drm_fd, bool probing)
{
	enum mosaic_log level = mosaic_probe_level(probing);
	struct gles_renderer *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_renderer_init(&r->base, &gles_renderer_impl);
	mosaic_list_init(&r->buffers);
	if (!gles_egl_init(r, drm_fd, probing)) {
		goto err;
	}
	r->base.device_name = r->device_name;
	// For tests: the external-texture program on drivers without external-only formats.
	const char *external = getenv("MOSAIC_GLES_EXTERNAL");
	r->force_external = external != NULL && strcmp(external, "1") == 0 &&
		r->exts.egl_image_external;

	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		goto err;
	}
	bool ok = gles_shaders_init(r, probing);
	if (ok) {
		r->quiet_gl_errors = true;
		ok = gles_formats_init(r) && gles_dmabuf_formats_init(r);
		r->exts.dmabuf_export = ok && gles_probe_export(r);
		// Without in-place export, a GBM device can hold exported textures.
		r->exts.gbm_export = !r->exts.dmabuf_export && r->gbm != NULL &&
			r->exts.dmabuf_import && r->exts.egl_image;
		while (glGetError() != GL_NO_ERROR) {
		}
		r->quiet_gl_errors = false;
	}
	if (ok) {
		glGenFramebuffers(1, &r->read_fbo);
		GLenum error = glGetError();
		if (error != GL_NO_ERROR) {
			mosaic_log(level, "gles: GL error 0x%x while starting", error);
			ok = false;
		}
	}
	gles_pop_context(r, &saved);
	if (!ok) {
		goto err;
	}
	r->base.features = compute_features(r);
	// A GPU renders into device memory, which dmabufs share; CPU memory takes a copy.
	r->base.render_buffer_caps = MOSAIC_BUFFER_CAP_DMABUF;
	return &r->base;

err:
	mosaic_renderer_destroy(&r->base);
	return NULL;
}
