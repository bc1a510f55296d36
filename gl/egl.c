#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xf86drm.h>

#include <gbm.h>

#include "gl/gles_private.h"
#include "private/backend.h"
#include "private/list.h"
#include "private/log.h"

bool gles_has_extension(const char *list, const char *name)
{
	if (list == NULL) {
		return false;
	}
	size_t len = strlen(name);
	const char *p = list;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0')) {
			return true;
		}
		p += len;
	}
	return false;
}

/*
 * EGL displays are per-process singletons per (platform, native display):
 * the compositor, or a second renderer, may be using the same surfaceless or
 * device display, and eglTerminate would pull it from under them. Displays
 * are terminated only where that cannot happen: GBM displays of mosaic's own
 * gbm_device, and displays whose references EGL counts
 * (EGL_KHR_display_reference). Others stay initialized for the process.
 */
static const EGLAttrib *display_attribs(struct gles_renderer *r)
{
	static const EGLAttrib tracked[] = { EGL_TRACK_REFERENCES_KHR, EGL_TRUE, EGL_NONE };
	return r->display_tracked ? tracked : NULL;
}

const char *gles_egl_error_string(EGLint error)
{
	switch (error) {
	case EGL_SUCCESS: return "EGL_SUCCESS";
	case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
	case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
	case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
	case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
	case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
	case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
	case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE";
	case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
	case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE";
	case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
	case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
	case EGL_BAD_NATIVE_PIXMAP: return "EGL_BAD_NATIVE_PIXMAP";
	case EGL_BAD_NATIVE_WINDOW: return "EGL_BAD_NATIVE_WINDOW";
	case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST";
	}
	return "unknown EGL error";
}

#define load_proc(r, name) \
	((r)->procs.name = (__typeof__((r)->procs.name))eglGetProcAddress(#name))

static void debug_callback(GLenum source, GLenum type, GLuint id, GLenum severity,
	GLsizei length, const GLchar *message, const void *user_data)
{
	const struct gles_renderer *r = user_data;
	enum mosaic_log level = MOSAIC_LOG_DEBUG;
	if (r->quiet_gl_errors) {
		// Start-up probes provoke errors on purpose.
		level = MOSAIC_LOG_DEBUG;
	} else if (type == GL_DEBUG_TYPE_ERROR_KHR) {
		level = MOSAIC_LOG_ERROR;
	} else if (severity == GL_DEBUG_SEVERITY_HIGH_KHR) {
		level = MOSAIC_LOG_WARN;
	} else if (severity == GL_DEBUG_SEVERITY_MEDIUM_KHR) {
		// Performance hints (synchronous readback, ...) would repeat every frame.
		level = MOSAIC_LOG_INFO;
	}
	mosaic_log(level, "GL: %s", message);
}

static EGLDisplay open_gbm(struct gles_renderer *r, int drm_fd, enum mosaic_log level)
{
	r->gbm_fd = fcntl(drm_fd, F_DUPFD_CLOEXEC, 0);
	if (r->gbm_fd < 0) {
		mosaic_log_errno(level, "gles: cannot duplicate the DRM fd");
		return EGL_NO_DISPLAY;
	}
	r->gbm = gbm_create_device(r->gbm_fd);
	if (r->gbm == NULL) {
		mosaic_log(level, "gles: gbm_create_device failed");
		close(r->gbm_fd);
		r->gbm_fd = -1;
		return EGL_NO_DISPLAY;
	}
	return r->procs.eglGetPlatformDisplayEXT(EGL_PLATFORM_GBM_KHR, r->gbm, NULL);
}

static void close_gbm(struct gles_renderer *r)
{
	if (r->gbm != NULL) {
		gbm_device_destroy(r->gbm);
		r->gbm = NULL;
	}
	if (r->gbm_fd >= 0) {
		close(r->gbm_fd);
		r->gbm_fd = -1;
	}
}

static EGLDisplay get_display(struct gles_renderer *r, EGLenum platform, void *native)
{
	if (r->display_tracked) {
		return r->procs.eglGetPlatformDisplay(platform, native, display_attribs(r));
	}
	return r->procs.eglGetPlatformDisplayEXT(platform, native, NULL);
}

static bool try_initialize(struct gles_renderer *r, EGLDisplay display, const char *platform,
	enum mosaic_log level)
{
	if (display == EGL_NO_DISPLAY) {
		mosaic_log(level, "gles: no EGL display on the %s platform: %s", platform,
			gles_egl_error_string(eglGetError()));
		return false;
	}
	EGLint major, minor;
	if (!eglInitialize(display, &major, &minor)) {
		mosaic_log(level, "gles: eglInitialize on the %s platform failed: %s", platform,
			gles_egl_error_string(eglGetError()));
		return false;
	}
	r->display = display;
	r->platform = platform;
	mosaic_log(MOSAIC_LOG_DEBUG, "gles: EGL %d.%d on the %s platform (%s)", major, minor,
		platform, eglQueryString(display, EGL_VENDOR));
	return true;
}

/* Platforms in order of preference, or the one named by MOSAIC_EGL_PLATFORM. */
static bool open_display(struct gles_renderer *r, int drm_fd, bool probing)
{
	// Each platform that fails says why at DEBUG; the last line says it at `final`.
	enum mosaic_log level = MOSAIC_LOG_DEBUG;
	enum mosaic_log final = mosaic_probe_level(probing);
	const char *client_exts = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (client_exts == NULL || !gles_has_extension(client_exts, "EGL_EXT_platform_base")) {
		mosaic_log(final, "gles: EGL has no client extensions (EGL_EXT_platform_base)");
		return false;
	}
	load_proc(r, eglGetPlatformDisplayEXT);
	load_proc(r, eglGetPlatformDisplay);
	// EGL 1.5's entry point takes the EGLAttrib list display references need.
	r->display_tracked = r->procs.eglGetPlatformDisplay != NULL &&
		gles_has_extension(client_exts, "EGL_KHR_display_reference");
	bool has_gbm = gles_has_extension(client_exts, "EGL_KHR_platform_gbm") ||
		gles_has_extension(client_exts, "EGL_MESA_platform_gbm");
	bool has_device = gles_has_extension(client_exts, "EGL_EXT_platform_device") &&
		gles_has_extension(client_exts, "EGL_EXT_device_base");
	if (!has_device && gles_has_extension(client_exts, "EGL_EXT_platform_device")) {
		has_device = gles_has_extension(client_exts, "EGL_EXT_device_enumeration") &&
			gles_has_extension(client_exts, "EGL_EXT_device_query");
	}
	bool has_surfaceless = gles_has_extension(client_exts, "EGL_MESA_platform_surfaceless");
	if (has_device) {
		load_proc(r, eglQueryDevicesEXT);
		load_proc(r, eglQueryDeviceStringEXT);
		has_device = r->procs.eglQueryDevicesEXT != NULL &&
			r->procs.eglQueryDeviceStringEXT != NULL;
	}

	const char *forced = getenv("MOSAIC_EGL_PLATFORM");
	if (forced != NULL && forced[0] == '\0') {
		forced = NULL;
	}
	if (forced != NULL && strcmp(forced, "gbm") != 0 && strcmp(forced, "device") != 0 &&
			strcmp(forced, "surfaceless") != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "MOSAIC_EGL_PLATFORM=%s: unknown platform "
			"(gbm, device or surfaceless)", forced);
		return false;
	}
	bool want_gbm = forced == NULL ? drm_fd > 0 : strcmp(forced, "gbm") == 0;
	bool want_device = forced == NULL || strcmp(forced, "device") == 0;
	bool want_surfaceless = forced == NULL ? drm_fd <= 0 :
		strcmp(forced, "surfaceless") == 0;

	if (want_gbm) {
		if (drm_fd <= 0) {
			mosaic_log(level, "gles: the GBM platform needs a DRM fd");
		} else if (!has_gbm) {
			mosaic_log(level, "gles: EGL has no GBM platform (EGL_KHR_platform_gbm)");
		} else if (try_initialize(r, open_gbm(r, drm_fd, level), "gbm", level)) {
			return true;
		} else {
			close_gbm(r);
		}
	}
	if (want_device) {
		if (!has_device) {
			mosaic_log(level, "gles: EGL has no device platform (EGL_EXT_platform_device)");
		} else {
			EGLDeviceEXT device = gles_find_egl_device(r, drm_fd, forced != NULL, level);
			if (device != EGL_NO_DEVICE_EXT && try_initialize(r,
					get_display(r, EGL_PLATFORM_DEVICE_EXT, device), "device", level)) {
				return true;
			}
		}
	}
	if (want_surfaceless) {
		if (!has_surfaceless) {
			mosaic_log(level, "gles: EGL has no surfaceless platform "
				"(EGL_MESA_platform_surfaceless)");
		} else if (try_initialize(r, get_display(r, EGL_PLATFORM_SURFACELESS_MESA,
				EGL_DEFAULT_DISPLAY),
				"surfaceless", level)) {
			return true;
		}
	}
	mosaic_log(final, "gles: no EGL platform could start%s%s%s (MOSAIC_DEBUG=1 says why)",
		drm_fd > 0 ? " on the given DRM device" : "", forced != NULL ? " with " : "",
		forced != NULL ? forced : "");
	return false;
}

static bool create_context(struct gles_renderer *r, bool probing)
{
	enum mosaic_log level = mosaic_probe_level(probing);
	const char *exts = eglQueryString(r->display, EGL_EXTENSIONS);
	if (!gles_has_extension(exts, "EGL_KHR_surfaceless_context")) {
		mosaic_log(level, "gles: EGL_KHR_surfaceless_context is missing");
		return false;
	}
	if (!eglBindAPI(EGL_OPENGL_ES_API)) {
		mosaic_log(level, "gles: eglBindAPI(EGL_OPENGL_ES_API) failed");
		return false;
	}
	EGLConfig config = EGL_NO_CONFIG_KHR;
	if (!gles_has_extension(exts, "EGL_KHR_no_config_context") &&
			!gles_has_extension(exts, "EGL_MESA_configless_context")) {
		const EGLint config_attribs[] = {
			EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT,
			EGL_SURFACE_TYPE, 0,
			EGL_NONE,
		};
		EGLint n = 0;
		if (!eglChooseConfig(r->display, config_attribs, &config, 1, &n) || n < 1) {
			mosaic_log(level, "gles: no EGL config for GLES 2");
			return false;
		}
	}
	bool robust = gles_has_extension(exts, "EGL_EXT_create_context_robustness");
	bool create_context = gles_has_extension(exts, "EGL_KHR_create_context");
	bool debug = mosaic_log_get_verbosity() >= MOSAIC_LOG_DEBUG;

	// GLES 3 first; attributes past the version are optional and dropped if refused.
	// MOSAIC_GLES_VERSION=2 asks for 2.0 only (to exercise that path on newer drivers).
	const char *version_env = getenv("MOSAIC_GLES_VERSION");
	int first_major = version_env != NULL && strcmp(version_env, "2") == 0 ? 2 : 3;
	for (int major = first_major; major >= 2 && r->context == EGL_NO_CONTEXT; major--) {
		for (int attempt = 0; attempt < 2 && r->context == EGL_NO_CONTEXT; attempt++) {
			EGLint attribs[16];
			size_t i = 0;
			attribs[i++] = EGL_CONTEXT_CLIENT_VERSION;
			attribs[i++] = major;
			if (attempt == 0 && robust) {
				attribs[i++] = EGL_CONTEXT_OPENGL_RESET_NOTIFICATION_STRATEGY_EXT;
				attribs[i++] = EGL_LOSE_CONTEXT_ON_RESET_EXT;
			}
			if (attempt == 0 && debug && create_context) {
				attribs[i++] = EGL_CONTEXT_FLAGS_KHR;
				attribs[i++] = EGL_CONTEXT_OPENGL_DEBUG_BIT_KHR;
			}
			attribs[i++] = EGL_NONE;
			r->context = eglCreateContext(r->display, config, EGL_NO_CONTEXT, attribs);
			if (r->context != EGL_NO_CONTEXT) {
				r->exts.robustness = attempt == 0 && robust;
			}
		}
	}
	if (r->context == EGL_NO_CONTEXT) {
		mosaic_log(level, "gles: eglCreateContext failed: %s",
			gles_egl_error_string(eglGetError()));
		return false;
	}
	return true;
}

static void load_egl_extensions(struct gles_renderer *r)
{
	const char *exts = eglQueryString(r->display, EGL_EXTENSIONS);
	struct gles_exts *e = &r->exts;
	if (gles_has_extension(exts, "EGL_KHR_image_base")) {
		load_proc(r, eglCreateImageKHR);
		load_proc(r, eglDestroyImageKHR);
	}
	bool images = r->procs.eglCreateImageKHR != NULL && r->procs.eglDestroyImageKHR != NULL;
	e->dmabuf_import = images && gles_has_extension(exts, "EGL_EXT_image_dma_buf_import");
	if (e->dmabuf_import &&
			gles_has_extension(exts, "EGL_EXT_image_dma_buf_import_modifiers")) {
		load_proc(r, eglQueryDmaBufFormatsEXT);
		load_proc(r, eglQueryDmaBufModifiersEXT);
		e->dmabuf_modifiers = r->procs.eglQueryDmaBufFormatsEXT != NULL &&
			r->procs.eglQueryDmaBufModifiersEXT != NULL;
	}
	if (images && gles_has_extension(exts, "EGL_MESA_image_dma_buf_export")) {
		load_proc(r, eglExportDMABUFImageQueryMESA);
		load_proc(r, eglExportDMABUFImageMESA);
		e->dmabuf_export = r->procs.eglExportDMABUFImageQueryMESA != NULL &&
			r->procs.eglExportDMABUFImageMESA != NULL;
	}
	e->gl_texture_image = images && gles_has_extension(exts, "EGL_KHR_gl_texture_2D_image");
	if (gles_has_extension(exts, "EGL_KHR_fence_sync")) {
		load_proc(r, eglCreateSyncKHR);
		load_proc(r, eglDestroySyncKHR);
		load_proc(r, eglClientWaitSyncKHR);
		load_proc(r, eglGetSyncAttribKHR);
		e->fence_sync = r->procs.eglCreateSyncKHR != NULL &&
			r->procs.eglDestroySyncKHR != NULL &&
			r->procs.eglClientWaitSyncKHR != NULL && r->procs.eglGetSyncAttribKHR != NULL;
	}
	if (e->fence_sync && gles_has_extension(exts, "EGL_KHR_wait_sync")) {
		load_proc(r, eglWaitSyncKHR);
		e->wait_sync = r->procs.eglWaitSyncKHR != NULL;
	}
	if (e->fence_sync && gles_has_extension(exts, "EGL_ANDROID_native_fence_sync")) {
		load_proc(r, eglDupNativeFenceFDANDROID);
		e->native_fence = r->procs.eglDupNativeFenceFDANDROID != NULL;
	}
}

static void load_gl_extensions(struct gles_renderer *r)
{
	const char *exts = (const char *)glGetString(GL_EXTENSIONS);
	struct gles_exts *e = &r->exts;
	bool gles3 = r->gl_major >= 3;
	e->bgra = gles_has_extension(exts, "GL_EXT_texture_format_BGRA8888");
	e->read_bgra = gles_has_extension(exts, "GL_EXT_read_format_bgra");
	e->unpack_subimage = gles3 || gles_has_extension(exts, "GL_EXT_unpack_subimage");
	e->pack_subimage = gles3 || gles_has_extension(exts, "GL_NV_pack_subimage");
	if (gles_has_extension(exts, "GL_OES_EGL_image")) {
		load_proc(r, glEGLImageTargetTexture2DOES);
		load_proc(r, glEGLImageTargetRenderbufferStorageOES);
		e->egl_image = r->procs.glEGLImageTargetTexture2DOES != NULL &&
			r->procs.glEGLImageTargetRenderbufferStorageOES != NULL;
	}
	e->egl_image_external = e->egl_image &&
		gles_has_extension(exts, "GL_OES_EGL_image_external");
	if (gles_has_extension(exts, "GL_KHR_debug")) {
		load_proc(r, glDebugMessageCallbackKHR);
		load_proc(r, glDebugMessageControlKHR);
	}
	if (e->robustness) {
		if (gles_has_extension(exts, "GL_KHR_robustness")) {
			load_proc(r, glGetGraphicsResetStatusKHR);
		} else if (gles_has_extension(exts, "GL_EXT_robustness")) {
			r->procs.glGetGraphicsResetStatusKHR = (PFNGLGETGRAPHICSRESETSTATUSKHRPROC)
				eglGetProcAddress("glGetGraphicsResetStatusEXT");
		}
		e->robustness = r->procs.glGetGraphicsResetStatusKHR != NULL;
	}
	if (gles_has_extension(exts, "GL_EXT_disjoint_timer_query")) {
		load_proc(r, glGenQueriesEXT);
		load_proc(r, glDeleteQueriesEXT);
		load_proc(r, glBeginQueryEXT);
		load_proc(r, glEndQueryEXT);
		load_proc(r, glGetQueryObjectuivEXT);
		load_proc(r, glGetQueryObjectui64vEXT);
		e->timer_query = r->procs.glGenQueriesEXT != NULL &&
			r->procs.glDeleteQueriesEXT != NULL && r->procs.glBeginQueryEXT != NULL &&
			r->procs.glEndQueryEXT != NULL && r->procs.glGetQueryObjectuivEXT != NULL &&
			r->procs.glGetQueryObjectui64vEXT != NULL;
	}
}

/* One INFO line listing the optional paths that are off. */
static void log_missing(const struct gles_renderer *r)
{
	const struct gles_exts *e = &r->exts;
	const struct {
		bool present;
		const char *what;
	} paths[] = {
		{ e->dmabuf_import, "dmabuf import (EGL_EXT_image_dma_buf_import)" },
		{ e->dmabuf_modifiers, "explicit modifiers (EGL_EXT_image_dma_buf_import_modifiers)" },
		{ e->dmabuf_export, "dmabuf export (EGL_MESA_image_dma_buf_export)" },
		{ e->egl_image, "EGLImage textures (GL_OES_EGL_image)" },
		{ e->fence_sync, "fences (EGL_KHR_fence_sync)" },
		{ e->wait_sync, "GPU waits (EGL_KHR_wait_sync)" },
		{ e->native_fence, "sync_files (EGL_ANDROID_native_fence_sync)" },
		{ e->timer_query, "GPU timers (GL_EXT_disjoint_timer_query)" },
		{ e->robustness, "reset notification (robustness)" },
		{ e->bgra, "BGRA textures (GL_EXT_texture_format_BGRA8888)" },
		{ e->unpack_subimage, "strided uploads (GL_EXT_unpack_subimage)" },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (!paths[i].present) {
			mosaic_log(MOSAIC_LOG_INFO, "gles: no %s on %s: that path is off",
				paths[i].what, r->device_name);
		}
	}
}

bool gles_egl_init(struct gles_renderer *r, int drm_fd, bool probing)
{
	enum mosaic_log level = mosaic_probe_level(probing);
	r->gbm_fd = -1;
	r->display = EGL_NO_DISPLAY;
	r->context = EGL_NO_CONTEXT;
	if (!open_display(r, drm_fd, probing)) {
		return false;
	}
	if (!create_context(r, probing)) {
		return false;
	}
	load_egl_extensions(r);
	gles_find_drm_node(r, drm_fd);

	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		return false;
	}
	bool ok = false;
	const char *version = (const char *)glGetString(GL_VERSION);
	if (version == NULL || sscanf(version, "OpenGL ES %d.%d", &r->gl_major,
			&r->gl_minor) != 2) {
		mosaic_log(level, "gles: unexpected GL_VERSION \"%s\"", version ? version : "");
		goto out;
	}
	const char *version_env = getenv("MOSAIC_GLES_VERSION");
	if (version_env != NULL && strcmp(version_env, "2") == 0 && r->gl_major > 2) {
		// Drivers may hand out a newer context: use it as a 2.0 one.
		mosaic_log(MOSAIC_LOG_INFO, "gles: MOSAIC_GLES_VERSION=2: using GLES %d.%d as 2.0",
			r->gl_major, r->gl_minor);
		r->gl_major = 2;
		r->gl_minor = 0;
	}
	if (r->gl_major < 2) {
		mosaic_log(level, "gles: GLES %d.%d is too old (2.0 needed)", r->gl_major,
			r->gl_minor);
		goto out;
	}
	const char *gl_renderer = (const char *)glGetString(GL_RENDERER);
	snprintf(r->device_name, sizeof(r->device_name), "%s (GLES %d.%d, EGL %s)",
		gl_renderer != NULL ? gl_renderer : "unknown", r->gl_major, r->gl_minor,
		r->platform);
	gles_detect_software(r, gl_renderer);
	load_gl_extensions(r);
	// Software drivers keep buffers in plain memory: a pixel buffer is one copy more.
	r->use_pbo = r->gl_major >= 3 && !r->software;
	// Below this, the driver's own staging copy costs less than mapping a buffer.
	r->pbo_min_bytes = 128 * 1024;
	const char *pbo_env = getenv("MOSAIC_GLES_PBO");
	if (pbo_env != NULL && (strcmp(pbo_env, "0") == 0 || strcmp(pbo_env, "1") == 0)) {
		r->use_pbo = r->gl_major >= 3 && pbo_env[0] == '1';
		r->pbo_min_bytes = 0;
		mosaic_log(MOSAIC_LOG_INFO, "gles: MOSAIC_GLES_PBO=%s: pixel buffers %s", pbo_env,
			r->use_pbo ? "on" : "off");
	}

	if (r->procs.glDebugMessageCallbackKHR != NULL) {
		glEnable(GL_DEBUG_OUTPUT_KHR);
		// Synchronous: messages arrive inside the call that caused them.
		glEnable(GL_DEBUG_OUTPUT_SYNCHRONOUS_KHR);
		r->procs.glDebugMessageCallbackKHR(debug_callback, r);
		if (mosaic_log_get_verbosity() < MOSAIC_LOG_DEBUG) {
			r->procs.glDebugMessageControlKHR(GL_DONT_CARE, GL_DONT_CARE,
				GL_DEBUG_SEVERITY_NOTIFICATION_KHR, 0, NULL, GL_FALSE);
		}
	}
	glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	log_missing(r);
	ok = true;
out:
	gles_pop_context(r, &saved);
	return ok;
}

void gles_egl_finish(struct gles_renderer *r)
{
	if (r->context != EGL_NO_CONTEXT) {
		gles_release_context(r);
		eglDestroyContext(r->display, r->context);
	}
	if (r->display != EGL_NO_DISPLAY && (r->display_tracked || r->gbm != NULL)) {
		eglTerminate(r->display);
	}
	close_gbm(r);
}

/*
 * The context a mosaic call left current on this thread, which had none
 * current before it (include/mosaic/gles.h): making a context current costs
 * about 50 us on NVIDIA's driver, and a call would otherwise pay it twice.
 * The next call of any renderer takes it as "no context current".
 */
static _Thread_local EGLContext left_current = EGL_NO_CONTEXT;

bool gles_push_context(struct gles_renderer *r, struct gles_saved_context *saved)
{
	/*
	 * Each eglGetCurrent* call costs microseconds through libglvnd's
	 * dispatch (it takes a lock), more than the rest of an empty pass:
	 * when the renderer's context is current (every call after the first,
	 * see left_current), that one query is all. Which surfaces it is
	 * current with does not matter: mosaic draws into framebuffer objects
	 * and restores the default framebuffer binding.
	 */
	EGLContext current = eglGetCurrentContext();
	if (current == r->context) {
		*saved = (struct gles_saved_context){ .display = r->display, .context = r->context };
		return true;
	}
	*saved = (struct gles_saved_context){
		.display = eglGetCurrentDisplay(),
		.context = current,
		.draw = eglGetCurrentSurface(EGL_DRAW),
		.read = eglGetCurrentSurface(EGL_READ),
	};
	if (saved->context != EGL_NO_CONTEXT && saved->context == left_current) {
		*saved = (struct gles_saved_context){0};
	}
	if (!eglMakeCurrent(r->display, EGL_NO_SURFACE, EGL_NO_SURFACE, r->context)) {
		EGLint error = eglGetError();
		// A loss has its own ERROR line: one line for one failure.
		mosaic_log(error == EGL_CONTEXT_LOST ? MOSAIC_LOG_DEBUG : MOSAIC_LOG_ERROR,
			"gles: eglMakeCurrent failed: %s%s", gles_egl_error_string(error),
			error == EGL_BAD_ACCESS ? " (the renderer's context is current on another "
			"thread: mosaic_gles_renderer_release_context() there first)" : "");
		if (error == EGL_CONTEXT_LOST) {
			mosaic_renderer_set_lost(&r->base);
		}
		return false;
	}
	return true;
}

void gles_pop_context(struct gles_renderer *r, const struct gles_saved_context *saved)
{
	if (saved->context == r->context) {
		return;
	}
	if (saved->context == EGL_NO_CONTEXT) {
		// Kept current for the next call: see left_current.
		left_current = r->context;
	} else {
		eglMakeCurrent(saved->display, saved->draw, saved->read, saved->context);
	}
}

void gles_release_context(struct gles_renderer *r)
{
	if (r->context != EGL_NO_CONTEXT && eglGetCurrentContext() == r->context) {
		eglMakeCurrent(r->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	}
	if (left_current == r->context) {
		left_current = EGL_NO_CONTEXT;
	}
}

bool gles_check_reset(struct gles_renderer *r)
{
	if (r->base.lost) {
		return true;
	}
	if (!r->exts.robustness) {
		return false;
	}
	GLenum status = r->procs.glGetGraphicsResetStatusKHR();
	if (status == GL_NO_ERROR) {
		return false;
	}
	// The loss has its own ERROR line: one line for one failure.
	mosaic_log(MOSAIC_LOG_DEBUG, "gles: the context was reset (%s)",
		status == GL_GUILTY_CONTEXT_RESET_KHR ? "guilty" :
		status == GL_INNOCENT_CONTEXT_RESET_KHR ? "innocent" : "unknown cause");
	mosaic_renderer_set_lost(&r->base);
	return true;
}

GLenum gles_take_error(struct gles_renderer *r)
{
	GLenum first = GL_NO_ERROR, error;
	// Bounded: a lost context may report GL_CONTEXT_LOST for every call.
	for (int i = 0; i < 16 && (error = glGetError()) != GL_NO_ERROR; i++) {
		if (first == GL_NO_ERROR || error == GL_CONTEXT_LOST_KHR) {
			first = error;
		}
	}
	if (first == GL_CONTEXT_LOST_KHR && !gles_check_reset(r)) {
		// Reported without a reset status: still a loss, the context is unusable.
		mosaic_renderer_set_lost(&r->base);
	}
	return first;
}

bool gles_check_errors(struct gles_renderer *r, const char *where)
{
	// A GL error means mosaic issued a wrong call (or the driver ran out of
	// memory): fail the call that did it, with one line for all of them.
	char list[64] = "";
	size_t len = 0;
	int n = 0;
	GLenum error;
	bool lost = false;
	while (n < 16 && (error = glGetError()) != GL_NO_ERROR) {
		n++;
		lost |= error == GL_CONTEXT_LOST_KHR;
		if (len + 8 < sizeof(list)) {
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s0x%x",
				len > 0 ? ", " : "", error);
		}
	}
	if (n == 0) {
		return true;
	}
	if (lost) {
		// The loss has its own ERROR line: one line for one failure.
		if (!gles_check_reset(r)) {
			mosaic_renderer_set_lost(&r->base);
		}
		return false;
	}
	mosaic_log(MOSAIC_LOG_ERROR, "gles: GL error%s %s in %s", n > 1 ? "s" : "", list, where);
	return false;
}
