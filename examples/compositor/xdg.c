/*
 * Windows: xdg_wm_base, xdg_surface, xdg_toplevel, xdg_popup, xdg_positioner.
 *
 * The handshake every xdg window goes through:
 *   1. the client gives a wl_surface the toplevel or popup role and commits
 *      without a buffer;
 *   2. we answer with a configure event (the size we would like, 0x0 = "you
 *      choose") followed by xdg_surface.configure(serial);
 *   3. the client acks the serial, attaches a buffer and commits: the window
 *      is mapped, placed (toplevels cascade from the top-left corner, popups
 *      go where their positioner says), raised and focused.
 * Committing a NULL buffer unmaps it; the handshake then starts over.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compositor.h"
#include "xdg-shell-protocol.h"

/* What an xdg_positioner describes: where a popup goes relative to its parent. */
struct positioner {
	int32_t width, height;
	struct mosaic_box anchor_rect;
	uint32_t anchor, gravity;
	int32_t offset_x, offset_y;
};

static void positioner_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void positioner_set_size(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height)
{
	if (width <= 0 || height <= 0) {
		wl_resource_post_error(resource, XDG_POSITIONER_ERROR_INVALID_INPUT,
			"size must be positive");
		return;
	}
	struct positioner *p = wl_resource_get_user_data(resource);
	p->width = width;
	p->height = height;
}

static void positioner_set_anchor_rect(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t width, int32_t height)
{
	if (width < 0 || height < 0) {
		wl_resource_post_error(resource, XDG_POSITIONER_ERROR_INVALID_INPUT,
			"anchor rect size must not be negative");
		return;
	}
	struct positioner *p = wl_resource_get_user_data(resource);
	p->anchor_rect = (struct mosaic_box){ x, y, width, height };
}

static void positioner_set_anchor(struct wl_client *client, struct wl_resource *resource,
	uint32_t anchor)
{
	struct positioner *p = wl_resource_get_user_data(resource);
	p->anchor = anchor;
}

static void positioner_set_gravity(struct wl_client *client, struct wl_resource *resource,
	uint32_t gravity)
{
	struct positioner *p = wl_resource_get_user_data(resource);
	p->gravity = gravity;
}

static void positioner_set_constraint_adjustment(struct wl_client *client,
	struct wl_resource *resource, uint32_t adjustment)
{
	// Popups are not kept inside the output here: nothing to adjust.
}

static void positioner_set_offset(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y)
{
	struct positioner *p = wl_resource_get_user_data(resource);
	p->offset_x = x;
	p->offset_y = y;
}

static void positioner_set_reactive(struct wl_client *client, struct wl_resource *resource)
{
}

static void positioner_set_parent_size(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height)
{
}

static void positioner_set_parent_configure(struct wl_client *client,
	struct wl_resource *resource, uint32_t serial)
{
}

static const struct xdg_positioner_interface positioner_impl = {
	.destroy = positioner_destroy,
	.set_size = positioner_set_size,
	.set_anchor_rect = positioner_set_anchor_rect,
	.set_anchor = positioner_set_anchor,
	.set_gravity = positioner_set_gravity,
	.set_constraint_adjustment = positioner_set_constraint_adjustment,
	.set_offset = positioner_set_offset,
	.set_reactive = positioner_set_reactive,
	.set_parent_size = positioner_set_parent_size,
	.set_parent_configure = positioner_set_parent_configure,
};

static void positioner_handle_resource_destroy(struct wl_resource *resource)
{
	free(wl_resource_get_user_data(resource));
}

/*
 * The popup's box relative to the parent's window geometry. The positioner
 * holds any int32_t the client sent: the sums are 64-bit, the result clamped.
 */
static struct mosaic_box positioner_place(const struct positioner *p)
{
	const struct mosaic_box *a = &p->anchor_rect;
	int64_t w = p->width, h = p->height;
	int64_t ax = a->x + (int64_t)a->width / 2, ay = a->y + (int64_t)a->height / 2;
	switch (p->anchor) {
	case XDG_POSITIONER_ANCHOR_LEFT:
	case XDG_POSITIONER_ANCHOR_TOP_LEFT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_LEFT:
		ax = a->x;
		break;
	case XDG_POSITIONER_ANCHOR_RIGHT:
	case XDG_POSITIONER_ANCHOR_TOP_RIGHT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT:
		ax = (int64_t)a->x + a->width;
		break;
	}
	switch (p->anchor) {
	case XDG_POSITIONER_ANCHOR_TOP:
	case XDG_POSITIONER_ANCHOR_TOP_LEFT:
	case XDG_POSITIONER_ANCHOR_TOP_RIGHT:
		ay = a->y;
		break;
	case XDG_POSITIONER_ANCHOR_BOTTOM:
	case XDG_POSITIONER_ANCHOR_BOTTOM_LEFT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT:
		ay = (int64_t)a->y + a->height;
		break;
	}
	// Gravity says which way the popup extends from the anchor point.
	int64_t x = ax - w / 2, y = ay - h / 2;
	switch (p->gravity) {
	case XDG_POSITIONER_GRAVITY_LEFT:
	case XDG_POSITIONER_GRAVITY_TOP_LEFT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_LEFT:
		x = ax - w;
		break;
	case XDG_POSITIONER_GRAVITY_RIGHT:
	case XDG_POSITIONER_GRAVITY_TOP_RIGHT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT:
		x = ax;
		break;
	}
	switch (p->gravity) {
	case XDG_POSITIONER_GRAVITY_TOP:
	case XDG_POSITIONER_GRAVITY_TOP_LEFT:
	case XDG_POSITIONER_GRAVITY_TOP_RIGHT:
		y = ay - h;
		break;
	case XDG_POSITIONER_GRAVITY_BOTTOM:
	case XDG_POSITIONER_GRAVITY_BOTTOM_LEFT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT:
		y = ay;
		break;
	}
	return (struct mosaic_box){ compositor_coord(x + p->offset_x),
		compositor_coord(y + p->offset_y), compositor_coord(w), compositor_coord(h) };
}

void xdg_surface_origin(struct xdg_surface *xdg, int *x, int *y)
{
	*x = compositor_coord((int64_t)xdg->x - xdg->geometry.x);
	*y = compositor_coord((int64_t)xdg->y - xdg->geometry.y);
}

/* Sends the role's configure event, then xdg_surface.configure with a new serial. */
static void send_configure(struct xdg_surface *xdg)
{
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		struct wl_array states;
		wl_array_init(&states);
		uint32_t *state = wl_array_add(&states, sizeof(*state));
		if (state != NULL) {
			*state = XDG_TOPLEVEL_STATE_ACTIVATED;
		}
		// 0x0: the client picks its size.
		xdg_toplevel_send_configure(xdg->role_resource, 0, 0, &states);
		wl_array_release(&states);
	} else if (xdg->role == XDG_ROLE_POPUP) {
		xdg_popup_send_configure(xdg->role_resource, xdg->popup_x, xdg->popup_y,
			xdg->geometry.width, xdg->geometry.height);
	}
	xdg->configure_serial = wl_display_next_serial(xdg->server->display);
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
static void damage_window(struct xdg_surface *xdg)
{
	if (xdg->surface == NULL) {
		return;
	}
	struct mosaic_box box = window_extent(xdg);
	output_damage_box(xdg->server, &xdg->drawn_box);
	output_damage_box(xdg->server, &box);
	output_schedule_frame(xdg->server);
}

static void unmap(struct xdg_surface *xdg)
{
	if (!xdg->mapped) {
		return;
	}
	damage_window(xdg);
	xdg->mapped = false;
	wl_list_remove(&xdg->link);
	wl_list_init(&xdg->link);
	if (xdg->surface != NULL && xdg->server->keyboard_focus == xdg->surface) {
		seat_set_keyboard_focus(xdg->server, NULL);
	}
}

void xdg_surface_lost_surface(struct xdg_surface *xdg)
{
	unmap(xdg);
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
static void raise_window(struct server *server, struct xdg_surface *xdg)
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
		if (w->link.next != &server->windows) {
			wl_list_remove(&w->link);
			wl_list_insert(server->windows.prev, &w->link);
			damage_window(w);
		}
	}
	free(stack);
	free(order);
}

void xdg_focus(struct server *server, struct xdg_surface *xdg)
{
	raise_window(server, xdg);
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		seat_set_keyboard_focus(server, xdg->surface);
	}
}

static void map(struct xdg_surface *xdg)
{
	struct server *server = xdg->server;
	if (xdg->role == XDG_ROLE_TOPLEVEL) {
		// Cascade: each new toplevel a little below and right of the last.
		int step = 32, n = server->n_toplevels_placed++ % 8;
		xdg->x = step + n * step;
		xdg->y = step + n * step;
	} else if (xdg->parent != NULL) {
		xdg->x = compositor_coord((int64_t)xdg->parent->x + xdg->popup_x);
		xdg->y = compositor_coord((int64_t)xdg->parent->y + xdg->popup_y);
	}
	xdg->mapped = true;
	wl_list_insert(server->windows.prev, &xdg->link);
	damage_window(xdg);
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
		send_configure(xdg);
		return;
	}
	if (surface->has_content && !xdg->configured) {
		wl_resource_post_error(xdg->resource, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
			"a buffer was attached before the configure was acked");
		return;
	}
	if (surface->has_content && !xdg->mapped) {
		map(xdg);
	} else if (!surface->has_content && xdg->mapped) {
		unmap(xdg);
		xdg->initial_commit_done = false;
		xdg->configured = false;
	}
	struct mosaic_box box = window_extent(xdg);
	if (xdg->mapped && (box.x != xdg->drawn_box.x || box.y != xdg->drawn_box.y ||
			box.width != xdg->drawn_box.width || box.height != xdg->drawn_box.height)) {
		// Moved or resized (a new window geometry): old and new place. A
		// commit that only changes content was damaged in surface.c.
		damage_window(xdg);
	}
	xdg->drawn_box = box;
}

/* xdg_toplevel: a window. Most requests are hints this compositor ignores. */
static void toplevel_destroy(struct wl_client *client, struct wl_resource *resource)
{
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
}

static void toplevel_move(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *seat, uint32_t serial)
{
}

static void toplevel_resize(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *seat, uint32_t serial, uint32_t edges)
{
}

static void toplevel_set_max_size(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height)
{
}

static void toplevel_set_min_size(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height)
{
}

static void toplevel_set_maximized(struct wl_client *client, struct wl_resource *resource)
{
}

static void toplevel_unset_maximized(struct wl_client *client, struct wl_resource *resource)
{
}

static void toplevel_set_fullscreen(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *output)
{
}

static void toplevel_unset_fullscreen(struct wl_client *client, struct wl_resource *resource)
{
}

static void toplevel_set_minimized(struct wl_client *client, struct wl_resource *resource)
{
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

/* The role object goes away: the window is gone, the xdg_surface stays. */
static void role_handle_resource_destroy(struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL) {
		return;
	}
	unmap(xdg);
	orphan_popups(xdg);
	xdg->parent = NULL;
	xdg->role_resource = NULL;
	xdg->role = XDG_ROLE_NONE;
	xdg->initial_commit_done = false;
	xdg->configured = false;
}

static void popup_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void popup_grab(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *seat, uint32_t serial)
{
	// Grabs would send popup_done on a click elsewhere; this compositor lets
	// popups stay until their client closes them.
}

static void popup_reposition(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *positioner_resource, uint32_t token)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL) {
		return;
	}
	struct mosaic_box box = positioner_place(wl_resource_get_user_data(positioner_resource));
	damage_window(xdg);
	xdg->popup_x = box.x;
	xdg->popup_y = box.y;
	xdg->geometry.width = box.width;
	xdg->geometry.height = box.height;
	if (xdg->parent != NULL && xdg->mapped) {
		xdg->x = compositor_coord((int64_t)xdg->parent->x + box.x);
		xdg->y = compositor_coord((int64_t)xdg->parent->y + box.y);
	}
	xdg_popup_send_repositioned(resource, token);
	send_configure(xdg);
}

static const struct xdg_popup_interface popup_impl = {
	.destroy = popup_destroy,
	.grab = popup_grab,
	.reposition = popup_reposition,
};

/* xdg_surface */
static const struct xdg_wm_base_interface wm_base_impl;

static void xdg_surface_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static bool start_role(struct xdg_surface *xdg, enum xdg_role role)
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
	if (!start_role(xdg, XDG_ROLE_TOPLEVEL)) {
		return;
	}
	xdg->role_resource = wl_resource_create(client, &xdg_toplevel_interface,
		wl_resource_get_version(resource), id);
	if (xdg->role_resource == NULL) {
		xdg->role = XDG_ROLE_NONE;
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(xdg->role_resource, &toplevel_impl, xdg,
		role_handle_resource_destroy);
}

static enum wl_iterator_result find_wm_base(struct wl_resource *resource, void *data)
{
	if (wl_resource_instance_of(resource, &xdg_wm_base_interface, &wm_base_impl)) {
		*(struct wl_resource **)data = resource;
		return WL_ITERATOR_STOP;
	}
	return WL_ITERATOR_CONTINUE;
}

/*
 * Posts an xdg_wm_base error (invalid_positioner, invalid_popup_parent) on
 * the client's xdg_wm_base, where the protocol defines it; on the
 * xdg_surface if the client already destroyed its xdg_wm_base.
 */
static void post_wm_base_error(struct wl_resource *xdg_resource, uint32_t code,
	const char *msg)
{
	struct wl_resource *wm_base = NULL;
	wl_client_for_each_resource(wl_resource_get_client(xdg_resource), find_wm_base,
		&wm_base);
	wl_resource_post_error(wm_base != NULL ? wm_base : xdg_resource, code, "%s", msg);
}

/*
 * True if parent may hold xdg as a popup: neither xdg itself nor one of
 * xdg's popups (at any depth), which would make the popup tree a cycle.
 * Parents are set only here and every chain is checked before it grows, so
 * the walk up from parent ends within as many steps as there are surfaces.
 */
static bool popup_parent_valid(struct xdg_surface *xdg, struct xdg_surface *parent)
{
	size_t limit = (size_t)wl_list_length(&xdg->server->surfaces) + 1;
	for (struct xdg_surface *p = parent; p != NULL; p = p->parent) {
		if (p == xdg || limit-- == 0) {
			return false;
		}
	}
	return true;
}

static void xdg_surface_get_popup(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, struct wl_resource *parent, struct wl_resource *positioner_resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	struct positioner *p = wl_resource_get_user_data(positioner_resource);
	if (p->width <= 0 || p->height <= 0) {
		post_wm_base_error(resource, XDG_WM_BASE_ERROR_INVALID_POSITIONER,
			"the positioner has no size");
		return;
	}
	struct xdg_surface *parent_xdg = parent != NULL ? wl_resource_get_user_data(parent) : NULL;
	if (!popup_parent_valid(xdg, parent_xdg)) {
		post_wm_base_error(resource, XDG_WM_BASE_ERROR_INVALID_POPUP_PARENT,
			"a popup's parent must not be the popup itself or one of its popups");
		return;
	}
	if (!start_role(xdg, XDG_ROLE_POPUP)) {
		return;
	}
	xdg->role_resource = wl_resource_create(client, &xdg_popup_interface,
		wl_resource_get_version(resource), id);
	if (xdg->role_resource == NULL) {
		xdg->role = XDG_ROLE_NONE;
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(xdg->role_resource, &popup_impl, xdg,
		role_handle_resource_destroy);
	xdg->parent = parent_xdg;
	struct mosaic_box box = positioner_place(p);
	xdg->popup_x = box.x;
	xdg->popup_y = box.y;
	xdg->geometry = (struct mosaic_box){ 0, 0, box.width, box.height };
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
	// Only the latest serial matters here: every configure says the same.
	xdg->configured = true;
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
		// role object stays, detached.
		unmap(xdg);
		wl_resource_set_user_data(xdg->role_resource, NULL);
	}
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
	struct positioner *p = calloc(1, sizeof(*p));
	struct wl_resource *pr = wl_resource_create(client, &xdg_positioner_interface,
		wl_resource_get_version(resource), id);
	if (p == NULL || pr == NULL) {
		free(p);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(pr, &positioner_impl, p,
		positioner_handle_resource_destroy);
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
