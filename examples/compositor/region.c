/*
 * wl_region: a client-side description of an area (a surface's input or
 * opaque region), kept as a pixman region until a request copies it into
 * surface state.
 */
#include <stdlib.h>

#include <wayland-server-protocol.h>

#include "compositor.h"

static void region_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void region_add(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t width, int32_t height)
{
	pixman_region32_t *region = wl_resource_get_user_data(resource);
	if (width > 0 && height > 0) {
		pixman_region32_union_rect(region, region, x, y, (unsigned)width,
			(unsigned)height);
	}
	if (pixman_region32_n_rects(region) > MAX_REGION_RECTS) {
		// Neither extents (an opaque region must not grow) nor empty would be right.
		wl_client_post_no_memory(client);
	}
}

static void region_subtract(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t width, int32_t height)
{
	pixman_region32_t *region = wl_resource_get_user_data(resource);
	if (width <= 0 || height <= 0) {
		return;
	}
	pixman_region32_t rect;
	pixman_region32_init_rect(&rect, x, y, (unsigned)width, (unsigned)height);
	pixman_region32_subtract(region, region, &rect);
	pixman_region32_fini(&rect);
}

static const struct wl_region_interface region_impl = {
	.destroy = region_destroy,
	.add = region_add,
	.subtract = region_subtract,
};

static void region_handle_resource_destroy(struct wl_resource *resource)
{
	pixman_region32_t *region = wl_resource_get_user_data(resource);
	pixman_region32_fini(region);
	free(region);
}

void region_create(struct wl_client *client, uint32_t id)
{
	pixman_region32_t *region = calloc(1, sizeof(*region));
	struct wl_resource *region_resource = wl_resource_create(client, &wl_region_interface,
		1, id);
	if (region == NULL || region_resource == NULL) {
		free(region);
		wl_client_post_no_memory(client);
		return;
	}
	pixman_region32_init(region);
	wl_resource_set_implementation(region_resource, &region_impl, region,
		region_handle_resource_destroy);
}

