/* The glue tests' wl_compositor and dmabuf stand-in (see glue_compositor.h). */
#include <fcntl.h>
#include <stdlib.h>

#include <drm_fourcc.h>
#include <wayland-server-protocol.h>

#include <mosaic/interface.h>

#include "glue_compositor.h"

struct surface {
	const struct glue_compositor *compositor;
	struct wl_resource *buffer;
	pixman_region32_t damage;
	struct mosaic_surface_texture *texture;
	struct wl_listener buffer_destroy;
};

static void buffer_destroyed(struct wl_listener *listener, void *data)
{
	struct surface *s = wl_container_of(listener, s, buffer_destroy);
	wl_list_remove(&listener->link);
	wl_list_init(&listener->link);
	s->buffer = NULL;
}

static void surface_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void surface_attach(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct surface *s = wl_resource_get_user_data(resource);
	wl_list_remove(&s->buffer_destroy.link);
	wl_list_init(&s->buffer_destroy.link);
	s->buffer = buffer;
	if (buffer != NULL) {
		wl_resource_add_destroy_listener(buffer, &s->buffer_destroy);
	}
}

static void surface_damage(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t w, int32_t h)
{
	struct surface *s = wl_resource_get_user_data(resource);
	if (w > 0 && h > 0) {
		pixman_region32_union_rect(&s->damage, &s->damage, x, y, (unsigned)w, (unsigned)h);
	}
}

static void surface_frame(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
}

static void surface_region(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *region)
{
}

static void surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);
	s->compositor->commit(s->texture, s->buffer, &s->damage, s->compositor->data);
	pixman_region32_clear(&s->damage);
}

static void surface_transform(struct wl_client *client, struct wl_resource *resource,
	int32_t value)
{
}

static const struct wl_surface_interface surface_impl = {
	.destroy = surface_destroy,
	.attach = surface_attach,
	.damage = surface_damage,
	.frame = surface_frame,
	.set_opaque_region = surface_region,
	.set_input_region = surface_region,
	.commit = surface_commit,
	.set_buffer_transform = surface_transform,
	.set_buffer_scale = surface_transform,
	.damage_buffer = surface_damage,
};

static void surface_free(struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);
	wl_list_remove(&s->buffer_destroy.link);
	pixman_region32_fini(&s->damage);
	mosaic_surface_texture_destroy(s->texture);
	free(s);
}

static void compositor_create_surface(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	const struct glue_compositor *compositor = wl_resource_get_user_data(resource);
	struct surface *s = calloc(1, sizeof(*s));
	struct wl_resource *sr = wl_resource_create(client, &wl_surface_interface, 4, id);
	s->compositor = compositor;
	s->texture = compositor->create_texture(compositor->data);
	if (s->texture == NULL) {
		wl_resource_destroy(sr);
		free(s);
		wl_client_post_no_memory(client);
		return;
	}
	pixman_region32_init(&s->damage);
	s->buffer_destroy.notify = buffer_destroyed;
	wl_list_init(&s->buffer_destroy.link);
	wl_resource_set_implementation(sr, &surface_impl, s, surface_free);
}

static void compositor_create_region(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	wl_client_post_no_memory(client);
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_create_surface,
	.create_region = compositor_create_region,
};

static void compositor_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *r = wl_resource_create(client, &wl_compositor_interface,
		(int)version, id);
	wl_resource_set_implementation(r, &compositor_impl, data, NULL);
}

struct wl_global *glue_compositor_create(struct wl_display *display,
	const struct glue_compositor *compositor)
{
	// The interface's const is dropped only to be handed back to our own hooks.
	return wl_global_create(display, &wl_compositor_interface, 4, (void *)compositor,
		compositor_bind);
}

void glue_renderer_announce_dmabuf(struct mosaic_renderer *renderer)
{
	renderer->drm_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	// Only these two pairs (pixman itself lists every format, linear).
	mosaic_format_set_finish(&renderer->dmabuf_texture_formats);
	mosaic_format_set_add(&renderer->dmabuf_texture_formats, DRM_FORMAT_XRGB8888,
		DRM_FORMAT_MOD_LINEAR);
	mosaic_format_set_add(&renderer->dmabuf_texture_formats, DRM_FORMAT_ARGB8888,
		DRM_FORMAT_MOD_LINEAR);
}
