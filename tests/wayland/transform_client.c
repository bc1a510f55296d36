/*
 * A wl_shm client whose buffer is drawn in a wl_output transform: one
 * xdg_toplevel of TRANSFORM_W x TRANSFORM_H surface pixels in four quadrants
 * (transform_pattern.h), stored in the buffer the way
 * wl_surface.set_buffer_transform says: the content already transformed by
 * TRANSFORM (90 = rotated 90 degrees counter-clockwise, FLIPPED = mirrored
 * about the vertical axis first), at buffer scale SCALE.
 *
 * With VIEWPORT (the word "viewport"), a wp_viewport crops the picture to
 * VIEWPORT_SRC_* and scales it back to TRANSFORM_W x TRANSFORM_H
 * (transform_pattern.h).
 *
 * Usage: test-transform-client TRANSFORM [SCALE [viewport]]. Runs until the compositor
 * goes away (exit 0); 1 with one line on stderr on errors.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "transform_pattern.h"
#include "viewporter-client-protocol.h"
#include "xdg-shell-client-protocol.h"

struct client {
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wp_viewporter *viewporter;
	bool configured;
};

static void wm_ping(void *data, struct xdg_wm_base *wm, uint32_t serial)
{
	xdg_wm_base_pong(wm, serial);
}

static const struct xdg_wm_base_listener wm_listener = { .ping = wm_ping };

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0 && version >= 3) {
		// Version 3: set_buffer_scale.
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 3);
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, "xdg_wm_base") == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_listener, c);
	} else if (strcmp(interface, "wp_viewporter") == 0) {
		c->viewporter = wl_registry_bind(registry, name, &wp_viewporter_interface, 1);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static void surface_configure(void *data, struct xdg_surface *surface, uint32_t serial)
{
	xdg_surface_ack_configure(surface, serial);
	((struct client *)data)->configured = true;
}

static const struct xdg_surface_listener surface_listener = { .configure = surface_configure };

/*
 * Where content pixel (x, y) of a w x h picture lands once the picture is
 * transformed: mirrored (x -> w-1-x) when flipped, then rotated 90 degrees
 * counter-clockwise (x, y) -> (y, w-1-x) once per quarter turn.
 */
static void transform_point(int transform, int w, int h, int x, int y, int *bx, int *by)
{
	if (transform & 4) {
		x = w - 1 - x;
	}
	for (int turn = 0; turn < (transform & 3); turn++) {
		int nx = y, ny = w - 1 - x;
		x = nx;
		y = ny;
		int t = w;
		w = h;
		h = t;
	}
	*bx = x;
	*by = y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-transform-client TRANSFORM [SCALE [viewport]]\n");
		return 1;
	}
	int transform = atoi(argv[1]);
	int scale = argc > 2 ? atoi(argv[2]) : 1;
	bool viewport = argc > 3 && strcmp(argv[3], "viewport") == 0;
	if (transform < 0 || transform > 7 || scale < 1 || scale > 4) {
		fprintf(stderr, "transform 0..7 and scale 1..4, not %s %s\n", argv[1],
			argc > 2 ? argv[2] : "");
		return 1;
	}
	struct wl_display *display = wl_display_connect(NULL);
	if (display == NULL) {
		fprintf(stderr, "no compositor to connect to\n");
		return 1;
	}
	struct client c = { 0 };
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	wl_display_roundtrip(display);
	if (c.compositor == NULL || c.shm == NULL || c.wm_base == NULL) {
		fprintf(stderr, "the compositor lacks wl_compositor 3, wl_shm or xdg_wm_base\n");
		return 1;
	}
	if (viewport && c.viewporter == NULL) {
		fprintf(stderr, "the compositor lacks wp_viewporter\n");
		return 1;
	}

	// The content at buffer scale, then the buffer: the content transformed.
	const int cw = TRANSFORM_W * scale, ch = TRANSFORM_H * scale;
	const bool swap = transform & 1;
	const int bw = swap ? ch : cw, bh = swap ? cw : ch;
	const int stride = bw * 4;
	const size_t size = (size_t)stride * (size_t)bh;
	int fd = memfd_create("test-transform-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		perror("memfd");
		return 1;
	}
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (int y = 0; y < ch; y++) {
		for (int x = 0; x < cw; x++) {
			int bx, by;
			transform_point(transform, cw, ch, x, y, &bx, &by);
			pixels[by * bw + bx] = transform_pattern_xrgb(x / scale, y / scale);
		}
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(c.shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, bw, bh, stride,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);

	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	struct xdg_surface *xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, surface);
	xdg_surface_add_listener(xdg_surface, &surface_listener, &c);
	struct xdg_toplevel *toplevel = xdg_surface_get_toplevel(xdg_surface);
	xdg_toplevel_set_title(toplevel, "test-transform-client");
	wl_surface_commit(surface);
	while (!c.configured) {
		if (wl_display_dispatch(display) < 0) {
			fprintf(stderr, "the compositor went away before configuring\n");
			return 1;
		}
	}
	wl_surface_set_buffer_transform(surface, transform);
	wl_surface_set_buffer_scale(surface, scale);
	if (viewport) {
		struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter, surface);
		wp_viewport_set_source(vp, wl_fixed_from_double(VIEWPORT_SRC_X),
			wl_fixed_from_double(VIEWPORT_SRC_Y), wl_fixed_from_double(VIEWPORT_SRC_W),
			wl_fixed_from_double(VIEWPORT_SRC_H));
		wp_viewport_set_destination(vp, TRANSFORM_W, TRANSFORM_H);
	}
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage(surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(surface);
	// Until the compositor goes away.
	while (wl_display_dispatch(display) >= 0) {
	}
	return 0;
}
