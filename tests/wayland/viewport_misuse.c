/*
 * test-wayland-viewport-misuse: raw Wayland clients misuse wp_viewporter
 * against a headless mosaic-nested, one protocol error each as the protocol
 * defines them (viewport_exists, bad_value, bad_size, out_of_buffer,
 * no_surface); values the protocol allows (-1 to unset) are no error.
 * mosaic-nested goes on serving: another client still gets a frame.
 *
 * Usage: test-wayland-viewport-misuse PATH/TO/mosaic-nested
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <wayland-client.h>

#include "viewporter-client-protocol.h"
#include "headless.h"

#define NESTED_SOCKET "mosaic-viewport-misuse"

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wp_viewporter *viewporter;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
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

static void client_connect(struct client *c)
{
	*c = (struct client){0};
	c->display = wl_display_connect(NESTED_SOCKET);
	assert_non_null(c->display);
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_non_null(c->compositor);
	assert_non_null(c->shm);
	assert_non_null(c->viewporter);
}

static struct wl_buffer *solid_buffer(struct client *c, int w, int h)
{
	int fd = memfd_create("test-viewport-misuse", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, w * h * 4), 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, w * h * 4);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

/* The client must be disconnected with `code` on an object of `interface`. */
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

static void frame_done(void *data, struct wl_callback *callback, uint32_t ms)
{
	*(bool *)data = true;
}

static const struct wl_callback_listener frame_listener = {
	.done = frame_done,
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * A new client's surface with a viewport and a buffer gets a frame callback
 * (mosaic-nested sends them for every surface after each frame, a frame is
 * drawn when anything is damaged): mosaic-nested still serves.
 */
static void another_client_is_served(void)
{
	struct client c;
	client_connect(&c);
	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter, surface);
	wp_viewport_set_source(vp, wl_fixed_from_double(0.5), wl_fixed_from_double(0.5),
		wl_fixed_from_int(8), wl_fixed_from_int(8));
	wp_viewport_set_destination(vp, 30, 20);
	bool done = false;
	struct wl_callback *frame = wl_surface_frame(surface);
	wl_callback_add_listener(frame, &frame_listener, &done);
	wl_surface_attach(surface, solid_buffer(&c, 16, 16), 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, 16, 16);
	wl_surface_commit(surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	double end = now_s() + 10.0;
	while (!done && now_s() < end) {
		assert_true(wl_display_flush(c.display) >= 0);
		struct pollfd pfd = { .fd = wl_display_get_fd(c.display), .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0) {
			assert_true(wl_display_dispatch(c.display) >= 0);
		}
	}
	assert_true(done);
	wl_display_disconnect(c.display);
}

static void viewport_exists(void **state)
{
	struct client c;
	client_connect(&c);
	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	wp_viewporter_get_viewport(c.viewporter, surface);
	wp_viewporter_get_viewport(c.viewporter, surface);
	expect_error(&c, &wp_viewporter_interface, WP_VIEWPORTER_ERROR_VIEWPORT_EXISTS);
	// A viewport destroyed makes room for the next one.
	client_connect(&c);
	surface = wl_compositor_create_surface(c.compositor);
	wp_viewport_destroy(wp_viewporter_get_viewport(c.viewporter, surface));
	wp_viewporter_get_viewport(c.viewporter, surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wl_display_disconnect(c.display);
	another_client_is_served();
}

/* One client per bad value: set_source or set_destination with it, then bad_value. */
static void bad_values(void **state)
{
	static const double sources[][4] = {
		{ -0.5, 0, 10, 10 }, { 0, -1, 10, 10 }, { 0, 0, 0, 10 }, { 0, 0, 10, -1 },
		// -1 everywhere unsets; three -1s are no unset.
		{ -1, -1, -1, 10 },
	};
	static const int32_t destinations[][2] = {
		{ 0, 10 }, { 10, 0 }, { -1, 10 }, { 10, -1 }, { -2, -2 },
	};
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		struct client c;
		client_connect(&c);
		struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter,
			wl_compositor_create_surface(c.compositor));
		wp_viewport_set_source(vp, wl_fixed_from_double(sources[i][0]),
			wl_fixed_from_double(sources[i][1]), wl_fixed_from_double(sources[i][2]),
			wl_fixed_from_double(sources[i][3]));
		expect_error(&c, &wp_viewport_interface, WP_VIEWPORT_ERROR_BAD_VALUE);
	}
	for (size_t i = 0; i < sizeof(destinations) / sizeof(destinations[0]); i++) {
		struct client c;
		client_connect(&c);
		struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter,
			wl_compositor_create_surface(c.compositor));
		wp_viewport_set_destination(vp, destinations[i][0], destinations[i][1]);
		expect_error(&c, &wp_viewport_interface, WP_VIEWPORT_ERROR_BAD_VALUE);
	}
	// Unsetting both is no error, with a buffer committed too.
	struct client c;
	client_connect(&c);
	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter, surface);
	wp_viewport_set_source(vp, wl_fixed_from_int(-1), wl_fixed_from_int(-1),
		wl_fixed_from_int(-1), wl_fixed_from_int(-1));
	wp_viewport_set_destination(vp, -1, -1);
	wl_surface_attach(surface, solid_buffer(&c, 16, 16), 0, 0);
	wl_surface_commit(surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wl_display_disconnect(c.display);
	another_client_is_served();
}

/*
 * A commit of a 40x30 buffer at `scale` with the source rectangle and
 * destination size given (dst_w -1: unset) must end in `code` (0: no error).
 */
static void commit_with(int scale, double x, double y, double w, double h, int32_t dst_w,
	int32_t dst_h, uint32_t code)
{
	struct client c;
	client_connect(&c);
	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter, surface);
	wp_viewport_set_source(vp, wl_fixed_from_double(x), wl_fixed_from_double(y),
		wl_fixed_from_double(w), wl_fixed_from_double(h));
	wp_viewport_set_destination(vp, dst_w, dst_h);
	wl_surface_set_buffer_scale(surface, scale);
	wl_surface_attach(surface, solid_buffer(&c, 40, 30), 0, 0);
	wl_surface_commit(surface);
	if (code == 0) {
		assert_true(wl_display_roundtrip(c.display) >= 0);
		wl_display_disconnect(c.display);
	} else {
		expect_error(&c, &wp_viewport_interface, code);
	}
}

static void bad_size(void **state)
{
	// A fractional source size needs a destination size.
	commit_with(1, 0, 0, 10.5, 10, -1, -1, WP_VIEWPORT_ERROR_BAD_SIZE);
	commit_with(1, 0, 0, 10, 0.25, -1, -1, WP_VIEWPORT_ERROR_BAD_SIZE);
	commit_with(1, 0.5, 0.5, 10, 10, -1, -1, 0);
	commit_with(1, 0, 0, 10.5, 10.5, 20, 20, 0);
	another_client_is_served();
}

static void out_of_buffer(void **state)
{
	commit_with(1, 30.5, 0, 10, 10, 20, 20, WP_VIEWPORT_ERROR_OUT_OF_BUFFER);
	commit_with(1, 0, 20, 10, 10.25, 20, 20, WP_VIEWPORT_ERROR_OUT_OF_BUFFER);
	// Exactly the whole buffer is inside.
	commit_with(1, 0, 0, 40, 30, -1, -1, 0);
	// The source is in surface coordinates: scale 2 halves the buffer.
	commit_with(2, 0, 0, 20, 15, -1, -1, 0);
	commit_with(2, 0, 0, 21, 15, -1, -1, WP_VIEWPORT_ERROR_OUT_OF_BUFFER);
	// Without a buffer there is nothing to leave.
	struct client c;
	client_connect(&c);
	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter, surface);
	wp_viewport_set_source(vp, wl_fixed_from_int(100), wl_fixed_from_int(100),
		wl_fixed_from_int(10), wl_fixed_from_int(10));
	wl_surface_commit(surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wl_display_disconnect(c.display);
	another_client_is_served();
}

static void no_surface(void **state)
{
	struct client c;
	client_connect(&c);
	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	struct wp_viewport *vp = wp_viewporter_get_viewport(c.viewporter, surface);
	wl_surface_destroy(surface);
	// Destroying it is fine; the other requests are no_surface.
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wp_viewport_set_destination(vp, 10, 10);
	expect_error(&c, &wp_viewport_interface, WP_VIEWPORT_ERROR_NO_SURFACE);

	client_connect(&c);
	surface = wl_compositor_create_surface(c.compositor);
	vp = wp_viewporter_get_viewport(c.viewporter, surface);
	wl_surface_destroy(surface);
	wp_viewport_set_source(vp, 0, 0, wl_fixed_from_int(1), wl_fixed_from_int(1));
	expect_error(&c, &wp_viewport_interface, WP_VIEWPORT_ERROR_NO_SURFACE);

	client_connect(&c);
	surface = wl_compositor_create_surface(c.compositor);
	vp = wp_viewporter_get_viewport(c.viewporter, surface);
	wl_surface_destroy(surface);
	wp_viewport_destroy(vp);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wl_display_disconnect(c.display);
	another_client_is_served();
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	const char *nested_path = argv[1];
	struct headless_nested nested;
	if (!headless_nested_start(&nested, nested_path, "mosaic-viewport-misuse", NESTED_SOCKET)) {
		return 1;
	}

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(viewport_exists),
		cmocka_unit_test(bad_values),
		cmocka_unit_test(bad_size),
		cmocka_unit_test(out_of_buffer),
		cmocka_unit_test(no_surface),
	};
	int failed = cmocka_run_group_tests_name("wayland-viewport-misuse", tests, NULL, NULL);

	failed += headless_nested_stop(&nested);
	return failed;
}
