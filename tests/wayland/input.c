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
