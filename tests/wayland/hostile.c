/*
 * test-wayland-hostile: clients that flood, oversize and misuse against a
 * headless mosaic-nested, while a well-behaved client stays connected with a
 * window. Each hostile act either gets its protocol error or is handled
 * within a bound (HANDLED_S), and afterwards the well-behaved client still
 * gets frame callbacks:
 *
 * - 200000 damage rectangles in one commit, and a region of 100000
 *   scattered rectangles (refused with no_memory past a bound), within
 *   FLOOD_S from the first request;
 * - a 16384x16384 wl_shm buffer committed to a toplevel: past the
 *   compositor's limit, wl_display.no_memory; a 16384x64 one, at the side
 *   limit, is shown;
 * - buffers destroyed while the compositor holds them (attached, committed,
 *   then destroyed before any release; the pool destroyed too);
 * - ack_configure with a serial never sent, and with an old one after a
 *   newer one was acked (xdg_surface.invalid_serial);
 * - a surface given two roles: a toplevel made a subsurface
 *   (wl_subcompositor.bad_surface), a subsurface given an xdg_surface
 *   (xdg_wm_base.role).
 *
 * Usage: test-wayland-hostile PATH/TO/mosaic-nested
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

#include "headless.h"
#include "xdg_client.h"

#define NESTED_SOCKET "mosaic-hostile"
/* Seconds a hostile request may take to be handled, and a frame to come. */
#define HANDLED_S 60.0
/*
 * The floods' bound: handled as they come, they take well under a second;
 * work quadratic in their number took 40 s here (and minutes under ASan).
 */
#define FLOOD_S 20.0
/* The bound of the phase running. */
static double bound_s = HANDLED_S;

struct window {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_buffer *buffer;
	bool configured;
	uint32_t serial;
	int n_configures;
};

/*
 * Flushes everything queued, waiting for the socket when it is full (the
 * compositor reads no more while it works on what it got): at most
 * HANDLED_S from `since` (0: now).
 */
static bool flush_all_since(struct wl_display *display, double since)
{
	double end = (since > 0 ? since : now_s()) + bound_s;
	while (wl_display_flush(display) < 0) {
		if (errno != EAGAIN || wl_display_get_error(display) != 0) {
			return false;
		}
		if (now_s() > end) {
			fail_msg("the compositor read nothing for %.0f s", bound_s);
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(display), .events = POLLOUT };
		poll(&pfd, 1, 1000);
	}
	return true;
}

static bool flush_all(struct wl_display *display)
{
	return flush_all_since(display, 0);
}

/* Dispatches events until *flag is set, at most `seconds`. */
static bool dispatch_until(struct wl_display *display, const bool *flag, double seconds)
{
	double end = now_s() + seconds;
	while (!*flag && now_s() < end) {
		if (wl_display_dispatch_pending(display) < 0) {
			return false;
		}
		if (!flush_all(display)) {
			// Cut off: the error the compositor sent is still to be read.
			wl_display_dispatch(display);
			return false;
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(display), .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0 && wl_display_dispatch(display) < 0) {
			return false;
		}
	}
	return *flag;
}

static void sync_done(void *data, struct wl_callback *cb, uint32_t serial)
{
	*(bool *)data = true;
}

static const struct wl_callback_listener sync_listener = { .done = sync_done };

/*
 * A round trip within HANDLED_S: 1 when the compositor answered, 0 when the
 * client was disconnected (a protocol error), and the test fails on a timeout.
 */
static int bounded_roundtrip_since(struct client *c, const char *what, double start)
{
	bool done = false;
	struct wl_callback *cb = wl_display_sync(c->display);
	wl_callback_add_listener(cb, &sync_listener, &done);
	bool ok = dispatch_until(c->display, &done, start + bound_s - now_s());
	double took = now_s() - start;
	print_message("%s: %s in %.2f s\n", what, ok ? "handled" :
		wl_display_get_error(c->display) != 0 ? "disconnected" : "no answer", took);
	if (!ok && wl_display_get_error(c->display) == 0) {
		fail_msg("%s: no answer within %.0f s", what, bound_s);
	}
	return ok ? 1 : 0;
}

static int bounded_roundtrip(struct client *c, const char *what)
{
	return bounded_roundtrip_since(c, what, now_s());
}

/* The protocol error `c` was disconnected with is `code` on `iface`. */
static void expect_error(struct client *c, const struct wl_interface *iface, uint32_t code)
{
	assert_int_equal(wl_display_get_error(c->display), EPROTO);
	const struct wl_interface *got = NULL;
	uint32_t id;
	uint32_t got_code = wl_display_get_protocol_error(c->display, &got, &id);
	assert_non_null(got);
	print_message("error %u on %s@%u\n", got_code, got->name, id);
	assert_string_equal(got->name, iface->name);
	assert_int_equal(got_code, code);
}

static void window_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct window *win = data;
	win->configured = true;
	win->serial = serial;
	win->n_configures++;
}

static const struct xdg_surface_listener window_listener = {
	.configure = window_configure,
};

static struct wl_buffer *shm_buffer(struct client *c, int w, int h, struct wl_shm_pool **pool_out)
{
	size_t size = (size_t)w * (size_t)h * 4;
	int fd = memfd_create("test-hostile", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	// Sparse: only the pages touched exist.
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4,
		WL_SHM_FORMAT_XRGB8888);
	if (pool_out != NULL) {
		*pool_out = pool;
	} else {
		wl_shm_pool_destroy(pool);
	}
	close(fd);
	return buffer;
}

static void window_init(struct client *c, struct window *win)
{
	*win = (struct window){0};
	win->surface = wl_compositor_create_surface(c->compositor);
	win->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, win->surface);
	xdg_surface_add_listener(win->xdg_surface, &window_listener, win);
	win->toplevel = xdg_surface_get_toplevel(win->xdg_surface);
}

/* The configure handshake, then a size x size buffer: the window maps. */
static bool window_show(struct client *c, struct window *win, int size)
{
	wl_surface_commit(win->surface);
	if (!dispatch_until(c->display, &win->configured, HANDLED_S)) {
		return false;
	}
	xdg_surface_ack_configure(win->xdg_surface, win->serial);
	win->buffer = shm_buffer(c, size, size, NULL);
	wl_surface_attach(win->surface, win->buffer, 0, 0);
	wl_surface_damage_buffer(win->surface, 0, 0, size, size);
	wl_surface_commit(win->surface);
	return wl_display_roundtrip(c->display) >= 0;
}

/* The client connected all along, with a mapped window. */
static struct client good;
static struct window good_win;

static void frame_done(void *data, struct wl_callback *callback, uint32_t ms)
{
	*(bool *)data = true;
}

static const struct wl_callback_listener frame_listener = { .done = frame_done };

/* The well-behaved client commits damage and gets its frame callback. */
static void good_client_gets_a_frame(void)
{
	bool done = false;
	struct wl_callback *frame = wl_surface_frame(good_win.surface);
	wl_callback_add_listener(frame, &frame_listener, &done);
	wl_surface_attach(good_win.surface, good_win.buffer, 0, 0);
	wl_surface_damage_buffer(good_win.surface, 0, 0, 8, 8);
	wl_surface_commit(good_win.surface);
	double start = now_s();
	assert_true(dispatch_until(good.display, &done, HANDLED_S));
	print_message("the other client's frame came in %.2f s\n", now_s() - start);
	if (!done) {
		wl_callback_destroy(frame);
	}
}

static int reset_bound(void **state)
{
	bound_s = HANDLED_S;
	return 0;
}

static int setup_good(void **state)
{
	client_connect(&good, NESTED_SOCKET);
	window_init(&good, &good_win);
	return window_show(&good, &good_win, 32) ? 0 : -1;
}

static void flood_damage_and_regions(void **state)
{
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window win;
	window_init(&c, &win);
	assert_true(window_show(&c, &win, 64));
	// Timed from the first request: the compositor works on them as they come.
	bound_s = FLOOD_S;
	double start = now_s();
	for (int i = 0; i < 100000; i++) {
		wl_surface_damage_buffer(win.surface, (i * 7) % 64, (i * 13) % 64, 1 + i % 5,
			1 + i % 3);
		wl_surface_damage(win.surface, (i * 3) % 64, (i * 5) % 64, 2, 2);
		// The client's own buffer is small: flushed before it fills.
		if (i % 50 == 49 && !flush_all_since(c.display, start)) {
			break;
		}
	}
	assert_int_equal(wl_display_get_error(c.display), 0);
	wl_surface_attach(win.surface, win.buffer, 0, 0);
	wl_surface_commit(win.surface);
	assert_int_equal(bounded_roundtrip_since(&c, "200000 damage rectangles in one commit",
		start), 1);

	// Scattered: a region of this many rectangles may be refused (no_memory).
	start = now_s();
	struct wl_region *region = wl_compositor_create_region(c.compositor);
	for (int i = 0; i < 100000; i++) {
		wl_region_add(region, (i * 7) % 4096, (i * 11) % 4096, 1 + i % 7, 1 + i % 5);
		if (i % 2000 == 0) {
			wl_region_subtract(region, (i * 3) % 4096, (i * 5) % 4096, 3, 3);
		}
		if (i % 100 == 99 && !flush_all_since(c.display, start)) {
			wl_display_dispatch(c.display);
			break;
		}
	}
	wl_surface_set_opaque_region(win.surface, region);
	wl_surface_set_input_region(win.surface, region);
	wl_region_destroy(region);
	wl_surface_commit(win.surface);
	if (!bounded_roundtrip_since(&c, "a region of 100000 rectangles", start)) {
		// libwayland reports wl_display.no_memory as ENOMEM, not a protocol error.
		assert_int_equal(wl_display_get_error(c.display), ENOMEM);
	}
	bound_s = HANDLED_S;
	wl_display_disconnect(c.display);
	good_client_gets_a_frame();
}

static void huge_shm_buffer(void **state)
{
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window win;
	window_init(&c, &win);
	wl_surface_commit(win.surface);
	assert_true(dispatch_until(c.display, &win.configured, HANDLED_S));
	xdg_surface_ack_configure(win.xdg_surface, win.serial);
	// At the side limit, and small in all: shown, then updated in part.
	struct wl_buffer *wide = shm_buffer(&c, 16384, 64, NULL);
	wl_surface_attach(win.surface, wide, 0, 0);
	wl_surface_damage_buffer(win.surface, 0, 0, 16384, 64);
	wl_surface_commit(win.surface);
	assert_int_equal(bounded_roundtrip(&c, "a 16384x64 shm buffer"), 1);
	wl_surface_attach(win.surface, wide, 0, 0);
	wl_surface_damage_buffer(win.surface, 100, 10, 5000, 20);
	wl_surface_commit(win.surface);
	assert_int_equal(bounded_roundtrip(&c, "a partial update of it"), 1);
	// 1 GiB: refused before anything is copied.
	struct wl_buffer *buffer = shm_buffer(&c, 16384, 16384, NULL);
	wl_surface_attach(win.surface, buffer, 0, 0);
	wl_surface_damage_buffer(win.surface, 0, 0, 16384, 16384);
	wl_surface_commit(win.surface);
	assert_int_equal(bounded_roundtrip(&c, "a 16384x16384 shm buffer"), 0);
	// libwayland reports wl_display.no_memory as ENOMEM, not a protocol error.
	assert_int_equal(wl_display_get_error(c.display), ENOMEM);
	wl_display_disconnect(c.display);
	good_client_gets_a_frame();
}

static void destroy_buffers_in_use(void **state)
{
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window win;
	window_init(&c, &win);
	assert_true(window_show(&c, &win, 48));
	for (int i = 0; i < 20; i++) {
		// Committed, then destroyed with its pool before any release.
		struct wl_shm_pool *pool;
		struct wl_buffer *buffer = shm_buffer(&c, 48 + i, 48, &pool);
		wl_surface_attach(win.surface, buffer, 0, 0);
		wl_surface_damage_buffer(win.surface, 0, 0, 48 + i, 48);
		wl_surface_commit(win.surface);
		wl_buffer_destroy(buffer);
		wl_shm_pool_destroy(pool);
	}
	assert_int_equal(bounded_roundtrip(&c, "buffers destroyed while in use"), 1);
	// Damage on the destroyed current buffer, then a commit without attach.
	wl_buffer_destroy(win.buffer);
	wl_surface_damage_buffer(win.surface, 0, 0, 8, 8);
	wl_surface_commit(win.surface);
	assert_int_equal(bounded_roundtrip(&c, "the mapped buffer destroyed, then damaged"), 1);
	// Destroyed while attached, before the commit that would use it: the
	// result is unspecified (wl_surface.attach); an error or nothing.
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer = shm_buffer(&c, 30, 30, &pool);
	wl_surface_attach(win.surface, buffer, 0, 0);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	wl_surface_commit(win.surface);
	bounded_roundtrip(&c, "a buffer destroyed between attach and commit");
	wl_display_disconnect(c.display);
	good_client_gets_a_frame();
}

static void ack_configure_out_of_order(void **state)
{
	// A serial that was never sent.
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window win;
	window_init(&c, &win);
	wl_surface_commit(win.surface);
	assert_true(dispatch_until(c.display, &win.configured, HANDLED_S));
	xdg_surface_ack_configure(win.xdg_surface, win.serial + 1000);
	assert_int_equal(bounded_roundtrip(&c, "ack_configure of a serial never sent"), 0);
	expect_error(&c, &xdg_surface_interface, XDG_SURFACE_ERROR_INVALID_SERIAL);
	wl_display_disconnect(c.display);
	good_client_gets_a_frame();

	// Two configures (the window unmapped and mapped again); the newer
	// acked, then the older one.
	client_connect(&c, NESTED_SOCKET);
	window_init(&c, &win);
	assert_true(window_show(&c, &win, 40));
	uint32_t older = win.serial;
	wl_surface_attach(win.surface, NULL, 0, 0);
	wl_surface_commit(win.surface);
	win.configured = false;
	wl_surface_commit(win.surface);
	assert_true(dispatch_until(c.display, &win.configured, HANDLED_S));
	assert_true(win.serial != older);
	xdg_surface_ack_configure(win.xdg_surface, win.serial);
	xdg_surface_ack_configure(win.xdg_surface, older);
	assert_int_equal(bounded_roundtrip(&c, "ack_configure of an old serial after a newer one"),
		0);
	expect_error(&c, &xdg_surface_interface, XDG_SURFACE_ERROR_INVALID_SERIAL);
	wl_display_disconnect(c.display);
	good_client_gets_a_frame();
}

static void two_roles(void **state)
{
	// A toplevel made a subsurface of another window.
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window a, b;
	window_init(&c, &a);
	window_init(&c, &b);
	wl_subcompositor_get_subsurface(c.subcompositor, b.surface, a.surface);
	assert_int_equal(bounded_roundtrip(&c, "a toplevel made a subsurface"), 0);
	expect_error(&c, &wl_subcompositor_interface, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE);
	wl_display_disconnect(c.display);
	good_client_gets_a_frame();

	// A subsurface given an xdg_surface.
	client_connect(&c, NESTED_SOCKET);
	window_init(&c, &a);
	struct wl_surface *child = wl_compositor_create_surface(c.compositor);
	wl_subcompositor_get_subsurface(c.subcompositor, child, a.surface);
	xdg_wm_base_get_xdg_surface(c.wm_base, child);
	assert_int_equal(bounded_roundtrip(&c, "a subsurface given an xdg_surface"), 0);
	expect_error(&c, &xdg_wm_base_interface, XDG_WM_BASE_ERROR_ROLE);
	wl_display_disconnect(c.display);
	good_client_gets_a_frame();
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	struct headless_nested nested;
	if (!headless_nested_start(&nested, argv[1], "mosaic-hostile", NESTED_SOCKET)) {
		return 1;
	}

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(flood_damage_and_regions, reset_bound),
		cmocka_unit_test_setup(huge_shm_buffer, reset_bound),
		cmocka_unit_test_setup(destroy_buffers_in_use, reset_bound),
		cmocka_unit_test_setup(ack_configure_out_of_order, reset_bound),
		cmocka_unit_test_setup(two_roles, reset_bound),
	};
	int failed = cmocka_run_group_tests_name("wayland-hostile", tests, setup_good, NULL);

	wl_display_disconnect(good.display);
	failed += headless_nested_stop(&nested);
	return failed;
}
