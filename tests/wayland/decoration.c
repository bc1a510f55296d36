/*
 * test-wayland-decoration: zxdg_decoration_manager_v1 in a headless
 * mosaic-nested, and the protocol errors of window management requests.
 * The compositor draws no decorations: every answer is client_side, each
 * followed by an xdg_surface.configure, after set_mode and unset_mode too.
 * already_constructed, unconfigured_buffer, orphaned and
 * xdg_toplevel.invalid_resize_edge end the client that earns them.
 *
 * Usage: test-wayland-decoration PATH/TO/mosaic-nested
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <wayland-client.h>

#include "headless.h"
#include "xdg-decoration-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define NESTED_SOCKET "mosaic-decoration"

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct xdg_wm_base *wm_base;
	struct zxdg_decoration_manager_v1 *manager;
	/* Events in the order they came: 'd' decoration, 't' toplevel, 's' xdg_surface. */
	char events[32];
	int n_events;
	uint32_t mode, serial;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, "wl_seat") == 0) {
		c->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, "xdg_wm_base") == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 3);
	} else if (strcmp(interface, zxdg_decoration_manager_v1_interface.name) == 0) {
		c->manager = wl_registry_bind(registry, name,
			&zxdg_decoration_manager_v1_interface, 1);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static void record(struct client *c, char event)
{
	if (c->n_events < (int)sizeof(c->events) - 1) {
		c->events[c->n_events++] = event;
		c->events[c->n_events] = '\0';
	}
}

static void decoration_configure(void *data, struct zxdg_toplevel_decoration_v1 *d,
	uint32_t mode)
{
	struct client *c = data;
	c->mode = mode;
	record(c, 'd');
}

static const struct zxdg_toplevel_decoration_v1_listener decoration_listener = {
	.configure = decoration_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
	int32_t height, struct wl_array *states)
{
	record(data, 't');
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct client *c = data;
	c->serial = serial;
	record(c, 's');
}

static const struct xdg_surface_listener surface_listener = {
	.configure = surface_configure,
};

static void client_connect(struct client *c)
{
	*c = (struct client){0};
	c->display = wl_display_connect(NESTED_SOCKET);
	assert_non_null(c->display);
	struct wl_registry *registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(registry, &registry_listener, c);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_non_null(c->compositor);
	assert_non_null(c->wm_base);
	assert_non_null(c->seat);
	assert_non_null(c->manager);
}

struct window {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
};

static void window_init(struct client *c, struct window *win)
{
	win->surface = wl_compositor_create_surface(c->compositor);
	win->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, win->surface);
	xdg_surface_add_listener(win->xdg_surface, &surface_listener, c);
	win->toplevel = xdg_surface_get_toplevel(win->xdg_surface);
	xdg_toplevel_add_listener(win->toplevel, &toplevel_listener, c);
}

static struct zxdg_toplevel_decoration_v1 *decoration_of(struct client *c,
	struct window *win)
{
	struct zxdg_toplevel_decoration_v1 *d =
		zxdg_decoration_manager_v1_get_toplevel_decoration(c->manager, win->toplevel);
	zxdg_toplevel_decoration_v1_add_listener(d, &decoration_listener, c);
	return d;
}

static struct wl_buffer *buffer_of(struct client *c, int w, int h)
{
	int fd = memfd_create("test-decoration", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, w * h * 4), 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, w * h * 4);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

/* The client must be disconnected with `code` of `interface`. */
static void expect_error(struct client *c, const struct wl_interface *interface,
	uint32_t code)
{
	assert_true(wl_display_roundtrip(c->display) < 0);
	assert_int_equal(wl_display_get_error(c->display), EPROTO);
	const struct wl_interface *got = NULL;
	uint32_t id;
	uint32_t got_code = wl_display_get_protocol_error(c->display, &got, &id);
	assert_non_null(got);
	print_message("error %u on %s@%u\n", got_code, got->name, id);
	assert_string_equal(got->name, interface->name);
	assert_int_equal(got_code, code);
	wl_display_disconnect(c->display);
}

/* client_side, before the xdg_surface.configure of the same sequence, every time. */
static void client_side_always(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	window_init(&c, &win);
	struct zxdg_toplevel_decoration_v1 *d = decoration_of(&c, &win);
	zxdg_toplevel_decoration_v1_set_mode(d, ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	// Nothing before the initial commit: the configure answers it.
	assert_string_equal(c.events, "");
	wl_surface_commit(win.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_string_equal(c.events, "dts");
	assert_int_equal(c.mode, ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	xdg_surface_ack_configure(win.xdg_surface, c.serial);
	wl_surface_attach(win.surface, buffer_of(&c, 40, 40), 0, 0);
	wl_surface_commit(win.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);

	// Mapped now (the configures of its activation may come too).
	c.n_events = 0;
	c.events[0] = '\0';
	c.mode = 0;
	uint32_t serial = c.serial;
	zxdg_toplevel_decoration_v1_set_mode(d, ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	print_message("after set_mode: %s\n", c.events);
	assert_int_equal(c.mode, ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	assert_true(c.n_events >= 3);
	assert_string_equal(c.events + c.n_events - 3, "dts");
	assert_int_not_equal(c.serial, serial);

	c.n_events = 0;
	c.events[0] = '\0';
	c.mode = 0;
	serial = c.serial;
	zxdg_toplevel_decoration_v1_unset_mode(d);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_string_equal(c.events, "dts");
	assert_int_equal(c.mode, ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	assert_int_not_equal(c.serial, serial);
	xdg_surface_ack_configure(win.xdg_surface, c.serial);
	wl_surface_commit(win.surface);

	// The decoration goes before its toplevel, as it must: no error.
	zxdg_toplevel_decoration_v1_destroy(d);
	xdg_toplevel_destroy(win.toplevel);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wl_display_disconnect(c.display);
}

static void already_constructed(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	window_init(&c, &win);
	decoration_of(&c, &win);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	decoration_of(&c, &win);
	expect_error(&c, &zxdg_toplevel_decoration_v1_interface,
		ZXDG_TOPLEVEL_DECORATION_V1_ERROR_ALREADY_CONSTRUCTED);
}

/* A toplevel with a buffer, committed or only attached, gets no decoration. */
static void unconfigured_buffer(void **state)
{
	for (int committed = 0; committed < 2; committed++) {
		struct client c;
		client_connect(&c);
		struct window win;
		window_init(&c, &win);
		wl_surface_commit(win.surface);
		assert_true(wl_display_roundtrip(c.display) >= 0);
		xdg_surface_ack_configure(win.xdg_surface, c.serial);
		wl_surface_attach(win.surface, buffer_of(&c, 40, 40), 0, 0);
		if (committed) {
			wl_surface_commit(win.surface);
		}
		assert_true(wl_display_roundtrip(c.display) >= 0);
		decoration_of(&c, &win);
		expect_error(&c, &zxdg_toplevel_decoration_v1_interface,
			ZXDG_TOPLEVEL_DECORATION_V1_ERROR_UNCONFIGURED_BUFFER);
	}
}

static void orphaned(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	window_init(&c, &win);
	decoration_of(&c, &win);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	xdg_toplevel_destroy(win.toplevel);
	expect_error(&c, &zxdg_toplevel_decoration_v1_interface,
		ZXDG_TOPLEVEL_DECORATION_V1_ERROR_ORPHANED);
}

static void invalid_resize_edge(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	window_init(&c, &win);
	// 3 is top and bottom at once: no edge.
	xdg_toplevel_resize(win.toplevel, c.seat, 0, 3);
	expect_error(&c, &xdg_toplevel_interface, XDG_TOPLEVEL_ERROR_INVALID_RESIZE_EDGE);
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	struct headless_nested nested;
	if (!headless_nested_start(&nested, argv[1], "mosaic-decoration", NESTED_SOCKET)) {
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_side_always),
		cmocka_unit_test(already_constructed),
		cmocka_unit_test(unconfigured_buffer),
		cmocka_unit_test(orphaned),
		cmocka_unit_test(invalid_resize_edge),
	};
	int failed = cmocka_run_group_tests_name("wayland-decoration", tests, NULL, NULL);
	failed += headless_nested_stop(&nested);
	return failed;
}
