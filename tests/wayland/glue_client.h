#ifndef TEST_WAYLAND_GLUE_CLIENT_H
#define TEST_WAYLAND_GLUE_CLIENT_H

/* The client side of test-wayland-glue, shared by glue.c and glue_shm.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wayland-client.h>

extern const char *socket_name;
/* Against mosaic-nested: no linux-dmabuf (pixman), no texture reports. */
extern bool nested;
/* The server runs libwayland's wl_shm (GLUE_LIBWAYLAND_SHM=1). */
extern bool libwayland_shm;

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	uint32_t shm_formats[64];
	int n_shm_formats;
};

struct fixture {
	struct client *bad;
	struct client *bystander;
};

struct client *client_connect(void);
void client_disconnect(struct client *c);
/* The client was disconnected with this error on an object of `interface`. */
void expect_error(struct client *c, const struct wl_interface *interface, uint32_t code);
int memfd_sized(size_t size);
/* Shows a small shm buffer and waits for its release: proof the server works. */
void show_shm_buffer(struct client *c);
/* A fixture of two clients: `bad` misbehaves, `bystander` must still be served. */
int setup(void **state);
int teardown(void **state);
extern const struct wl_buffer_listener buffer_listener;

/* Runs the tests of mosaic's wl_shm global (glue_shm.c); returns the failures. */
int glue_shm_run(void);

#endif
