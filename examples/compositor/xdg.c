/*
 * Windows: xdg_wm_base and xdg_surface, what toplevels and popups share
 * (toplevel.c and popup.c hold the rest).
 *
 * The handshake every xdg window goes through:
 *   1. the client gives a wl_surface the toplevel or popup role and commits
 *      without a buffer;
 *   2. we answer with a configure event (the size we would like, 0x0 = "you
 *      choose") followed by xdg_surface.configure(serial);
 *   3. the client acks the serial, attaches a buffer and commits: the window
 *      is mapped, placed (toplevels cascade from the top-left corner, inside
 *      the output; popups go where their positioner says), raised and
 *      focused.
 * Committing a NULL buffer unmaps it; the handshake then starts over.
 *
 * Later configures (a focus change, maximize, an interactive resize) follow
 * the same rule: what one asks for takes effect with the commit that follows
 * the ack of its serial, never before (toplevel_commit()).
 *
 * Keyboard focus is one surface (seat.c); the toplevel it belongs to is the
 * one whose configures say "activated". Closing, unmapping or minimizing the
 * focused window hands the focus to the topmost window still shown.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compositor.h"
#include "xdg-shell-protocol.h"

void xdg_surface_origin(struct xdg_surface *xdg, int *x, int *y)
{
	*x = compositor_coord((int64_t)xdg->x - xdg->geometry.x);
	*y = compositor_coord((int64_t)xdg->y - xdg->geometry.y);
}

struct xdg_surface *xdg_window_of(struct surface *surface)
{
	while (surface->subsurface != NULL && surface->subsurface->parent != NULL) {
		surface = surface->subsurface->parent;
	}
	return surface->xdg;
}

/*
 * Popup chains have no cycles (get_popup refuses them) and are at most as
 * long as there are surfaces: the walks up stop there in any case.
 */
struct xdg_surface *xdg_root_toplevel(struct xdg_surface *xdg)
{
	size_t limit = xdg != NULL ? (size_t)wl_list_length(&xdg->server->surfaces) + 1 : 0;
	while (xdg != NULL && xdg->role == XDG_ROLE_POPUP && limit-- > 0) {
		xdg = xdg->parent;
	}
	return xdg != NULL && xdg->role == XDG_ROLE_TOPLEVEL ? xdg : NULL;
}

bool xdg_window_shown(struct xdg_surface *xdg)
{
	if (xdg == NULL || !xdg->mapped || xdg->surface == NULL) {
		return false;
	}
	// A popup whose parent went is shown where it was; one of a minimized
	// toplevel is hidden with it.
	struct xdg_surface *root = xdg_root_toplevel(xdg);
	return root == NULL || !root->toplevel.minimized;
}

void xdg_configure(struct xdg_surface *xdg)
{
	if (xdg == NULL || xdg->role_resource == NULL || !xdg->initial_commit_done) {
		// Before the initial commit the configure would come too early: the
		// one that answers it will say what is wanted by then.
		return;
	}
	uint32_t serial = wl_display_next_serial(xdg->server->display);
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		toplevel_send_configure(xdg, serial);
	} else if (xdg->role == XDG_ROLE_POPUP) {
		xdg_popup_send_configure(xdg->role_resource, xdg->popup_x, xdg->popup_y,
			xdg->geometry.width, xdg->geometry.height);
	}
	xdg->configure_serial = serial;
	if (!xdg->configure_sent) {
		xdg->acked_serial = xdg->configure_serial - 1;
		xdg->configure_sent = true;
	}
	xdg_surface_send_configure(xdg->resource, xdg->configure_serial);
}

/* What the window and its subsurfaces cover now, in output coordinates. */
static struct mosaic_box window_extent(struct xdg_surface *xdg)
{
	int x, y;
	xdg_surface_origin(xdg, &x, &y);
	return surface_tree_extent(xdg->surface, x, y);
}

/*
 * Damages what the window and its subsurfaces covered when last drawn and
 * what they cover now: subsurfaces may reach outside the window's own box.
 */
void xdg_damage_window(struct xdg_surface *xdg)
{
	if (xdg->surface == NULL) {
		return;
	}
	struct mosaic_box box = window_extent(xdg);
	output_damage_box(xdg->server, &xdg->drawn_box);
	output_damage_box(xdg->server, &box);
	output_schedule_frame(xdg->server);
}

/* True when the surface is part of the window (its own surface or a subsurface). */
static bool in_window(struct surface *surface, struct xdg_surface *xdg)
{
	return surface != NULL && xdg_window_of(surface) == xdg;
}

void xdg_focus_next(struct server *server)
{
	struct xdg_surface *next = NULL, *w;
	if (server->popup_grab != NULL && xdg_window_shown(server->popup_grab)) {
		next = server->popup_grab;
	} else {
		wl_list_for_each_reverse(w, &server->windows, link) {
			if (w->role == XDG_ROLE_TOPLEVEL && xdg_window_shown(w)) {
				next = w;
				break;
			}
		}
	}
	seat_set_keyboard_focus(server, next != NULL ? next->surface : NULL);
}

void xdg_unmap(struct xdg_surface *xdg)
{
	if (!xdg->mapped) {
		return;
	}
	struct server *server = xdg->server;
	xdg_damage_window(xdg);
	xdg->mapped = false;
	wl_list_remove(&xdg->link);
	wl_list_init(&xdg->link);
	toplevel_unmapped(xdg);
	popup_ungrab(xdg);
	if (server->activated == xdg) {
		// Its handshake starts over (or the window goes): no configure now.
		server->activated = NULL;
	}
	if (in_window(server->pointer_focus, xdg)) {
		seat_pointer_leave(server);
	}
	// The focus goes with the window; a wl_surface destroyed first has
	// already left it NULL (seat_surface_destroyed).
	if (server->keyboard_focus == NULL || in_window(server->keyboard_focus, xdg)) {
		xdg_focus_next(server);
	}
}

void xdg_surface_lost_surface(struct xdg_surface *xdg)
{
	xdg_unmap(xdg);
	xdg->surface = NULL;
}

/*
 * Moves a window to the top of the stack (the end of the list), then its
 * popups above it, each popup's own popups right above it: they belong with
 * their parent. A window already on top looks the same: nothing to redraw.
 * The walk is iterative and visits at most every mapped window once, so a
 * popup tree of any depth (or a cycle, which get_popup refuses) cannot
 * exhaust the stack.
 */
void xdg_raise(struct server *server, struct xdg_surface *xdg)
{
	size_t n = 1;
	struct xdg_surface *w;
	wl_list_for_each(w, &server->windows, link) {
		n++;
	}
	// A preorder walk with an explicit stack; raising moves windows around
	// in the list, so the order is collected first.
	struct xdg_surface **stack = calloc(n, sizeof(*stack));
	struct xdg_surface **order = calloc(n, sizeof(*order));
	if (stack == NULL || order == NULL) {
		fprintf(stderr, "out of memory raising a window\n");
		free(stack);
		free(order);
		return;
	}
	size_t depth = 0, n_order = 0;
	stack[depth++] = xdg;
	while (depth > 0 && n_order < n) {
		struct xdg_surface *top = stack[--depth];
		order[n_order++] = top;
		// Children pushed last first, so that they come out in list order.
		wl_list_for_each_reverse(w, &server->windows, link) {
			if (w->parent == top && w != top && depth < n) {
				stack[depth++] = w;
			}
		}
	}
	if (depth > 0) {
		fprintf(stderr, "a popup tree has a cycle\n");
	}
	for (size_t i = 0; i < n_order; i++) {
		w = order[i];
		if (w->mapped && w->link.next != &server->windows) {
			wl_list_remove(&w->link);
			wl_list_insert(server->windows.prev, &w->link);
			xdg_damage_window(w);
		}
	}
	free(stack);
	free(order);
}

void xdg_focus(struct server *server, struct xdg_surface *xdg)
{
	xdg_raise(server, xdg);
	bool grabbing = xdg->role == XDG_ROLE_POPUP && xdg->grabbing &&
		server->popup_grab == xdg;
	if (xdg->role == XDG_ROLE_TOPLEVEL || grabbing) {
		// The topmost grabbing popup has the keyboard (a menu's arrow
		// keys); its toplevel stays activated.
		seat_set_keyboard_focus(server, xdg->surface);
	}
}

void xdg_keyboard_focus_changed(struct server *server)
{
	struct xdg_surface *window = server->keyboard_focus != NULL ?
		xdg_window_of(server->keyboard_focus) : NULL;
	struct xdg_surface *now = xdg_root_toplevel(window);
	if (now == server->activated) {
		return;
	}
	// Both windows learn it from a configure: clients draw an inactive
	// title bar differently, and stop blinking their cursor.
	struct xdg_surface *was = server->activated;
	server->activated = now;
	xdg_configure(was);
	xdg_configure(now);
}

static void map(struct xdg_surface *xdg)
{
	struct server *server = xdg->server;
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		// A window that maps again after a NULL buffer is shown again, even
		// after set_minimized: it asked to be seen.
		xdg->toplevel.minimized = false;
		if (xdg->toplevel.mode == WINDOW_NORMAL) {
			toplevel_place(xdg);
		}
	} else if (xdg->parent != NULL) {
		xdg->x = compositor_coord((int64_t)xdg->parent->x + xdg->popup_x);
		xdg->y = compositor_coord((int64_t)xdg->parent->y + xdg->popup_y);
	}
	xdg->mapped = true;
	wl_list_insert(server->windows.prev, &xdg->link);
	xdg_damage_window(xdg);
	xdg_focus(server, xdg);
}

void xdg_surface_commit(struct xdg_surface *xdg)
{
	struct surface *surface = xdg->surface;
	if (xdg->role == XDG_ROLE_NONE) {
		return;
	}
	if (!mosaic_box_empty(&xdg->pending_geometry)) {
		xdg->geometry = xdg->pending_geometry;
	} else if (xdg->role == XDG_ROLE_TOPLEVEL) {
		// Without a window geometry, the window is the whole surface.
		xdg->geometry = (struct mosaic_box){ 0, 0, surface->width, surface->height };
	}
	if (!xdg->initial_commit_done) {
		if (surface->has_content) {
			wl_resource_post_error(xdg->resource, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
				"a buffer was attached before the first configure");
			return;
		}
		xdg->initial_commit_done = true;
		xdg_configure(xdg);
		return;
	}
	if (surface->has_content && !xdg->configured) {
		wl_resource_post_error(xdg->resource, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
			"a buffer was attached before the configure was acked");
		return;
	}
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		toplevel_commit(xdg);
	}
	if (surface->has_content && !xdg->mapped && !xdg->dismissed) {
		// A dismissed popup stays unmapped: its client is to destroy it.
		map(xdg);
	} else if (!surface->has_content && xdg->mapped) {
		xdg_unmap(xdg);
		xdg->initial_commit_done = false;
		xdg->configured = false;
	}
	struct mosaic_box box = window_extent(xdg);
	if (xdg->mapped && (box.x != xdg->drawn_box.x || box.y != xdg->drawn_box.y ||
			box.width != xdg->drawn_box.width || box.height != xdg->drawn_box.height)) {
		// Moved or resized (a new window geometry): old and new place. A
		// commit that only changes content was damaged in surface.c.
		xdg_damage_window(xdg);
	}
	xdg->drawn_box = box;
}

/* The window's server-side pointers to it go: it is unmapped or gone. */
static void forget(struct xdg_surface *xdg)
{
	popup_ungrab(xdg);
	toplevel_unmapped(xdg);
	if (xdg->server->activated == xdg) {
		xdg->server->activated = NULL;
	}
}

/* Popups of a window that goes away lose their parent (and stay where they are). */
static void orphan_popups(struct xdg_surface *xdg)
{
	struct surface *surface;
	wl_list_for_each(surface, &xdg->server->surfaces, link) {
		if (surface->xdg != NULL && surface->xdg->parent == xdg) {
			surface->xdg->parent = NULL;
		}
	}
}

void xdg_role_destroyed(struct xdg_surface *xdg)
{
	// No events to the role object from here on: it is being destroyed.
	xdg->role_resource = NULL;
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		decoration_toplevel_destroyed(xdg);
	}
	xdg_unmap(xdg);
	forget(xdg);
	orphan_popups(xdg);
	xdg->parent = NULL;
	xdg->role = XDG_ROLE_NONE;
	xdg->initial_commit_done = false;
	xdg->configured = false;
	xdg->grabbing = false;
	xdg->dismissed = false;
	xdg->toplevel = (struct toplevel){0};
}

/* xdg_surface */
static const struct xdg_wm_base_interface wm_base_impl;

static void xdg_surface_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

bool xdg_start_role(struct xdg_surface *xdg, enum xdg_role role)
{
	if (xdg->role != XDG_ROLE_NONE) {
		wl_resource_post_error(xdg->resource, XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
			"the xdg_surface already has a role object");
		return false;
	}
	if (xdg->surface == NULL) {
		wl_resource_post_error(xdg->resource, XDG_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT,
			"the wl_surface is gone");
		return false;
	}
	xdg->role = role;
	return true;
}

static void xdg_surface_get_toplevel(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (!xdg_start_role(xdg, XDG_ROLE_TOPLEVEL)) {
		return;
	}
	toplevel_create(xdg, client, (uint32_t)wl_resource_get_version(resource), id);
}

static enum wl_iterator_result find_wm_base(struct wl_resource *resource, void *data)
{
	if (wl_resource_instance_of(resource, &xdg_wm_base_interface, &wm_base_impl)) {
		*(struct wl_resource **)data = resource;
		return WL_ITERATOR_STOP;
	}
	return WL_ITERATOR_CONTINUE;
}

void xdg_post_wm_base_error(struct wl_resource *xdg_resource, uint32_t code, const char *msg)
{
	struct wl_resource *wm_base = NULL;
	wl_client_for_each_resource(wl_resource_get_client(xdg_resource), find_wm_base,
		&wm_base);
	wl_resource_post_error(wm_base != NULL ? wm_base : xdg_resource, code, "%s", msg);
}

static void xdg_surface_get_popup(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, struct wl_resource *parent, struct wl_resource *positioner)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	popup_create(xdg, client, (uint32_t)wl_resource_get_version(resource), id, parent,
		positioner);
}

static void xdg_surface_set_window_geometry(struct wl_client *client,
	struct wl_resource *resource, int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (width <= 0 || height <= 0) {
		wl_resource_post_error(resource, XDG_SURFACE_ERROR_INVALID_SIZE,
			"window geometry must have a positive size");
		return;
	}
	xdg->pending_geometry = (struct mosaic_box){ x, y, width, height };
}

static void xdg_surface_ack_configure(struct wl_client *client, struct wl_resource *resource,
	uint32_t serial)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (!xdg->initial_commit_done) {
		wl_resource_post_error(resource, XDG_SURFACE_ERROR_INVALID_SERIAL,
			"no configure was sent");
		return;
	}
	// Serials wrap: compared as differences. A serial never sent, or one
	// at or before the last acked (acking a newer one acked it), is invalid.
	if (!xdg->configure_sent || (int32_t)(serial - xdg->acked_serial) <= 0 ||
			(int32_t)(xdg->configure_serial - serial) < 0) {
		wl_resource_post_error(resource, XDG_SURFACE_ERROR_INVALID_SERIAL,
			"serial %" PRIu32 " is not of a configure waiting for its ack", serial);
		return;
	}
	xdg->acked_serial = serial;
	xdg->configured = true;
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		// What that configure asked for comes with the next commit.
		toplevel_ack(xdg, serial);
	}
}

static const struct xdg_surface_interface xdg_surface_impl = {
	.destroy = xdg_surface_destroy,
	.get_toplevel = xdg_surface_get_toplevel,
	.get_popup = xdg_surface_get_popup,
	.set_window_geometry = xdg_surface_set_window_geometry,
	.ack_configure = xdg_surface_ack_configure,
};

static void xdg_surface_handle_resource_destroy(struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg->role_resource != NULL) {
		// The client destroyed the xdg_surface before its role object: the
		// role object stays, detached, and so does its decoration.
		if (xdg->role == XDG_ROLE_TOPLEVEL) {
			decoration_toplevel_destroyed(xdg);
		}
		xdg_unmap(xdg);
		wl_resource_set_user_data(xdg->role_resource, NULL);
	}
	forget(xdg);
	orphan_popups(xdg);
	if (xdg->surface != NULL) {
		xdg->surface->xdg = NULL;
	}
	wl_list_remove(&xdg->link);
	free(xdg->title);
	free(xdg);
}

/* xdg_wm_base */
static void wm_base_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void wm_base_create_positioner(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	positioner_create(client, (uint32_t)wl_resource_get_version(resource), id);
}

static void wm_base_get_xdg_surface(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, struct wl_resource *surface_resource)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct surface *surface = surface_from_resource(surface_resource);
	if (!surface_set_role(surface, ROLE_XDG, resource, XDG_WM_BASE_ERROR_ROLE)) {
		return;
	}
	if (surface->xdg != NULL) {
		wl_resource_post_error(resource, XDG_WM_BASE_ERROR_ROLE,
			"the surface already has an xdg_surface");
		return;
	}
	if (surface->has_content) {
		wl_resource_post_error(resource, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
			"the surface already has a buffer");
		return;
	}
	struct xdg_surface *xdg = calloc(1, sizeof(*xdg));
	if (xdg == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	xdg->resource = wl_resource_create(client, &xdg_surface_interface,
		wl_resource_get_version(resource), id);
	if (xdg->resource == NULL) {
		free(xdg);
		wl_client_post_no_memory(client);
		return;
	}
	xdg->server = server;
	xdg->surface = surface;
	wl_list_init(&xdg->link);
	surface->xdg = xdg;
	wl_resource_set_implementation(xdg->resource, &xdg_surface_impl, xdg,
		xdg_surface_handle_resource_destroy);
}

static void wm_base_pong(struct wl_client *client, struct wl_resource *resource,
	uint32_t serial)
{
}

static const struct xdg_wm_base_interface wm_base_impl = {
	.destroy = wm_base_destroy,
	.create_positioner = wm_base_create_positioner,
	.get_xdg_surface = wm_base_get_xdg_surface,
	.pong = wm_base_pong,
};

static void wm_base_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client, &xdg_wm_base_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &wm_base_impl, data, NULL);
}

bool xdg_init_globals(struct server *server)
{
	return wl_global_create(server->display, &xdg_wm_base_interface, 3, server,
		wm_base_bind) != NULL;
}
