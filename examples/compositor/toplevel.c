/*
 * Toplevels: xdg_toplevel and the window management of this compositor.
 *
 * Every configure says what the window is to be: its size (0x0 = "you
 * choose") and its states. "activated" goes to the toplevel that has the
 * keyboard (xdg.c hands it over); "maximized" and "fullscreen" come with the
 * output's size; "resizing" while the pointer drags an edge. What a configure
 * asks for is placed only once the client has acked its serial and
 * committed (toplevel_commit()): a maximized window goes to the output's
 * origin then, not when set_maximized arrives, so it never shows its old
 * buffer at the new place. unset_maximized / unset_fullscreen ask for the
 * size the window had before, and the commit after their ack puts it back
 * where it was.
 *
 * There is no taskbar here, so set_minimized hides the window (not drawn,
 * not under the pointer, no keyboard) until the client asks for it again:
 * any set/unset of maximized or fullscreen, or mapping a new buffer after a
 * NULL one, shows it, raised and focused.
 *
 * New windows cascade from the top-left corner and are clamped so their
 * window geometry fits in the output (at 0,0 when larger than the output).
 * Interactive moves (xdg_toplevel.move) and resizes (resize) need the serial
 * of a button press of that client that is still down; the pointer then
 * drives the window until the last button goes up, and the window under it
 * hears nothing meanwhile. A move keeps a corner of the window (32 pixels)
 * inside the output and its top edge below the output's, where title bars
 * are. Maximized and fullscreen windows are not moved or resized.
 */
#include <stdlib.h>
#include <string.h>

#include "compositor.h"
#include "xdg-shell-protocol.h"

/* How much of a moved window stays reachable, in each direction. */
#define REACHABLE 32

static enum window_mode wanted_mode(const struct toplevel *t)
{
	return t->want_fullscreen ? WINDOW_FULLSCREEN :
		t->want_maximized ? WINDOW_MAXIMIZED : WINDOW_NORMAL;
}

static bool add_state(struct wl_array *states, uint32_t value)
{
	uint32_t *state = wl_array_add(states, sizeof(*state));
	if (state == NULL) {
		return false;
	}
	*state = value;
	return true;
}

void toplevel_send_configure(struct xdg_surface *xdg, uint32_t serial)
{
	struct server *server = xdg->server;
	struct toplevel *t = &xdg->toplevel;
	enum window_mode mode = wanted_mode(t);
	bool resizing = server->grab.kind == GRAB_RESIZE && server->grab.window == xdg;
	int32_t width = t->normal_width, height = t->normal_height;
	if (mode != WINDOW_NORMAL) {
		width = server->width;
		height = server->height;
	} else if (resizing) {
		width = server->grab.width;
		height = server->grab.height;
	}
	struct wl_array states;
	wl_array_init(&states);
	bool ok = (server->activated != xdg || add_state(&states, XDG_TOPLEVEL_STATE_ACTIVATED)) &&
		(mode != WINDOW_MAXIMIZED || add_state(&states, XDG_TOPLEVEL_STATE_MAXIMIZED)) &&
		(mode != WINDOW_FULLSCREEN || add_state(&states, XDG_TOPLEVEL_STATE_FULLSCREEN)) &&
		(!resizing || add_state(&states, XDG_TOPLEVEL_STATE_RESIZING));
	if (!ok) {
		wl_client_post_no_memory(wl_resource_get_client(xdg->role_resource));
	}
	// The decoration's configure belongs to the same xdg_surface.configure.
	decoration_send_configure(xdg);
	xdg_toplevel_send_configure(xdg->role_resource, width, height, &states);
	wl_array_release(&states);
	// Remembered until acked; a client that never acks forgets the oldest.
	if (t->n_sent == TOPLEVEL_CONFIGURES) {
		memmove(&t->sent[0], &t->sent[1], sizeof(t->sent[0]) * (TOPLEVEL_CONFIGURES - 1));
		t->n_sent--;
	}
	t->sent[t->n_sent++] = (struct toplevel_configure){ serial, mode, resizing };
}

void toplevel_ack(struct xdg_surface *xdg, uint32_t serial)
{
	// Acking a serial acks the configures before it too: the latest one at
	// or before the serial is what the client now draws.
	struct toplevel *t = &xdg->toplevel;
	int found = -1;
	for (int i = 0; i < t->n_sent; i++) {
		if ((int32_t)(serial - t->sent[i].serial) >= 0) {
			found = i;
		}
	}
	if (found < 0) {
		return;
	}
	t->acked = t->sent[found];
	t->ack_pending = true;
	t->n_sent -= found + 1;
	memmove(&t->sent[0], &t->sent[found + 1], sizeof(t->sent[0]) * (size_t)t->n_sent);
}

/* pos clamped so that size fits in [0, limit); at 0 when it cannot. */
static int fit(int64_t pos, int64_t size, int64_t limit)
{
	if (pos + size > limit) {
		pos = limit - size;
	}
	return pos < 0 ? 0 : compositor_coord(pos);
}

void toplevel_place(struct xdg_surface *xdg)
{
	struct server *server = xdg->server;
	// Cascade: each new toplevel a little below and right of the last.
	int step = 32, n = server->n_toplevels_placed++ % 8;
	xdg->x = fit(step + n * step, xdg->geometry.width, server->width);
	xdg->y = fit(step + n * step, xdg->geometry.height, server->height);
}

/* Moves the window and its popups (placed relative to it) to x, y. */
static void move_window(struct xdg_surface *xdg, int x, int y)
{
	struct server *server = xdg->server;
	if (x == xdg->x && y == xdg->y) {
		return;
	}
	struct xdg_surface *w;
	wl_list_for_each(w, &server->windows, link) {
		if (w == xdg || xdg_root_toplevel(w) == xdg) {
			xdg_damage_window(w);
		}
	}
	xdg->x = x;
	xdg->y = y;
	// Popups are above their parents in the stack: parents move first.
	wl_list_for_each(w, &server->windows, link) {
		if (w != xdg && w->parent != NULL && xdg_root_toplevel(w) == xdg) {
			w->x = compositor_coord((int64_t)w->parent->x + w->popup_x);
			w->y = compositor_coord((int64_t)w->parent->y + w->popup_y);
		}
		if (w == xdg || xdg_root_toplevel(w) == xdg) {
			xdg_damage_window(w);
		}
	}
}

void toplevel_commit(struct xdg_surface *xdg)
{
	struct toplevel *t = &xdg->toplevel;
	struct server *server = xdg->server;
	bool resize_done = false;
	int x = xdg->x, y = xdg->y;
	if (t->ack_pending) {
		// This commit is the client's answer to the configure it acked.
		t->ack_pending = false;
		enum window_mode was = t->mode;
		t->mode = t->acked.mode;
		if (t->mode != WINDOW_NORMAL) {
			// The window geometry's origin at the output's origin.
			x = 0;
			y = 0;
		} else if (was != WINDOW_NORMAL && t->has_saved) {
			x = t->saved_x;
			y = t->saved_y;
			t->has_saved = false;
		} else if (was != WINDOW_NORMAL && xdg->mapped) {
			// Mapped maximized: it never had a place of its own.
			toplevel_place(xdg);
			x = xdg->x;
			y = xdg->y;
		}
		resize_done = !t->acked.resizing;
	}
	if (t->resize_edges != 0 && t->mode == WINDOW_NORMAL) {
		// The edges opposite those dragged stay where they were.
		const struct mosaic_box *b = &t->resize_box;
		if (t->resize_edges & XDG_TOPLEVEL_RESIZE_EDGE_LEFT) {
			x = compositor_coord((int64_t)b->x + b->width - xdg->geometry.width);
		}
		if (t->resize_edges & XDG_TOPLEVEL_RESIZE_EDGE_TOP) {
			y = compositor_coord((int64_t)b->y + b->height - xdg->geometry.height);
		}
	}
	if (resize_done && server->grab.window != xdg) {
		t->resize_edges = 0;
	}
	if (xdg->mapped) {
		move_window(xdg, x, y);
	} else {
		xdg->x = x;
		xdg->y = y;
	}
}

void toplevel_unmapped(struct xdg_surface *xdg)
{
	if (xdg->server->grab.window == xdg) {
		xdg->server->grab = (struct pointer_grab){0};
	}
}

/* Shows a minimized window again, raised and focused. */
static void unminimize(struct xdg_surface *xdg)
{
	if (!xdg->toplevel.minimized) {
		return;
	}
	xdg->toplevel.minimized = false;
	if (xdg->mapped) {
		struct xdg_surface *w;
		wl_list_for_each(w, &xdg->server->windows, link) {
			if (xdg_root_toplevel(w) == xdg) {
				xdg_damage_window(w);
			}
		}
		xdg_focus(xdg->server, xdg);
	}
}

/* set/unset_maximized, set/unset_fullscreen: a configure answers each one. */
static void change_mode(struct wl_resource *resource, bool maximized, bool fullscreen)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL) {
		return;
	}
	struct toplevel *t = &xdg->toplevel;
	if (wanted_mode(t) == WINDOW_NORMAL && t->mode == WINDOW_NORMAL && xdg->mapped &&
			(maximized || fullscreen)) {
		// Where to come back to, and at which size.
		t->has_saved = true;
		t->saved_x = xdg->x;
		t->saved_y = xdg->y;
		t->normal_width = xdg->geometry.width;
		t->normal_height = xdg->geometry.height;
	}
	t->want_maximized = maximized;
	t->want_fullscreen = fullscreen;
	unminimize(xdg);
	xdg_configure(xdg);
}

static void toplevel_set_maximized(struct wl_client *client, struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		change_mode(resource, true, xdg->toplevel.want_fullscreen);
	}
}

static void toplevel_unset_maximized(struct wl_client *client, struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		change_mode(resource, false, xdg->toplevel.want_fullscreen);
	}
}

static void toplevel_set_fullscreen(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *output)
{
	// There is one output: whichever the client names, it is that one.
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		change_mode(resource, xdg->toplevel.want_maximized, true);
	}
}

static void toplevel_unset_fullscreen(struct wl_client *client, struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		change_mode(resource, xdg->toplevel.want_maximized, false);
	}
}

static void toplevel_set_minimized(struct wl_client *client, struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL || xdg->toplevel.minimized) {
		return;
	}
	struct server *server = xdg->server;
	struct xdg_surface *w;
	wl_list_for_each(w, &server->windows, link) {
		if (xdg_root_toplevel(w) == xdg) {
			xdg_damage_window(w);
		}
	}
	xdg->toplevel.minimized = true;
	toplevel_unmapped(xdg);
	if (xdg_root_toplevel(server->popup_grab) == xdg) {
		// Its menus go with it.
		popup_grab_press(server, NULL);
	}
	if (server->pointer_focus != NULL &&
			xdg_root_toplevel(xdg_window_of(server->pointer_focus)) == xdg) {
		seat_pointer_leave(server);
	}
	if (server->keyboard_focus != NULL &&
			xdg_root_toplevel(xdg_window_of(server->keyboard_focus)) == xdg) {
		xdg_focus_next(server);
	}
}

/*
 * Starts an interactive grab: only in answer to a press of a button that is
 * still down, which this client got, on a window shown in its normal mode.
 */
static bool start_grab(struct wl_client *client, struct xdg_surface *xdg, uint32_t serial,
	enum pointer_grab_kind kind, uint32_t edges)
{
	struct server *server = xdg->server;
	if (!xdg_window_shown(xdg) || xdg->toplevel.mode != WINDOW_NORMAL ||
			server->grab.kind != GRAB_NONE || server->buttons_down == 0 ||
			server->press_client != client || server->press_serial != serial) {
		return false;
	}
	server->grab = (struct pointer_grab){
		.kind = kind,
		.window = xdg,
		.start_x = server->pointer_x,
		.start_y = server->pointer_y,
		.start_box = { xdg->x, xdg->y, xdg->geometry.width, xdg->geometry.height },
		.edges = edges,
		.width = xdg->geometry.width,
		.height = xdg->geometry.height,
	};
	// The pointer is the grab's until the buttons go up.
	seat_pointer_leave(server);
	return true;
}

static void toplevel_move(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *seat, uint32_t serial)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		start_grab(client, xdg, serial, GRAB_MOVE, XDG_TOPLEVEL_RESIZE_EDGE_NONE);
	}
}

static void toplevel_resize(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *seat, uint32_t serial, uint32_t edges)
{
	switch (edges) {
	case XDG_TOPLEVEL_RESIZE_EDGE_NONE:
	case XDG_TOPLEVEL_RESIZE_EDGE_TOP:
	case XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM:
	case XDG_TOPLEVEL_RESIZE_EDGE_LEFT:
	case XDG_TOPLEVEL_RESIZE_EDGE_TOP_LEFT:
	case XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_LEFT:
	case XDG_TOPLEVEL_RESIZE_EDGE_RIGHT:
	case XDG_TOPLEVEL_RESIZE_EDGE_TOP_RIGHT:
	case XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_RIGHT:
		break;
	default:
		wl_resource_post_error(resource, XDG_TOPLEVEL_ERROR_INVALID_RESIZE_EDGE,
			"%u is no resize edge", edges);
		return;
	}
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL || edges == XDG_TOPLEVEL_RESIZE_EDGE_NONE ||
			!start_grab(client, xdg, serial, GRAB_RESIZE, edges)) {
		return;
	}
	xdg->toplevel.resize_edges = edges;
	xdg->toplevel.resize_box = xdg->server->grab.start_box;
	// "resizing" from now on, at the size it has.
	xdg_configure(xdg);
}

/* A pointer offset in whole pixels, whatever the program sent. */
static int64_t offset(double from, double to)
{
	double d = to - from;
	return d > COMPOSITOR_COORD_LIMIT ? COMPOSITOR_COORD_LIMIT :
		d < -COMPOSITOR_COORD_LIMIT ? -COMPOSITOR_COORD_LIMIT : (int64_t)d;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A size dragged to `size`, within the client's bounds and at least 1. */
static int32_t bounded_size(int64_t size, int32_t min, int32_t max)
{
	if (max > 0 && size > max) {
		size = max;
	}
	if (size < min) {
		size = min;
	}
	return size < 1 ? 1 : compositor_coord(size);
}

void toplevel_grab_motion(struct server *server)
{
	struct pointer_grab *g = &server->grab;
	struct xdg_surface *xdg = g->window;
	int64_t dx = offset(g->start_x, server->pointer_x);
	int64_t dy = offset(g->start_y, server->pointer_y);
	if (g->kind == GRAB_MOVE) {
		int64_t w = g->start_box.width, h = g->start_box.height;
		int64_t keep_w = w < REACHABLE ? w : REACHABLE;
		int64_t keep_h = h < REACHABLE ? h : REACHABLE;
		int64_t min_x = keep_w - w, max_x = server->width - keep_w;
		int64_t x = clamp64(g->start_box.x + dx, min_x, max_x > min_x ? max_x : min_x);
		int64_t y = clamp64(g->start_box.y + dy, 0,
			server->height - keep_h > 0 ? server->height - keep_h : 0);
		move_window(xdg, (int)x, (int)y);
		return;
	}
	int64_t w = g->start_box.width, h = g->start_box.height;
	if (g->edges & XDG_TOPLEVEL_RESIZE_EDGE_RIGHT) {
		w += dx;
	} else if (g->edges & XDG_TOPLEVEL_RESIZE_EDGE_LEFT) {
		w -= dx;
	}
	if (g->edges & XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM) {
		h += dy;
	} else if (g->edges & XDG_TOPLEVEL_RESIZE_EDGE_TOP) {
		h -= dy;
	}
	struct toplevel *t = &xdg->toplevel;
	int32_t width = bounded_size(w, t->min_width, t->max_width);
	int32_t height = bounded_size(h, t->min_height, t->max_height);
	if (width != g->width || height != g->height) {
		g->width = width;
		g->height = height;
		xdg_configure(xdg);
	}
}

void toplevel_grab_end(struct server *server)
{
	struct pointer_grab g = server->grab;
	server->grab = (struct pointer_grab){0};
	if (g.kind == GRAB_RESIZE) {
		// The size dragged to stays, no longer "resizing".
		g.window->toplevel.normal_width = g.width;
		g.window->toplevel.normal_height = g.height;
		xdg_configure(g.window);
	}
}

void toplevel_output_resized(struct server *server)
{
	struct surface *surface;
	wl_list_for_each(surface, &server->surfaces, link) {
		struct xdg_surface *xdg = surface->xdg;
		if (xdg != NULL && xdg->role == XDG_ROLE_TOPLEVEL &&
				wanted_mode(&xdg->toplevel) != WINDOW_NORMAL) {
			xdg_configure(xdg);
		}
	}
}

static void toplevel_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL && !decoration_check_orphaned(xdg)) {
		return;
	}
	wl_resource_destroy(resource);
}

static void toplevel_set_parent(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *parent)
{
}

static void toplevel_set_title(struct wl_client *client, struct wl_resource *resource,
	const char *title)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL) {
		return;
	}
	free(xdg->title);
	xdg->title = strdup(title);
}

static void toplevel_set_app_id(struct wl_client *client, struct wl_resource *resource,
	const char *app_id)
{
}

static void toplevel_show_window_menu(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *seat, uint32_t serial, int32_t x, int32_t y)
{
	// No window menu to show.
}

/* The bounds take effect at once (the protocol makes them double-buffered). */
static void set_size_bound(struct wl_resource *resource, int32_t width, int32_t height,
	bool max)
{
	if (width < 0 || height < 0) {
		wl_resource_post_error(resource, XDG_TOPLEVEL_ERROR_INVALID_SIZE,
			"a size bound must not be negative");
		return;
	}
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL) {
		return;
	}
	if (max) {
		xdg->toplevel.max_width = width;
		xdg->toplevel.max_height = height;
	} else {
		xdg->toplevel.min_width = width;
		xdg->toplevel.min_height = height;
	}
}

static void toplevel_set_max_size(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height)
{
	set_size_bound(resource, width, height, true);
}

static void toplevel_set_min_size(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height)
{
	set_size_bound(resource, width, height, false);
}

static const struct xdg_toplevel_interface toplevel_impl = {
	.destroy = toplevel_destroy,
	.set_parent = toplevel_set_parent,
	.set_title = toplevel_set_title,
	.set_app_id = toplevel_set_app_id,
	.show_window_menu = toplevel_show_window_menu,
	.move = toplevel_move,
	.resize = toplevel_resize,
	.set_max_size = toplevel_set_max_size,
	.set_min_size = toplevel_set_min_size,
	.set_maximized = toplevel_set_maximized,
	.unset_maximized = toplevel_unset_maximized,
	.set_fullscreen = toplevel_set_fullscreen,
	.unset_fullscreen = toplevel_unset_fullscreen,
	.set_minimized = toplevel_set_minimized,
};

static void toplevel_handle_resource_destroy(struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		xdg_role_destroyed(xdg);
	}
}

void toplevel_create(struct xdg_surface *xdg, struct wl_client *client, uint32_t version,
	uint32_t id)
{
	xdg->role_resource = wl_resource_create(client, &xdg_toplevel_interface, (int)version,
		id);
	if (xdg->role_resource == NULL) {
		xdg->role = XDG_ROLE_NONE;
		wl_client_post_no_memory(client);
		return;
	}
	xdg->toplevel = (struct toplevel){0};
	wl_resource_set_implementation(xdg->role_resource, &toplevel_impl, xdg,
		toplevel_handle_resource_destroy);
}
