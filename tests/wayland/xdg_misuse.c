/*
 * test-wayland-xdg-misuse: raw Wayland clients misuse xdg-shell and
 * wl_subsurface against a headless mosaic-nested. Protocol misuse ends in
 * the protocol's error for that client; values that are legal but extreme
 * (coordinates near INT32_MAX) are clamped, never wrapped. Either way
 * mosaic-nested goes on serving: another client still gets a frame.
 * Signed overflows abort mosaic-nested in the build-asan build (UBSan with
 * halt_on_error), which the next client then sees as a refused connection.
 *
 * Usage: test-wayland-xdg-misuse PATH/TO/mosaic-nested
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

#define NESTED_SOCKET "mosaic-xdg-misuse"

/* A window of a test client: a toplevel or a popup. */
struct window {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct xdg_popup *popup;
	struct wl_buffer *buffer;
	bool configured;
	uint32_t serial;
	bool popup_configured;
	int32_t popup_x, popup_y, popup_w, popup_h;
};

/* The proxies go with the display. */
static void client_disconnect(struct client *c)
{
	wl_display_disconnect(c->display);
}

/* Dispatches events until *flag is set, at most 10 s. */
static bool dispatch_until(struct wl_display *display, const bool *flag)
{
	double end = now_s() + 10.0;
	while (!*flag && now_s() < end) {
		if (wl_display_dispatch_pending(display) < 0 || wl_display_flush(display) < 0) {
			return false;
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(display), .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0 && wl_display_dispatch(display) < 0) {
			return false;
		}
	}
	return *flag;
}

static void window_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct window *win = data;
	win->configured = true;
	win->serial = serial;
}

static const struct xdg_surface_listener window_listener = {
	.configure = window_configure,
};

static void popup_configure(void *data, struct xdg_popup *popup, int32_t x, int32_t y,
	int32_t w, int32_t h)
{
	struct window *win = data;
	win->popup_configured = true;
	win->popup_x = x;
	win->popup_y = y;
	win->popup_w = w;
	win->popup_h = h;
}

static void popup_done(void *data, struct xdg_popup *popup)
{
}

static void popup_repositioned(void *data, struct xdg_popup *popup, uint32_t token)
{
}

static const struct xdg_popup_listener popup_listener = {
	.configure = popup_configure,
	.popup_done = popup_done,
	.repositioned = popup_repositioned,
};

static struct wl_buffer *solid_buffer(struct client *c, int w, int h)
{
	int fd = memfd_create("test-xdg-misuse", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, w * h * 4), 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, w * h * 4);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

/* Creates the surface of a window; the role comes next, then window_show(). */
static void window_init(struct client *c, struct window *win)
{
	*win = (struct window){0};
	win->surface = wl_compositor_create_surface(c->compositor);
	win->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, win->surface);
	xdg_surface_add_listener(win->xdg_surface, &window_listener, win);
}

/* The configure handshake, then a buffer: the window maps. False on a disconnect. */
static bool window_show(struct client *c, struct window *win, int size)
{
	wl_surface_commit(win->surface);
	if (!dispatch_until(c->display, &win->configured)) {
		return false;
	}
	xdg_surface_ack_configure(win->xdg_surface, win->serial);
	win->buffer = solid_buffer(c, size, size);
	wl_surface_attach(win->surface, win->buffer, 0, 0);
	wl_surface_damage_buffer(win->surface, 0, 0, size, size);
	wl_surface_commit(win->surface);
	return wl_display_roundtrip(c->display) >= 0;
}

static struct xdg_popup *popup_of(struct client *c, struct window *win,
	struct window *parent, struct xdg_positioner *positioner)
{
	struct xdg_popup *popup = xdg_surface_get_popup(win->xdg_surface, parent->xdg_surface,
		positioner);
	xdg_popup_add_listener(popup, &popup_listener, win);
	return popup;
}

static struct xdg_positioner *small_positioner(struct client *c)
{
	struct xdg_positioner *positioner = xdg_wm_base_create_positioner(c->wm_base);
	xdg_positioner_set_size(positioner, 20, 20);
	xdg_positioner_set_anchor_rect(positioner, 0, 0, 1, 1);
	return positioner;
}

static void frame_done(void *data, struct wl_callback *callback, uint32_t ms)
{
	*(bool *)data = true;
}

static const struct wl_callback_listener frame_listener = {
	.done = frame_done,
};

/* A new client maps a toplevel and gets a frame: mosaic-nested still serves. */
static void another_client_gets_a_frame(void)
{
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window win;
	window_init(&c, &win);
	win.toplevel = xdg_surface_get_toplevel(win.xdg_surface);
	bool done = false;
	struct wl_callback *frame = wl_surface_frame(win.surface);
	wl_callback_add_listener(frame, &frame_listener, &done);
	assert_true(window_show(&c, &win, 50));
	assert_true(dispatch_until(c.display, &done));
	client_disconnect(&c);
}

/*
 * The client must be disconnected with xdg_wm_base.invalid_popup_parent. A
 * compositor that let the bad parent through gets the popups mapped (and
 * raised) too, which is where a cycle used to recurse until the stack ran out.
 */
static void expect_invalid_popup_parent(struct client *c, struct window *wins, int n)
{
	if (wl_display_roundtrip(c->display) >= 0) {
		print_message("the bad popup parent was accepted: mapping the popups\n");
		for (int i = 0; i < n && window_show(c, &wins[i], 20); i++) {
		}
	}
	assert_int_equal(wl_display_get_error(c->display), EPROTO);
	const struct wl_interface *got = NULL;
	uint32_t id;
	uint32_t code = wl_display_get_protocol_error(c->display, &got, &id);
	assert_non_null(got);
	print_message("error %u on %s@%u\n", code, got->name, id);
	assert_string_equal(got->name, xdg_wm_base_interface.name);
	assert_int_equal(code, XDG_WM_BASE_ERROR_INVALID_POPUP_PARENT);
}

/*
 * A popup parented to itself, and two popups parented to each other: each
 * client gets the protocol error, and mosaic-nested goes on serving.
 */
static void popup_parent_cycles(void **state)
{
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct xdg_positioner *positioner = small_positioner(&c);
	struct window self;
	window_init(&c, &self);
	self.popup = popup_of(&c, &self, &self, positioner);
	expect_invalid_popup_parent(&c, &self, 1);
	client_disconnect(&c);

	client_connect(&c, NESTED_SOCKET);
	positioner = small_positioner(&c);
	struct window pair[2];
	window_init(&c, &pair[0]);
	window_init(&c, &pair[1]);
	pair[0].popup = popup_of(&c, &pair[0], &pair[1], positioner);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	pair[1].popup = popup_of(&c, &pair[1], &pair[0], positioner);
	expect_invalid_popup_parent(&c, pair, 2);
	client_disconnect(&c);

	another_client_gets_a_frame();
}

static struct xdg_positioner *extreme_positioner(struct client *c, bool max)
{
	struct xdg_positioner *positioner = xdg_wm_base_create_positioner(c->wm_base);
	if (max) {
		// The anchor point is past INT32_MAX: the popup goes far right, down.
		xdg_positioner_set_size(positioner, 20, 20);
		xdg_positioner_set_anchor_rect(positioner, INT32_MAX - 10, INT32_MAX - 10, 20, 20);
		xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT);
		xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	} else {
		// Left and up of INT32_MIN by a popup as large as the protocol allows.
		xdg_positioner_set_size(positioner, INT32_MAX, INT32_MAX);
		xdg_positioner_set_anchor_rect(positioner, INT32_MIN, INT32_MIN, 0, 0);
		xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_TOP_LEFT);
		xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_TOP_LEFT);
		xdg_positioner_set_offset(positioner, INT32_MIN, INT32_MIN);
	}
	return positioner;
}

/* A subsurface of parent with a buffer, at x, y; applied with the parent's next commit. */
static void subsurface_at(struct client *c, struct window *parent, int32_t x, int32_t y)
{
	struct wl_surface *surface = wl_compositor_create_surface(c->compositor);
	struct wl_subsurface *sub = wl_subcompositor_get_subsurface(c->subcompositor, surface,
		parent->surface);
	wl_subsurface_set_desync(sub);
	wl_subsurface_set_position(sub, x, y);
	wl_surface_attach(surface, solid_buffer(c, 10, 10), 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, 10, 10);
	wl_surface_commit(surface);
}

/*
 * Coordinates near INT32_MAX and INT32_MIN, all legal: popup positions from
 * positioners, a window geometry, subsurface positions. The popup lands on
 * the side its positioner says (a wrapped sum would put it on the other),
 * and mosaic-nested computes the rest without overflowing (UBSan aborts it
 * otherwise) and goes on serving.
 */
static void extreme_coordinates(void **state)
{
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window top;
	window_init(&c, &top);
	top.toplevel = xdg_surface_get_toplevel(top.xdg_surface);
	assert_true(window_show(&c, &top, 50));

	struct xdg_positioner *far = extreme_positioner(&c, true);
	struct xdg_positioner *near_min = extreme_positioner(&c, false);
	struct window right, left;
	window_init(&c, &right);
	right.popup = popup_of(&c, &right, &top, far);
	assert_true(window_show(&c, &right, 20));
	print_message("popup past INT32_MAX: %d,%d %dx%d\n", right.popup_x, right.popup_y,
		right.popup_w, right.popup_h);
	assert_true(right.popup_x > 0 && right.popup_y > 0);
	assert_int_equal(right.popup_w, 20);

	window_init(&c, &left);
	left.popup = popup_of(&c, &left, &right, near_min);
	assert_true(window_show(&c, &left, 20));
	print_message("popup before INT32_MIN: %d,%d %dx%d\n", left.popup_x, left.popup_y,
		left.popup_w, left.popup_h);
	assert_true(left.popup_x < 0 && left.popup_y < 0);
	assert_true(left.popup_w > 0 && left.popup_h > 0);

	// Moved back and forth: the position relative to the parent is recomputed.
	left.popup_configured = false;
	xdg_popup_reposition(left.popup, far, 1);
	assert_true(dispatch_until(c.display, &left.popup_configured));
	assert_true(left.popup_x > 0 && left.popup_y > 0);
	right.popup_configured = false;
	xdg_popup_reposition(right.popup, near_min, 2);
	assert_true(dispatch_until(c.display, &right.popup_configured));
	assert_true(right.popup_x < 0 && right.popup_y < 0);

	subsurface_at(&c, &top, INT32_MAX, INT32_MAX);
	subsurface_at(&c, &top, INT32_MIN, INT32_MIN);
	wl_surface_commit(top.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	xdg_surface_set_window_geometry(top.xdg_surface, INT32_MIN, INT32_MIN, INT32_MAX,
		INT32_MAX);
	wl_surface_commit(top.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	xdg_surface_set_window_geometry(top.xdg_surface, INT32_MAX, INT32_MAX, 1, 1);
	wl_surface_commit(top.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	client_disconnect(&c);

	another_client_gets_a_frame();
}

/* The client must be disconnected with wl_subcompositor.bad_surface. */
static void expect_bad_surface(struct client *c)
{
	assert_true(wl_display_roundtrip(c->display) < 0);
	assert_int_equal(wl_display_get_error(c->display), EPROTO);
	const struct wl_interface *got = NULL;
	uint32_t id;
	uint32_t code = wl_display_get_protocol_error(c->display, &got, &id);
	assert_non_null(got);
	print_message("error %u on %s@%u\n", code, got->name, id);
	assert_string_equal(got->name, wl_subcompositor_interface.name);
	assert_int_equal(code, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE);
}

/* A chain of `n` subsurfaces below `parent`, each with a buffer; returns the last. */
static struct wl_surface *subsurface_chain(struct client *c, struct wl_surface *parent, int n)
{
	for (int i = 0; i < n; i++) {
		struct wl_surface *surface = wl_compositor_create_surface(c->compositor);
		struct wl_subsurface *sub = wl_subcompositor_get_subsurface(c->subcompositor,
			surface, parent);
		wl_subsurface_set_position(sub, 1, 1);
		wl_surface_attach(surface, solid_buffer(c, 4, 4), 0, 0);
		wl_surface_commit(surface);
		parent = surface;
	}
	return parent;
}

/*
 * Subsurface trees are at most 32 levels deep below the window (nested.h):
 * a chain that deep is drawn, one level more is a protocol error, and so is
 * joining two trees whose depths add up to more.
 */
static void subsurface_depth_limit(void **state)
{
	struct client c;
	client_connect(&c, NESTED_SOCKET);
	struct window top;
	window_init(&c, &top);
	top.toplevel = xdg_surface_get_toplevel(top.xdg_surface);
	assert_true(window_show(&c, &top, 50));
	struct wl_surface *deepest = subsurface_chain(&c, top.surface, 32);
	bool done = false;
	struct wl_callback *frame = wl_surface_frame(top.surface);
	wl_callback_add_listener(frame, &frame_listener, &done);
	wl_surface_commit(top.surface);
	assert_true(dispatch_until(c.display, &done));
	subsurface_chain(&c, deepest, 1);
	expect_bad_surface(&c);
	client_disconnect(&c);

	// A tree 20 deep joins a window's chain 20 deep: 41 levels.
	client_connect(&c, NESTED_SOCKET);
	window_init(&c, &top);
	top.toplevel = xdg_surface_get_toplevel(top.xdg_surface);
	assert_true(window_show(&c, &top, 50));
	deepest = subsurface_chain(&c, top.surface, 20);
	struct wl_surface *root = wl_compositor_create_surface(c.compositor);
	subsurface_chain(&c, root, 20);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wl_subcompositor_get_subsurface(c.subcompositor, root, deepest);
	expect_bad_surface(&c);
	client_disconnect(&c);

	another_client_gets_a_frame();
}

static const char *nested_path;

/* The exit status of child `pid`, which must exit within 60 s (else: fails with `late`). */
static int exit_status(pid_t pid, const char *late)
{
	int status = 0;
	pid_t done = 0;
	for (int i = 0; i < 6000 && done == 0; i++) {
		done = waitpid(pid, &status, WNOHANG);
		if (done == 0) {
			usleep(10000);
		}
	}
	if (done == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("%s", late);
	}
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * A client that exits before it shows a window, under --quit-after-screenshot:
 * mosaic-nested says no screenshot was taken and exits 1, instead of waiting
 * for a window that can no longer come.
 */
static void client_exits_before_a_window(void **state)
{
	char shot[160];
	snprintf(shot, sizeof(shot), "%s/never.png", getenv("XDG_RUNTIME_DIR"));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(nested_path, nested_path, "--headless", "--renderer", "pixman", "--size",
			"64x64", "--socket", "quit-test", "--screenshot", shot,
			"--quit-after-screenshot", "--", "false", (char *)NULL);
		_exit(127);
	}
	// A generous bound: it exits as soon as it sees the client go.
	assert_int_equal(exit_status(pid, "mosaic-nested still ran 60 s after its client "
		"exited"), 1);
	assert_int_not_equal(access(shot, F_OK), 0);
}

/*
 * A second mosaic-nested on the socket the first one serves: it exits 1
 * and says the socket is taken (not that XDG_RUNTIME_DIR may be unset).
 */
static void socket_in_use(void **state)
{
	char log_path[160];
	snprintf(log_path, sizeof(log_path), "%s/socket-in-use.log", getenv("XDG_RUNTIME_DIR"));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (freopen(log_path, "w", stderr) == NULL) {
			_exit(126);
		}
		execl(nested_path, nested_path, "--headless", "--renderer", "pixman", "--size",
			"64x64", "--socket", NESTED_SOCKET, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(exit_status(pid, "the second mosaic-nested served a socket in use "
		"for 60 s"), 1);
	char text[4096] = "";
	FILE *f = fopen(log_path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_non_null(strstr(text, "another compositor serves it"));
	assert_null(strstr(text, "XDG_RUNTIME_DIR is not set"));
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	nested_path = argv[1];
	struct headless_nested nested;
	if (!headless_nested_start(&nested, nested_path, "mosaic-xdg-misuse", NESTED_SOCKET)) {
		return 1;
	}

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(popup_parent_cycles),
		cmocka_unit_test(extreme_coordinates),
		cmocka_unit_test(subsurface_depth_limit),
		cmocka_unit_test(client_exits_before_a_window),
		cmocka_unit_test(socket_in_use),
	};
	int failed = cmocka_run_group_tests_name("wayland-xdg-misuse", tests, NULL, NULL);

	failed += headless_nested_stop(&nested);
	return failed;
}
