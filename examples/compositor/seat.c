/*
 * wl_seat, and a stub wl_data_device_manager.
 *
 * Input comes from the program (a parent compositor's events, libinput) in
 * output coordinates; here it goes to the client under the pointer, or to
 * the focused window for keys. The keymap the program hands over goes to our
 * clients as it is. An output without input offers no capability.
 */
#include <stdlib.h>
#include <unistd.h>

#include <wayland-server-protocol.h>

#include "compositor.h"

/* Sends `send` to every resource of `list` that belongs to the surface's client. */
#define for_each_client_resource(res, list, surface) \
	wl_resource_for_each(res, list) \
		if (wl_resource_get_client(res) == wl_resource_get_client((surface)->resource))

static void unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void pointer_set_cursor(struct wl_client *client, struct wl_resource *resource,
	uint32_t serial, struct wl_resource *surface, int32_t hotspot_x, int32_t hotspot_y)
{
	// Client cursors are not shown: a parent draws its own cursor over our
	// window, a display gets the program's.
}

static void pointer_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_pointer_interface pointer_impl = {
	.set_cursor = pointer_set_cursor,
	.release = pointer_release,
};

static void keyboard_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_keyboard_interface keyboard_impl = {
	.release = keyboard_release,
};

static void seat_get_pointer(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct wl_resource *pointer = wl_resource_create(client, &wl_pointer_interface,
		wl_resource_get_version(resource), id);
	if (pointer == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(pointer, &pointer_impl, server, unlink_resource);
	wl_list_insert(&server->pointers, wl_resource_get_link(pointer));
}

static void seat_get_keyboard(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct wl_resource *keyboard = wl_resource_create(client, &wl_keyboard_interface,
		wl_resource_get_version(resource), id);
	if (keyboard == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(keyboard, &keyboard_impl, server, unlink_resource);
	wl_list_insert(&server->keyboards, wl_resource_get_link(keyboard));
	if (server->keymap_fd >= 0) {
		wl_keyboard_send_keymap(keyboard, server->keymap_format, server->keymap_fd,
			server->keymap_size);
	} else {
		wl_keyboard_send_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_NO_KEYMAP, -1, 0);
	}
	if (wl_resource_get_version(keyboard) >= WL_KEYBOARD_REPEAT_INFO_SINCE_VERSION) {
		wl_keyboard_send_repeat_info(keyboard, 25, 600);
	}
}

static void seat_get_touch(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	// Never offered (no touch capability); the protocol still needs an object.
	struct wl_resource *touch = wl_resource_create(client, &wl_touch_interface,
		wl_resource_get_version(resource), id);
	if (touch == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(touch, NULL, NULL, NULL);
}

static void seat_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_seat_interface seat_impl = {
	.get_pointer = seat_get_pointer,
	.get_keyboard = seat_get_keyboard,
	.get_touch = seat_get_touch,
	.release = seat_release,
};

static void seat_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct server *server = data;
	struct wl_resource *resource = wl_resource_create(client, &wl_seat_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &seat_impl, server, unlink_resource);
	wl_list_insert(&server->seats, wl_resource_get_link(resource));
	wl_seat_send_capabilities(resource, server->seat_caps);
	if (version >= WL_SEAT_NAME_SINCE_VERSION) {
		wl_seat_send_name(resource, "seat0");
	}
}

void seat_set_capabilities(struct server *server, uint32_t caps)
{
	server->seat_caps = caps;
	struct wl_resource *resource;
	wl_resource_for_each(resource, &server->seats) {
		wl_seat_send_capabilities(resource, caps);
	}
}

static void pointer_frame(struct server *server, struct surface *surface)
{
	struct wl_resource *res;
	for_each_client_resource(res, &server->pointers, surface) {
		if (wl_resource_get_version(res) >= WL_POINTER_FRAME_SINCE_VERSION) {
			wl_pointer_send_frame(res);
		}
	}
}

void seat_pointer_leave(struct server *server)
{
	struct surface *old = server->pointer_focus;
	if (old == NULL) {
		return;
	}
	uint32_t serial = wl_display_next_serial(server->display);
	struct wl_resource *res;
	for_each_client_resource(res, &server->pointers, old) {
		wl_pointer_send_leave(res, serial, old->resource);
	}
	pointer_frame(server, old);
	server->pointer_focus = NULL;
}

/* The topmost surface under the point, in any window. */
static struct surface *window_surface_at(struct server *server, double x, double y,
	double *sx, double *sy)
{
	struct xdg_surface *window;
	wl_list_for_each_reverse(window, &server->windows, link) {
		if (!xdg_window_shown(window)) {
			continue;
		}
		int ox, oy;
		xdg_surface_origin(window, &ox, &oy);
		struct surface *hit = surface_at(window->surface, ox, oy, x, y, sx, sy);
		if (hit != NULL) {
			return hit;
		}
	}
	return NULL;
}

void seat_pointer_motion(struct server *server, uint32_t time, double x, double y)
{
	server->pointer_x = x;
	server->pointer_y = y;
	if (server->grab.kind != GRAB_NONE) {
		// An interactive move or resize: the pointer drives the window.
		toplevel_grab_motion(server);
		return;
	}
	double sx = 0, sy = 0;
	struct surface *surface = window_surface_at(server, x, y, &sx, &sy);
	if (surface != server->pointer_focus) {
		seat_pointer_leave(server);
		if (surface != NULL) {
			uint32_t serial = wl_display_next_serial(server->display);
			struct wl_resource *res;
			for_each_client_resource(res, &server->pointers, surface) {
				wl_pointer_send_enter(res, serial, surface->resource,
					wl_fixed_from_double(sx), wl_fixed_from_double(sy));
			}
		}
		server->pointer_focus = surface;
	}
	if (surface == NULL) {
		return;
	}
	struct wl_resource *res;
	for_each_client_resource(res, &server->pointers, surface) {
		wl_pointer_send_motion(res, time, wl_fixed_from_double(sx),
			wl_fixed_from_double(sy));
	}
	pointer_frame(server, surface);
}

void seat_pointer_button(struct server *server, uint32_t time, uint32_t button,
	uint32_t state)
{
	bool pressed = state == WL_POINTER_BUTTON_STATE_PRESSED;
	if (pressed) {
		server->buttons_down++;
	} else if (server->buttons_down > 0) {
		server->buttons_down--;
	}
	if (server->grab.kind != GRAB_NONE) {
		// The grab took the press; the last release ends it, and the
		// pointer enters whatever is under it now.
		if (server->buttons_down == 0) {
			toplevel_grab_end(server);
			seat_pointer_motion(server, time, server->pointer_x, server->pointer_y);
		}
		return;
	}
	struct surface *surface = server->pointer_focus;
	struct xdg_surface *window = surface != NULL ? xdg_window_of(surface) : NULL;
	if (pressed) {
		// A press outside a popup grab's chain dismisses it; then focus on
		// click: raise the window and give it the keyboard.
		popup_grab_press(server, window);
		if (window != NULL && xdg_window_shown(window)) {
			xdg_focus(server, window);
		}
	}
	// Dismissing popups may have taken the pointer's surface away.
	surface = server->pointer_focus;
	if (surface == NULL) {
		return;
	}
	uint32_t serial = wl_display_next_serial(server->display);
	struct wl_resource *res;
	for_each_client_resource(res, &server->pointers, surface) {
		wl_pointer_send_button(res, serial, time, button, state);
	}
	pointer_frame(server, surface);
	if (pressed) {
		// What move, resize and popup grabs answer to.
		server->press_serial = serial;
		server->press_client = wl_resource_get_client(surface->resource);
	}
}

void seat_pointer_axis(struct server *server, uint32_t time, uint32_t axis, double value)
{
	struct surface *surface = server->pointer_focus;
	if (surface == NULL) {
		return;
	}
	struct wl_resource *res;
	for_each_client_resource(res, &server->pointers, surface) {
		wl_pointer_send_axis(res, time, axis, wl_fixed_from_double(value));
	}
	pointer_frame(server, surface);
}

void seat_keyboard_keymap(struct server *server, uint32_t format, int fd, uint32_t size)
{
	// Keep the keymap fd (it is ours now): every client gets it as it binds.
	if (server->keymap_fd >= 0) {
		close(server->keymap_fd);
	}
	server->keymap_fd = fd;
	server->keymap_size = size;
	server->keymap_format = format;
	struct wl_resource *res;
	wl_resource_for_each(res, &server->keyboards) {
		wl_keyboard_send_keymap(res, format, fd, size);
	}
}

void seat_set_keyboard_focus(struct server *server, struct surface *surface)
{
	struct surface *old = server->keyboard_focus;
	if (old == surface) {
		return;
	}
	struct wl_resource *res;
	if (old != NULL) {
		uint32_t serial = wl_display_next_serial(server->display);
		for_each_client_resource(res, &server->keyboards, old) {
			wl_keyboard_send_leave(res, serial, old->resource);
		}
	}
	server->keyboard_focus = surface;
	if (surface != NULL) {
		struct wl_array keys;
		wl_array_init(&keys);
		uint32_t serial = wl_display_next_serial(server->display);
		for_each_client_resource(res, &server->keyboards, surface) {
			wl_keyboard_send_enter(res, serial, surface->resource, &keys);
			wl_keyboard_send_modifiers(res, serial, server->mods[0],
				server->mods[1], server->mods[2], server->mods[3]);
		}
		wl_array_release(&keys);
	}
	// The toplevels that lost and got it learn it from a configure.
	xdg_keyboard_focus_changed(server);
}

void seat_keyboard_key(struct server *server, uint32_t time, uint32_t key, uint32_t state)
{
	struct surface *surface = server->keyboard_focus;
	if (surface == NULL) {
		return;
	}
	uint32_t serial = wl_display_next_serial(server->display);
	struct wl_resource *res;
	for_each_client_resource(res, &server->keyboards, surface) {
		wl_keyboard_send_key(res, serial, time, key, state);
	}
}

void seat_keyboard_modifiers(struct server *server, uint32_t depressed, uint32_t latched,
	uint32_t locked, uint32_t group)
{
	server->mods[0] = depressed;
	server->mods[1] = latched;
	server->mods[2] = locked;
	server->mods[3] = group;
	struct surface *surface = server->keyboard_focus;
	if (surface == NULL) {
		return;
	}
	uint32_t serial = wl_display_next_serial(server->display);
	struct wl_resource *res;
	for_each_client_resource(res, &server->keyboards, surface) {
		wl_keyboard_send_modifiers(res, serial, depressed, latched, locked, group);
	}
}

void seat_surface_destroyed(struct server *server, struct surface *surface)
{
	// No events to a dead surface: just forget it.
	if (server->pointer_focus == surface) {
		server->pointer_focus = NULL;
	}
	if (server->keyboard_focus == surface) {
		// Its window unmaps next (xdg_surface_lost_surface), which hands
		// the focus on.
		server->keyboard_focus = NULL;
	}
}

void seat_finish(struct server *server)
{
	if (server->keymap_fd >= 0) {
		close(server->keymap_fd);
		server->keymap_fd = -1;
	}
}

/*
 * wl_data_device_manager: clipboard and drag-and-drop. Not implemented
 * beyond the objects themselves, which some clients (foot) insist on.
 */
static void data_source_offer(struct wl_client *client, struct wl_resource *resource,
	const char *mime_type)
{
}

static void data_source_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void data_source_set_actions(struct wl_client *client, struct wl_resource *resource,
	uint32_t actions)
{
}

static const struct wl_data_source_interface data_source_impl = {
	.offer = data_source_offer,
	.destroy = data_source_destroy,
	.set_actions = data_source_set_actions,
};

static void data_device_start_drag(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *source, struct wl_resource *origin, struct wl_resource *icon,
	uint32_t serial)
{
	// No drag-and-drop: cancel at once so the client does not wait.
	if (source != NULL) {
		wl_data_source_send_cancelled(source);
	}
}

static void data_device_set_selection(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *source, uint32_t serial)
{
	if (source != NULL) {
		wl_data_source_send_cancelled(source);
	}
}

static void data_device_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_data_device_interface data_device_impl = {
	.start_drag = data_device_start_drag,
	.set_selection = data_device_set_selection,
	.release = data_device_release,
};

static void manager_create_data_source(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct wl_resource *source = wl_resource_create(client, &wl_data_source_interface,
		wl_resource_get_version(resource), id);
	if (source == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(source, &data_source_impl, NULL, NULL);
}

static void manager_get_data_device(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, struct wl_resource *seat)
{
	struct wl_resource *device = wl_resource_create(client, &wl_data_device_interface,
		wl_resource_get_version(resource), id);
	if (device == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(device, &data_device_impl, NULL, NULL);
}

static const struct wl_data_device_manager_interface data_device_manager_impl = {
	.create_data_source = manager_create_data_source,
	.get_data_device = manager_get_data_device,
};

static void data_device_manager_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client,
		&wl_data_device_manager_interface, (int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &data_device_manager_impl, data, NULL);
}

bool seat_init_globals(struct server *server)
{
	server->keymap_fd = -1;
	wl_list_init(&server->pointers);
	wl_list_init(&server->keyboards);
	wl_list_init(&server->seats);
	return wl_global_create(server->display, &wl_seat_interface, 7, server,
			seat_bind) != NULL &&
		wl_global_create(server->display, &wl_data_device_manager_interface, 3, server,
			data_device_manager_bind) != NULL;
}
