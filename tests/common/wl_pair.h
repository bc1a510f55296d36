#ifndef TEST_COMMON_WL_PAIR_H
#define TEST_COMMON_WL_PAIR_H

/*
 * A Wayland server and one real client of it in the same thread, over a
 * socketpair: the server has mosaic's wl_shm global, the client has bound
 * it. wl_pair_roundtrip() runs both sides until the server handled every
 * request sent so far and the client dispatched the answers. Public API and
 * libwayland only: tests/wayland, tests/fuzz and bench-upload use it.
 */

#include <stdbool.h>

#include <wayland-client.h>
#include <wayland-server-core.h>

#include <mosaic/mosaic.h>
#include <mosaic/wayland.h>

struct wl_pair {
	struct wl_display *server;
	struct wl_event_loop *loop;
	struct mosaic_wl_shm *global;
	/* The client as the server sees it; NULL once it was disconnected. */
	struct wl_client *server_client;
	struct wl_listener client_destroy;
	struct wl_display *client;
	struct wl_shm *shm;
	/* wl_shm formats the client was sent. */
	uint32_t formats[64];
	int n_formats;
};

/* Sets up both sides with mosaic_wl_shm_create(display, renderer). */
bool wl_pair_init(struct wl_pair *pair, struct mosaic_renderer *renderer);

/*
 * Runs both sides until the client's requests so far are handled. False once
 * the client was disconnected (a protocol error: see wl_pair_client_error()).
 */
bool wl_pair_roundtrip(struct wl_pair *pair);

/* The protocol error the client got (its code), or -1 without one; *interface names its object. */
int wl_pair_client_error(struct wl_pair *pair, const char **interface);

/* The server's resource for a client proxy (NULL when there is none, or no client). */
struct wl_resource *wl_pair_resource(struct wl_pair *pair, void *proxy);

/* Disconnects the client (its objects go away on the server). */
void wl_pair_disconnect(struct wl_pair *pair);

/* Tears both sides down. The renderer stays the caller's. */
void wl_pair_finish(struct wl_pair *pair);

#endif
