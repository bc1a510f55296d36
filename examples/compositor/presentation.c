/*
 * wp_presentation: a client asks, per commit, to learn when the content of
 * that commit reached the screen (video players and games pace themselves
 * with it).
 *
 * A wp_presentation_feedback is surface state like a frame callback
 * (surface_state.feedbacks): pending until the commit, then current, and
 * with a synchronized subsurface it waits in the cache for the parent's
 * commit. Its fate is exact:
 *
 *   - A frame that draws the surface (render.c) takes the feedbacks of the
 *     surface's current content along (presentation_frame_queued()). The
 *     output reports when that frame reached the screen, in the order it
 *     showed them: output_frame_presented() then sends sync_output (our one
 *     output, for each wl_output the client bound) and presented, with the
 *     output's time, refresh and counter.
 *   - A commit that is superseded by the next one before any frame drew it,
 *     or that belongs to a surface destroyed before that, is never shown:
 *     its feedback gets discarded (presentation_discard()). So does a
 *     frame the output reports as never shown (output_frame_discarded()).
 *
 * Frames in flight are few (an output shows one, queues one or two): they
 * are kept in a ring of COMPOSITOR_FRAMES_IN_FLIGHT lists of feedbacks; an
 * output that never reports one loses it to the next frames, discarded.
 */
#include <time.h>

#include <wayland-server-protocol.h>

#include "compositor.h"
#include "presentation-time-protocol.h"

static void feedback_unlink(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

void presentation_discard(struct wl_list *feedbacks)
{
	struct wl_resource *feedback, *tmp;
	wl_resource_for_each_safe(feedback, tmp, feedbacks) {
		wp_presentation_feedback_send_discarded(feedback);
		wl_resource_destroy(feedback);
	}
}

/* The feedbacks of frame number `frame`, counting the frames queued since the start. */
static struct wl_list *frame_feedbacks(struct server *server, uint64_t frame)
{
	return &server->frame_feedbacks[frame % COMPOSITOR_FRAMES_IN_FLIGHT];
}

/* True when a frame draws the surface: it has content, and some of it is on the output. */
static bool surface_shown(struct server *server, struct surface *surface, int x, int y)
{
	struct mosaic_box output = { 0, 0, server->width, server->height }, box, visible;
	box = (struct mosaic_box){ x, y, surface->width, surface->height };
	return surface->has_content && surface->width > 0 && surface->height > 0 &&
		mosaic_surface_texture_get_texture(surface->texture) != NULL &&
		mosaic_box_intersection(&visible, &output, &box);
}

struct collect {
	struct server *server;
	struct wl_list *frame;
	bool found;
};

static void collect_surface(struct surface *surface, int x, int y, void *data)
{
	struct collect *c = data;
	if (wl_list_empty(&surface->current.feedbacks) ||
			!surface_shown(c->server, surface, x, y)) {
		return;
	}
	c->found = true;
	if (c->frame != NULL) {
		wl_list_insert_list(c->frame->prev, &surface->current.feedbacks);
		wl_list_init(&surface->current.feedbacks);
	}
}

/* Walks the shown surfaces with feedbacks; moves them into `frame` unless NULL. */
static bool collect(struct server *server, struct wl_list *frame)
{
	struct collect c = { .server = server, .frame = frame };
	struct xdg_surface *window;
	wl_list_for_each(window, &server->windows, link) {
		if (window->surface != NULL) {
			int x, y;
			xdg_surface_origin(window, &x, &y);
			surface_for_each(window->surface, x, y, collect_surface, &c);
		}
	}
	return c.found;
}

bool presentation_feedback_waiting(struct server *server)
{
	return collect(server, NULL);
}

void presentation_frame_queued(struct server *server)
{
	if (server->frames_queued - server->frames_reported == COMPOSITOR_FRAMES_IN_FLIGHT) {
		// The output never reported the oldest frame: it cannot be told now.
		output_frame_discarded(server);
	}
	collect(server, frame_feedbacks(server, server->frames_queued));
	server->frames_queued++;
}

void output_frame_presented(struct server *server, const struct timespec *when,
	uint32_t refresh_ns, uint64_t seq, uint32_t flags)
{
	if (server->frames_queued == server->frames_reported) {
		return; // No frame of ours in flight (an output reporting twice).
	}
	struct wl_list *frame = frame_feedbacks(server, server->frames_reported++);
	uint64_t sec = (uint64_t)when->tv_sec;
	struct wl_resource *feedback, *tmp, *output;
	wl_resource_for_each_safe(feedback, tmp, frame) {
		struct wl_client *client = wl_resource_get_client(feedback);
		wl_resource_for_each(output, &server->outputs) {
			if (wl_resource_get_client(output) == client) {
				wp_presentation_feedback_send_sync_output(feedback, output);
			}
		}
		wp_presentation_feedback_send_presented(feedback, (uint32_t)(sec >> 32),
			(uint32_t)sec, (uint32_t)when->tv_nsec, refresh_ns, (uint32_t)(seq >> 32),
			(uint32_t)seq, flags);
		wl_resource_destroy(feedback);
	}
}

void output_frame_discarded(struct server *server)
{
	if (server->frames_queued == server->frames_reported) {
		return;
	}
	presentation_discard(frame_feedbacks(server, server->frames_reported++));
}

static void presentation_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void presentation_feedback(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *surface_resource, uint32_t id)
{
	struct surface *surface = surface_from_resource(surface_resource);
	struct wl_resource *feedback = wl_resource_create(client,
		&wp_presentation_feedback_interface, wl_resource_get_version(resource), id);
	if (feedback == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(feedback, NULL, NULL, feedback_unlink);
	wl_list_insert(surface->pending.feedbacks.prev, wl_resource_get_link(feedback));
}

static const struct wp_presentation_interface presentation_impl = {
	.destroy = presentation_destroy,
	.feedback = presentation_feedback,
};

static void presentation_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client, &wp_presentation_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &presentation_impl, data, NULL);
	// Every output reports CLOCK_MONOTONIC times: page flips, frame
	// callbacks, a parent's presentation in that clock.
	wp_presentation_send_clock_id(resource, CLOCK_MONOTONIC);
}

bool presentation_init_globals(struct server *server)
{
	for (int i = 0; i < COMPOSITOR_FRAMES_IN_FLIGHT; i++) {
		wl_list_init(&server->frame_feedbacks[i]);
	}
	return wl_global_create(server->display, &wp_presentation_interface, 1, server,
		presentation_bind) != NULL;
}
