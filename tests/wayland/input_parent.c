/*
 * A stand-in parent compositor for test-wayland-input: just enough of
 * wl_compositor, wl_shm, xdg_wm_base and wl_seat for mosaic-nested to open
 * its window, plus a way for the test to make input happen on that window.
 * It runs in a thread of the test; the test talks to it through an eventfd.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pixman.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "input.h"
#include "xdg-shell-protocol.h"

static struct wl_display *display;
static pthread_t thread;
static int trigger_fd = -1;
static struct wl_event_source *trigger_source;
static atomic_int commits;
static atomic_int committed_width, committed_height;
static pthread_mutex_t frame_lock = PTHREAD_MUTEX_INITIALIZER;
static struct test_frame last_frame;
static uint32_t *frame_copy;
static int frame_width, frame_height;
static atomic_int click_x, click_y;
static pixman_box32_t pending_damage;
static bool has_pending_damage;
static struct wl_resource *window_surface, *pointer, *keyboard;

/*
 * Pointer steps the test queues (test_parent_pointer_*): motion to x, y, a
 * press or a release, sent in order, each with a frame. A queue rather than
 * eventfd values, which would add up when written twice before a read.
 */
enum pointer_op { OP_MOTION, OP_PRESS, OP_RELEASE };
struct pointer_step {
	enum pointer_op op;
	int x, y;
};
#define MAX_STEPS 64
static pthread_mutex_t steps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pointer_step steps[MAX_STEPS];
static int n_steps;
static int steps_fd = -1;
static struct wl_event_source *steps_source;
static uint32_t step_time = 100;

static void noop(void)
{
}

/* Requests the parent does not care about share one do-nothing handler. */
#define NOOP ((void *)noop)

static void destroy_resource(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void surface_damage_buffer(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t w, int32_t h)
{
	pixman_box32_t box = { x, y, x + w, y + h };
	if (!has_pending_damage) {
		pending_damage = box;
		has_pending_damage = true;
		return;
	}
	pending_damage.x1 = box.x1 < pending_damage.x1 ? box.x1 : pending_damage.x1;
	pending_damage.y1 = box.y1 < pending_damage.y1 ? box.y1 : pending_damage.y1;
	pending_damage.x2 = box.x2 > pending_damage.x2 ? box.x2 : pending_damage.x2;
	pending_damage.y2 = box.y2 > pending_damage.y2 ? box.y2 : pending_damage.y2;
}

/* Records the frame's damage and two pixels of it for the test. */
static void record_frame(struct wl_shm_buffer *shm)
{
	struct test_frame frame = {
		.damage_x = pending_damage.x1,
		.damage_y = pending_damage.y1,
		.damage_w = pending_damage.x2 - pending_damage.x1,
		.damage_h = pending_damage.y2 - pending_damage.y1,
	};
	int x = TEST_WIN_X + TEST_DAMAGE_X, y = TEST_WIN_Y + TEST_DAMAGE_Y;
	int stride = wl_shm_buffer_get_stride(shm);
	wl_shm_buffer_begin_access(shm);
	const uint8_t *data = wl_shm_buffer_get_data(shm);
	if (wl_shm_buffer_get_width(shm) > x + TEST_DAMAGE_W &&
			wl_shm_buffer_get_height(shm) > y) {
		const uint32_t *row = (const uint32_t *)(data + (size_t)y * (size_t)stride);
		frame.inside = row[x] & 0xffffff;
		frame.outside = row[x + TEST_DAMAGE_W] & 0xffffff;
	}
	pthread_mutex_lock(&frame_lock);
	last_frame = frame;
	// Keep the whole frame for test_parent_pixel().
	int w = wl_shm_buffer_get_width(shm), h = wl_shm_buffer_get_height(shm);
	uint32_t *copy = realloc(frame_copy, (size_t)w * (size_t)h * 4);
	if (copy != NULL) {
		for (int row = 0; row < h; row++) {
			memcpy(copy + (size_t)row * (size_t)w, data + (size_t)row * (size_t)stride,
				(size_t)w * 4);
		}
		frame_copy = copy;
		frame_width = w;
		frame_height = h;
	}
	pthread_mutex_unlock(&frame_lock);
	wl_shm_buffer_end_access(shm);
}

uint32_t test_parent_pixel(int x, int y)
{
	uint32_t value = 0xffffffff;
	pthread_mutex_lock(&frame_lock);
	if (frame_copy != NULL && x >= 0 && y >= 0 && x < frame_width && y < frame_height) {
		value = frame_copy[(size_t)y * (size_t)frame_width + (size_t)x] & 0xffffff;
	}
	pthread_mutex_unlock(&frame_lock);
	return value;
}

void test_parent_click_at(int x, int y)
{
	atomic_store(&click_x, x);
	atomic_store(&click_y, y);
	uint64_t four = 4;
	if (write(trigger_fd, &four, sizeof(four)) != sizeof(four)) {
		perror("eventfd");
	}
}

void test_parent_last_frame(struct test_frame *frame)
{
	pthread_mutex_lock(&frame_lock);
	*frame = last_frame;
	pthread_mutex_unlock(&frame_lock);
}

static struct wl_resource *pending_buffer;

static void surface_attach(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *buffer, int32_t x, int32_t y)
{
	pending_buffer = buffer;
}

static void surface_frame(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	// Done at once: the stand-in has no refresh cycle.
	struct wl_resource *cb = wl_resource_create(client, &wl_callback_interface, 1, id);
	wl_callback_send_done(cb, 0);
	wl_resource_destroy(cb);
}

static struct wl_resource *xdg_surface_of_window, *toplevel_of_window;
static bool configured;

static void surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	if (toplevel_of_window != NULL && !configured) {
		struct wl_array states;
		wl_array_init(&states);
		xdg_toplevel_send_configure(toplevel_of_window, 0, 0, &states);
		xdg_surface_send_configure(xdg_surface_of_window,
			wl_display_next_serial(display));
		wl_array_release(&states);
		configured = true;
		return;
	}
	if (pending_buffer != NULL) {
		struct wl_shm_buffer *shm = wl_shm_buffer_get(pending_buffer);
		if (shm != NULL) {
			atomic_store(&committed_width, wl_shm_buffer_get_width(shm));
			atomic_store(&committed_height, wl_shm_buffer_get_height(shm));
			record_frame(shm);
		}
		has_pending_damage = false;
		// Shown and done with: release at once.
		wl_buffer_send_release(pending_buffer);
		pending_buffer = NULL;
		window_surface = resource;
		atomic_fetch_add(&commits, 1);
	}
}

static const struct wl_surface_interface surface_impl = {
	.destroy = destroy_resource,
	.attach = surface_attach,
	.damage = NOOP,
	.frame = surface_frame,
	.set_opaque_region = NOOP,
	.set_input_region = NOOP,
	.commit = surface_commit,
	.set_buffer_transform = NOOP,
	.set_buffer_scale = NOOP,
	.damage_buffer = surface_damage_buffer,
};

static void compositor_create_surface(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct wl_resource *s = wl_resource_create(client, &wl_surface_interface, 4, id);
	wl_resource_set_implementation(s, &surface_impl, NULL, NULL);
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_create_surface,
	.create_region = NOOP,
};

static void compositor_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *r = wl_resource_create(client, &wl_compositor_interface,
		(int)version, id);
	wl_resource_set_implementation(r, &compositor_impl, NULL, NULL);
}

static const struct xdg_toplevel_interface toplevel_impl = {
	.destroy = destroy_resource,
	.set_parent = NOOP,
	.set_title = NOOP,
	.set_app_id = NOOP,
	.show_window_menu = NOOP,
	.move = NOOP,
	.resize = NOOP,
	.set_max_size = NOOP,
	.set_min_size = NOOP,
	.set_maximized = NOOP,
	.unset_maximized = NOOP,
	.set_fullscreen = NOOP,
	.unset_fullscreen = NOOP,
	.set_minimized = NOOP,
};

static void xdg_surface_get_toplevel(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	toplevel_of_window = wl_resource_create(client, &xdg_toplevel_interface, 1, id);
	wl_resource_set_implementation(toplevel_of_window, &toplevel_impl, NULL, NULL);
	xdg_surface_of_window = resource;
}

static const struct xdg_surface_interface xdg_surface_impl = {
	.destroy = destroy_resource,
	.get_toplevel = xdg_surface_get_toplevel,
	.get_popup = NOOP,
	.set_window_geometry = NOOP,
	.ack_configure = NOOP,
};

static void wm_base_get_xdg_surface(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, struct wl_resource *surface)
{
	struct wl_resource *r = wl_resource_create(client, &xdg_surface_interface, 1, id);
	wl_resource_set_implementation(r, &xdg_surface_impl, NULL, NULL);
}

static const struct xdg_wm_base_interface wm_base_impl = {
	.destroy = destroy_resource,
	.create_positioner = NOOP,
	.get_xdg_surface = wm_base_get_xdg_surface,
	.pong = NOOP,
};

static void wm_base_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *r = wl_resource_create(client, &xdg_wm_base_interface, 1, id);
	wl_resource_set_implementation(r, &wm_base_impl, NULL, NULL);
}

static const struct wl_pointer_interface pointer_impl = {
	.set_cursor = NOOP,
	.release = destroy_resource,
};

static const struct wl_keyboard_interface keyboard_impl = {
	.release = destroy_resource,
};

static void seat_get_pointer(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	pointer = wl_resource_create(client, &wl_pointer_interface,
		wl_resource_get_version(resource), id);
	wl_resource_set_implementation(pointer, &pointer_impl, NULL, NULL);
}

static void seat_get_keyboard(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	keyboard = wl_resource_create(client, &wl_keyboard_interface,
		wl_resource_get_version(resource), id);
	wl_resource_set_implementation(keyboard, &keyboard_impl, NULL, NULL);
	// Not a real XKB keymap: only that it arrives unchanged matters here.
	size_t size = strlen(TEST_KEYMAP) + 1;
	int fd = memfd_create("test-keymap", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, TEST_KEYMAP, size) == (ssize_t)size) {
		wl_keyboard_send_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd,
			(uint32_t)size);
	}
	close(fd);
}

static const struct wl_seat_interface seat_impl = {
	.get_pointer = seat_get_pointer,
	.get_keyboard = seat_get_keyboard,
	.get_touch = NOOP,
	.release = destroy_resource,
};

static void seat_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *r = wl_resource_create(client, &wl_seat_interface, (int)version, id);
	wl_resource_set_implementation(r, &seat_impl, NULL, NULL);
	wl_seat_send_capabilities(r, WL_SEAT_CAPABILITY_POINTER | WL_SEAT_CAPABILITY_KEYBOARD);
}

/* The test asked for input: a click at TEST_CLICK_X/Y of the window and a key. */
static int trigger(int fd, uint32_t mask, void *data)
{
	uint64_t value;
	if (read(fd, &value, sizeof(value)) != sizeof(value)) {
		return 0;
	}
	if (value == 2) {
		wl_display_terminate(display);
		return 0;
	}
	if (value == 4) {
		wl_fixed_t cx = wl_fixed_from_int(atomic_load(&click_x));
		wl_fixed_t cy = wl_fixed_from_int(atomic_load(&click_y));
		uint32_t serial = wl_display_next_serial(display);
		wl_pointer_send_motion(pointer, 10, cx, cy);
		wl_pointer_send_frame(pointer);
		wl_pointer_send_button(pointer, serial, 11, TEST_BUTTON,
			WL_POINTER_BUTTON_STATE_PRESSED);
		wl_pointer_send_frame(pointer);
		wl_pointer_send_button(pointer, serial + 1, 12, TEST_BUTTON,
			WL_POINTER_BUTTON_STATE_RELEASED);
		wl_pointer_send_frame(pointer);
		return 0;
	}
	if (value == 3) {
		// The user resized the window.
		struct wl_array states;
		wl_array_init(&states);
		xdg_toplevel_send_configure(toplevel_of_window, TEST_RESIZE_WIDTH,
			TEST_RESIZE_HEIGHT, &states);
		xdg_surface_send_configure(xdg_surface_of_window,
			wl_display_next_serial(display));
		wl_array_release(&states);
		return 0;
	}
	uint32_t serial = wl_display_next_serial(display);
	wl_fixed_t x = wl_fixed_from_int(TEST_CLICK_X), y = wl_fixed_from_int(TEST_CLICK_Y);
	wl_pointer_send_enter(pointer, serial, window_surface, x, y);
	wl_pointer_send_motion(pointer, 1, x, y);
	wl_pointer_send_frame(pointer);
	wl_pointer_send_button(pointer, serial + 1, 2, TEST_BUTTON,
		WL_POINTER_BUTTON_STATE_PRESSED);
	wl_pointer_send_frame(pointer);
	struct wl_array keys;
	wl_array_init(&keys);
	wl_keyboard_send_enter(keyboard, serial + 2, window_surface, &keys);
	wl_array_release(&keys);
	wl_keyboard_send_key(keyboard, serial + 3, 3, TEST_KEY, WL_KEYBOARD_KEY_STATE_PRESSED);
	return 0;
}

static int run_steps(int fd, uint32_t mask, void *data)
{
	uint64_t value;
	if (read(fd, &value, sizeof(value)) != sizeof(value)) {
		return 0;
	}
	pthread_mutex_lock(&steps_lock);
	for (int i = 0; i < n_steps && pointer != NULL; i++) {
		const struct pointer_step *step = &steps[i];
		uint32_t serial = wl_display_next_serial(display);
		if (step->op == OP_MOTION) {
			wl_pointer_send_motion(pointer, step_time++, wl_fixed_from_int(step->x),
				wl_fixed_from_int(step->y));
		} else {
			wl_pointer_send_button(pointer, serial, step_time++, TEST_BUTTON,
				step->op == OP_PRESS ? WL_POINTER_BUTTON_STATE_PRESSED :
				WL_POINTER_BUTTON_STATE_RELEASED);
		}
		wl_pointer_send_frame(pointer);
	}
	n_steps = 0;
	pthread_mutex_unlock(&steps_lock);
	return 0;
}

static void queue_step(enum pointer_op op, int x, int y)
{
	pthread_mutex_lock(&steps_lock);
	if (n_steps < MAX_STEPS) {
		steps[n_steps++] = (struct pointer_step){ op, x, y };
	}
	pthread_mutex_unlock(&steps_lock);
	uint64_t one = 1;
	if (write(steps_fd, &one, sizeof(one)) != sizeof(one)) {
		perror("eventfd");
	}
}

void test_parent_pointer_motion(int x, int y)
{
	queue_step(OP_MOTION, x, y);
}

void test_parent_pointer_button(bool pressed)
{
	queue_step(pressed ? OP_PRESS : OP_RELEASE, 0, 0);
}

static void *run(void *data)
{
	wl_display_run(display);
	return NULL;
}

bool test_parent_start(const char *socket)
{
	display = wl_display_create();
	trigger_fd = eventfd(0, EFD_CLOEXEC);
	steps_fd = eventfd(0, EFD_CLOEXEC);
	if (wl_display_add_socket(display, socket) != 0 || wl_display_init_shm(display) != 0 ||
			trigger_fd < 0 || steps_fd < 0 ||
			!(steps_source = wl_event_loop_add_fd(wl_display_get_event_loop(display),
				steps_fd, WL_EVENT_READABLE, run_steps, NULL)) ||
			!(trigger_source = wl_event_loop_add_fd(wl_display_get_event_loop(display),
				trigger_fd, WL_EVENT_READABLE, trigger, NULL)) ||
			!wl_global_create(display, &wl_compositor_interface, 4, NULL,
				compositor_bind) ||
			!wl_global_create(display, &xdg_wm_base_interface, 1, NULL, wm_base_bind) ||
			!wl_global_create(display, &wl_seat_interface, 5, NULL, seat_bind)) {
		return false;
	}
	return pthread_create(&thread, NULL, run, NULL) == 0;
}

int test_parent_commits(void)
{
	return atomic_load(&commits);
}

bool test_parent_has_input(void)
{
	return pointer != NULL && keyboard != NULL;
}

void test_parent_send_input(void)
{
	uint64_t one = 1;
	if (write(trigger_fd, &one, sizeof(one)) != sizeof(one)) {
		perror("eventfd");
	}
}

void test_parent_resize(void)
{
	uint64_t three = 3;
	if (write(trigger_fd, &three, sizeof(three)) != sizeof(three)) {
		perror("eventfd");
	}
}

void test_parent_committed_size(int *width, int *height)
{
	*width = atomic_load(&committed_width);
	*height = atomic_load(&committed_height);
}

void test_parent_stop(void)
{
	uint64_t two = 2;
	if (write(trigger_fd, &two, sizeof(two)) != sizeof(two)) {
		perror("eventfd");
	}
	pthread_join(thread, NULL);
	wl_event_source_remove(trigger_source);
	wl_event_source_remove(steps_source);
	close(steps_fd);
	wl_display_destroy_clients(display);
	wl_display_destroy(display);
	close(trigger_fd);
	free(frame_copy);
}
