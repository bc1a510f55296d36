#ifndef TEST_WAYLAND_GLUE_COMPOSITOR_H
#define TEST_WAYLAND_GLUE_COMPOSITOR_H

/*
 * The server side that the glue tests (test-wayland-glue's server and
 * test-wayland-glue-faults) share. A bare wl_compositor: each wl_surface
 * holds a mosaic_surface_texture
 * and each commit hands it the attached buffer and the damage since the
 * last commit. How a surface's texture is made and what a commit does are
 * the test's. Regions are refused with no_memory; frame callbacks,
 * transforms and scales are ignored.
 */

#include <pixman.h>
#include <wayland-server-core.h>

#include <mosaic/wayland.h>

struct glue_compositor {
	/* The texture of a new surface; NULL fails the request with no_memory. */
	struct mosaic_surface_texture *(*create_texture)(void *data);
	/*
	 * A commit: `buffer` is the one attached (NULL when none is, or it was
	 * destroyed since), `damage` the buffer damage since the last commit,
	 * cleared when this returns.
	 */
	void (*commit)(struct mosaic_surface_texture *texture, struct wl_resource *buffer,
		pixman_region32_t *damage, void *data);
	void *data;
};

/* The wl_compositor global (version 4); the caller keeps `compositor` alive as long. */
struct wl_global *glue_compositor_create(struct wl_display *display,
	const struct glue_compositor *compositor);

/*
 * Makes `renderer` announce what a GPU renderer would for linux-dmabuf, so
 * that params reach every check: a DRM device (/dev/null stands in: only its
 * dev_t is used) and exactly XRGB8888 and ARGB8888, LINEAR, as dmabuf
 * texture formats.
 */
void glue_renderer_announce_dmabuf(struct mosaic_renderer *renderer);

#endif
