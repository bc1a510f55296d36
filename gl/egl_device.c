#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xf86drm.h>

#include "gl/gles_private.h"
#include "private/log.h"

/*
 * Which EGL device a renderer uses, and what it is: the device matching a
 * DRM fd, the DRM node behind a display, whether it rasterizes on the CPU.
 */

/* The DRM node paths of the device behind `drm_fd`, to match EGL devices with. */
static bool egl_device_matches(struct gles_renderer *r, EGLDeviceEXT device,
	drmDevice *drm_device)
{
	const char *names[] = {
		r->procs.eglQueryDeviceStringEXT(device, EGL_DRM_DEVICE_FILE_EXT),
		NULL,
	};
	const char *exts = r->procs.eglQueryDeviceStringEXT(device, EGL_EXTENSIONS);
	if (gles_has_extension(exts, "EGL_EXT_device_drm_render_node")) {
		names[1] = r->procs.eglQueryDeviceStringEXT(device, EGL_DRM_RENDER_NODE_FILE_EXT);
	}
	for (size_t i = 0; i < 2; i++) {
		if (names[i] == NULL) {
			continue;
		}
		for (int node = 0; node < DRM_NODE_MAX; node++) {
			if ((drm_device->available_nodes & (1 << node)) != 0 &&
					strcmp(drm_device->nodes[node], names[i]) == 0) {
				return true;
			}
		}
	}
	return false;
}

/*
 * The EGL device for `drm_fd` (matched by node path), or, without one, the
 * first hardware device (software ones only when `allow_software`).
 */
EGLDeviceEXT gles_find_egl_device(struct gles_renderer *r, int drm_fd, bool allow_software,
	enum mosaic_log level)
{
	EGLint n = 0;
	if (!r->procs.eglQueryDevicesEXT(0, NULL, &n) || n <= 0) {
		mosaic_log(level, "gles: no EGL device");
		return EGL_NO_DEVICE_EXT;
	}
	EGLDeviceEXT *devices = calloc((size_t)n, sizeof(*devices));
	if (devices == NULL) {
		// Another platform may still work: said at `level`, like other platform failures.
		mosaic_log_errno(level, "gles: cannot list EGL devices: allocation failed");
		return EGL_NO_DEVICE_EXT;
	}
	EGLDeviceEXT found = EGL_NO_DEVICE_EXT;
	drmDevice *drm_device = NULL;
	if (!r->procs.eglQueryDevicesEXT(n, devices, &n)) {
		mosaic_log(level, "gles: eglQueryDevicesEXT failed: %s",
			gles_egl_error_string(eglGetError()));
		goto out;
	}
	if (drm_fd > 0 && drmGetDevice2(drm_fd, 0, &drm_device) != 0) {
		mosaic_log(level, "gles: drmGetDevice2 failed on the given DRM fd");
		goto out;
	}
	for (EGLint i = 0; i < n; i++) {
		const char *exts = r->procs.eglQueryDeviceStringEXT(devices[i], EGL_EXTENSIONS);
		if (drm_device != NULL) {
			if (gles_has_extension(exts, "EGL_EXT_device_drm") &&
					egl_device_matches(r, devices[i], drm_device)) {
				found = devices[i];
				break;
			}
			continue;
		}
		if (!allow_software && gles_has_extension(exts, "EGL_MESA_device_software")) {
			continue;
		}
		found = devices[i];
		break;
	}
	if (found == EGL_NO_DEVICE_EXT) {
		mosaic_log(level, "gles: no EGL device %s", drm_device != NULL ?
			"matches the DRM fd" : "is a hardware device");
	}
out:
	if (drm_device != NULL) {
		drmFreeDevice(&drm_device);
	}
	free(devices);
	return found;
}

/* The device number of a DRM node path, or 0. */
static dev_t node_dev(const char *path)
{
	struct stat st;
	if (path == NULL || stat(path, &st) != 0 || !S_ISCHR(st.st_mode)) {
		return 0;
	}
	return st.st_rdev;
}

/* The display's EGL device (EGL_EXT_device_query), or EGL_NO_DEVICE_EXT. */
static EGLDeviceEXT display_device(struct gles_renderer *r)
{
	const char *client_exts = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (r->procs.eglQueryDeviceStringEXT == NULL || client_exts == NULL ||
			!(gles_has_extension(client_exts, "EGL_EXT_device_query") ||
			gles_has_extension(client_exts, "EGL_EXT_device_base"))) {
		return EGL_NO_DEVICE_EXT;
	}
	r->procs.eglQueryDisplayAttribEXT = (__typeof__(r->procs.eglQueryDisplayAttribEXT))
		eglGetProcAddress("eglQueryDisplayAttribEXT");
	EGLAttrib attrib = 0;
	if (r->procs.eglQueryDisplayAttribEXT == NULL ||
			!r->procs.eglQueryDisplayAttribEXT(r->display, EGL_DEVICE_EXT, &attrib)) {
		return EGL_NO_DEVICE_EXT;
	}
	return (EGLDeviceEXT)attrib;
}

/* The extensions of the display's EGL device, or NULL. */
static const char *display_device_extensions(struct gles_renderer *r)
{
	EGLDeviceEXT device = display_device(r);
	return device == EGL_NO_DEVICE_EXT ? NULL :
		r->procs.eglQueryDeviceStringEXT(device, EGL_EXTENSIONS);
}

void gles_detect_software(struct gles_renderer *r, const char *gl_renderer)
{
	static const char *const rasterizers[] = { "llvmpipe", "softpipe", "swrast",
		"SwiftShader" };
	const char *why = NULL;
	if (gles_has_extension(display_device_extensions(r), "EGL_MESA_device_software")) {
		why = "its EGL device has EGL_MESA_device_software";
	}
	for (size_t i = 0; why == NULL && gl_renderer != NULL &&
			i < sizeof(rasterizers) / sizeof(rasterizers[0]); i++) {
		if (strstr(gl_renderer, rasterizers[i]) != NULL) {
			why = "GL_RENDERER names a software rasterizer";
		}
	}
	r->software = why != NULL;
	if (r->software) {
		// Mesa 25's llvmpipe faults drawing from dmabufs of other exporters.
		mosaic_log(MOSAIC_LOG_INFO, "gles: %s rasterizes on the CPU (%s): dmabufs are "
			"mapped by mosaic and copied, never imported into EGL", r->device_name, why);
	}
}

/*
 * The DRM node of the display's device (EGL_EXT_device_drm and its render
 * node extension), or of the GBM device: the renderer's DRM device when the
 * caller names none. Software devices (llvmpipe on surfaceless) have none.
 */
void gles_find_drm_node(struct gles_renderer *r, int drm_fd)
{
	struct stat st;
	if (drm_fd > 0 || r->gbm_fd >= 0) {
		int fd = drm_fd > 0 ? drm_fd : r->gbm_fd;
		r->base.drm_dev = fstat(fd, &st) == 0 ? st.st_rdev : 0;
		return;
	}
	const char *exts = display_device_extensions(r);
	EGLDeviceEXT device = display_device(r);
	if (gles_has_extension(exts, "EGL_EXT_device_drm_render_node")) {
		r->base.drm_dev = node_dev(r->procs.eglQueryDeviceStringEXT(device,
			EGL_DRM_RENDER_NODE_FILE_EXT));
	}
	if (r->base.drm_dev == 0 && gles_has_extension(exts, "EGL_EXT_device_drm")) {
		r->base.drm_dev = node_dev(r->procs.eglQueryDeviceStringEXT(device,
			EGL_DRM_DEVICE_FILE_EXT));
	}
}
