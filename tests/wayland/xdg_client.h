#ifndef MOSAIC_TESTS_WAYLAND_XDG_CLIENT_H
#define MOSAIC_TESTS_WAYLAND_XDG_CLIENT_H

/*
 * The raw client of the xdg-shell tests against a headless mosaic-nested
 * (test-wayland-hostile, test-wayland-xdg-misuse): a connection and the
 * globals they use.
 */

#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
};

/* Connects to `socket` and binds the globals; the test fails where one is missing. */
void client_connect(struct client *c, const char *socket);

/* CLOCK_MONOTONIC, in seconds. */
double now_s(void);

#endif
