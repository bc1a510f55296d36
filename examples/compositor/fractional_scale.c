/*
 * wp_fractional_scale_manager_v1: the scale a client should draw a surface
 * at, in 120ths (a client then draws at that size and scales down with
 * wp_viewporter). Our one output has the integer scale
 * COMPOSITOR_OUTPUT_SCALE and never changes it, so every surface hears
 * 120 * that scale once, as soon as it asks.
 */
#include <wayland-server-protocol.h>

#include "compositor.h"
#include "fractional-scale-v1-protocol.h"

static void fractional_scale_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_fractional_scale_v1_interface fractional_scale_impl = {
	.destroy = fractional_scale_destroy,
};

/* The object goes: its surface may get another one. */
static void fractional_scale_handle_resource_destroy(struct wl_resource *resource)
{
	struct surface *surface = wl_resource_get_user_data(resource);
	if (surface != NULL) {
		surface->fractional_scale = NULL;
	}
}

void fractional_scale_surface_destroyed(struct surface *surface)
{
	// The object stays, inert: there is nothing more to tell it.
	if (surface->fractional_scale != NULL) {
		wl_resource_set_user_data(surface->fractional_scale, NULL);
		surface->fractional_scale = NULL;
	}
}

static void manager_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_get_fractional_scale(struct wl_client *client,
	struct wl_resource *resource, uint32_t id, struct wl_resource *surface_resource)
{
	struct surface *surface = surface_from_resource(surface_resource);
	if (surface->fractional_scale != NULL) {
		wl_resource_post_error(resource,
			WP_FRACTIONAL_SCALE_MANAGER_V1_ERROR_FRACTIONAL_SCALE_EXISTS,
			"wl_surface %u already has a wp_fractional_scale_v1",
			wl_resource_get_id(surface_resource));
		return;
	}
	struct wl_resource *fractional_scale = wl_resource_create(client,
		&wp_fractional_scale_v1_interface, wl_resource_get_version(resource), id);
	if (fractional_scale == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(fractional_scale, &fractional_scale_impl, surface,
		fractional_scale_handle_resource_destroy);
	surface->fractional_scale = fractional_scale;
	wp_fractional_scale_v1_send_preferred_scale(fractional_scale,
		120 * COMPOSITOR_OUTPUT_SCALE);
}

static const struct wp_fractional_scale_manager_v1_interface manager_impl = {
	.destroy = manager_destroy,
	.get_fractional_scale = manager_get_fractional_scale,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client,
		&wp_fractional_scale_manager_v1_interface, (int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

bool fractional_scale_init_globals(struct server *server)
{
	return wl_global_create(server->display, &wp_fractional_scale_manager_v1_interface, 1,
		server, manager_bind) != NULL;
}
