#include <assert.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <mosaic/config.h>
#include <mosaic/interface.h>
#include <mosaic/renderer.h>

#include "private/backend.h"
#include "private/drm.h"
#include "private/call.h"
#include "private/export.h"
#include "private/log.h"

static const char *const backend_names[] = {
	[MOSAIC_BACKEND_AUTO] = "auto",
	[MOSAIC_BACKEND_PIXMAN] = "pixman",
	[MOSAIC_BACKEND_VULKAN] = "vulkan",
	[MOSAIC_BACKEND_GLES] = "gles",
};

MOSAIC_EXPORT const char *mosaic_backend_name(enum mosaic_backend backend)
{
	if ((unsigned)backend > MOSAIC_BACKEND_GLES) {
		return NULL;
	}
	return backend_names[backend];
}

MOSAIC_EXPORT bool mosaic_backend_from_name(const char *name, enum mosaic_backend *out)
{
	if (name == NULL || out == NULL) {
		return false;
	}
	for (unsigned i = 0; i < sizeof(backend_names) / sizeof(backend_names[0]); i++) {
		if (strcmp(name, backend_names[i]) == 0) {
			*out = (enum mosaic_backend)i;
			return true;
		}
	}
	return false;
}

MOSAIC_EXPORT bool mosaic_backend_is_built(enum mosaic_backend backend)
{
	switch (backend) {
	case MOSAIC_BACKEND_AUTO:
	case MOSAIC_BACKEND_PIXMAN:
		return true;
	case MOSAIC_BACKEND_VULKAN:
		return MOSAIC_HAS_VULKAN;
	case MOSAIC_BACKEND_GLES:
		return MOSAIC_HAS_GLES;
	}
	return false;
}

/* A NULL renderer is a programmer error; it gets a log line instead of a crash. */
static bool check_renderer_arg(const struct mosaic_renderer *renderer)
{
	if (renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no renderer given");
		return false;
	}
	return true;
}

MOSAIC_EXPORT void mosaic_renderer_init(struct mosaic_renderer *renderer,
	const struct mosaic_renderer_impl *impl)
{
	assert(impl != NULL && impl->name != NULL);
	assert(impl->destroy != NULL && impl->texture_from_buffer != NULL &&
		impl->begin_pass != NULL);
	assert((impl->get_completed_point == NULL) == (impl->wait_point == NULL));
	*renderer = (struct mosaic_renderer){
		.impl = impl,
		.backend = MOSAIC_BACKEND_AUTO,
		.device_name = impl->name,
		.drm_fd = -1,
	};
}

/* The one place the core names backends: creating one. */
static struct mosaic_renderer *construct_backend(enum mosaic_backend backend, int drm_fd,
	bool probing)
{
	switch (backend) {
	case MOSAIC_BACKEND_PIXMAN:
		return mosaic_pixman_backend_create();
	case MOSAIC_BACKEND_VULKAN:
#if MOSAIC_HAS_VULKAN
		return mosaic_vulkan_backend_create(drm_fd, probing);
#else
		break;
#endif
	case MOSAIC_BACKEND_GLES:
#if MOSAIC_HAS_GLES
		return mosaic_gles_backend_create(drm_fd, probing);
#else
		break;
#endif
	case MOSAIC_BACKEND_AUTO:
		break;
	}
	mosaic_log(probing ? MOSAIC_LOG_DEBUG : MOSAIC_LOG_ERROR,
		"the %s renderer was not built (meson option -Drenderers=%s)",
		mosaic_backend_name(backend), mosaic_backend_name(backend));
	return NULL;
}

/* Constructs a built-in backend and notes which one it is, for mosaic_renderer_get_backend(). */
static struct mosaic_renderer *create_backend(enum mosaic_backend backend, int drm_fd,
	bool probing)
{
	struct mosaic_renderer *renderer = construct_backend(backend, drm_fd, probing);
	if (renderer != NULL) {
		renderer->backend = backend;
	}
	return renderer;
}

static struct mosaic_renderer *create_auto(int drm_fd)
{
	static const enum mosaic_backend order[] = {
		MOSAIC_BACKEND_VULKAN,
		MOSAIC_BACKEND_GLES,
		MOSAIC_BACKEND_PIXMAN,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!mosaic_backend_is_built(order[i])) {
			continue;
		}
		struct mosaic_renderer *renderer = create_backend(order[i], drm_fd, true);
		if (renderer != NULL) {
			return renderer;
		}
		mosaic_log(MOSAIC_LOG_INFO, "the %s renderer could not start, trying the next one "
			"(MOSAIC_DEBUG=1 says why)", mosaic_backend_name(order[i]));
	}
	mosaic_log(MOSAIC_LOG_ERROR, "no renderer could start");
	return NULL;
}

MOSAIC_EXPORT struct mosaic_renderer *mosaic_renderer_create(
	const struct mosaic_renderer_options *options)
{
	struct mosaic_renderer_options opts = {0};
	if (options != NULL) {
		opts = *options;
	}
	if ((unsigned)opts.backend > MOSAIC_BACKEND_GLES) {
		mosaic_log(MOSAIC_LOG_ERROR, "invalid backend %d", (int)opts.backend);
		return NULL;
	}

	enum mosaic_backend backend = opts.backend;
	if (backend == MOSAIC_BACKEND_AUTO) {
		const char *env = getenv("MOSAIC_RENDERER");
		if (env != NULL && env[0] != '\0') {
			if (!mosaic_backend_from_name(env, &backend)) {
				mosaic_log(MOSAIC_LOG_ERROR, "MOSAIC_RENDERER=%s: unknown renderer "
					"(auto, pixman, vulkan or gles)", env);
				return NULL;
			}
			mosaic_log(MOSAIC_LOG_INFO, "renderer chosen by MOSAIC_RENDERER=%s", env);
		}
	}

	struct mosaic_renderer *renderer = backend == MOSAIC_BACKEND_AUTO ?
		create_auto(opts.drm_fd) : create_backend(backend, opts.drm_fd, false);
	if (renderer == NULL) {
		return NULL;
	}

	// The caller's device wins: it is the one the caller allocates and scans out on.
	if (opts.drm_fd > 0) {
		renderer->drm_fd = fcntl(opts.drm_fd, F_DUPFD_CLOEXEC, 0);
		if (renderer->drm_fd < 0) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "cannot duplicate the DRM fd");
			mosaic_renderer_destroy(renderer);
			return NULL;
		}
	} else if (renderer->drm_dev != 0) {
		int fd = mosaic_drm_open_dev(renderer->drm_dev);
		if (fd >= 0) {
			renderer->drm_fd = fd;
		} else {
			// Rendering works without it; linux-dmabuf and GBM need a device named.
			mosaic_log(MOSAIC_LOG_INFO, "the DRM node %u:%u of %s cannot be opened: %s",
				major(renderer->drm_dev), minor(renderer->drm_dev),
				renderer->device_name, strerror(-fd));
		}
	}
	mosaic_renderer_set_lost_callback(renderer, opts.lost, opts.user_data);
	mosaic_log(MOSAIC_LOG_INFO, "using the %s renderer on %s", renderer->impl->name,
		renderer->device_name);
	return renderer;
}

MOSAIC_EXPORT void mosaic_renderer_destroy(struct mosaic_renderer *renderer)
{
	if (renderer == NULL) {
		return;
	}
	if (renderer->n_children > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "renderer destroyed before %zu of its textures, "
			"timers or read requests", renderer->n_children);
		assert(!"destroy textures, timers and read requests before their renderer");
	}
	if (renderer->call_depth > 0 || renderer->n_open_passes > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "renderer destroyed inside one of its calls or with "
			"%zu passes open", renderer->n_open_passes);
		assert(!"destroy a renderer outside its calls, with no pass open");
	}
	if (renderer->drm_fd >= 0) {
		close(renderer->drm_fd);
	}
	mosaic_format_set_finish(&renderer->data_ptr_texture_formats);
	mosaic_format_set_finish(&renderer->dmabuf_texture_formats);
	mosaic_format_set_finish(&renderer->data_ptr_render_formats);
	mosaic_format_set_finish(&renderer->dmabuf_render_formats);
	renderer->impl->destroy(renderer);
}

MOSAIC_EXPORT enum mosaic_backend mosaic_renderer_get_backend(
	const struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return MOSAIC_BACKEND_AUTO;
	}
	return renderer->backend;
}

MOSAIC_EXPORT const char *mosaic_renderer_get_name(const struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return NULL;
	}
	return renderer->impl->name;
}

MOSAIC_EXPORT const char *mosaic_renderer_get_device_name(const struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return NULL;
	}
	return renderer->device_name;
}

MOSAIC_EXPORT uint64_t mosaic_renderer_get_features(const struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return 0;
	}
	return renderer->features;
}

MOSAIC_EXPORT bool mosaic_renderer_get_upload_stats(const struct mosaic_renderer *renderer,
	struct mosaic_upload_stats *stats)
{
	if (stats == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "upload stats: no stats given");
		return false;
	}
	*stats = (struct mosaic_upload_stats){0};
	if (!check_renderer_arg(renderer) || renderer->impl->get_upload_stats == NULL) {
		return false;
	}
	return renderer->impl->get_upload_stats(renderer, stats);
}

MOSAIC_EXPORT int mosaic_renderer_get_drm_fd(const struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return -1;
	}
	return renderer->drm_fd;
}

/*
 * One of a renderer's two sets for `cap`. A mask or an unknown bit is a
 * mistake of the caller (the sets of two caps are not one set): it gets the
 * empty set and one line saying so, rather than a silently empty answer.
 */
static const struct mosaic_format_set *format_set_for_cap(const struct mosaic_renderer *renderer,
	uint32_t cap, bool render)
{
	static const struct mosaic_format_set empty = {0};
	if (!check_renderer_arg(renderer)) {
		return &empty;
	}
	switch (cap) {
	case MOSAIC_BUFFER_CAP_DATA_PTR:
		return render ? &renderer->data_ptr_render_formats :
			&renderer->data_ptr_texture_formats;
	case MOSAIC_BUFFER_CAP_DMABUF:
		return render ? &renderer->dmabuf_render_formats : &renderer->dmabuf_texture_formats;
	}
	mosaic_log(MOSAIC_LOG_ERROR, "%s formats: cap 0x%" PRIx32 " is not one of "
		"MOSAIC_BUFFER_CAP_DATA_PTR or MOSAIC_BUFFER_CAP_DMABUF; ask once per cap",
		render ? "render" : "texture", cap);
	return &empty;
}

MOSAIC_EXPORT const struct mosaic_format_set *mosaic_renderer_get_texture_formats(
	const struct mosaic_renderer *renderer, uint32_t cap)
{
	return format_set_for_cap(renderer, cap, false);
}

MOSAIC_EXPORT const struct mosaic_format_set *mosaic_renderer_get_render_formats(
	const struct mosaic_renderer *renderer, uint32_t cap)
{
	return format_set_for_cap(renderer, cap, true);
}

MOSAIC_EXPORT bool mosaic_renderer_is_lost(const struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return false;
	}
	return renderer->lost;
}

MOSAIC_EXPORT void mosaic_renderer_set_lost(struct mosaic_renderer *renderer)
{
	if (renderer->lost) {
		return;
	}
	renderer->lost = true;
	renderer->lost_pending = true;
	mosaic_log(MOSAIC_LOG_ERROR, "the %s renderer lost its device", renderer->impl->name);
	// Delivered by mosaic_call_leave(), once the backend has unwound.
}

MOSAIC_EXPORT void mosaic_renderer_set_lost_callback(struct mosaic_renderer *renderer,
	void (*lost)(struct mosaic_renderer *renderer, void *user_data), void *user_data)
{
	if (!check_renderer_arg(renderer)) {
		return;
	}
	renderer->lost_callback = lost;
	renderer->user_data = user_data;
}

bool mosaic_call_refuse_lost(struct mosaic_renderer *renderer, const char *what)
{
	if (!renderer->lost) {
		return false;
	}
	mosaic_log(MOSAIC_LOG_ERROR, "%s: the renderer lost its device", what);
	mosaic_call_enter(renderer);
	mosaic_call_leave(renderer);
	return true;
}

void mosaic_call_enter(struct mosaic_renderer *renderer)
{
	renderer->call_depth++;
}

void mosaic_call_leave(struct mosaic_renderer *renderer)
{
	assert(renderer->call_depth > 0);
	renderer->call_depth--;
	if (!renderer->lost_pending || renderer->call_depth > 0 || renderer->n_open_passes > 0) {
		return;
	}
	renderer->lost_pending = false;
	if (renderer->lost_callback != NULL) {
		// May destroy the renderer: nothing touches it after this.
		renderer->lost_callback(renderer, renderer->user_data);
	}
}

MOSAIC_EXPORT uint64_t mosaic_renderer_get_completed_point(struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return 0;
	}
	if (renderer->impl->get_completed_point == NULL) {
		return renderer->last_point;
	}
	mosaic_call_enter(renderer);
	uint64_t point = renderer->impl->get_completed_point(renderer);
	mosaic_call_leave(renderer);
	return point;
}

MOSAIC_EXPORT bool mosaic_renderer_wait_point(struct mosaic_renderer *renderer, uint64_t point,
	int64_t timeout_ns)
{
	if (!check_renderer_arg(renderer)) {
		return false;
	}
	if (point > renderer->last_point) {
		mosaic_log(MOSAIC_LOG_ERROR, "point %llu was never submitted (last is %llu)",
			(unsigned long long)point, (unsigned long long)renderer->last_point);
		return false;
	}
	if (mosaic_call_refuse_lost(renderer, "wait point")) {
		return false;
	}
	if (renderer->impl->wait_point == NULL) {
		return true;
	}
	mosaic_call_enter(renderer);
	bool ok = renderer->impl->wait_point(renderer, point, timeout_ns);
	mosaic_call_leave(renderer);
	return ok;
}

MOSAIC_EXPORT void mosaic_render_timer_init(struct mosaic_render_timer *timer,
	const struct mosaic_render_timer_impl *impl, struct mosaic_renderer *renderer)
{
	assert(impl != NULL && impl->get_duration_ns != NULL && impl->destroy != NULL);
	*timer = (struct mosaic_render_timer){ .impl = impl, .renderer = renderer };
	renderer->n_children++;
}

MOSAIC_EXPORT struct mosaic_render_timer *mosaic_render_timer_create(
	struct mosaic_renderer *renderer)
{
	if (!check_renderer_arg(renderer)) {
		return NULL;
	}
	if (renderer->impl->timer_create == NULL) {
		mosaic_log(MOSAIC_LOG_DEBUG, "the %s renderer cannot measure GPU time",
			renderer->impl->name);
		return NULL;
	}
	mosaic_call_enter(renderer);
	struct mosaic_render_timer *timer = renderer->impl->timer_create(renderer);
	mosaic_call_leave(renderer);
	return timer;
}

MOSAIC_EXPORT struct mosaic_render_timer *mosaic_render_timer_create_with_options(
	struct mosaic_renderer *renderer, const struct mosaic_render_timer_options *options)
{
	struct mosaic_render_timer *timer = mosaic_render_timer_create(renderer);
	if (timer != NULL && options != NULL && options->per_draw) {
		if (timer->impl->get_draw_times == NULL) {
			mosaic_log(MOSAIC_LOG_DEBUG, "the %s renderer cannot measure draws",
				renderer->impl->name);
		}
		timer->per_draw = true;
	}
	return timer;
}

MOSAIC_EXPORT size_t mosaic_render_timer_get_draw_times(struct mosaic_render_timer *timer,
	int64_t *out_ns, size_t cap, enum mosaic_draw_times *kind)
{
	enum mosaic_draw_times unused;
	kind = kind != NULL ? kind : &unused;
	*kind = MOSAIC_DRAW_TIMES_UNSUPPORTED;
	if (timer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "timer: no timer given");
		return 0;
	}
	if (out_ns == NULL && cap > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "timer: no array for %zu draw times", cap);
		return 0;
	}
	if (!timer->per_draw || timer->impl->get_draw_times == NULL) {
		return 0;
	}
	struct mosaic_renderer *renderer = timer->renderer;
	mosaic_call_enter(renderer);
	size_t n = timer->impl->get_draw_times(timer, out_ns, cap, kind);
	mosaic_call_leave(renderer);
	return n;
}

MOSAIC_EXPORT size_t mosaic_render_timer_get_tile_times(struct mosaic_render_timer *timer,
	int64_t *out_ns, size_t cap, struct mosaic_tile_grid *grid)
{
	struct mosaic_tile_grid unused;
	grid = grid != NULL ? grid : &unused;
	*grid = (struct mosaic_tile_grid){0};
	if (timer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "timer: no timer given");
		return 0;
	}
	if (out_ns == NULL && cap > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "timer: no array for %zu tile times", cap);
		return 0;
	}
	if (!timer->per_draw || timer->impl->get_tile_times == NULL) {
		return 0;
	}
	struct mosaic_renderer *renderer = timer->renderer;
	mosaic_call_enter(renderer);
	size_t n = timer->impl->get_tile_times(timer, out_ns, cap, grid);
	mosaic_call_leave(renderer);
	if (n == 0) {
		*grid = (struct mosaic_tile_grid){0};
	}
	return n;
}

MOSAIC_EXPORT int64_t mosaic_render_timer_get_duration_ns(struct mosaic_render_timer *timer)
{
	if (timer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "timer: no timer given");
		return -1;
	}
	struct mosaic_renderer *renderer = timer->renderer;
	mosaic_call_enter(renderer);
	int64_t ns = timer->impl->get_duration_ns(timer);
	mosaic_call_leave(renderer);
	return ns;
}

MOSAIC_EXPORT void mosaic_render_timer_destroy(struct mosaic_render_timer *timer)
{
	if (timer == NULL) {
		return;
	}
	struct mosaic_renderer *renderer = timer->renderer;
	renderer->n_children--;
	mosaic_call_enter(renderer);
	timer->impl->destroy(timer);
	mosaic_call_leave(renderer);
}
