/*
 * The output: a few buffers mosaic renders the windows into, one frame at a
 * time, redrawing only what changed. Where a finished frame goes is the
 * program's (struct output_impl): this file only asks it.
 *
 * Damage tracking with buffer age: commits, moves and unmaps add rectangles
 * to server->damage. Each output buffer remembers how many frames ago it was
 * drawn into (its age); its content is then missing the damage of that many
 * frames, which we keep in a short history. A frame redraws exactly the union
 * of those, using the region as the clip of every draw in the mosaic pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <drm_fourcc.h>
#include <wayland-server-protocol.h>

#include "compositor.h"

#define N_BUFFERS 3
#define HISTORY ((int)(sizeof(((struct server *)0)->damage_history) / \
	sizeof(((struct server *)0)->damage_history[0])))

/* The color behind the windows. Tests look for it: keep it unusual. */
static const struct mosaic_color background = { 0.20f, 0.24f, 0.30f, 1.0f };

static int frame_timer_fired(void *data);

static void destroy_buffers(struct server *server)
{
	for (int i = 0; i < server->n_buffers; i++) {
		if (server->output != NULL && server->output->unwrap_buffer != NULL) {
			server->output->unwrap_buffer(server->output_data, &server->buffers[i]);
		}
		mosaic_buffer_drop(server->buffers[i].buffer);
	}
	free(server->buffers);
	server->buffers = NULL;
	server->n_buffers = 0;
}

static bool try_create_buffers(struct server *server)
{
	int n = server->output != NULL && server->output->n_buffers >= 2 ?
		server->output->n_buffers : N_BUFFERS;
	server->buffers = calloc((size_t)n, sizeof(*server->buffers));
	if (server->buffers == NULL) {
		return false;
	}
	server->n_buffers = n;
	// dmabufs with a modifier the output takes; shared memory: linear.
	const struct output_impl *output = server->output;
	const uint64_t *modifiers = NULL;
	int n_modifiers = 0;
	if (output != NULL && output->dmabuf_modifiers != NULL &&
			(mosaic_allocator_get_buffer_caps(server->allocator) &
			MOSAIC_BUFFER_CAP_DMABUF)) {
		modifiers = output->dmabuf_modifiers(server->output_data, &n_modifiers);
	}
	for (int i = 0; i < n; i++) {
		struct output_buffer *b = &server->buffers[i];
		b->server = server;
		// XRGB8888: every renderer draws into it, every parent and display shows it.
		b->buffer = mosaic_allocator_create_buffer(server->allocator, server->width,
			server->height, DRM_FORMAT_XRGB8888, modifiers, (size_t)n_modifiers);
		if (b->buffer == NULL) {
			return false;
		}
		if (output != NULL && output->wrap_buffer != NULL &&
				!output->wrap_buffer(server->output_data, b)) {
			return false;
		}
	}
	return true;
}

static bool create_buffers(struct server *server)
{
	if (try_create_buffers(server)) {
		return true;
	}
	destroy_buffers(server);
	if (!(mosaic_allocator_get_buffer_caps(server->allocator) & MOSAIC_BUFFER_CAP_DMABUF) ||
			server->output == NULL || !server->output->shm_fallback) {
		return false;
	}
	// dmabufs failed (allocation, or the output refused them): shared memory.
	fprintf(stderr, "falling back to wl_shm for the output\n");
	mosaic_allocator_destroy(server->allocator);
	server->allocator = mosaic_shm_allocator_create();
	return server->allocator != NULL && try_create_buffers(server);
}

bool output_init(struct server *server)
{
	for (int i = 0; i < HISTORY; i++) {
		pixman_region32_init(&server->damage_history[i]);
	}
	pixman_region32_init(&server->damage);
	server->frame_timer = wl_event_loop_add_timer(server->loop, frame_timer_fired, server);
	if (server->frame_timer == NULL || !create_buffers(server)) {
		fprintf(stderr, "cannot create the output buffers\n");
		return false;
	}
	output_damage_whole(server);
	return true;
}

void output_finish(struct server *server)
{
	destroy_buffers(server);
	for (int i = 0; i < HISTORY; i++) {
		pixman_region32_fini(&server->damage_history[i]);
	}
	pixman_region32_fini(&server->damage);
	if (server->frame_timer != NULL) {
		wl_event_source_remove(server->frame_timer);
	}
}

bool output_resize(struct server *server, int width, int height)
{
	if (width == server->width && height == server->height) {
		return true;
	}
	destroy_buffers(server);
	server->width = width;
	server->height = height;
	if (!create_buffers(server)) {
		fprintf(stderr, "cannot create %dx%d output buffers\n", width, height);
		return false;
	}
	output_damage_whole(server);
	// Clients hear of the new size (maximized and fullscreen windows get configures).
	output_send_mode(server);
	toplevel_output_resized(server);
	return true;
}

void output_damage_box(struct server *server, const struct mosaic_box *box)
{
	struct mosaic_box bounds = { 0, 0, server->width, server->height }, clipped;
	if (box == NULL || !mosaic_box_intersection(&clipped, &bounds, box)) {
		return;
	}
	pixman_region32_union_rect(&server->damage, &server->damage, clipped.x, clipped.y,
		(unsigned)clipped.width, (unsigned)clipped.height);
}

void output_damage_whole(struct server *server)
{
	output_damage_box(server, &(struct mosaic_box){ 0, 0, server->width, server->height });
	output_schedule_frame(server);
}

void output_schedule_frame(struct server *server)
{
	if (server->frame_pending) {
		return;
	}
	server->frame_pending = true;
	// About 60 frames per second; the output paces us further (a parent's
	// frame callbacks, page flips: see output_render).
	wl_event_source_timer_update(server->frame_timer, 16);
}

void output_retry_frame(struct server *server)
{
	if (server->frame_pending) {
		wl_event_source_timer_update(server->frame_timer, 1);
	}
}

static int frame_timer_fired(void *data)
{
	output_render(data);
	return 0;
}

static struct output_buffer *pick_buffer(struct server *server)
{
	// The oldest free buffer would need the most redrawing: take the
	// youngest one the output is not showing or reading.
	struct output_buffer *best = NULL;
	for (int i = 0; i < server->n_buffers; i++) {
		struct output_buffer *b = &server->buffers[i];
		if (b->busy) {
			continue;
		}
		if (best == NULL || (b->age > 0 && (best->age == 0 || b->age < best->age))) {
			best = b;
		}
	}
	return best;
}

struct draw_context {
	struct mosaic_pass *pass;
	const pixman_region32_t *clip;
	struct server *server;
};

/* Draws one surface of a window's tree, at output position x, y. */
static void draw_surface(struct surface *surface, int x, int y, void *data)
{
	struct draw_context *ctx = data;
	struct mosaic_texture *texture = mosaic_surface_texture_get_texture(surface->texture);
	if (texture == NULL || !surface->has_content || surface->width <= 0) {
		return;
	}
	mosaic_pass_add_texture(ctx->pass, &(struct mosaic_texture_options){
		.texture = texture,
		// A wp_viewport's crop (empty: the whole texture), scaled to the
		// surface size.
		.src_box = surface->src_box,
		.dst_box = { x, y, surface->width, surface->height },
		// The buffer holds the content already transformed by the buffer
		// transform: drawing undoes it. A bottom-up (Y_INVERT) buffer is
		// flipped upright first.
		.transform = mosaic_transform_compose(surface->y_invert ?
				MOSAIC_TRANSFORM_FLIPPED_180 : MOSAIC_TRANSFORM_NORMAL,
			mosaic_transform_invert(surface->current.transform)),
		.clip = ctx->clip,
		// Client pixels are shown 1:1: nearest keeps them sharp.
		.filter = MOSAIC_FILTER_NEAREST,
	});
}

static void mark_used(struct surface *surface, int x, int y, void *data)
{
	mosaic_surface_texture_mark_used(surface->texture, *(uint64_t *)data);
}

/* Tells clients a good time to draw their next frame has come. */
static void send_frame_done(struct server *server)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint32_t ms = (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000);
	struct surface *surface;
	wl_list_for_each(surface, &server->surfaces, link) {
		struct wl_resource *cb, *tmp;
		wl_resource_for_each_safe(cb, tmp, &surface->current.frame_callbacks) {
			wl_callback_send_done(cb, ms);
			wl_resource_destroy(cb);
		}
		mosaic_surface_texture_collect(surface->texture);
	}
}

static bool frame_callbacks_pending(struct server *server)
{
	struct surface *surface;
	wl_list_for_each(surface, &server->surfaces, link) {
		if (!wl_list_empty(&surface->current.frame_callbacks)) {
			return true;
		}
	}
	return false;
}

/* True when every toplevel that exists shows its first buffer. */
static bool all_windows_shown(struct server *server)
{
	int shown = 0;
	struct surface *surface;
	wl_list_for_each(surface, &server->surfaces, link) {
		if (surface->xdg == NULL || surface->xdg->role != XDG_ROLE_TOPLEVEL) {
			continue;
		}
		if (!surface->xdg->mapped) {
			return false;
		}
		shown++;
	}
	return shown > 0;
}

static int screenshot_timer_fired(void *data)
{
	struct server *server = data;
	server->screenshot_due = true;
	output_damage_whole(server);
	return 0;
}

void output_render(struct server *server)
{
	server->frame_pending = false;
	const struct output_impl *output = server->output;
	if (output != NULL && output->frame_pending != NULL &&
			output->frame_pending(server->output_data)) {
		// The output has not shown our last frame yet; it calls back.
		server->frame_pending = true;
		return;
	}
	// A commit with presentation feedback and no damage still gets a frame:
	// the feedback is for a frame that shows it.
	if (!pixman_region32_not_empty(&server->damage) && !server->screenshot_due &&
			!presentation_feedback_waiting(server)) {
		send_frame_done(server);
		return;
	}
	struct output_buffer *buffer = pick_buffer(server);
	if (buffer == NULL) {
		// Every buffer is still with the output: try again at its release.
		server->frame_pending = true;
		return;
	}

	// What this buffer misses: this frame's damage plus that of the frames
	// drawn since it was last used.
	pixman_region32_t repaint;
	pixman_region32_init(&repaint);
	if (buffer->age == 0 || buffer->age > HISTORY + 1) {
		pixman_region32_init_rect(&repaint, 0, 0, (unsigned)server->width,
			(unsigned)server->height);
	} else {
		pixman_region32_copy(&repaint, &server->damage);
		for (int i = 0; i < buffer->age - 1; i++) {
			pixman_region32_union(&repaint, &repaint, &server->damage_history[i]);
		}
	}

	struct mosaic_pass *pass = mosaic_renderer_begin_pass(server->renderer, buffer->buffer,
		NULL);
	if (pass == NULL) {
		pixman_region32_fini(&repaint);
		return;
	}
	mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, server->width, server->height },
		.color = background,
		.clip = &repaint,
		.blend = MOSAIC_BLEND_NONE,
	});
	struct draw_context ctx = { .pass = pass, .clip = &repaint, .server = server };
	struct xdg_surface *window;
	wl_list_for_each(window, &server->windows, link) {
		// Minimized windows (and their popups) stay in the stack, undrawn.
		if (!xdg_window_shown(window)) {
			continue;
		}
		int x, y;
		xdg_surface_origin(window, &x, &y);
		surface_for_each(window->surface, x, y, draw_surface, &ctx);
	}
	if (output != NULL && output->draw_overlay != NULL) {
		output->draw_overlay(server->output_data, pass, &repaint);
	}
	struct mosaic_pass_completion done;
	bool ok = mosaic_pass_submit(pass, &done);
	if (ok) {
		// Client dmabufs drawn here stay with us until the pass completes.
		wl_list_for_each(window, &server->windows, link) {
			if (window->surface != NULL) {
				surface_for_each(window->surface, 0, 0, mark_used, &done.point);
			}
		}
		// The output (a parent, a display, a screenshot) reads the pixels
		// once we present them; a CPU reader needs them finished.
		ok = mosaic_renderer_wait_point(server->renderer, done.point, -1);
	}

	// Age every buffer, and remember this frame's damage.
	for (int i = 0; i < server->n_buffers; i++) {
		if (server->buffers[i].age > 0) {
			server->buffers[i].age++;
		}
	}
	buffer->age = ok ? 1 : 0;
	pixman_region32_fini(&server->damage_history[HISTORY - 1]);
	for (int i = HISTORY - 1; i > 0; i--) {
		server->damage_history[i] = server->damage_history[i - 1];
	}
	pixman_region32_init(&server->damage_history[0]);
	pixman_region32_copy(&server->damage_history[0], &server->damage);
	server->frames++;

	if (ok) {
		// The frame takes along the presentation feedbacks of what it shows.
		presentation_frame_queued(server);
	}
	if (ok && output != NULL && output->present != NULL) {
		// The output saw the previous frame: only this frame's damage
		// changed for it, whatever this buffer's age made us redraw.
		// It reports when the frame reached the screen.
		output->present(server->output_data, buffer, &server->damage);
	} else if (ok) {
		// Offscreen, a frame is done once drawn (we waited for it above):
		// no display, so no refresh, counter or hardware flags.
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		output_frame_presented(server, &now, 0, 0, 0);
	}
	pixman_region32_clear(&server->damage);
	pixman_region32_fini(&repaint);
	send_frame_done(server);

	if (ok && server->screenshot_due && !server->screenshot_done) {
		server->screenshot_done = true;
		bool written = output != NULL && output->screenshot != NULL ?
			output->screenshot(server->output_data, buffer) :
			output_write_screenshot(server, buffer->buffer);
		if (!written) {
			server->exit_code = 1;
			server->running = false;
		} else if (server->quit_after_screenshot) {
			server->running = false;
		}
	}
	if (server->screenshot_path != NULL && !server->screenshot_armed &&
			all_windows_shown(server)) {
		// This frame shows every window: the screenshot is this frame, or
		// one taken --screenshot-delay later.
		server->screenshot_armed = true;
		server->screenshot_timer = wl_event_loop_add_timer(server->loop,
			screenshot_timer_fired, server);
		if (server->screenshot_timer != NULL) {
			wl_event_source_timer_update(server->screenshot_timer,
				server->screenshot_delay_ms > 0 ? server->screenshot_delay_ms : 1);
		}
	}
	if (frame_callbacks_pending(server)) {
		output_schedule_frame(server);
	}
}

/*
 * Reads the output back through mosaic (a texture made from the output
 * buffer, read as RGBA bytes) and writes a PNG.
 */
bool output_write_screenshot(struct server *server, struct mosaic_buffer *buffer)
{
	struct mosaic_texture *texture = mosaic_texture_from_buffer(server->renderer, buffer);
	if (texture == NULL) {
		fprintf(stderr, "screenshot: cannot read the output back\n");
		return false;
	}
	uint32_t stride = (uint32_t)server->width * 4;
	uint8_t *pixels = malloc((size_t)stride * (size_t)server->height);
	bool ok = pixels != NULL && mosaic_texture_read_pixels(texture,
		&(struct mosaic_read_pixels_options){
			// ABGR8888 is R, G, B, A in memory order: what PNG wants.
			.fourcc = DRM_FORMAT_ABGR8888,
			.stride = stride,
			.data = pixels,
		});
	mosaic_texture_destroy(texture);
	if (ok) {
		ok = png_write_rgba(server->screenshot_path, server->width, server->height,
			pixels, stride);
	}
	free(pixels);
	if (ok) {
		fprintf(stderr, "screenshot written to %s (frame %llu)\n", server->screenshot_path,
			(unsigned long long)server->frames);
	}
	return ok;
}
