/*
 * wp_viewporter: a client crops its surface's buffer (set_source, in
 * surface coordinates after the buffer transform and scale, fractional) and
 * scales what is left to a surface size of its choice (set_destination).
 * Both are double-buffered surface state (struct surface_state); at commit,
 * viewport_apply() turns them into the surface's size and the part of the
 * texture its draw shows (surface->src_box, in texture pixels).
 */
#include <wayland-server-protocol.h>

#include "compositor.h"
#include "viewporter-protocol.h"

/* The viewport's surface, or NULL (no_surface) once the surface is gone. */
static struct surface *viewport_surface(struct wl_resource *resource)
{
	struct surface *surface = wl_resource_get_user_data(resource);
	if (surface == NULL) {
		wl_resource_post_error(resource, WP_VIEWPORT_ERROR_NO_SURFACE,
			"the wl_surface of this wp_viewport was destroyed");
	}
	return surface;
}

static void state_unset(struct surface_state *state)
{
	state->viewport_src = (struct mosaic_fbox){ -1, -1, -1, -1 };
	state->viewport_dst_w = state->viewport_dst_h = -1;
}

static void viewport_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void viewport_set_source(struct wl_client *client, struct wl_resource *resource,
	wl_fixed_t x, wl_fixed_t y, wl_fixed_t width, wl_fixed_t height)
{
	struct surface *surface = viewport_surface(resource);
	if (surface == NULL) {
		return;
	}
	const wl_fixed_t unset = wl_fixed_from_int(-1);
	if (x == unset && y == unset && width == unset && height == unset) {
		surface->pending.viewport_src = (struct mosaic_fbox){ -1, -1, -1, -1 };
		return;
	}
	if (x < 0 || y < 0 || width <= 0 || height <= 0) {
		wl_resource_post_error(resource, WP_VIEWPORT_ERROR_BAD_VALUE,
			"source rectangle %f,%f %fx%f: negative origin or empty size",
			wl_fixed_to_double(x), wl_fixed_to_double(y), wl_fixed_to_double(width),
			wl_fixed_to_double(height));
		return;
	}
	surface->pending.viewport_src = (struct mosaic_fbox){
		wl_fixed_to_double(x), wl_fixed_to_double(y),
		wl_fixed_to_double(width), wl_fixed_to_double(height),
	};
}

static void viewport_set_destination(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height)
{
	struct surface *surface = viewport_surface(resource);
	if (surface == NULL) {
		return;
	}
	if (!(width == -1 && height == -1) && (width <= 0 || height <= 0)) {
		wl_resource_post_error(resource, WP_VIEWPORT_ERROR_BAD_VALUE,
			"destination size %dx%d: not positive", width, height);
		return;
	}
	surface->pending.viewport_dst_w = width;
	surface->pending.viewport_dst_h = height;
}

static const struct wp_viewport_interface viewport_impl = {
	.destroy = viewport_destroy,
	.set_source = viewport_set_source,
	.set_destination = viewport_set_destination,
};

/* Destroying the viewport unsets both, from the next commit on. */
static void viewport_handle_resource_destroy(struct wl_resource *resource)
{
	struct surface *surface = wl_resource_get_user_data(resource);
	if (surface != NULL) {
		surface->viewport = NULL;
		state_unset(&surface->pending);
	}
}

void viewport_surface_destroyed(struct surface *surface)
{
	if (surface->viewport != NULL) {
		wl_resource_set_user_data(surface->viewport, NULL);
		surface->viewport = NULL;
	}
}

bool viewport_apply(struct surface *surface, int buffer_w, int buffer_h)
{
	const struct surface_state *c = &surface->current;
	int tw = buffer_w, th = buffer_h;
	if (mosaic_transform_swaps_axes(c->transform)) {
		tw = buffer_h;
		th = buffer_w;
	}
	surface->src_box = (struct mosaic_fbox){ 0 };
	surface->width = tw / c->scale;
	surface->height = th / c->scale;
	const struct mosaic_fbox *src = &c->viewport_src;
	bool src_set = src->width != -1;
	bool dst_set = c->viewport_dst_w != -1;
	if (surface->viewport == NULL || (!src_set && !dst_set)) {
		return true;
	}
	if (src_set) {
		// In surface coordinates before the viewport: buffer / scale.
		double limit_w = (double)tw / c->scale, limit_h = (double)th / c->scale;
		if (src->x + src->width > limit_w || src->y + src->height > limit_h) {
			wl_resource_post_error(surface->viewport, WP_VIEWPORT_ERROR_OUT_OF_BUFFER,
				"source rectangle %f,%f %fx%f leaves the buffer (%gx%g surface pixels)", src->x, src->y,
				src->width, src->height, limit_w, limit_h);
			return false;
		}
		// wl_fixed values fit an int32_t: the casts are exact for integers.
		if (!dst_set && (src->width != (double)(int32_t)src->width ||
				src->height != (double)(int32_t)src->height)) {
			wl_resource_post_error(surface->viewport, WP_VIEWPORT_ERROR_BAD_SIZE,
				"source size %fx%f is not an integer and no destination is set",
				src->width, src->height);
			return false;
		}
		// Into buffer pixels: the scale, then the buffer transform (the
		// buffer holds the surface's content transformed).
		struct mosaic_fbox scaled = {
			src->x * c->scale, src->y * c->scale,
			src->width * c->scale, src->height * c->scale,
		};
		mosaic_fbox_transform(&surface->src_box, &scaled, c->transform, tw, th);
		// A bottom-up texture holds its rows flipped.
		if (surface->y_invert) {
			surface->src_box.y = buffer_h - surface->src_box.y - surface->src_box.height;
		}
		surface->width = (int)src->width;
		surface->height = (int)src->height;
	}
	if (dst_set) {
		surface->width = c->viewport_dst_w;
		surface->height = c->viewport_dst_h;
	}
	return true;
}

static void viewporter_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void viewporter_get_viewport(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, struct wl_resource *surface_resource)
{
	struct surface *surface = surface_from_resource(surface_resource);
	if (surface->viewport != NULL) {
		wl_resource_post_error(resource, WP_VIEWPORTER_ERROR_VIEWPORT_EXISTS,
			"wl_surface %u already has a wp_viewport",
			wl_resource_get_id(surface_resource));
		return;
	}
	struct wl_resource *viewport = wl_resource_create(client, &wp_viewport_interface,
		wl_resource_get_version(resource), id);
	if (viewport == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(viewport, &viewport_impl, surface,
		viewport_handle_resource_destroy);
	surface->viewport = viewport;
}

static const struct wp_viewporter_interface viewporter_impl = {
	.destroy = viewporter_destroy,
	.get_viewport = viewporter_get_viewport,
};

static void viewporter_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client, &wp_viewporter_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &viewporter_impl, data, NULL);
}

bool viewporter_init_globals(struct server *server)
{
	return wl_global_create(server->display, &wp_viewporter_interface, 1, server,
		viewporter_bind) != NULL;
}
