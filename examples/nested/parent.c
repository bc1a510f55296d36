/*
 * Nested mode: we are a client of the parent compositor (WAYLAND_DISPLAY).
 *
 * Our output is one xdg_toplevel window there. Where the parent offers
 * linux-dmabuf and our renderer has a DRM device, the buffers mosaic renders
 * into are GBM dmabufs (mosaic_allocator_autocreate()), handed to the parent
 * as linux-dmabuf wl_buffers. Otherwise they come from mosaic's shm
 * allocator, which hands out memfds: the same fd becomes a wl_shm pool on the
 * parent side. Either way presenting a frame is attach + damage + commit,
 * without a copy. The parent's pointer and
 * keyboard events come back here and go to our clients (seat.c).
 *
 * A frame reached the screen when the parent says so: through its
 * wp_presentation, where it offers one in CLOCK_MONOTONIC (its time, refresh,
 * counter and flags are those of the real display), else at its frame
 * callback (our clock's time then, without flags). Our clients' presentation
 * feedback follows (examples/compositor/presentation.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "compositor.h"
#include "parent.h"
#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"

/* Modifiers of XRGB8888 the parent takes, at most this many. */
#define MAX_MODIFIERS 32

struct parent {
	struct server *server;
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	/* Bound at version 3: the modifiers come as events, without feedback. */
	struct zwp_linux_dmabuf_v1 *dmabuf;
	uint64_t modifiers[MAX_MODIFIERS];
	int n_modifiers;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	struct wp_presentation *presentation;
	/* The parent's presentation clock (wp_presentation.clock_id), -1 before it came. */
	int64_t presentation_clock;
	/* The parent's feedback for our frames in flight, oldest first. */
	struct wp_presentation_feedback *feedbacks[COMPOSITOR_FRAMES_IN_FLIGHT];
	int n_feedbacks;

	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
	int pending_width, pending_height;
	struct wl_callback *frame_callback;

	struct wl_event_source *source;
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_ping,
};

/* Pointer events arrive in our window's coordinates: those of our output. */
static void pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct parent *parent = data;
	seat_pointer_motion(parent->server, 0, wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface)
{
	struct parent *parent = data;
	seat_pointer_leave(parent->server);
}

static void pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
	wl_fixed_t x, wl_fixed_t y)
{
	struct parent *parent = data;
	seat_pointer_motion(parent->server, time, wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
	uint32_t time, uint32_t button, uint32_t state)
{
	struct parent *parent = data;
	seat_pointer_button(parent->server, time, button, state);
}

static void pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis, wl_fixed_t value)
{
	struct parent *parent = data;
	seat_pointer_axis(parent->server, time, axis, wl_fixed_to_double(value));
}

static void pointer_frame(void *data, struct wl_pointer *pointer)
{
}

static void pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
}

static void pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis)
{
}

static void pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
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

static void keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
	int32_t fd, uint32_t size)
{
	// The fd is ours now; seat.c keeps it and hands it to our clients.
	struct parent *parent = data;
	seat_keyboard_keymap(parent->server, format, fd, size);
}

static void keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface, struct wl_array *keys)
{
}

static void keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface)
{
}

static void keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	uint32_t time, uint32_t key, uint32_t state)
{
	struct parent *parent = data;
	seat_keyboard_key(parent->server, time, key, state);
}

static void keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group)
{
	struct parent *parent = data;
	seat_keyboard_modifiers(parent->server, depressed, latched, locked, group);
}

static void keyboard_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
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

/* Our clients get the capabilities the parent gives us. */
static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct parent *parent = data;
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && parent->pointer == NULL) {
		parent->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(parent->pointer, &pointer_listener, parent);
	}
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && parent->keyboard == NULL) {
		parent->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(parent->keyboard, &keyboard_listener, parent);
	}
	seat_set_capabilities(parent->server,
		caps & (WL_SEAT_CAPABILITY_POINTER | WL_SEAT_CAPABILITY_KEYBOARD));
}

static void seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_capabilities,
	.name = seat_name,
};

static void dmabuf_format(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format)
{
	// Only sent before version 3.
}

static void dmabuf_modifier(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format,
	uint32_t modifier_hi, uint32_t modifier_lo)
{
	struct parent *parent = data;
	if (format == DRM_FORMAT_XRGB8888 && parent->n_modifiers < MAX_MODIFIERS) {
		parent->modifiers[parent->n_modifiers++] =
			(uint64_t)modifier_hi << 32 | modifier_lo;
	}
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {
	.format = dmabuf_format,
	.modifier = dmabuf_modifier,
};

static void presentation_clock_id(void *data, struct wp_presentation *presentation,
	uint32_t clock)
{
	struct parent *parent = data;
	parent->presentation_clock = clock;
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock_id,
};

/* True when the parent's wp_presentation tells our frames' times (in our clock). */
static bool parent_presents(struct parent *parent)
{
	return parent->presentation != NULL && parent->presentation_clock == CLOCK_MONOTONIC;
}

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct parent *parent = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		parent->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		parent->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3) {
		parent->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
		zwp_linux_dmabuf_v1_add_listener(parent->dmabuf, &dmabuf_listener, parent);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		parent->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(parent->wm_base, &wm_base_listener, parent);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		parent->presentation = wl_registry_bind(registry, name, &wp_presentation_interface,
			1);
		wp_presentation_add_listener(parent->presentation, &presentation_listener, parent);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && parent->seat == NULL) {
		parent->seat = wl_registry_bind(registry, name, &wl_seat_interface,
			version < 5 ? version : 5);
		wl_seat_add_listener(parent->seat, &seat_listener, parent);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

/* The parent chose a size for our window: our output follows it. */
static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
	int32_t height, struct wl_array *states)
{
	struct parent *parent = data;
	parent->pending_width = width;
	parent->pending_height = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct parent *parent = data;
	parent->server->running = false;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
	uint32_t serial)
{
	struct parent *parent = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	parent->configured = true;
	if (parent->server->buffers == NULL) {
		// Still starting up: parent_connect() takes the size from here.
		return;
	}
	if (parent->pending_width > 0 && parent->pending_height > 0) {
		output_resize(parent->server, parent->pending_width, parent->pending_height);
	}
	// A configure asks for a new frame even when nothing changed.
	output_damage_whole(parent->server);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

/* The parent answered the feedback of our oldest frame in flight. */
static void feedback_forget(struct parent *parent, struct wp_presentation_feedback *feedback)
{
	for (int i = 0; i < parent->n_feedbacks; i++) {
		if (parent->feedbacks[i] == feedback) {
			memmove(&parent->feedbacks[i], &parent->feedbacks[i + 1],
				(size_t)(parent->n_feedbacks - i - 1) * sizeof(parent->feedbacks[0]));
			parent->n_feedbacks--;
			break;
		}
	}
	wp_presentation_feedback_destroy(feedback);
}

static void feedback_sync_output(void *data, struct wp_presentation_feedback *feedback,
	struct wl_output *output)
{
	// We bind none of the parent's outputs: ours is the one our clients see.
}

static void feedback_presented(void *data, struct wp_presentation_feedback *feedback,
	uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh,
	uint32_t seq_hi, uint32_t seq_lo, uint32_t flags)
{
	struct parent *parent = data;
	feedback_forget(parent, feedback);
	struct timespec when = {
		.tv_sec = (time_t)((uint64_t)tv_sec_hi << 32 | tv_sec_lo),
		.tv_nsec = tv_nsec,
	};
	output_frame_presented(parent->server, &when, refresh, (uint64_t)seq_hi << 32 | seq_lo,
		flags);
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	struct parent *parent = data;
	feedback_forget(parent, feedback);
	output_frame_discarded(parent->server);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct parent *parent = data;
	wl_callback_destroy(callback);
	parent->frame_callback = NULL;
	if (!parent_presents(parent)) {
		// The parent drew our last frame (about now): it is on its screen.
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		output_frame_presented(parent->server, &now, 0, 0, 0);
	}
	if (parent->server->frame_pending) {
		output_render(parent->server);
	}
}

static const struct wl_callback_listener frame_listener = {
	.done = frame_done,
};

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct output_buffer *buffer = data;
	buffer->busy = false;
	// A frame may be waiting for a free buffer.
	output_retry_frame(buffer->server);
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_release,
};

const uint64_t *parent_dmabuf_modifiers(struct parent *parent, int *n)
{
	*n = parent->dmabuf != NULL ? parent->n_modifiers : 0;
	return parent->modifiers;
}

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params,
	struct wl_buffer *wl_buffer)
{
	*(struct wl_buffer **)data = wl_buffer;
}

static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_created,
	.failed = params_failed,
};

/*
 * A linux-dmabuf wl_buffer for a dmabuf output buffer. `create` with a round
 * trip, not `create_immed`: a parent that cannot import it says `failed`
 * instead of disconnecting us, and we fall back to wl_shm.
 */
static bool wrap_dmabuf(struct parent *parent, struct output_buffer *buffer,
	const struct mosaic_dmabuf_attributes *a)
{
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(parent->dmabuf);
	for (int i = 0; i < a->n_planes; i++) {
		zwp_linux_buffer_params_v1_add(params, a->fd[i], (uint32_t)i, a->offset[i],
			a->stride[i], (uint32_t)(a->modifier >> 32), (uint32_t)a->modifier);
	}
	struct wl_buffer *wl_buffer = NULL;
	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &wl_buffer);
	zwp_linux_buffer_params_v1_create(params, a->width, a->height, a->fourcc, 0);
	wl_display_roundtrip(parent->display);
	zwp_linux_buffer_params_v1_destroy(params);
	if (wl_buffer == NULL) {
		fprintf(stderr, "the parent compositor refused our dmabuf\n");
		return false;
	}
	buffer->data = wl_buffer;
	wl_buffer_add_listener(wl_buffer, &buffer_listener, buffer);
	return true;
}

/* The parent's wl_buffer for an output buffer: linux-dmabuf or wl_shm. */
static bool wrap_buffer(void *data, struct output_buffer *buffer)
{
	struct parent *parent = data;
	struct mosaic_dmabuf_attributes dmabuf;
	if (parent->dmabuf != NULL && mosaic_buffer_get_dmabuf(buffer->buffer, &dmabuf)) {
		return wrap_dmabuf(parent, buffer, &dmabuf);
	}
	struct mosaic_shm_attributes shm;
	if (!mosaic_buffer_get_shm(buffer->buffer, &shm)) {
		fprintf(stderr, "the output buffer cannot be shared through wl_shm\n");
		return false;
	}
	int32_t size = (int32_t)(shm.offset + (off_t)shm.stride * shm.height);
	struct wl_shm_pool *pool = wl_shm_create_pool(parent->shm, shm.fd, size);
	struct wl_buffer *wl_buffer = wl_shm_pool_create_buffer(pool, (int32_t)shm.offset,
		shm.width, shm.height, (int32_t)shm.stride, WL_SHM_FORMAT_XRGB8888);
	// The buffer keeps the memory; the pool object is no longer needed.
	wl_shm_pool_destroy(pool);
	buffer->data = wl_buffer;
	wl_buffer_add_listener(wl_buffer, &buffer_listener, buffer);
	return true;
}

static void unwrap_buffer(void *data, struct output_buffer *buffer)
{
	if (buffer->data != NULL) {
		wl_buffer_destroy(buffer->data);
		buffer->data = NULL;
	}
}

/* Shows the buffer in our window, with the damage in buffer coordinates. */
static void present(void *data, struct output_buffer *buffer,
	const pixman_region32_t *damage)
{
	struct parent *parent = data;
	wl_surface_attach(parent->surface, buffer->data, 0, 0);
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(damage, &n);
	for (int i = 0; i < n; i++) {
		wl_surface_damage_buffer(parent->surface, rects[i].x1, rects[i].y1,
			rects[i].x2 - rects[i].x1, rects[i].y2 - rects[i].y1);
	}
	parent->frame_callback = wl_surface_frame(parent->surface);
	wl_callback_add_listener(parent->frame_callback, &frame_listener, parent);
	if (parent_presents(parent)) {
		if (parent->n_feedbacks == COMPOSITOR_FRAMES_IN_FLIGHT) {
			// The parent never answered for the oldest: it is lost.
			feedback_forget(parent, parent->feedbacks[0]);
			output_frame_discarded(parent->server);
		}
		struct wp_presentation_feedback *feedback =
			wp_presentation_feedback(parent->presentation, parent->surface);
		wp_presentation_feedback_add_listener(feedback, &feedback_listener, parent);
		parent->feedbacks[parent->n_feedbacks++] = feedback;
	}
	wl_surface_commit(parent->surface);
	buffer->busy = true;
}

/* True while the parent has not asked for the next frame yet. */
static bool frame_pending(void *data)
{
	struct parent *parent = data;
	return parent->frame_callback != NULL;
}

/* Sends what we queued for the parent and dispatches what it sent; false once it is gone. */
static bool flush(void *data)
{
	struct parent *parent = data;
	if (wl_display_dispatch_pending(parent->display) < 0) {
		return false;
	}
	// EAGAIN (the socket is full) is fine: the rest goes out next time.
	wl_display_flush(parent->display);
	return true;
}

static const uint64_t *dmabuf_modifiers(void *data, int *n)
{
	return parent_dmabuf_modifiers(data, n);
}

const struct output_impl parent_output_impl = {
	.dmabuf_modifiers = dmabuf_modifiers,
	.wrap_buffer = wrap_buffer,
	.unwrap_buffer = unwrap_buffer,
	.frame_pending = frame_pending,
	.present = present,
	.flush = flush,
	// Every parent takes wl_shm: where our dmabufs fail, shared memory works.
	.shm_fallback = true,
};

static int parent_readable(int fd, uint32_t mask, void *data)
{
	struct parent *parent = data;
	if ((mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) ||
			wl_display_dispatch(parent->display) < 0) {
		fprintf(stderr, "the parent compositor went away\n");
		parent->server->running = false;
		return 0;
	}
	return 0;
}

struct parent *parent_connect(struct server *server, const char *display_name)
{
	struct parent *parent = calloc(1, sizeof(*parent));
	if (parent == NULL) {
		return NULL;
	}
	parent->server = server;
	parent->presentation_clock = -1;
	parent->display = wl_display_connect(display_name);
	if (parent->display == NULL) {
		fprintf(stderr, "cannot connect to the parent compositor (WAYLAND_DISPLAY=%s); "
			"use --headless to run without one\n",
			display_name != NULL ? display_name : "");
		free(parent);
		return NULL;
	}
	parent->registry = wl_display_get_registry(parent->display);
	wl_registry_add_listener(parent->registry, &registry_listener, parent);
	// Two round trips: the globals, then the events of the bound objects.
	wl_display_roundtrip(parent->display);
	wl_display_roundtrip(parent->display);
	if (parent->compositor == NULL || parent->shm == NULL || parent->wm_base == NULL) {
		fprintf(stderr, "the parent compositor lacks wl_compositor, wl_shm or "
			"xdg_wm_base\n");
		parent_destroy(parent);
		return NULL;
	}

	parent->surface = wl_compositor_create_surface(parent->compositor);
	parent->xdg_surface = xdg_wm_base_get_xdg_surface(parent->wm_base, parent->surface);
	xdg_surface_add_listener(parent->xdg_surface, &xdg_surface_listener, parent);
	parent->toplevel = xdg_surface_get_toplevel(parent->xdg_surface);
	xdg_toplevel_add_listener(parent->toplevel, &toplevel_listener, parent);
	xdg_toplevel_set_title(parent->toplevel, "mosaic nested compositor");
	xdg_toplevel_set_app_id(parent->toplevel, "mosaic-nested");
	wl_surface_commit(parent->surface);
	while (!parent->configured) {
		if (wl_display_dispatch(parent->display) < 0) {
			fprintf(stderr, "the parent compositor went away before configuring us\n");
			parent_destroy(parent);
			return NULL;
		}
	}
	if (parent->pending_width > 0 && parent->pending_height > 0) {
		// The parent asked for a size at once: start with it.
		server->width = parent->pending_width;
		server->height = parent->pending_height;
	}

	parent->source = wl_event_loop_add_fd(server->loop, wl_display_get_fd(parent->display),
		WL_EVENT_READABLE, parent_readable, parent);
	if (parent->source == NULL) {
		parent_destroy(parent);
		return NULL;
	}
	return parent;
}

void parent_destroy(struct parent *parent)
{
	if (parent == NULL) {
		return;
	}
	if (parent->source != NULL) {
		wl_event_source_remove(parent->source);
	}
	if (parent->frame_callback != NULL) {
		wl_callback_destroy(parent->frame_callback);
	}
	for (int i = 0; i < parent->n_feedbacks; i++) {
		wp_presentation_feedback_destroy(parent->feedbacks[i]);
	}
	if (parent->presentation != NULL) {
		wp_presentation_destroy(parent->presentation);
	}
	if (parent->toplevel != NULL) {
		xdg_toplevel_destroy(parent->toplevel);
	}
	if (parent->xdg_surface != NULL) {
		xdg_surface_destroy(parent->xdg_surface);
	}
	if (parent->surface != NULL) {
		wl_surface_destroy(parent->surface);
	}
	if (parent->pointer != NULL) {
		wl_pointer_destroy(parent->pointer);
	}
	if (parent->keyboard != NULL) {
		wl_keyboard_destroy(parent->keyboard);
	}
	if (parent->seat != NULL) {
		wl_seat_destroy(parent->seat);
	}
	if (parent->wm_base != NULL) {
		xdg_wm_base_destroy(parent->wm_base);
	}
	if (parent->shm != NULL) {
		wl_shm_destroy(parent->shm);
	}
	if (parent->dmabuf != NULL) {
		zwp_linux_dmabuf_v1_destroy(parent->dmabuf);
	}
	if (parent->compositor != NULL) {
		wl_compositor_destroy(parent->compositor);
	}
	wl_registry_destroy(parent->registry);
	wl_display_disconnect(parent->display);
	free(parent);
}
