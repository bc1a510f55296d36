/*
 * Popups: xdg_positioner (where a popup goes relative to its parent) and
 * xdg_popup, with explicit grabs.
 *
 * A grab (xdg_popup.grab, given the serial of a button press the client
 * just got) makes a chain: the topmost grabbing popup, its grabbing parent,
 * and so on down to the toplevel. The topmost one has the keyboard. A button
 * press anywhere outside the chain's popups (on another window, the popup's
 * own toplevel included, or on no window) dismisses the whole chain: each
 * popup gets popup_done, topmost first, and is unmapped; its client is to
 * destroy it. A grab that cannot be taken (no such press, a parent that was
 * dismissed) dismisses the popup at once, as the protocol says.
 */
#include <stdio.h>
#include <stdlib.h>

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

void positioner_create(struct wl_client *client, uint32_t version, uint32_t id)
{
	struct positioner *p = calloc(1, sizeof(*p));
	struct wl_resource *pr = wl_resource_create(client, &xdg_positioner_interface,
		(int)version, id);
	if (p == NULL || pr == NULL) {
		free(p);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(pr, &positioner_impl, p,
		positioner_handle_resource_destroy);
}

/*
 * The grab chain, topmost first, into chain (room for every surface, which
 * bounds the walk as xdg.c says); returns how many.
 */
static size_t grab_chain(struct server *server, struct xdg_surface **chain, size_t max)
{
	size_t n = 0;
	for (struct xdg_surface *p = server->popup_grab; p != NULL && n < max &&
			p->role == XDG_ROLE_POPUP && p->grabbing; p = p->parent) {
		chain[n++] = p;
	}
	return n;
}

void popup_ungrab(struct xdg_surface *xdg)
{
	struct server *server = xdg->server;
	if (!xdg->grabbing) {
		return;
	}
	xdg->grabbing = false;
	if (server->popup_grab == xdg) {
		// The grab goes back to the parent, if it grabs too.
		struct xdg_surface *parent = xdg->parent;
		server->popup_grab = parent != NULL && parent->role == XDG_ROLE_POPUP &&
			parent->grabbing ? parent : NULL;
	}
}

/* Sends popup_done and unmaps: the compositor's side of dismissing a popup. */
static void dismiss(struct xdg_surface *xdg)
{
	xdg->dismissed = true;
	if (xdg->role_resource != NULL) {
		xdg_popup_send_popup_done(xdg->role_resource);
	}
	xdg_unmap(xdg);
}

/* Dismisses the grab chain, topmost first. */
static void dismiss_chain(struct server *server)
{
	// Collected first: unmapping changes server->popup_grab.
	size_t max = (size_t)wl_list_length(&server->surfaces) + 1;
	struct xdg_surface **chain = calloc(max, sizeof(*chain));
	if (chain == NULL) {
		fprintf(stderr, "out of memory dismissing popups\n");
		return;
	}
	size_t n = grab_chain(server, chain, max);
	for (size_t i = 0; i < n; i++) {
		chain[i]->grabbing = false;
	}
	server->popup_grab = NULL;
	for (size_t i = 0; i < n; i++) {
		dismiss(chain[i]);
	}
	free(chain);
}

void popup_grab_press(struct server *server, struct xdg_surface *window)
{
	if (server->popup_grab == NULL) {
		return;
	}
	size_t limit = (size_t)wl_list_length(&server->surfaces) + 1;
	for (struct xdg_surface *p = server->popup_grab; p != NULL && limit-- > 0 &&
			p->role == XDG_ROLE_POPUP && p->grabbing; p = p->parent) {
		if (p == window) {
			return;
		}
	}
	dismiss_chain(server);
}

static void popup_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL && xdg->grabbing && xdg->server->popup_grab != xdg) {
		xdg_post_wm_base_error(xdg->resource, XDG_WM_BASE_ERROR_NOT_THE_TOPMOST_POPUP,
			"a grabbing popup was destroyed before the popups above it");
		return;
	}
	wl_resource_destroy(resource);
}

static void popup_grab(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *seat, uint32_t serial)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL || xdg->dismissed) {
		return;
	}
	struct server *server = xdg->server;
	if (xdg->mapped) {
		wl_resource_post_error(resource, XDG_POPUP_ERROR_INVALID_GRAB,
			"the popup grabbed after it was mapped");
		return;
	}
	struct xdg_surface *parent = xdg->parent;
	if (parent != NULL && parent->role == XDG_ROLE_POPUP && !parent->grabbing &&
			!parent->dismissed) {
		wl_resource_post_error(resource, XDG_POPUP_ERROR_INVALID_GRAB,
			"the popup's parent is a popup without a grab");
		return;
	}
	// A grab answers a button press of this client that is still down.
	bool pressed = server->buttons_down > 0 && server->press_client == client &&
		server->press_serial == serial;
	if (server->popup_grab != NULL && server->popup_grab != parent) {
		// Another chain holds the grab: it ends, as a click elsewhere would.
		dismiss_chain(server);
	}
	if (!pressed || parent == NULL || parent->dismissed) {
		dismiss(xdg);
		return;
	}
	xdg->grabbing = true;
	server->popup_grab = xdg;
}

static void popup_reposition(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *positioner_resource, uint32_t token)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg == NULL) {
		return;
	}
	struct mosaic_box box = positioner_place(wl_resource_get_user_data(positioner_resource));
	xdg_damage_window(xdg);
	xdg->popup_x = box.x;
	xdg->popup_y = box.y;
	xdg->geometry.width = box.width;
	xdg->geometry.height = box.height;
	if (xdg->parent != NULL && xdg->mapped) {
		xdg->x = compositor_coord((int64_t)xdg->parent->x + box.x);
		xdg->y = compositor_coord((int64_t)xdg->parent->y + box.y);
	}
	xdg_popup_send_repositioned(resource, token);
	xdg_configure(xdg);
}

static const struct xdg_popup_interface popup_impl = {
	.destroy = popup_destroy,
	.grab = popup_grab,
	.reposition = popup_reposition,
};

static void popup_handle_resource_destroy(struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		xdg_role_destroyed(xdg);
	}
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

void popup_create(struct xdg_surface *xdg, struct wl_client *client, uint32_t version,
	uint32_t id, struct wl_resource *parent, struct wl_resource *positioner)
{
	struct positioner *p = wl_resource_get_user_data(positioner);
	if (p->width <= 0 || p->height <= 0) {
		xdg_post_wm_base_error(xdg->resource, XDG_WM_BASE_ERROR_INVALID_POSITIONER,
			"the positioner has no size");
		return;
	}
	struct xdg_surface *parent_xdg = parent != NULL ? wl_resource_get_user_data(parent) : NULL;
	if (!popup_parent_valid(xdg, parent_xdg)) {
		xdg_post_wm_base_error(xdg->resource, XDG_WM_BASE_ERROR_INVALID_POPUP_PARENT,
			"a popup's parent must not be the popup itself or one of its popups");
		return;
	}
	if (!xdg_start_role(xdg, XDG_ROLE_POPUP)) {
		return;
	}
	xdg->role_resource = wl_resource_create(client, &xdg_popup_interface, (int)version, id);
	if (xdg->role_resource == NULL) {
		xdg->role = XDG_ROLE_NONE;
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(xdg->role_resource, &popup_impl, xdg,
		popup_handle_resource_destroy);
	xdg->parent = parent_xdg;
	struct mosaic_box box = positioner_place(p);
	xdg->popup_x = box.x;
	xdg->popup_y = box.y;
	xdg->geometry = (struct mosaic_box){ 0, 0, box.width, box.height };
}
