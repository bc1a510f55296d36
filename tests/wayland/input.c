/*
 * test-wayland-input: input reaches clients of mosaic-nested. A stand-in
 * parent (input_parent.c) clicks on mosaic-nested's window and presses a
 * key; a client inside mosaic-nested must get the pointer at the right
 * surface coordinates, the button, keyboard focus (given when its window
 * mapped), the key, and the parent's keymap unchanged. Then the parent
 * resizes the window, and mosaic-nested's next frames have the new size.
 *
 * Usage: test-wayland-input PATH/TO/mosaic-nested
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

#define PARENT_SOCKET "mosaic-input-parent"
#define NESTED_SOCKET "mosaic-input-nested"
/* mosaic-nested puts the first window here. */
#define WIN_X TEST_WIN_X
#define WIN_Y TEST_WIN_Y

static const char *nested_path;
static pid_t nested_pid;

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_subcompositor *subcompositor;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	uint32_t caps;
	struct wl_surface *surface;
	bool configured;
	uint32_t configure_serial;

	bool pointer_entered;
	struct wl_surface *pointer_surface;
	double enter_x, enter_y;
	bool button;
	uint32_t button_code, button_state;
	bool keymap;
	char keymap_text[128];
	bool keyboard_entered;
	struct wl_surface *keyboard_surface;
	bool key;
	uint32_t key_code;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version);

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	((struct client *)data)->caps = caps;
}

static void seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_capabilities,
	.name = seat_name,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, "wl_subcompositor") == 0) {
		c->subcompositor = wl_registry_bind(registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(interface, "xdg_wm_base") == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
	} else if (strcmp(interface, "wl_seat") == 0) {
		c->seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
		wl_seat_add_listener(c->seat, &seat_listener, c);
	}
}

static void pointer_enter(void *data, struct wl_pointer *p, uint32_t serial,
	struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct client *c = data;
	c->pointer_entered = true;
	c->pointer_surface = surface;
	c->enter_x = wl_fixed_to_double(x);
	c->enter_y = wl_fixed_to_double(y);
}

static void pointer_leave(void *data, struct wl_pointer *p, uint32_t serial,
	struct wl_surface *surface)
{
}

static void pointer_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t x,
	wl_fixed_t y)
{
}

static void pointer_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time,
	uint32_t button, uint32_t state)
{
	struct client *c = data;
	c->button = true;
	c->button_code = button;
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

static void keyboard_keymap(void *data, struct wl_keyboard *k, uint32_t format, int32_t fd,
	uint32_t size)
{
	struct client *c = data;
	if (format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 && size <= sizeof(c->keymap_text)) {
		void *text = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (text != MAP_FAILED) {
			memcpy(c->keymap_text, text, size);
			c->keymap_text[sizeof(c->keymap_text) - 1] = '\0';
			munmap(text, size);
			c->keymap = true;
		}
	}
	close(fd);
}

static void keyboard_enter(void *data, struct wl_keyboard *k, uint32_t serial,
	struct wl_surface *surface, struct wl_array *keys)
{
	struct client *c = data;
	c->keyboard_entered = true;
	c->keyboard_surface = surface;
}

static void keyboard_leave(void *data, struct wl_keyboard *k, uint32_t serial,
	struct wl_surface *surface)
{
}

static void keyboard_key(void *data, struct wl_keyboard *k, uint32_t serial, uint32_t time,
	uint32_t key, uint32_t state)
{
	struct client *c = data;
	c->key = true;
	c->key_code = key;
}

static void keyboard_modifiers(void *data, struct wl_keyboard *k, uint32_t serial,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group)
{
}

static void keyboard_repeat_info(void *data, struct wl_keyboard *k, int32_t rate,
	int32_t delay)
{
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = keyboard_modifiers,
	.repeat_info = keyboard_repeat_info,
};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
	uint32_t serial)
{
	struct client *c = data;
	c->configured = true;
	c->configure_serial = serial;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
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
		while (wl_display_prepare_read(display) != 0) {
			wl_display_dispatch_pending(display);
		}
		wl_display_flush(display);
		struct pollfd pfd = { .fd = wl_display_get_fd(display), .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0) {
			wl_display_read_events(display);
		} else {
			wl_display_cancel_read(display);
		}
		if (wl_display_dispatch_pending(display) < 0) {
			return false;
		}
	}
	return *flag;
}

static bool wait_for(bool (*cond)(void))
{
	for (int i = 0; i < 1000 && !cond(); i++) {
		usleep(10000);
	}
	return cond();
}

static bool parent_showed_a_frame(void)
{
	return test_parent_commits() > 0;
}

static bool resized(void)
{
	int w, h;
	test_parent_committed_size(&w, &h);
	return w == TEST_RESIZE_WIDTH && h == TEST_RESIZE_HEIGHT;
}

/* The parent resizes the window: mosaic-nested's output follows. */
static void window_resized(void **state)
{
	int w, h;
	test_parent_committed_size(&w, &h);
	assert_int_equal(w, 320);
	assert_int_equal(h, 240);
	test_parent_resize();
	assert_true(wait_for(resized));
}

/* A window of the test client: a toplevel or a popup, one solid color. */
struct window {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct xdg_popup *popup;
	struct wl_buffer *buffer;
	bool configured;
	uint32_t serial;
};

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
}

static void popup_done(void *data, struct xdg_popup *popup)
{
}

static const struct xdg_popup_listener popup_listener = {
	.configure = popup_configure,
	.popup_done = popup_done,
};

static struct wl_buffer *solid_buffer(struct client *c, int w, int h, uint32_t color)
{
	int fd = memfd_create("test-window", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, w * h * 4), 0);
	uint32_t *pixels = mmap(NULL, (size_t)w * h * 4, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	assert_true(pixels != MAP_FAILED);
	for (int i = 0; i < w * h; i++) {
		pixels[i] = 0xff000000 | color;
	}
	munmap(pixels, (size_t)w * h * 4);
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

/* The configure handshake, then a buffer: the window maps. */
static void window_show(struct client *c, struct window *win, int size, uint32_t color)
{
	wl_surface_commit(win->surface);
	assert_true(dispatch_until(c->display, &win->configured));
	xdg_surface_ack_configure(win->xdg_surface, win->serial);
	win->buffer = solid_buffer(c, size, size, color);
	wl_surface_attach(win->surface, win->buffer, 0, 0);
	wl_surface_damage_buffer(win->surface, 0, 0, size, size);
	wl_surface_commit(win->surface);
	assert_true(wl_display_roundtrip(c->display) >= 0);
}

static void window_finish(struct window *win)
{
	if (win->popup != NULL) {
		xdg_popup_destroy(win->popup);
	}
	if (win->toplevel != NULL) {
		xdg_toplevel_destroy(win->toplevel);
	}
	xdg_surface_destroy(win->xdg_surface);
	wl_surface_destroy(win->surface);
	wl_buffer_destroy(win->buffer);
}

/* Waits until the parent shows `color` at x, y. */
static bool parent_shows(int x, int y, uint32_t color)
{
	for (int i = 0; i < 500; i++) {
		if (test_parent_pixel(x, y) == color) {
			return true;
		}
		usleep(10000);
	}
	print_message("pixel %d,%d is %06x, not %06x\n", x, y, test_parent_pixel(x, y), color);
	return false;
}

#define RED 0xff0000
#define GREEN 0x00ff00
#define BLUE 0x0000ff
/* The n-th toplevel mosaic-nested maps goes here (its cascade). */
#define CASCADE(n) (32 + 32 * (n))

/*
 * Two overlapping toplevels and a popup: stacking, the popup's position from
 * its positioner, focus on click (raise + keyboard), popups staying above
 * their raised parent.
 */
static void stacking_popup_and_focus(void **state)
{
	struct client c = {0};
	c.display = wl_display_connect(NESTED_SOCKET);
	assert_non_null(c.display);
	struct wl_registry *registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	struct wl_keyboard *keyboard = wl_seat_get_keyboard(c.seat);
	wl_keyboard_add_listener(keyboard, &keyboard_listener, &c);

	// The first test's window was toplevel 0: these are 1 and 2.
	const int a = CASCADE(1), b = CASCADE(2);
	struct window win_a, popup, win_b;
	window_init(&c, &win_a);
	win_a.toplevel = xdg_surface_get_toplevel(win_a.xdg_surface);
	window_show(&c, &win_a, 100, RED);

	// A 20x20 popup whose top-left is at 10,10 of the window.
	window_init(&c, &popup);
	struct xdg_positioner *positioner = xdg_wm_base_create_positioner(c.wm_base);
	xdg_positioner_set_size(positioner, 20, 20);
	xdg_positioner_set_anchor_rect(positioner, 10, 10, 1, 1);
	xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_TOP_LEFT);
	xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	popup.popup = xdg_surface_get_popup(popup.xdg_surface, win_a.xdg_surface, positioner);
	xdg_popup_add_listener(popup.popup, &popup_listener, &popup);
	xdg_positioner_destroy(positioner);
	window_show(&c, &popup, 20, GREEN);

	window_init(&c, &win_b);
	win_b.toplevel = xdg_surface_get_toplevel(win_b.xdg_surface);
	window_show(&c, &win_b, 100, BLUE);

	// B is on top where they overlap, and has the keyboard.
	assert_true(parent_shows(b + 5, b + 5, BLUE));
	assert_true(parent_shows(a + 15, a + 15, GREEN));
	assert_true(parent_shows(a + 5, a + 5, RED));
	assert_true(dispatch_until(c.display, &c.keyboard_entered));
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_ptr_equal(c.keyboard_surface, win_b.surface);

	// A click on A raises it, with its popup, and gives it the keyboard.
	c.keyboard_entered = false;
	test_parent_click_at(a + 5, a + 5);
	assert_true(dispatch_until(c.display, &c.keyboard_entered));
	assert_ptr_equal(c.keyboard_surface, win_a.surface);
	assert_true(parent_shows(b + 5, b + 5, RED));
	assert_int_equal(test_parent_pixel(a + 15, a + 15), GREEN);

	window_finish(&popup);
	window_finish(&win_b);
	window_finish(&win_a);
	wl_keyboard_release(keyboard);
	wl_seat_release(c.seat);
	xdg_wm_base_destroy(c.wm_base);
	wl_shm_destroy(c.shm);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(registry);
	wl_display_disconnect(c.display);
}

#define YELLOW 0xffff00
#define CYAN 0x00ffff

/*
 * A window whose synchronized subsurfaces lie outside its own box, as a
 * client-side title bar does (foot's is at y = -26), with a subsurface of
 * the subsurface further out. They come with the window's first buffer and
 * must be on the parent's screen: the frames mosaic-nested presents redraw
 * only what was damaged, so a subsurface left out of the damage stays
 * unseen there (a --screenshot repaints everything and would not show it).
 */
static void subsurfaces_outside_window(void **state)
{
	struct client c = {0};
	c.display = wl_display_connect(NESTED_SOCKET);
	assert_non_null(c.display);
	struct wl_registry *registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_non_null(c.subcompositor);

	// The earlier tests mapped toplevels 0, 1 and 2. Where this window's
	// subsurfaces go, the frames show the background again once those
	// windows have gone: a frame that drew both would hide the defect.
	const int x = CASCADE(3), y = CASCADE(3);
	const uint32_t background = test_parent_pixel(390, 290);
	assert_true(parent_shows(x + 50, y - 16, background));
	assert_true(parent_shows(x - 15, y - 16, background));
	struct window win;
	window_init(&c, &win);
	win.toplevel = xdg_surface_get_toplevel(win.xdg_surface);
	// A 100x20 bar above the window, and a 10x10 square left of the bar.
	struct wl_surface *bar = wl_compositor_create_surface(c.compositor);
	struct wl_subsurface *bar_sub = wl_subcompositor_get_subsurface(c.subcompositor, bar,
		win.surface);
	wl_subsurface_set_position(bar_sub, 0, -26);
	struct wl_buffer *bar_buffer = solid_buffer(&c, 100, 20, YELLOW);
	struct wl_surface *icon = wl_compositor_create_surface(c.compositor);
	struct wl_subsurface *icon_sub = wl_subcompositor_get_subsurface(c.subcompositor, icon,
		bar);
	wl_subsurface_set_position(icon_sub, -20, 5);
	struct wl_buffer *icon_buffer = solid_buffer(&c, 10, 10, CYAN);
	wl_surface_attach(icon, icon_buffer, 0, 0);
	wl_surface_damage_buffer(icon, 0, 0, 10, 10);
	wl_surface_commit(icon);
	wl_surface_attach(bar, bar_buffer, 0, 0);
	wl_surface_damage_buffer(bar, 0, 0, 100, 20);
	wl_surface_commit(bar);
	window_show(&c, &win, 100, BLUE);

	assert_true(parent_shows(x + 50, y + 50, BLUE));
	assert_true(parent_shows(x + 50, y - 26 + 10, YELLOW));
	assert_true(parent_shows(x - 20 + 5, y - 26 + 5 + 5, CYAN));

	// Clicks find the topmost surface under the pointer, subsurfaces too.
	struct wl_pointer *pointer = wl_seat_get_pointer(c.seat);
	wl_pointer_add_listener(pointer, &pointer_listener, &c);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	struct wl_surface *want[] = { icon, bar, win.surface };
	const int at[][2] = { { x - 15, y - 16 }, { x + 50, y - 16 }, { x + 50, y + 50 } };
	for (int i = 0; i < 3; i++) {
		c.button = false;
		test_parent_click_at(at[i][0], at[i][1]);
		assert_true(dispatch_until(c.display, &c.button));
		assert_ptr_equal(c.pointer_surface, want[i]);
	}
	wl_pointer_release(pointer);

	// The window goes: so do its subsurfaces, from the parent's screen too.
	wl_subsurface_destroy(icon_sub);
	wl_surface_destroy(icon);
	wl_subsurface_destroy(bar_sub);
	wl_surface_destroy(bar);
	window_finish(&win);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	for (int i = 0; i < 500 && test_parent_pixel(x + 50, y - 16) == YELLOW; i++) {
		usleep(10000);
	}
	assert_int_not_equal(test_parent_pixel(x + 50, y - 16), YELLOW);
	assert_int_not_equal(test_parent_pixel(x - 15, y - 16), CYAN);
	wl_buffer_destroy(icon_buffer);
	wl_buffer_destroy(bar_buffer);
	wl_subcompositor_destroy(c.subcompositor);
	wl_seat_release(c.seat);
	xdg_wm_base_destroy(c.wm_base);
	wl_shm_destroy(c.shm);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(registry);
	wl_display_disconnect(c.display);
}

static void input_forwarded(void **state)
{
	struct client c = {0};
	c.display = wl_display_connect(NESTED_SOCKET);
	assert_non_null(c.display);
	struct wl_registry *registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_non_null(c.compositor);
	assert_non_null(c.seat);
	// The parent has a pointer and a keyboard: so does mosaic-nested's seat.
	assert_true(wait_for(test_parent_has_input));
	assert_true(wait_for(parent_showed_a_frame));
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_int_equal(c.caps, WL_SEAT_CAPABILITY_POINTER | WL_SEAT_CAPABILITY_KEYBOARD);
	struct wl_pointer *pointer = wl_seat_get_pointer(c.seat);
	wl_pointer_add_listener(pointer, &pointer_listener, &c);
	struct wl_keyboard *keyboard = wl_seat_get_keyboard(c.seat);
	wl_keyboard_add_listener(keyboard, &keyboard_listener, &c);

	// A 100x100 window: configure, ack, buffer.
	c.surface = wl_compositor_create_surface(c.compositor);
	struct xdg_surface *xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, c.surface);
	xdg_surface_add_listener(xdg_surface, &xdg_surface_listener, &c);
	struct xdg_toplevel *toplevel = xdg_surface_get_toplevel(xdg_surface);
	wl_surface_commit(c.surface);
	assert_true(dispatch_until(c.display, &c.configured));
	xdg_surface_ack_configure(xdg_surface, c.configure_serial);
	const int size = 100, stride = size * 4;
	int fd = memfd_create("test-input", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, stride * size), 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(c.shm, fd, stride * size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, size, size, stride,
		WL_SHM_FORMAT_XRGB8888);
	wl_surface_attach(c.surface, buffer, 0, 0);
	wl_surface_damage_buffer(c.surface, 0, 0, size, size);
	wl_surface_commit(c.surface);
	// Mapped and focused by the time this returns.
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_true(dispatch_until(c.display, &c.keymap));
	assert_string_equal(c.keymap_text, TEST_KEYMAP);
	assert_true(dispatch_until(c.display, &c.keyboard_entered));
	assert_ptr_equal(c.keyboard_surface, c.surface);

	test_parent_send_input();
	assert_true(dispatch_until(c.display, &c.button));
	assert_true(c.pointer_entered);
	assert_ptr_equal(c.pointer_surface, c.surface);
	assert_true(c.enter_x == TEST_CLICK_X - WIN_X && c.enter_y == TEST_CLICK_Y - WIN_Y);
	assert_int_equal(c.button_code, TEST_BUTTON);
	assert_int_equal(c.button_state, WL_POINTER_BUTTON_STATE_PRESSED);
	assert_true(dispatch_until(c.display, &c.key));
	assert_int_equal(c.key_code, TEST_KEY);

	// The window (black so far) is on the parent's screen before going on.
	struct test_frame frame = {0};
	for (int i = 0; i < 500; i++) {
		test_parent_last_frame(&frame);
		if (frame.damage_w > 0 && frame.inside == 0x000000) {
			break;
		}
		usleep(10000);
	}
	assert_int_equal(frame.inside, 0x000000);

	// Damage tracking, end to end: the client paints its whole (black)
	// buffer red but damages only a small rectangle. Only that rectangle may
	// turn red in mosaic-nested's output, and the frame presented to the
	// parent must be damaged exactly there.
	uint32_t *pixels = mmap(NULL, (size_t)stride * size, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	assert_true(pixels != MAP_FAILED);
	for (int i = 0; i < size * size; i++) {
		pixels[i] = 0xffff0000;
	}
	munmap(pixels, (size_t)stride * size);
	wl_surface_attach(c.surface, buffer, 0, 0);
	wl_surface_damage_buffer(c.surface, TEST_DAMAGE_X, TEST_DAMAGE_Y, TEST_DAMAGE_W,
		TEST_DAMAGE_H);
	wl_surface_commit(c.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	for (int i = 0; i < 500 && frame.inside != 0xff0000; i++) {
		usleep(10000);
		test_parent_last_frame(&frame);
	}
	print_message("last frame: damage %d,%d %dx%d, inside %06x, outside %06x\n",
		frame.damage_x, frame.damage_y, frame.damage_w, frame.damage_h, frame.inside,
		frame.outside);
	assert_int_equal(frame.inside, 0xff0000);
	assert_int_equal(frame.outside, 0x000000);
	assert_int_equal(frame.damage_x, WIN_X + TEST_DAMAGE_X);
	assert_int_equal(frame.damage_y, WIN_Y + TEST_DAMAGE_Y);
	assert_int_equal(frame.damage_w, TEST_DAMAGE_W);
	assert_int_equal(frame.damage_h, TEST_DAMAGE_H);

	xdg_toplevel_destroy(toplevel);
	xdg_surface_destroy(xdg_surface);
	wl_surface_destroy(c.surface);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	close(fd);
	wl_pointer_release(pointer);
	wl_keyboard_release(keyboard);
	wl_seat_release(c.seat);
	xdg_wm_base_destroy(c.wm_base);
	wl_shm_destroy(c.shm);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(registry);
	wl_display_disconnect(c.display);
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	nested_path = argv[1];
	char dir[] = "/tmp/mosaic-input-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", dir, 1);
	if (!test_parent_start(PARENT_SOCKET)) {
		fprintf(stderr, "cannot start the stand-in parent\n");
		return 1;
	}
	nested_pid = fork();
	if (nested_pid == 0) {
		setenv("WAYLAND_DISPLAY", PARENT_SOCKET, 1);
		execl(nested_path, nested_path, "--renderer", "pixman", "--size", "320x240",
			"--socket", NESTED_SOCKET, (char *)NULL);
		_exit(127);
	}
	char socket_path[128];
	snprintf(socket_path, sizeof(socket_path), "%s/%s", dir, NESTED_SOCKET);
	for (int i = 0; i < 1000 && access(socket_path, F_OK) != 0; i++) {
		usleep(10000);
	}

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(input_forwarded),
		cmocka_unit_test(window_resized),
		cmocka_unit_test(stacking_popup_and_focus),
		cmocka_unit_test(subsurfaces_outside_window),
	};
	int failed = cmocka_run_group_tests_name("wayland-input", tests, NULL, NULL);

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
