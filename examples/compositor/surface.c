/*
 * Surfaces: wl_compositor, wl_surface and wl_subcompositor (wl_region: region.c).
 *
 * A wl_surface collects requests (attach, damage, frame, ...) into a pending
 * state; wl_surface.commit makes them current at once. This is where client
 * buffers meet mosaic: on commit, the buffer and its damage go to the
 * surface's mosaic_surface_texture, which copies only what changed (wl_shm)
 * or imports the buffer (dmabuf), and tells the client when it may reuse it.
 *
 * Subsurfaces follow the protocol's synchronized mode (their commits wait
 * for the parent's); as a simplification, children are always drawn above
 * their parent.
 */
#include <stdlib.h>

#include <wayland-server-protocol.h>

#include "compositor.h"

static void state_init(struct surface_state *state)
{
	*state = (struct surface_state){
		.scale = 1,
		.viewport_src = { -1, -1, -1, -1 },
		.viewport_dst_w = -1,
		.viewport_dst_h = -1,
	};
	pixman_region32_init(&state->surface_damage);
	pixman_region32_init(&state->buffer_damage);
	// No input region set means "the whole surface": an infinite region.
	pixman_region32_init_rect(&state->input, INT32_MIN / 2, INT32_MIN / 2, UINT32_MAX / 2,
		UINT32_MAX / 2);
	wl_list_init(&state->frame_callbacks);
	wl_list_init(&state->feedbacks);
	wl_list_init(&state->buffer_destroy.link);
}

static void state_finish(struct surface_state *state)
{
	pixman_region32_fini(&state->surface_damage);
	pixman_region32_fini(&state->buffer_damage);
	pixman_region32_fini(&state->input);
	wl_list_remove(&state->buffer_destroy.link);
	struct wl_resource *cb, *tmp;
	wl_resource_for_each_safe(cb, tmp, &state->frame_callbacks) {
		wl_resource_destroy(cb);
	}
	// Content that no frame drew is never shown now.
	presentation_discard(&state->feedbacks);
}

/* A client may destroy a buffer it attached but did not commit yet. */
static void pending_buffer_destroyed(struct wl_listener *listener, void *data)
{
	struct surface_state *state = wl_container_of(listener, state, buffer_destroy);
	wl_list_remove(&state->buffer_destroy.link);
	wl_list_init(&state->buffer_destroy.link);
	state->buffer = NULL;
}

static const struct wl_surface_interface surface_impl;

struct surface *surface_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void surface_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void surface_attach(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct surface *surface = surface_from_resource(resource);
	struct surface_state *p = &surface->pending;
	wl_list_remove(&p->buffer_destroy.link);
	wl_list_init(&p->buffer_destroy.link);
	p->attached = true;
	p->buffer = buffer;
	p->dx = x;
	p->dy = y;
	if (buffer != NULL) {
		p->buffer_destroy.notify = pending_buffer_destroyed;
		wl_resource_add_destroy_listener(buffer, &p->buffer_destroy);
	}
}

static void damage_add(pixman_region32_t *damage, int32_t x, int32_t y, int32_t width,
	int32_t height)
{
	pixman_region32_union_rect(damage, damage, x, y, (unsigned)width, (unsigned)height);
	if (pixman_region32_n_rects(damage) > MAX_REGION_RECTS) {
		pixman_box32_t extents = *pixman_region32_extents(damage);
		pixman_region32_reset(damage, &extents);
	}
}

static void surface_damage(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct surface *surface = surface_from_resource(resource);
	if (width <= 0 || height <= 0) {
		return;
	}
	damage_add(&surface->pending.surface_damage, x, y, width, height);
}

static void surface_damage_buffer(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct surface *surface = surface_from_resource(resource);
	if (width <= 0 || height <= 0) {
		return;
	}
	damage_add(&surface->pending.buffer_damage, x, y, width, height);
}

static void callback_unlink(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void surface_frame(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct surface *surface = surface_from_resource(resource);
	struct wl_resource *cb = wl_resource_create(client, &wl_callback_interface, 1, id);
	if (cb == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(cb, NULL, NULL, callback_unlink);
	wl_list_insert(surface->pending.frame_callbacks.prev, wl_resource_get_link(cb));
}

static void surface_set_opaque_region(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *region)
{
	// Opaque regions let a compositor skip drawing what lies below; this
	// one draws everything, so it has no use for them.
}

static void surface_set_input_region(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *region)
{
	struct surface *surface = surface_from_resource(resource);
	if (region == NULL) {
		pixman_region32_fini(&surface->pending.input);
		pixman_region32_init_rect(&surface->pending.input, INT32_MIN / 2, INT32_MIN / 2,
			UINT32_MAX / 2, UINT32_MAX / 2);
	} else {
		pixman_region32_copy(&surface->pending.input, wl_resource_get_user_data(region));
	}
}

/* Where the surface's tree is in the output, or false when it is not shown. */
static bool surface_output_origin(struct surface *surface, int *x, int *y)
{
	int ox = 0, oy = 0;
	while (surface->role == ROLE_SUBSURFACE && surface->subsurface != NULL &&
			surface->subsurface->parent != NULL) {
		ox = compositor_coord((int64_t)ox + surface->subsurface->x);
		oy = compositor_coord((int64_t)oy + surface->subsurface->y);
		surface = surface->subsurface->parent;
	}
	if (surface->role != ROLE_XDG || surface->xdg == NULL || !surface->xdg->mapped) {
		return false;
	}
	int wx, wy;
	xdg_surface_origin(surface->xdg, &wx, &wy);
	*x = compositor_coord((int64_t)ox + wx);
	*y = compositor_coord((int64_t)oy + wy);
	return true;
}

/* True when a wp_viewport crops or scales the surface in this state. */
static bool state_has_viewport(const struct surface_state *state)
{
	return state->viewport_src.width != -1 || state->viewport_dst_w != -1;
}

/* Turns the commit's damage into output damage at the surface's position. */
static void damage_output(struct surface *surface, bool whole)
{
	int x, y;
	if (!surface_output_origin(surface, &x, &y)) {
		return;
	}
	struct mosaic_box box = { x, y, surface->width, surface->height };
	if (whole || surface->current.scale != 1 || state_has_viewport(&surface->current) ||
			surface->current.transform != MOSAIC_TRANSFORM_NORMAL) {
		// Mapping damage through scales and transforms is left out: the
		// whole surface is a safe over-estimate.
		output_damage_box(surface->server, &box);
		return;
	}
	pixman_region32_t damage;
	pixman_region32_init(&damage);
	pixman_region32_union(&damage, &surface->current.surface_damage,
		&surface->current.buffer_damage);
	pixman_region32_intersect_rect(&damage, &damage, 0, 0, (unsigned)surface->width,
		(unsigned)surface->height);
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(&damage, &n);
	for (int i = 0; i < n; i++) {
		output_damage_box(surface->server, &(struct mosaic_box){
			compositor_coord((int64_t)x + rects[i].x1), compositor_coord((int64_t)y + rects[i].y1),
			rects[i].x2 - rects[i].x1, rects[i].y2 - rects[i].y1,
		});
	}
	pixman_region32_fini(&damage);
}

/*
 * Moves the state `src` on top of `dst` (for synchronized subsurfaces, whose
 * commits wait in a cache for their parent's): later values win, damage
 * and frame callbacks add up. A presentation feedback of `dst` is for
 * content superseded before it was shown: discarded. `src` is left empty.
 */
static void state_move(struct surface_state *dst, struct surface_state *src)
{
	if (src->attached) {
		wl_list_remove(&dst->buffer_destroy.link);
		wl_list_init(&dst->buffer_destroy.link);
		dst->attached = true;
		dst->buffer = src->buffer;
		dst->dx = src->dx;
		dst->dy = src->dy;
		if (dst->buffer != NULL) {
			dst->buffer_destroy.notify = pending_buffer_destroyed;
			wl_resource_add_destroy_listener(dst->buffer, &dst->buffer_destroy);
		}
		wl_list_remove(&src->buffer_destroy.link);
		wl_list_init(&src->buffer_destroy.link);
		src->attached = false;
		src->buffer = NULL;
	}
	pixman_region32_union(&dst->surface_damage, &dst->surface_damage, &src->surface_damage);
	pixman_region32_union(&dst->buffer_damage, &dst->buffer_damage, &src->buffer_damage);
	pixman_region32_clear(&src->surface_damage);
	pixman_region32_clear(&src->buffer_damage);
	pixman_region32_copy(&dst->input, &src->input);
	dst->scale = src->scale;
	dst->transform = src->transform;
	dst->viewport_src = src->viewport_src;
	dst->viewport_dst_w = src->viewport_dst_w;
	dst->viewport_dst_h = src->viewport_dst_h;
	wl_list_insert_list(dst->frame_callbacks.prev, &src->frame_callbacks);
	wl_list_init(&src->frame_callbacks);
	presentation_discard(&dst->feedbacks);
	wl_list_insert_list(&dst->feedbacks, &src->feedbacks);
	wl_list_init(&src->feedbacks);
}

/* A subsurface is synchronized when it or any subsurface above it is. */
static bool effectively_synchronized(struct surface *surface)
{
	for (; surface->subsurface != NULL && surface->subsurface->parent != NULL;
			surface = surface->subsurface->parent) {
		if (surface->subsurface->synchronized) {
			return true;
		}
	}
	return false;
}

static void surface_apply(struct surface *surface, struct surface_state *p);

/*
 * The commit. Synchronized subsurfaces only stash their state: it is applied
 * with their parent's next commit, so that a window and its decorations
 * (often subsurfaces) change in the same frame.
 */
/*
 * The largest buffer a client may commit: MAX_BUFFER_SIDE pixels a side and
 * MAX_BUFFER_PIXELS in all (an 8K frame, 7680x4320, fits). Its first commit
 * is copied whole, and every client waits meanwhile: a 16384x16384 buffer is
 * a 1 GiB copy, seconds on a loaded machine. Past it the client is
 * disconnected with wl_display.no_memory, naming the size.
 */
#define MAX_BUFFER_SIDE 16384
#define MAX_BUFFER_PIXELS (1 << 25)

static bool buffer_size_ok(struct wl_client *client, struct wl_resource *resource)
{
	struct mosaic_buffer *buffer = mosaic_wl_buffer_from_resource(resource);
	if (buffer == NULL) {
		return true; // Refused later, in the texture cache, with its own error.
	}
	int64_t pixels = (int64_t)buffer->width * buffer->height;
	if (buffer->width <= MAX_BUFFER_SIDE && buffer->height <= MAX_BUFFER_SIDE &&
			pixels <= MAX_BUFFER_PIXELS) {
		return true;
	}
	wl_resource_post_error(wl_client_get_object(client, 1), WL_DISPLAY_ERROR_NO_MEMORY,
		"a %dx%d buffer is larger than this compositor takes (%d a side, %d pixels)",
		buffer->width, buffer->height, MAX_BUFFER_SIDE, MAX_BUFFER_PIXELS);
	return false;
}

static void surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct surface *surface = surface_from_resource(resource);
	if (surface->pending.attached && surface->pending.buffer != NULL &&
			!buffer_size_ok(client, surface->pending.buffer)) {
		return;
	}
	if (effectively_synchronized(surface)) {
		state_move(&surface->subsurface->cached, &surface->pending);
		surface->subsurface->has_cache = true;
		return;
	}
	surface_apply(surface, &surface->pending);
}

/* Where a state (pending, or a subsurface's cache) becomes current. */
static void surface_apply(struct surface *surface, struct surface_state *p)
{
	struct surface_state *c = &surface->current;

	c->scale = p->scale;
	c->transform = p->transform;
	c->viewport_src = p->viewport_src;
	c->viewport_dst_w = p->viewport_dst_w;
	c->viewport_dst_h = p->viewport_dst_h;
	pixman_region32_copy(&c->input, &p->input);
	pixman_region32_copy(&c->surface_damage, &p->surface_damage);
	pixman_region32_copy(&c->buffer_damage, &p->buffer_damage);
	wl_list_insert_list(c->frame_callbacks.prev, &p->frame_callbacks);
	wl_list_init(&p->frame_callbacks);
	// The current content, if no frame drew it yet, is never shown now.
	presentation_discard(&c->feedbacks);
	wl_list_insert_list(&c->feedbacks, &p->feedbacks);
	wl_list_init(&p->feedbacks);

	int old_w = surface->width, old_h = surface->height;
	if (p->attached) {
		if (p->buffer == NULL) {
			mosaic_surface_texture_commit(surface->texture, NULL, NULL);
			surface->has_content = false;
			surface->y_invert = false;
		} else {
			// Damage the texture in buffer coordinates. Surface-coordinate
			// damage is only exact without scale, transform or viewport;
			// otherwise refresh the whole buffer.
			// A bottom-up buffer's rows are stored flipped: the damage,
			// given for the image the client means, is not mapped either.
			surface->y_invert = mosaic_wl_buffer_is_y_inverted(p->buffer);
			pixman_region32_t buffer_damage;
			pixman_region32_init(&buffer_damage);
			pixman_region32_copy(&buffer_damage, &p->buffer_damage);
			if (surface->y_invert) {
				pixman_region32_union_rect(&buffer_damage, &buffer_damage,
					0, 0, UINT32_MAX / 2, UINT32_MAX / 2);
			} else if (pixman_region32_not_empty(&p->surface_damage)) {
				if (p->scale == 1 && p->transform == MOSAIC_TRANSFORM_NORMAL &&
						!state_has_viewport(p)) {
					pixman_region32_union(&buffer_damage, &buffer_damage,
						&p->surface_damage);
				} else {
					pixman_region32_union_rect(&buffer_damage, &buffer_damage,
						0, 0, UINT32_MAX / 2, UINT32_MAX / 2);
				}
			}
			// A new texture is uploaded whole whatever the damage says.
			if (mosaic_surface_texture_commit(surface->texture, p->buffer,
					&buffer_damage)) {
				surface->has_content = true;
			}
			pixman_region32_fini(&buffer_damage);
		}
		wl_list_remove(&p->buffer_destroy.link);
		wl_list_init(&p->buffer_destroy.link);
		p->attached = false;
		p->buffer = NULL;
	}
	// The size follows the buffer, its scale and transform, and the
	// viewport, whichever of them this commit changed.
	struct mosaic_texture *tex = mosaic_surface_texture_get_texture(surface->texture);
	if (!surface->has_content || tex == NULL) {
		surface->width = surface->height = 0;
		surface->src_box = (struct mosaic_fbox){ 0 };
	} else if (!viewport_apply(surface, mosaic_texture_get_width(tex),
			mosaic_texture_get_height(tex))) {
		// A protocol error: the client is going, show nothing of it.
		surface->width = surface->height = 0;
	}
	bool resized = old_w != surface->width || old_h != surface->height;
	if (resized) {
		// What the surface covered before it changed size or went.
		int x, y;
		if (surface_output_origin(surface, &x, &y)) {
			output_damage_box(surface->server, &(struct mosaic_box){ x, y, old_w, old_h });
		}
	}
	pixman_region32_clear(&p->surface_damage);
	pixman_region32_clear(&p->buffer_damage);

	// A subsurface's position, and the state a synchronized one cached,
	// take effect with its parent's commit.
	struct subsurface *child;
	wl_list_for_each(child, &surface->children, link) {
		if (child->x != child->pending_x || child->y != child->pending_y) {
			damage_output(child->surface, true);
			child->x = child->pending_x;
			child->y = child->pending_y;
			damage_output(child->surface, true);
		}
		if (child->has_cache) {
			child->has_cache = false;
			surface_apply(child->surface, &child->cached);
		}
	}

	if (surface->role == ROLE_XDG && surface->xdg != NULL) {
		xdg_surface_commit(surface->xdg);
	}
	damage_output(surface, resized);
	output_schedule_frame(surface->server);
}

static void surface_set_buffer_transform(struct wl_client *client,
	struct wl_resource *resource, int32_t transform)
{
	if (transform < 0 || transform > WL_OUTPUT_TRANSFORM_FLIPPED_270) {
		wl_resource_post_error(resource, WL_SURFACE_ERROR_INVALID_TRANSFORM,
			"invalid transform %d", transform);
		return;
	}
	// wl_output transforms and mosaic transforms share their values.
	surface_from_resource(resource)->pending.transform = (enum mosaic_transform)transform;
}

static void surface_set_buffer_scale(struct wl_client *client, struct wl_resource *resource,
	int32_t scale)
{
	if (scale <= 0) {
		wl_resource_post_error(resource, WL_SURFACE_ERROR_INVALID_SCALE,
			"invalid scale %d", scale);
		return;
	}
	surface_from_resource(resource)->pending.scale = scale;
}

static const struct wl_surface_interface surface_impl = {
	.destroy = surface_destroy,
	.attach = surface_attach,
	.damage = surface_damage,
	.frame = surface_frame,
	.set_opaque_region = surface_set_opaque_region,
	.set_input_region = surface_set_input_region,
	.commit = surface_commit,
	.set_buffer_transform = surface_set_buffer_transform,
	.set_buffer_scale = surface_set_buffer_scale,
	.damage_buffer = surface_damage_buffer,
};

static void subsurface_unlink(struct subsurface *sub);

static void surface_handle_resource_destroy(struct wl_resource *resource)
{
	struct surface *surface = surface_from_resource(resource);
	damage_output(surface, true);
	output_schedule_frame(surface->server);
	seat_surface_destroyed(surface->server, surface);
	viewport_surface_destroyed(surface);
	fractional_scale_surface_destroyed(surface);

	// Children lose their parent; their wl_subsurface stays, inert.
	struct subsurface *child, *tmp;
	wl_list_for_each_safe(child, tmp, &surface->children, link) {
		subsurface_unlink(child);
	}
	if (surface->subsurface != NULL) {
		subsurface_unlink(surface->subsurface);
		surface->subsurface->surface = NULL;
	}
	if (surface->xdg != NULL) {
		xdg_surface_lost_surface(surface->xdg);
	}
	mosaic_surface_texture_destroy(surface->texture);
	state_finish(&surface->pending);
	state_finish(&surface->current);
	wl_list_remove(&surface->link);
	free(surface);
}

bool surface_set_role(struct surface *surface, enum surface_role role,
	struct wl_resource *error_resource, uint32_t error_code)
{
	if (surface->role != ROLE_NONE && surface->role != role) {
		wl_resource_post_error(error_resource, error_code,
			"wl_surface %u already has another role",
			wl_resource_get_id(surface->resource));
		return false;
	}
	surface->role = role;
	return true;
}

static void compositor_create_surface(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct surface *surface = calloc(1, sizeof(*surface));
	if (surface == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	surface->resource = wl_resource_create(client, &wl_surface_interface,
		wl_resource_get_version(resource), id);
	surface->texture = mosaic_surface_texture_create(server->renderer);
	if (surface->resource == NULL || surface->texture == NULL) {
		if (surface->resource != NULL) {
			wl_resource_destroy(surface->resource);
		}
		mosaic_surface_texture_destroy(surface->texture);
		free(surface);
		wl_client_post_no_memory(client);
		return;
	}
	surface->server = server;
	state_init(&surface->pending);
	state_init(&surface->current);
	wl_list_init(&surface->children);
	wl_list_insert(&server->surfaces, &surface->link);
	wl_resource_set_implementation(surface->resource, &surface_impl, surface,
		surface_handle_resource_destroy);
}

static void compositor_create_region(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	region_create(client, id);
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_create_surface,
	.create_region = compositor_create_region,
};

static void compositor_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client, &wl_compositor_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &compositor_impl, data, NULL);
}

/* Subsurfaces: surfaces drawn at an offset from a parent surface. */
static void subsurface_unlink(struct subsurface *sub)
{
	if (sub->parent == NULL) {
		return;
	}
	wl_list_remove(&sub->link);
	wl_list_init(&sub->link);
	sub->parent = NULL;
}

static void subsurface_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void subsurface_set_position(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y)
{
	struct subsurface *sub = wl_resource_get_user_data(resource);
	sub->pending_x = compositor_coord(x);
	sub->pending_y = compositor_coord(y);
}

/* Restacking among siblings: above or below `sibling_resource` (or the parent). */
static void subsurface_restack(struct wl_resource *resource,
	struct wl_resource *sibling_resource, bool above)
{
	struct subsurface *sub = wl_resource_get_user_data(resource);
	if (sub->parent == NULL || sub->surface == NULL) {
		return;
	}
	struct surface *sibling = surface_from_resource(sibling_resource);
	struct wl_list *at;
	if (sibling == sub->parent) {
		// Children always stay above the parent here: "below the parent"
		// puts it at the bottom of the children instead.
		at = &sub->parent->children;
	} else if (sibling->subsurface != NULL && sibling->subsurface->parent == sub->parent) {
		at = above ? &sibling->subsurface->link : sibling->subsurface->link.prev;
	} else {
		wl_resource_post_error(resource, WL_SUBSURFACE_ERROR_BAD_SURFACE,
			"the surface is not a sibling or the parent");
		return;
	}
	if (at == &sub->link) {
		return;
	}
	wl_list_remove(&sub->link);
	wl_list_insert(at, &sub->link);
	damage_output(sub->surface, true);
}

static void subsurface_place_above(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *sibling)
{
	subsurface_restack(resource, sibling, true);
}

static void subsurface_place_below(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *sibling)
{
	subsurface_restack(resource, sibling, false);
}

static void subsurface_set_sync(struct wl_client *client, struct wl_resource *resource)
{
	struct subsurface *sub = wl_resource_get_user_data(resource);
	sub->synchronized = true;
}

static void subsurface_set_desync(struct wl_client *client, struct wl_resource *resource)
{
	struct subsurface *sub = wl_resource_get_user_data(resource);
	sub->synchronized = false;
	// No longer waiting for the parent: what was cached applies now.
	if (sub->surface != NULL && sub->has_cache && !effectively_synchronized(sub->surface)) {
		sub->has_cache = false;
		surface_apply(sub->surface, &sub->cached);
	}
}

static const struct wl_subsurface_interface subsurface_impl = {
	.destroy = subsurface_destroy,
	.set_position = subsurface_set_position,
	.place_above = subsurface_place_above,
	.place_below = subsurface_place_below,
	.set_sync = subsurface_set_sync,
	.set_desync = subsurface_set_desync,
};

static void subsurface_handle_resource_destroy(struct wl_resource *resource)
{
	struct subsurface *sub = wl_resource_get_user_data(resource);
	if (sub->surface != NULL) {
		damage_output(sub->surface, true);
		output_schedule_frame(sub->surface->server);
		sub->surface->subsurface = NULL;
	}
	subsurface_unlink(sub);
	state_finish(&sub->cached);
	free(sub);
}

static void subcompositor_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void subcompositor_get_subsurface(struct wl_client *client,
	struct wl_resource *resource, uint32_t id, struct wl_resource *surface_resource,
	struct wl_resource *parent_resource)
{
	struct surface *surface = surface_from_resource(surface_resource);
	struct surface *parent = surface_from_resource(parent_resource);
	if (surface == parent) {
		wl_resource_post_error(resource, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
			"a surface cannot be its own parent");
		return;
	}
	// A parent must not be a descendant of the surface. The walk up is
	// short: trees are at most COMPOSITOR_SUBSURFACE_DEPTH deep.
	int depth = 1;
	for (struct surface *s = parent; s->subsurface != NULL && s->subsurface->parent != NULL;
			s = s->subsurface->parent) {
		if (s->subsurface->parent == surface) {
			wl_resource_post_error(resource, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
				"the parent is a descendant of the surface");
			return;
		}
		depth++;
	}
	if (depth + surface_tree_height(surface) > COMPOSITOR_SUBSURFACE_DEPTH) {
		wl_resource_post_error(resource, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
			"subsurfaces nest at most %d deep", COMPOSITOR_SUBSURFACE_DEPTH);
		return;
	}
	if (!surface_set_role(surface, ROLE_SUBSURFACE, resource,
			WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE)) {
		return;
	}
	if (surface->subsurface != NULL) {
		wl_resource_post_error(resource, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
			"the surface already is a subsurface");
		return;
	}
	struct subsurface *sub = calloc(1, sizeof(*sub));
	if (sub == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	sub->resource = wl_resource_create(client, &wl_subsurface_interface, 1, id);
	if (sub->resource == NULL) {
		free(sub);
		wl_client_post_no_memory(client);
		return;
	}
	sub->surface = surface;
	sub->parent = parent;
	// Subsurfaces start synchronized, as the protocol says.
	sub->synchronized = true;
	state_init(&sub->cached);
	wl_list_insert(parent->children.prev, &sub->link);
	surface->subsurface = sub;
	wl_resource_set_implementation(sub->resource, &subsurface_impl, sub,
		subsurface_handle_resource_destroy);
}

static const struct wl_subcompositor_interface subcompositor_impl = {
	.destroy = subcompositor_destroy,
	.get_subsurface = subcompositor_get_subsurface,
};

static void subcompositor_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client, &wl_subcompositor_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &subcompositor_impl, data, NULL);
}

bool surface_init_globals(struct server *server)
{
	return wl_global_create(server->display, &wl_compositor_interface, 4, server,
			compositor_bind) != NULL &&
		wl_global_create(server->display, &wl_subcompositor_interface, 1, server,
			subcompositor_bind) != NULL;
}
