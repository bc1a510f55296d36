/*
 * test-wayland-wm: window management in mosaic-nested, driven through the
 * protocol by a raw client, with input from the stand-in parent
 * (input_parent.c), whose copy of each presented frame is the screenshot.
 *
 * Activation follows keyboard focus; maximize and fullscreen configure the
 * output's size and place the window at the output's origin only with the
 * commit after the ack; unset puts it back; the output's new size reaches
 * fullscreen windows; minimize hides a window until it asks to be shown;
 * new windows are placed inside the output; interactive moves and resizes
 * follow the pointer; a click outside a popup grab's chain dismisses it.
 *
 * Usage: test-wayland-wm PATH/TO/mosaic-nested
 */
#define _GNU_SOURCE
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
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

#include "input.h"
#include "xdg-shell-client-protocol.h"

#define PARENT_SOCKET "mosaic-wm-parent"
#define NESTED_SOCKET "mosaic-wm-nested"
/* mosaic-nested's output until window_fullscreen_follows_output resizes it. */
#define OUT_W 320
#define OUT_H 240

/*
 * Each test's windows have colors of their own: the parent's frame may
 * still show the last test's windows when the next one looks for its own.
 */
#define RED 0xff0000
#define BLUE 0x0000ff
#define GREEN 0x00ff00
#define YELLOW 0xffff00
#define CYAN 0x00ffff
#define MAGENTA 0xff00ff
#define MAROON 0x800000
#define DARK_GREEN 0x008000
#define NAVY 0x000080
#define OLIVE 0x808000
#define TEAL 0x008080
#define PURPLE 0x800080
#define SILVER 0xc0c0c0

#define STATE_ACTIVATED (1u << XDG_TOPLEVEL_STATE_ACTIVATED)
#define STATE_MAXIMIZED (1u << XDG_TOPLEVEL_STATE_MAXIMIZED)
#define STATE_FULLSCREEN (1u << XDG_TOPLEVEL_STATE_FULLSCREEN)
#define STATE_RESIZING (1u << XDG_TOPLEVEL_STATE_RESIZING)

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	/* The last pointer event: the surface and where in it. */
	bool pointer_event;
	struct wl_surface *pointer_surface;
	double pointer_x, pointer_y;
	bool button;
	uint32_t button_serial, button_state;
	/* popup_done events, counted in order. */
	int popups_done;
};

/* A window of the test client: a toplevel or a popup, one solid color. */
struct window {
	struct client *client;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct xdg_popup *popup;
	struct wl_buffer *buffer;
	/* The last xdg_surface.configure and the toplevel configure it closed. */
	bool configured;
	uint32_t serial;
	int configures;
	int32_t width, height, pending_width, pending_height;
	uint32_t states, pending_states;
	/* The order of its popup_done among the client's (0: none yet). */
	int done_order;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, "xdg_wm_base") == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 3);
	} else if (strcmp(interface, "wl_seat") == 0) {
		c->seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static void pointer_enter(void *data, struct wl_pointer *p, uint32_t serial,
	struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct client *c = data;
	c->pointer_event = true;
	c->pointer_surface = surface;
	c->pointer_x = wl_fixed_to_double(x);
	c->pointer_y = wl_fixed_to_double(y);
}

static void pointer_leave(void *data, struct wl_pointer *p, uint32_t serial,
	struct wl_surface *surface)
{
	struct client *c = data;
	c->pointer_surface = NULL;
}

static void pointer_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t x,
	wl_fixed_t y)
{
	struct client *c = data;
	c->pointer_event = true;
	c->pointer_x = wl_fixed_to_double(x);
	c->pointer_y = wl_fixed_to_double(y);
}

static void pointer_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time,
	uint32_t button, uint32_t state)
{
	struct client *c = data;
	c->button = true;
	c->button_serial = serial;
	c->button_state = state;
}

static void pointer_axis(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis,
	wl_fixed_t value)
{
}

static void pointer_frame(void *data, struct wl_pointer *p)
{
}

static void pointer_axis_source(void *data, struct wl_pointer *p, uint32_t source)
{
}

static void pointer_axis_stop(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis)
{
}

static void pointer_axis_discrete(void *data, struct wl_pointer *p, uint32_t axis,
	int32_t discrete)
{
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_enter,
	.leave = pointer_leave,
	.motion = pointer_motion,
	.button = pointer_button,
	.axis = pointer_axis,
	.frame = pointer_frame,
	.axis_source = pointer_axis_source,
	.axis_stop = pointer_axis_stop,
	.axis_discrete = pointer_axis_discrete,
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
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

/* mosaic-nested's background (render.c): what the frame shows without windows. */
#define BACKGROUND 0x333d4c

/* Waits until the last test's windows have left the parent's frame. */
static void wait_clear(void)
{
	for (int i = 0; i < 500; i++) {
		bool clear = true;
		for (int y = 0; y < OUT_H && clear; y++) {
			for (int x = 0; x < OUT_W && clear; x++) {
				clear = test_parent_pixel(x, y) == BACKGROUND;
			}
		}
		if (clear) {
			return;
		}
		usleep(10000);
	}
	fail_msg("the last test's windows are still shown");
}

static void client_connect(struct client *c)
{
	wait_clear();
	*c = (struct client){0};
	c->display = wl_display_connect(NESTED_SOCKET);
	assert_non_null(c->display);
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_non_null(c->compositor);
	assert_non_null(c->wm_base);
	assert_non_null(c->seat);
	c->pointer = wl_seat_get_pointer(c->seat);
	wl_pointer_add_listener(c->pointer, &pointer_listener, c);
	assert_true(wl_display_roundtrip(c->display) >= 0);
}

/* The proxies go with the display, and the windows with the client. */
static void client_disconnect(struct client *c)
{
	wl_display_disconnect(c->display);
}

static void window_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct window *win = data;
	win->configured = true;
	win->serial = serial;
	win->configures++;
	win->width = win->pending_width;
	win->height = win->pending_height;
	win->states = win->pending_states;
}

static const struct xdg_surface_listener window_listener = {
	.configure = window_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
	int32_t height, struct wl_array *states)
{
	struct window *win = data;
	win->pending_width = width;
	win->pending_height = height;
	win->pending_states = 0;
	uint32_t *state;
	wl_array_for_each(state, states) {
		if (*state < 32) {
			win->pending_states |= 1u << *state;
		}
	}
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void popup_configure(void *data, struct xdg_popup *popup, int32_t x, int32_t y,
	int32_t w, int32_t h)
{
}

static void popup_done(void *data, struct xdg_popup *popup)
{
	struct window *win = data;
	win->done_order = ++win->client->popups_done;
}

static void popup_repositioned(void *data, struct xdg_popup *popup, uint32_t token)
{
}

static const struct xdg_popup_listener popup_listener = {
	.configure = popup_configure,
	.popup_done = popup_done,
	.repositioned = popup_repositioned,
};

static struct wl_buffer *solid_buffer(struct client *c, int w, int h, uint32_t color)
{
	int fd = memfd_create("test-wm", MFD_CLOEXEC);
	size_t size = (size_t)w * (size_t)h * 4;
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(pixels != MAP_FAILED);
	for (size_t i = 0; i < size / 4; i++) {
		pixels[i] = 0xff000000 | color;
	}
	munmap(pixels, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

/* A toplevel's surface and role; window_show() next (after requests of the test's). */
static void toplevel_init(struct client *c, struct window *win)
{
	*win = (struct window){ .client = c };
	win->surface = wl_compositor_create_surface(c->compositor);
	win->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, win->surface);
	xdg_surface_add_listener(win->xdg_surface, &window_listener, win);
	win->toplevel = xdg_surface_get_toplevel(win->xdg_surface);
	xdg_toplevel_add_listener(win->toplevel, &toplevel_listener, win);
}

/*
 * Waits until the window has had more than `before` configures (events that
 * came with an earlier roundtrip count: read win->configures before the
 * request that causes the configure).
 */
static void configure_after(struct window *win, int before)
{
	struct wl_display *display = win->client->display;
	double end = now_s() + 10.0;
	while (win->configures <= before && now_s() < end) {
		assert_true(wl_display_dispatch_pending(display) >= 0);
		assert_true(wl_display_flush(display) >= 0);
		struct pollfd pfd = { .fd = wl_display_get_fd(display), .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0) {
			assert_true(wl_display_dispatch(display) >= 0);
		}
	}
	assert_true(win->configures > before);
}

/* Acks the last configure and commits a w x h buffer of `color`. */
static void window_draw(struct window *win, int w, int h, uint32_t color)
{
	xdg_surface_ack_configure(win->xdg_surface, win->serial);
	if (win->buffer != NULL) {
		wl_buffer_destroy(win->buffer);
	}
	win->buffer = solid_buffer(win->client, w, h, color);
	wl_surface_attach(win->surface, win->buffer, 0, 0);
	wl_surface_damage_buffer(win->surface, 0, 0, w, h);
	wl_surface_commit(win->surface);
	assert_true(wl_display_roundtrip(win->client->display) >= 0);
}

/* The initial commit, its configure, then a buffer: the window maps. */
static void window_show(struct window *win, int w, int h, uint32_t color)
{
	int before = win->configures;
	wl_surface_commit(win->surface);
	configure_after(win, before);
	window_draw(win, w, h, color);
}

/* Waits until the parent shows `color` at x, y (or, with `not`, anything else). */
static bool shows(int x, int y, uint32_t color, bool not)
{
	for (int i = 0; i < 500; i++) {
		if ((test_parent_pixel(x, y) == color) != not) {
			return true;
		}
		usleep(10000);
	}
	print_message("pixel %d,%d is %06x\n", x, y, test_parent_pixel(x, y));
	return false;
}

/* The top-left pixel of `color` in the parent's frame, waiting for it to show. */
static void find_color(uint32_t color, int *x, int *y)
{
	for (int i = 0; i < 500; i++) {
		for (int py = 0; py < OUT_H; py++) {
			for (int px = 0; px < OUT_W; px++) {
				if (test_parent_pixel(px, py) == color) {
					*x = px;
					*y = py;
					return;
				}
			}
		}
		usleep(10000);
	}
	fail_msg("%06x is nowhere in the frame", color);
}

/* Moves the pointer to x, y of the output; true with the surface and the point in it. */
static void pointer_to(struct client *c, int x, int y)
{
	c->pointer_event = false;
	test_parent_pointer_motion(x, y);
	assert_true(dispatch_until(c->display, &c->pointer_event));
}

/* Presses the button at x, y: the client gets the press and its serial. */
static void press_at(struct client *c, int x, int y)
{
	pointer_to(c, x, y);
	c->button = false;
	test_parent_pointer_button(true);
	assert_true(dispatch_until(c->display, &c->button));
	assert_int_equal(c->button_state, WL_POINTER_BUTTON_STATE_PRESSED);
}

static void release(struct client *c)
{
	test_parent_pointer_button(false);
	assert_true(wl_display_roundtrip(c->display) >= 0);
}

/* Releases the button over a surface of the client, and waits until it hears of it. */
static void release_heard(struct client *c)
{
	c->button = false;
	test_parent_pointer_button(false);
	assert_true(dispatch_until(c->display, &c->button));
	assert_int_equal(c->button_state, WL_POINTER_BUTTON_STATE_RELEASED);
}

/* Only the focused toplevel is activated; both windows hear of every change. */
static void activation_follows_focus(void **state)
{
	struct client c;
	client_connect(&c);
	struct window a, b;
	toplevel_init(&c, &a);
	wl_surface_commit(a.surface);
	configure_after(&a, 0);
	// Not mapped yet: not focused, not activated.
	assert_int_equal(a.states & STATE_ACTIVATED, 0);
	window_draw(&a, 100, 100, RED);
	configure_after(&a, 1);
	assert_int_equal(a.states & STATE_ACTIVATED, STATE_ACTIVATED);

	int a_before = a.configures;
	toplevel_init(&c, &b);
	window_show(&b, 100, 100, BLUE);
	configure_after(&b, 1);
	assert_int_equal(b.states & STATE_ACTIVATED, STATE_ACTIVATED);
	configure_after(&a, a_before);
	assert_int_equal(a.states & STATE_ACTIVATED, 0);

	// A click on the part of A that B leaves free.
	int ax, ay;
	find_color(RED, &ax, &ay);
	int a_configures = a.configures, b_configures = b.configures;
	press_at(&c, ax + 5, ay + 5);
	assert_ptr_equal(c.pointer_surface, a.surface);
	release(&c);
	configure_after(&a, a_configures);
	configure_after(&b, b_configures);
	assert_int_equal(a.states & STATE_ACTIVATED, STATE_ACTIVATED);
	assert_int_equal(b.states & STATE_ACTIVATED, 0);

	// A closes: B is focused, and activated, again.
	b_configures = b.configures;
	xdg_toplevel_destroy(a.toplevel);
	xdg_surface_destroy(a.xdg_surface);
	wl_surface_destroy(a.surface);
	configure_after(&b, b_configures);
	assert_int_equal(b.states & STATE_ACTIVATED, STATE_ACTIVATED);
	client_disconnect(&c);
}

/* New windows go inside the output; one larger than it at 0,0. */
static void placement_inside_output(void **state)
{
	struct client c;
	client_connect(&c);
	struct window big, wide;
	toplevel_init(&c, &big);
	window_show(&big, 1228, 300, GREEN);
	assert_true(shows(0, 0, GREEN, false));
	pointer_to(&c, 10, 12);
	assert_ptr_equal(c.pointer_surface, big.surface);
	assert_true(c.pointer_x == 10 && c.pointer_y == 12);
	xdg_toplevel_destroy(big.toplevel);

	// 300x200 of window geometry, 5 pixels in from the buffer's edges: the
	// cascade's 32 + 32n would cross the output's right and bottom edges.
	toplevel_init(&c, &wide);
	xdg_surface_set_window_geometry(wide.xdg_surface, 5, 5, 300, 200);
	window_show(&wide, 310, 210, YELLOW);
	pointer_to(&c, OUT_W - 300, OUT_H - 200);
	assert_ptr_equal(c.pointer_surface, wide.surface);
	print_message("window geometry origin at %d,%d of the surface\n",
		(int)c.pointer_x, (int)c.pointer_y);
	assert_true(c.pointer_x == 5 && c.pointer_y == 5);
	client_disconnect(&c);
}

/*
 * set_maximized: a configure with the output's size, placed at the
 * output's origin only with the commit after its ack; unset_maximized:
 * the previous size, and the previous place after the ack.
 */
static void maximize_and_restore(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	toplevel_init(&c, &win);
	xdg_surface_set_window_geometry(win.xdg_surface, 10, 10, 100, 100);
	window_show(&win, 120, 120, CYAN);
	int x, y;
	find_color(CYAN, &x, &y);
	const int gx = x + 10, gy = y + 10;

	int before = win.configures;
	xdg_toplevel_set_maximized(win.toplevel);
	configure_after(&win, before);
	assert_int_equal(win.width, OUT_W);
	assert_int_equal(win.height, OUT_H);
	assert_int_equal(win.states & STATE_MAXIMIZED, STATE_MAXIMIZED);
	// Not acked yet: a commit leaves the window where it was.
	wl_surface_commit(win.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	pointer_to(&c, gx + 1, gy + 1);
	print_message("pointer at %.0f,%.0f\n", c.pointer_x, c.pointer_y);
	assert_true(c.pointer_x == 11 && c.pointer_y == 11);
	// Acked and committed: the window geometry's origin at the output's.
	xdg_surface_set_window_geometry(win.xdg_surface, 10, 10, OUT_W, OUT_H);
	window_draw(&win, OUT_W + 20, OUT_H + 20, CYAN);
	pointer_to(&c, 1, 2);
	assert_ptr_equal(c.pointer_surface, win.surface);
	assert_true(c.pointer_x == 11 && c.pointer_y == 12);
	assert_true(shows(OUT_W - 1, OUT_H - 1, CYAN, false));

	before = win.configures;
	xdg_toplevel_unset_maximized(win.toplevel);
	configure_after(&win, before);
	assert_int_equal(win.width, 100);
	assert_int_equal(win.height, 100);
	assert_int_equal(win.states & STATE_MAXIMIZED, 0);
	xdg_surface_set_window_geometry(win.xdg_surface, 10, 10, 100, 100);
	window_draw(&win, 120, 120, CYAN);
	pointer_to(&c, gx + 3, gy + 4);
	assert_true(c.pointer_x == 13 && c.pointer_y == 14);
	client_disconnect(&c);
}

/* Minimized: not drawn, not activated; set_maximized brings it back. */
static void minimize_hides(void **state)
{
	struct client c;
	client_connect(&c);
	struct window under, top;
	toplevel_init(&c, &under);
	window_show(&under, 60, 60, MAGENTA);
	toplevel_init(&c, &top);
	window_show(&top, 60, 60, MAROON);
	configure_after(&top, 1);
	assert_int_equal(top.states & STATE_ACTIVATED, STATE_ACTIVATED);
	int x, y;
	find_color(MAROON, &x, &y);

	int under_configures = under.configures, before = top.configures;
	xdg_toplevel_set_minimized(top.toplevel);
	configure_after(&top, before);
	assert_int_equal(top.states & STATE_ACTIVATED, 0);
	assert_true(shows(x + 40, y + 40, MAROON, true));
	configure_after(&under, under_configures);
	assert_int_equal(under.states & STATE_ACTIVATED, STATE_ACTIVATED);

	before = top.configures;
	xdg_toplevel_set_maximized(top.toplevel);
	configure_after(&top, before);
	assert_int_equal(top.states & (STATE_ACTIVATED | STATE_MAXIMIZED),
		STATE_ACTIVATED | STATE_MAXIMIZED);
	window_draw(&top, OUT_W, OUT_H, MAROON);
	assert_true(shows(OUT_W / 2, OUT_H / 2, MAROON, false));
	client_disconnect(&c);
}

/* move(serial of the press): the window follows the pointer until the release. */
static void interactive_move(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	toplevel_init(&c, &win);
	window_show(&win, 80, 80, DARK_GREEN);
	int x, y;
	find_color(DARK_GREEN, &x, &y);

	press_at(&c, x + 10, y + 10);
	xdg_toplevel_move(win.toplevel, c.seat, c.button_serial);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	test_parent_pointer_motion(x + 40, y + 30);
	assert_true(shows(x + 30, y + 20, DARK_GREEN, false));
	assert_true(shows(x + 29, y + 40, DARK_GREEN, true));
	// The release ends it; the pointer enters the window where it is now.
	c.pointer_event = false;
	test_parent_pointer_button(false);
	assert_true(dispatch_until(c.display, &c.pointer_event));
	assert_ptr_equal(c.pointer_surface, win.surface);
	assert_true(c.pointer_x == 10 && c.pointer_y == 10);

	// The press is over: its serial starts nothing now.
	xdg_toplevel_move(win.toplevel, c.seat, c.button_serial);
	pointer_to(&c, x + 45, y + 35);
	assert_true(c.pointer_x == 15 && c.pointer_y == 15);

	// Dragged far off: a corner stays inside the output.
	press_at(&c, x + 40, y + 30);
	xdg_toplevel_move(win.toplevel, c.seat, c.button_serial);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	test_parent_pointer_motion(x + 2000, y + 2000);
	assert_true(shows(OUT_W - 32, OUT_H - 32, DARK_GREEN, false));
	assert_true(shows(OUT_W - 33, OUT_H - 32, DARK_GREEN, true));
	release(&c);
	client_disconnect(&c);
}

/* resize(serial, edges): configures with the dragged size, "resizing" until the release. */
static void interactive_resize(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	toplevel_init(&c, &win);
	window_show(&win, 100, 80, NAVY);
	int x, y;
	find_color(NAVY, &x, &y);

	press_at(&c, x + 90, y + 70);
	int before = win.configures;
	xdg_toplevel_resize(win.toplevel, c.seat, c.button_serial,
		XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_RIGHT);
	configure_after(&win, before);
	assert_int_equal(win.states & STATE_RESIZING, STATE_RESIZING);
	assert_true(win.width == 100 && win.height == 80);
	before = win.configures;
	test_parent_pointer_motion(x + 70, y + 60);
	configure_after(&win, before);
	assert_true(win.width == 80 && win.height == 70);
	assert_int_equal(win.states & STATE_RESIZING, STATE_RESIZING);
	before = win.configures;
	test_parent_pointer_button(false);
	configure_after(&win, before);
	assert_true(win.width == 80 && win.height == 70);
	assert_int_equal(win.states & STATE_RESIZING, 0);
	window_draw(&win, 80, 70, NAVY);
	assert_true(shows(x + 80, y + 69, NAVY, true));
	assert_true(shows(x + 79, y + 69, NAVY, false));

	// From the top-left corner: the bottom-right one stays put.
	press_at(&c, x + 2, y + 2);
	before = win.configures;
	xdg_toplevel_resize(win.toplevel, c.seat, c.button_serial,
		XDG_TOPLEVEL_RESIZE_EDGE_TOP_LEFT);
	configure_after(&win, before);
	before = win.configures;
	test_parent_pointer_motion(x - 8, y - 3);
	configure_after(&win, before);
	assert_true(win.width == 90 && win.height == 75);
	window_draw(&win, 90, 75, NAVY);
	assert_true(shows(x - 10, y - 5, NAVY, false));
	assert_true(shows(x - 11, y - 5, NAVY, true));
	assert_true(shows(x + 79, y + 69, NAVY, false));
	assert_true(shows(x + 80, y + 69, NAVY, true));
	release(&c);
	client_disconnect(&c);
}

static void popup_init(struct client *c, struct window *win, struct window *parent, int at)
{
	*win = (struct window){ .client = c };
	win->surface = wl_compositor_create_surface(c->compositor);
	win->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, win->surface);
	xdg_surface_add_listener(win->xdg_surface, &window_listener, win);
	struct xdg_positioner *positioner = xdg_wm_base_create_positioner(c->wm_base);
	xdg_positioner_set_size(positioner, 20, 20);
	xdg_positioner_set_anchor_rect(positioner, at, at, 1, 1);
	xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_TOP_LEFT);
	xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	win->popup = xdg_surface_get_popup(win->xdg_surface, parent->xdg_surface, positioner);
	xdg_popup_add_listener(win->popup, &popup_listener, win);
	xdg_positioner_destroy(positioner);
}

/* A click outside a grab's chain of popups: popup_done to each, topmost first. */
static void popup_grab_dismissed(void **state)
{
	struct client c;
	client_connect(&c);
	struct window top, menu, submenu, late;
	toplevel_init(&c, &top);
	window_show(&top, 80, 80, OLIVE);
	int x, y;
	find_color(OLIVE, &x, &y);

	press_at(&c, x + 5, y + 5);
	popup_init(&c, &menu, &top, 10);
	xdg_popup_grab(menu.popup, c.seat, c.button_serial);
	window_show(&menu, 20, 20, TEAL);
	popup_init(&c, &submenu, &menu, 10);
	xdg_popup_grab(submenu.popup, c.seat, c.button_serial);
	window_show(&submenu, 20, 20, PURPLE);
	release(&c);
	assert_true(shows(x + 25, y + 25, PURPLE, false));

	// A click in the chain's topmost popup dismisses nothing.
	press_at(&c, x + 25, y + 25);
	assert_ptr_equal(c.pointer_surface, submenu.surface);
	release_heard(&c);
	assert_int_equal(c.popups_done, 0);

	// A grab that answers no press (it is over) is refused: popup_done at once.
	popup_init(&c, &late, &submenu, 5);
	xdg_popup_grab(late.popup, c.seat, c.button_serial);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_int_equal(late.done_order, 1);

	// A click on the background dismisses the chain, topmost first.
	test_parent_pointer_motion(OUT_W - 1, OUT_H - 1);
	test_parent_pointer_button(true);
	test_parent_pointer_button(false);
	while (c.popups_done < 3) {
		assert_true(wl_display_dispatch(c.display) >= 0);
	}
	assert_int_equal(submenu.done_order, 2);
	assert_int_equal(menu.done_order, 3);
	assert_true(shows(x + 15, y + 15, TEAL, true));
	assert_true(shows(x + 25, y + 25, PURPLE, true));
	client_disconnect(&c);
}

/*
 * Fullscreen asked before the first commit: the first configure has the
 * output's size; a new output size reaches the window; unset lets the
 * client choose (it never had a size of its own).
 */
static void fullscreen_follows_output(void **state)
{
	struct client c;
	client_connect(&c);
	struct window win;
	toplevel_init(&c, &win);
	xdg_toplevel_set_fullscreen(win.toplevel, NULL);
	wl_surface_commit(win.surface);
	configure_after(&win, 0);
	assert_true(win.width == OUT_W && win.height == OUT_H);
	assert_int_equal(win.states & STATE_FULLSCREEN, STATE_FULLSCREEN);
	window_draw(&win, OUT_W, OUT_H, SILVER);
	assert_true(shows(0, 0, SILVER, false));
	assert_true(shows(OUT_W - 1, OUT_H - 1, SILVER, false));

	test_parent_resize();
	while (win.width != TEST_RESIZE_WIDTH) {
		configure_after(&win, win.configures);
	}
	assert_int_equal(win.height, TEST_RESIZE_HEIGHT);
	assert_int_equal(win.states & STATE_FULLSCREEN, STATE_FULLSCREEN);

	int before = win.configures;
	xdg_toplevel_unset_fullscreen(win.toplevel);
	configure_after(&win, before);
	assert_true(win.width == 0 && win.height == 0);
	assert_int_equal(win.states & STATE_FULLSCREEN, 0);
	client_disconnect(&c);
}

static bool parent_ready(void)
{
	return test_parent_has_input() && test_parent_commits() > 0;
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	char dir[] = "/tmp/mosaic-wm-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", dir, 1);
	if (!test_parent_start(PARENT_SOCKET)) {
		fprintf(stderr, "cannot start the stand-in parent\n");
		return 1;
	}
	pid_t nested_pid = fork();
	if (nested_pid == 0) {
		setenv("WAYLAND_DISPLAY", PARENT_SOCKET, 1);
		execl(argv[1], argv[1], "--renderer", "pixman", "--size", "320x240", "--socket",
			NESTED_SOCKET, (char *)NULL);
		_exit(127);
	}
	char socket_path[128];
	snprintf(socket_path, sizeof(socket_path), "%s/%s", dir, NESTED_SOCKET);
	for (int i = 0; i < 1000 && (access(socket_path, F_OK) != 0 || !parent_ready()); i++) {
		usleep(10000);
	}

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(activation_follows_focus),
		cmocka_unit_test(placement_inside_output),
		cmocka_unit_test(maximize_and_restore),
		cmocka_unit_test(minimize_hides),
		cmocka_unit_test(interactive_move),
		cmocka_unit_test(interactive_resize),
		cmocka_unit_test(popup_grab_dismissed),
		// Last: it leaves the output at another size.
		cmocka_unit_test(fullscreen_follows_output),
	};
	int failed = cmocka_run_group_tests_name("wayland-wm", tests, NULL, NULL);

	kill(nested_pid, SIGTERM);
	int status;
	waitpid(nested_pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "mosaic-nested did not exit cleanly (status 0x%x)\n", status);
		failed++;
	}
	test_parent_stop();
	char path[128];
	snprintf(path, sizeof(path), "%s/%s.lock", dir, PARENT_SOCKET);
	unlink(path);
	rmdir(dir);
	return failed;
}
