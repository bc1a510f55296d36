/*
 * Input: libinput reads the devices (the ones named with --input, through
 * its path backend, or those of the udev seat "seat0"), opening them
 * directly: mosaic-kms runs as root, without a seat manager.
 *
 * Keys go through xkbcommon: the keymap (from the XKB_DEFAULT_* variables,
 * else xkbcommon's defaults) is handed to clients as a memfd, and the
 * modifier state xkbcommon computes goes with each key. Pointer motion moves
 * our cursor, drawn by mosaic over the windows; the core sends motion,
 * buttons and scrolling to the client under it.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libinput.h>
#include <libudev.h>
#include <wayland-server-protocol.h>
#include <xkbcommon/xkbcommon.h>

#include "kms.h"

/* The cursor: an arrow-sized box, a dark edge around a light inside. */
#define CURSOR_W 10
#define CURSOR_H 16

struct input {
	struct server *server;
	struct udev *udev;
	struct libinput *libinput;
	struct wl_event_source *source;
	struct xkb_context *xkb;
	struct xkb_keymap *keymap;
	struct xkb_state *state;
	uint32_t mods[4];
	int n_pointers, n_keyboards;
	double x, y;
};

static int open_restricted(const char *path, int flags, void *data)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return fd;
}

static void close_restricted(int fd, void *data)
{
	close(fd);
}

static const struct libinput_interface libinput_impl = {
	.open_restricted = open_restricted,
	.close_restricted = close_restricted,
};

static uint32_t now_ms(uint64_t usec)
{
	return (uint32_t)(usec / 1000);
}

/* The keymap as clients get it: XKB text in a sealed memfd. */
static bool send_keymap(struct input *in)
{
	char *text = xkb_keymap_get_as_string(in->keymap, XKB_KEYMAP_FORMAT_TEXT_V1);
	if (text == NULL) {
		return false;
	}
	size_t size = strlen(text) + 1;
	int fd = memfd_create("mosaic-kms-keymap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	bool ok = fd >= 0 && write(fd, text, size) == (ssize_t)size;
	free(text);
	if (!ok) {
		fprintf(stderr, "cannot write the keymap: %s\n", strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return false;
	}
	// Clients map it read-only; nobody may change it under them.
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	// The seat keeps the fd.
	seat_keyboard_keymap(in->server, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, (uint32_t)size);
	return true;
}

static void update_caps(struct input *in)
{
	uint32_t caps = 0;
	if (in->n_pointers > 0) {
		caps |= WL_SEAT_CAPABILITY_POINTER;
	}
	if (in->n_keyboards > 0) {
		caps |= WL_SEAT_CAPABILITY_KEYBOARD;
	}
	seat_set_capabilities(in->server, caps);
}

static struct mosaic_box cursor_box(struct input *in)
{
	return (struct mosaic_box){ (int)in->x, (int)in->y, CURSOR_W, CURSOR_H };
}

static void device_added(struct input *in, struct libinput_device *dev, bool added)
{
	int step = added ? 1 : -1;
	bool pointer = libinput_device_has_capability(dev, LIBINPUT_DEVICE_CAP_POINTER);
	bool keyboard = libinput_device_has_capability(dev, LIBINPUT_DEVICE_CAP_KEYBOARD);
	in->n_pointers += pointer ? step : 0;
	in->n_keyboards += keyboard ? step : 0;
	fprintf(stderr, "input: %s %s (%s%s)\n", added ? "added" : "removed",
		libinput_device_get_name(dev), pointer ? "pointer " : "",
		keyboard ? "keyboard" : "");
	update_caps(in);
	// The cursor shows while there is a pointer.
	struct mosaic_box box = cursor_box(in);
	output_damage_box(in->server, &box);
	output_schedule_frame(in->server);
}

static void move_cursor(struct input *in, double x, double y, uint32_t time)
{
	struct server *server = in->server;
	struct mosaic_box old = cursor_box(in);
	in->x = x < 0 ? 0 : x > server->width - 1 ? server->width - 1 : x;
	in->y = y < 0 ? 0 : y > server->height - 1 ? server->height - 1 : y;
	struct mosaic_box now = cursor_box(in);
	output_damage_box(server, &old);
	output_damage_box(server, &now);
	output_schedule_frame(server);
	seat_pointer_motion(server, time, in->x, in->y);
}

static void handle_key(struct input *in, struct libinput_event_keyboard *ev)
{
	uint32_t key = libinput_event_keyboard_get_key(ev);
	bool pressed = libinput_event_keyboard_get_key_state(ev) ==
		LIBINPUT_KEY_STATE_PRESSED;
	// xkbcommon's keycodes are evdev's plus 8.
	xkb_state_update_key(in->state, key + 8, pressed ? XKB_KEY_DOWN : XKB_KEY_UP);
	seat_keyboard_key(in->server, now_ms(libinput_event_keyboard_get_time_usec(ev)), key,
		pressed ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED);
	uint32_t mods[4] = {
		xkb_state_serialize_mods(in->state, XKB_STATE_MODS_DEPRESSED),
		xkb_state_serialize_mods(in->state, XKB_STATE_MODS_LATCHED),
		xkb_state_serialize_mods(in->state, XKB_STATE_MODS_LOCKED),
		xkb_state_serialize_layout(in->state, XKB_STATE_LAYOUT_EFFECTIVE),
	};
	if (memcmp(mods, in->mods, sizeof(mods)) != 0) {
		memcpy(in->mods, mods, sizeof(mods));
		seat_keyboard_modifiers(in->server, mods[0], mods[1], mods[2], mods[3]);
	}
}

static void handle_scroll(struct input *in, struct libinput_event_pointer *ev)
{
	static const struct {
		enum libinput_pointer_axis from;
		uint32_t to;
	} axes[] = {
		{ LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL, WL_POINTER_AXIS_VERTICAL_SCROLL },
		{ LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL, WL_POINTER_AXIS_HORIZONTAL_SCROLL },
	};
	uint32_t time = now_ms(libinput_event_pointer_get_time_usec(ev));
	for (size_t i = 0; i < sizeof(axes) / sizeof(axes[0]); i++) {
		if (libinput_event_pointer_has_axis(ev, axes[i].from)) {
			seat_pointer_axis(in->server, time, axes[i].to,
				libinput_event_pointer_get_scroll_value(ev, axes[i].from));
		}
	}
}

static void handle_event(struct input *in, struct libinput_event *event)
{
	struct server *server = in->server;
	struct libinput_event_pointer *p;
	switch (libinput_event_get_type(event)) {
	case LIBINPUT_EVENT_DEVICE_ADDED:
		device_added(in, libinput_event_get_device(event), true);
		break;
	case LIBINPUT_EVENT_DEVICE_REMOVED:
		device_added(in, libinput_event_get_device(event), false);
		break;
	case LIBINPUT_EVENT_KEYBOARD_KEY:
		handle_key(in, libinput_event_get_keyboard_event(event));
		break;
	case LIBINPUT_EVENT_POINTER_MOTION:
		p = libinput_event_get_pointer_event(event);
		move_cursor(in, in->x + libinput_event_pointer_get_dx(p),
			in->y + libinput_event_pointer_get_dy(p),
			now_ms(libinput_event_pointer_get_time_usec(p)));
		break;
	case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE:
		p = libinput_event_get_pointer_event(event);
		move_cursor(in,
			libinput_event_pointer_get_absolute_x_transformed(p, (uint32_t)server->width),
			libinput_event_pointer_get_absolute_y_transformed(p, (uint32_t)server->height),
			now_ms(libinput_event_pointer_get_time_usec(p)));
		break;
	case LIBINPUT_EVENT_POINTER_BUTTON:
		p = libinput_event_get_pointer_event(event);
		seat_pointer_button(server, now_ms(libinput_event_pointer_get_time_usec(p)),
			libinput_event_pointer_get_button(p),
			libinput_event_pointer_get_button_state(p) == LIBINPUT_BUTTON_STATE_PRESSED ?
			WL_POINTER_BUTTON_STATE_PRESSED : WL_POINTER_BUTTON_STATE_RELEASED);
		break;
	case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL:
	case LIBINPUT_EVENT_POINTER_SCROLL_FINGER:
	case LIBINPUT_EVENT_POINTER_SCROLL_CONTINUOUS:
		handle_scroll(in, libinput_event_get_pointer_event(event));
		break;
	default:
		break;
	}
}

static int input_readable(int fd, uint32_t mask, void *data)
{
	struct input *in = data;
	if (libinput_dispatch(in->libinput) != 0) {
		fprintf(stderr, "libinput: cannot read events\n");
	}
	struct libinput_event *event;
	while ((event = libinput_get_event(in->libinput)) != NULL) {
		handle_event(in, event);
		libinput_event_destroy(event);
	}
	return 0;
}

static bool init_keyboard(struct input *in)
{
	in->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (in->xkb == NULL) {
		fprintf(stderr, "cannot create the xkbcommon context\n");
		return false;
	}
	// NULL names: XKB_DEFAULT_RULES, _MODEL, _LAYOUT... or the defaults.
	in->keymap = xkb_keymap_new_from_names(in->xkb, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS);
	if (in->keymap == NULL) {
		fprintf(stderr, "cannot compile a keymap (is xkb-data installed?)\n");
		return false;
	}
	in->state = xkb_state_new(in->keymap);
	return in->state != NULL && send_keymap(in);
}

struct input *input_create(struct server *server, char **paths, int n)
{
	struct input *in = calloc(1, sizeof(*in));
	if (in == NULL) {
		return NULL;
	}
	in->server = server;
	in->x = server->width / 2;
	in->y = server->height / 2;
	if (!init_keyboard(in)) {
		input_destroy(in);
		return NULL;
	}
	in->udev = udev_new();
	if (in->udev == NULL) {
		fprintf(stderr, "cannot create a udev context\n");
		input_destroy(in);
		return NULL;
	}
	if (n > 0) {
		in->libinput = libinput_path_create_context(&libinput_impl, in);
		for (int i = 0; in->libinput != NULL && i < n; i++) {
			if (libinput_path_add_device(in->libinput, paths[i]) == NULL) {
				fprintf(stderr, "libinput cannot use %s (no input device, or "
					"not tagged as one by udev)\n", paths[i]);
				input_destroy(in);
				return NULL;
			}
		}
	} else {
		in->libinput = libinput_udev_create_context(&libinput_impl, in, in->udev);
		if (in->libinput != NULL && libinput_udev_assign_seat(in->libinput, "seat0") != 0) {
			fprintf(stderr, "libinput cannot assign the udev seat seat0\n");
			input_destroy(in);
			return NULL;
		}
	}
	if (in->libinput == NULL) {
		fprintf(stderr, "cannot create a libinput context\n");
		input_destroy(in);
		return NULL;
	}
	in->source = wl_event_loop_add_fd(server->loop, libinput_get_fd(in->libinput),
		WL_EVENT_READABLE, input_readable, in);
	if (in->source == NULL) {
		input_destroy(in);
		return NULL;
	}
	// The devices found so far (DEVICE_ADDED events) before the first frame.
	input_readable(libinput_get_fd(in->libinput), WL_EVENT_READABLE, in);
	if (in->n_pointers + in->n_keyboards == 0) {
		fprintf(stderr, "input: no pointer or keyboard yet\n");
	}
	return in;
}

void input_destroy(struct input *in)
{
	if (in == NULL) {
		return;
	}
	if (in->source != NULL) {
		wl_event_source_remove(in->source);
	}
	libinput_unref(in->libinput);
	if (in->udev != NULL) {
		udev_unref(in->udev);
	}
	xkb_state_unref(in->state);
	xkb_keymap_unref(in->keymap);
	xkb_context_unref(in->xkb);
	free(in);
}

void input_draw_cursor(struct input *in, struct mosaic_pass *pass, const pixman_region32_t *clip)
{
	if (in->n_pointers == 0) {
		return;
	}
	struct mosaic_box box = cursor_box(in);
	mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = box,
		.color = { 0.0f, 0.0f, 0.0f, 1.0f },
		.clip = clip,
		.blend = MOSAIC_BLEND_NONE,
	});
	mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { box.x + 1, box.y + 1, box.width - 2, box.height - 2 },
		.color = { 1.0f, 1.0f, 1.0f, 1.0f },
		.clip = clip,
		.blend = MOSAIC_BLEND_NONE,
	});
}
