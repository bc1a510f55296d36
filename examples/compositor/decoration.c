/*
 * zxdg_decoration_manager_v1: who draws a window's title bar and borders.
 *
 * This compositor draws no decorations, so its answer is always the same:
 * client_side, whatever mode the client asks for (set_mode) or leaves to us
 * (unset_mode). Toolkits that ask first (GTK, Qt, foot) then draw their own.
 * Each answer is a zxdg_toplevel_decoration_v1.configure followed by an
 * xdg_surface.configure the client acks: it is part of the toplevel's
 * configure sequence (toplevel_send_configure() sends it), so before the
 * toplevel's initial commit it waits for the configure that answers it.
 */
#include "compositor.h"
#include "xdg-decoration-unstable-v1-protocol.h"
#include "xdg-shell-protocol.h"

void decoration_send_configure(struct xdg_surface *xdg)
{
	if (xdg->toplevel.decoration != NULL) {
		zxdg_toplevel_decoration_v1_send_configure(xdg->toplevel.decoration,
			ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	}
}

bool decoration_check_orphaned(struct xdg_surface *xdg)
{
	if (xdg->toplevel.decoration == NULL) {
		return true;
	}
	wl_resource_post_error(xdg->toplevel.decoration,
		ZXDG_TOPLEVEL_DECORATION_V1_ERROR_ORPHANED,
		"the xdg_toplevel was destroyed before its decoration");
	return false;
}

void decoration_toplevel_destroyed(struct xdg_surface *xdg)
{
	if (xdg->toplevel.decoration != NULL) {
		wl_resource_set_user_data(xdg->toplevel.decoration, NULL);
		xdg->toplevel.decoration = NULL;
	}
}

static void decoration_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* Whatever was asked: client_side again, in a new configure sequence. */
static void decoration_set_mode(struct wl_client *client, struct wl_resource *resource,
	uint32_t mode)
{
	xdg_configure(wl_resource_get_user_data(resource));
}

static void decoration_unset_mode(struct wl_client *client, struct wl_resource *resource)
{
	xdg_configure(wl_resource_get_user_data(resource));
}

static const struct zxdg_toplevel_decoration_v1_interface decoration_impl = {
	.destroy = decoration_destroy,
	.set_mode = decoration_set_mode,
	.unset_mode = decoration_unset_mode,
};

static void decoration_handle_resource_destroy(struct wl_resource *resource)
{
	struct xdg_surface *xdg = wl_resource_get_user_data(resource);
	if (xdg != NULL) {
		xdg->toplevel.decoration = NULL;
	}
}

static void manager_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_get_toplevel_decoration(struct wl_client *client,
	struct wl_resource *resource, uint32_t id, struct wl_resource *toplevel)
{
	struct wl_resource *decoration = wl_resource_create(client,
		&zxdg_toplevel_decoration_v1_interface, wl_resource_get_version(resource), id);
	if (decoration == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	// Inert until it is known to belong to a toplevel that may have one.
	wl_resource_set_implementation(decoration, &decoration_impl, NULL,
		decoration_handle_resource_destroy);
	struct xdg_surface *xdg = wl_resource_get_user_data(toplevel);
	if (xdg == NULL || xdg->role != XDG_ROLE_TOPLEVEL) {
		// The toplevel's xdg_surface is gone: nothing to decorate.
		return;
	}
	if (xdg->toplevel.decoration != NULL) {
		wl_resource_post_error(decoration,
			ZXDG_TOPLEVEL_DECORATION_V1_ERROR_ALREADY_CONSTRUCTED, "the xdg_toplevel already has a decoration object");
		return;
	}
	struct surface *surface = xdg->surface;
	if (surface != NULL && (surface->has_content ||
			(surface->pending.attached && surface->pending.buffer != NULL))) {
		// The buffer was drawn without knowing who decorates it.
		wl_resource_post_error(decoration,
			ZXDG_TOPLEVEL_DECORATION_V1_ERROR_UNCONFIGURED_BUFFER, "the xdg_toplevel already has a buffer attached or committed");
		return;
	}
	wl_resource_set_user_data(decoration, xdg);
	xdg->toplevel.decoration = decoration;
	// Once the handshake has begun the answer comes now; before, with it.
	xdg_configure(xdg);
}

static const struct zxdg_decoration_manager_v1_interface manager_impl = {
	.destroy = manager_destroy,
	.get_toplevel_decoration = manager_get_toplevel_decoration,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client,
		&zxdg_decoration_manager_v1_interface, (int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

bool decoration_init_globals(struct server *server)
{
	return wl_global_create(server->display, &zxdg_decoration_manager_v1_interface, 1, server,
		manager_bind) != NULL;
}
