#ifndef MOSAIC_PRIVATE_BACKEND_H
#define MOSAIC_PRIVATE_BACKEND_H

/*
 * The backend constructors the core's auto-selection calls. `drm_fd` is
 * borrowed (<= 0: none). With `probing`, failures are expected (the core will
 * try the next backend) and log at DEBUG instead of ERROR.
 */

#include <stdbool.h>

#include <mosaic/config.h>
#include <mosaic/log.h>

struct mosaic_renderer;

struct mosaic_renderer *mosaic_pixman_backend_create(void);
#if MOSAIC_HAS_VULKAN
struct mosaic_renderer *mosaic_vulkan_backend_create(int drm_fd, bool probing);
#endif
#if MOSAIC_HAS_GLES
struct mosaic_renderer *mosaic_gles_backend_create(int drm_fd, bool probing);
#endif

/** The level a backend logs a start-up failure at. */
static inline enum mosaic_log mosaic_probe_level(bool probing)
{
	return probing ? MOSAIC_LOG_DEBUG : MOSAIC_LOG_ERROR;
}

#endif
