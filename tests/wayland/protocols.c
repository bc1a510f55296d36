/*
 * test-wayland-protocols: a raw Wayland client checks, against a headless
 * mosaic-nested (320x240), the protocols that tell clients about the output
 * and about their frames:
 *
 *   - wl_output version 4: geometry, mode, scale, name and description, then
 *     done; zxdg_output_manager_v1 version 3: logical position 0,0 and a
 *     logical size equal to the mode (scale 1), its name and description,
 *     ended by wl_output.done (xdg_output.done is deprecated from version 3).
 *   - wp_presentation: clock CLOCK_MONOTONIC; a window's commit with
 *     feedback is presented (sync_output for our wl_output, a time between
 *     the commit and now), even a commit without damage; a commit superseded
 *     before a frame (two commits in one flush: a frame waits at least a
 *     timer tick), or that of a surface destroyed at once, is discarded, and
 *     so is one superseded in a synchronized subsurface's cache; a client
 *     leaving with feedback pending leaves the next one served.
 *   - wp_fractional_scale_manager_v1: preferred_scale 120 (scale 1) at once;
 *     a second object for one surface is fractional_scale_exists, one
 *     destroyed makes room for the next.
 *
 * With --nested, the mosaic-nested under test runs as a window of a headless
 * one: its frames are then presented when its parent's wp_presentation says
 * so (examples/nested/parent.c), and the same checks hold.
 *
 * Usage: test-wayland-protocols PATH/TO/mosaic-nested [--nested]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <wayland-client.h>

#include "fractional-scale-v1-client-protocol.h"
#include "headless.h"
#include "presentation-time-client-protocol.h"
#include "xdg-output-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define NESTED_SOCKET "mosaic-protocols"
#define PARENT_SOCKET "mosaic-protocols-parent"
/* The size headless.c starts mosaic-nested with. */
#define OUTPUT_W 320
#define OUTPUT_H 240

/* What the output under test calls itself: HEADLESS-1, or WL-1 in a parent. */
static const char *output_name_expected = "HEADLESS-1";

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wp_presentation *presentation;
	uint32_t presentation_version;
	struct wp_fractional_scale_manager_v1 *fractional_scale_manager;
	uint32_t fractional_scale_manager_version;
	struct wl_output *output;
	uint32_t output_version;
	struct zxdg_output_manager_v1 *xdg_output_manager;
	uint32_t xdg_output_manager_version;
	/* The version to bind zxdg_output_manager_v1 at. */
	uint32_t want_xdg_output_version;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, "wl_subcompositor") == 0) {
		c->subcompositor = wl_registry_bind(registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, "xdg_wm_base") == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
	} else if (strcmp(interface, "wp_fractional_scale_manager_v1") == 0) {
		c->fractional_scale_manager_version = version;
		c->fractional_scale_manager = wl_registry_bind(registry, name,
			&wp_fractional_scale_manager_v1_interface, 1);
	} else if (strcmp(interface, "wp_presentation") == 0) {
		c->presentation_version = version;
		c->presentation = wl_registry_bind(registry, name, &wp_presentation_interface, 1);
	} else if (strcmp(interface, "wl_output") == 0 && c->output == NULL) {
		c->output_version = version;
		c->output = wl_registry_bind(registry, name, &wl_output_interface,
			version < 4 ? version : 4);
	} else if (strcmp(interface, "zxdg_output_manager_v1") == 0) {
		c->xdg_output_manager_version = version;
		c->xdg_output_manager = wl_registry_bind(registry, name,
			&zxdg_output_manager_v1_interface,
			version < c->want_xdg_output_version ? version : c->want_xdg_output_version);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

/*
 * Connects and binds the globals (zxdg_output_manager_v1 at `xdg_output_version`); the
 * wl_output's events come to the caller's listener.
 */
static void client_connect(struct client *c, uint32_t xdg_output_version)
{
	*c = (struct client){ .want_xdg_output_version = xdg_output_version };
	c->display = wl_display_connect(NESTED_SOCKET);
	assert_non_null(c->display);
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_non_null(c->compositor);
	assert_non_null(c->shm);
	assert_non_null(c->output);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Dispatches events until *flag is set, at most 10 s; false on a disconnect or timeout. */
static bool dispatch_until(struct wl_display *display, const bool *flag)
{
	double end = now_s() + 10.0;
	while (!*flag && now_s() < end) {
		if (wl_display_dispatch_pending(display) < 0 || wl_display_flush(display) < 0) {
			return false;
		}
		if (*flag) {
			break;
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(display), .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0 && wl_display_dispatch(display) < 0) {
			return false;
		}
	}
	return *flag;
}

/* What the wl_output and its xdg_output said, in order. */
struct output_events {
	int mode_w, mode_h;
	int32_t scale;
	char name[64], description[128];
	/* Each event appends its letter: g(eometry) m(ode) s(cale) n(ame) d(escription) D(one). */
	char order[32];
	int dones;
	/* xdg_output: l(ogical position) S(ize) N(ame) E (description) X (xdg done). */
	int32_t logical_x, logical_y, logical_w, logical_h;
	char xdg_name[64];
	bool xdg_description;
	int xdg_dones;
};

static void note(struct output_events *e, char what)
{
	size_t n = strlen(e->order);
	if (n + 1 < sizeof(e->order)) {
		e->order[n] = what;
		e->order[n + 1] = '\0';
	}
}

static void output_geometry(void *data, struct wl_output *output, int32_t x, int32_t y,
	int32_t physical_width, int32_t physical_height, int32_t subpixel, const char *make,
	const char *model, int32_t transform)
{
	note(data, 'g');
}

static void output_mode(void *data, struct wl_output *output, uint32_t flags, int32_t width,
	int32_t height, int32_t refresh)
{
	struct output_events *e = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		e->mode_w = width;
		e->mode_h = height;
	}
	note(e, 'm');
}

static void output_done(void *data, struct wl_output *output)
{
	struct output_events *e = data;
	e->dones++;
	note(e, 'D');
}

static void output_scale(void *data, struct wl_output *output, int32_t factor)
{
	struct output_events *e = data;
	e->scale = factor;
	note(e, 's');
}

static void output_name(void *data, struct wl_output *output, const char *name)
{
	struct output_events *e = data;
	snprintf(e->name, sizeof(e->name), "%s", name);
	note(e, 'n');
}

static void output_description(void *data, struct wl_output *output, const char *description)
{
	struct output_events *e = data;
	snprintf(e->description, sizeof(e->description), "%s", description);
	note(e, 'd');
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
	.name = output_name,
	.description = output_description,
};

static void xdg_output_logical_position(void *data, struct zxdg_output_v1 *xdg_output,
	int32_t x, int32_t y)
{
	struct output_events *e = data;
	e->logical_x = x;
	e->logical_y = y;
	note(e, 'l');
}

static void xdg_output_logical_size(void *data, struct zxdg_output_v1 *xdg_output,
	int32_t width, int32_t height)
{
	struct output_events *e = data;
	e->logical_w = width;
	e->logical_h = height;
	note(e, 'S');
}

static void xdg_output_done(void *data, struct zxdg_output_v1 *xdg_output)
{
	struct output_events *e = data;
	e->xdg_dones++;
	note(e, 'X');
}

static void xdg_output_name(void *data, struct zxdg_output_v1 *xdg_output, const char *name)
{
	struct output_events *e = data;
	snprintf(e->xdg_name, sizeof(e->xdg_name), "%s", name);
	note(e, 'N');
}

static void xdg_output_description(void *data, struct zxdg_output_v1 *xdg_output,
	const char *description)
{
	struct output_events *e = data;
	e->xdg_description = true;
	note(e, 'E');
}

static const struct zxdg_output_v1_listener xdg_output_listener = {
	.logical_position = xdg_output_logical_position,
	.logical_size = xdg_output_logical_size,
	.done = xdg_output_done,
	.name = xdg_output_name,
	.description = xdg_output_description,
};

static void output_and_xdg_output(void **state)
{
	struct client c;
	struct output_events e = {0};
	client_connect(&c, 3);
	assert_int_equal(c.output_version, 4);
	wl_output_add_listener(c.output, &output_listener, &e);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	print_message("wl_output: %s, \"%s\", \"%s\"\n", e.order, e.name, e.description);
	// Everything before one done; name and description come with version 4.
	assert_string_equal(e.order, "gmsndD");
	assert_int_equal(e.dones, 1);
	assert_int_equal(e.mode_w, OUTPUT_W);
	assert_int_equal(e.mode_h, OUTPUT_H);
	assert_int_equal(e.scale, 1);
	assert_string_equal(e.name, output_name_expected);
	assert_true(strlen(e.description) > 0);

	assert_non_null(c.xdg_output_manager);
	assert_int_equal(c.xdg_output_manager_version, 3);
	e.order[0] = '\0';
	struct zxdg_output_v1 *xdg_output = zxdg_output_manager_v1_get_xdg_output(
		c.xdg_output_manager, c.output);
	zxdg_output_v1_add_listener(xdg_output, &xdg_output_listener, &e);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	print_message("xdg_output: %s, %d,%d %dx%d \"%s\"\n", e.order, e.logical_x, e.logical_y,
		e.logical_w, e.logical_h, e.xdg_name);
	// Version 3: no xdg_output.done, the wl_output's done ends the batch.
	assert_int_equal(e.xdg_dones, 0);
	assert_int_equal(e.dones, 2);
	assert_int_equal(e.order[strlen(e.order) - 1], 'D');
	assert_non_null(strchr(e.order, 'l'));
	assert_non_null(strchr(e.order, 'S'));
	assert_int_equal(e.logical_x, 0);
	assert_int_equal(e.logical_y, 0);
	assert_int_equal(e.logical_w, e.mode_w);
	assert_int_equal(e.logical_h, e.mode_h);
	assert_string_equal(e.xdg_name, e.name);
	assert_true(e.xdg_description);
	zxdg_output_v1_destroy(xdg_output);

	// An xdg_output of a wl_output released first stays harmless.
	xdg_output = zxdg_output_manager_v1_get_xdg_output(c.xdg_output_manager, c.output);
	zxdg_output_v1_add_listener(xdg_output, &xdg_output_listener, &e);
	wl_output_release(c.output);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	zxdg_output_v1_destroy(xdg_output);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wl_display_disconnect(c.display);
}

/* An older client (xdg_output version 2) gets its batch ended by xdg_output.done. */
static void xdg_output_version_2(void **state)
{
	struct client c;
	struct output_events e = {0};
	client_connect(&c, 2);
	wl_output_add_listener(c.output, &output_listener, &e);
	struct zxdg_output_v1 *xdg_output = zxdg_output_manager_v1_get_xdg_output(
		c.xdg_output_manager, c.output);
	zxdg_output_v1_add_listener(xdg_output, &xdg_output_listener, &e);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	print_message("xdg_output v2: %s\n", e.order);
	assert_int_equal(e.xdg_dones, 1);
	assert_int_equal(e.order[strlen(e.order) - 1], 'X');
	// The wl_output's done came once, with its own batch at bind.
	assert_int_equal(e.dones, 1);
	assert_int_equal(e.logical_w, OUTPUT_W);
	assert_int_equal(e.logical_h, OUTPUT_H);
	assert_string_equal(e.xdg_name, output_name_expected);
	zxdg_output_v1_destroy(xdg_output);
	wl_display_disconnect(c.display);
}

/* wp_presentation. */
struct clock {
	bool received;
	uint32_t id;
};

static void presentation_clock_id(void *data, struct wp_presentation *presentation,
	uint32_t clock)
{
	struct clock *c = data;
	c->received = true;
	c->id = clock;
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock_id,
};

/* What became of one wp_presentation_feedback. */
struct feedback {
	bool presented, discarded;
	int sync_outputs;
	struct wl_output *sync_output;
	struct timespec when;
	uint32_t refresh, flags;
	uint64_t seq;
	/* Whether it ended (presented or discarded) before another one did. */
	int order;
};

static int feedback_order;

static void feedback_sync_output(void *data, struct wp_presentation_feedback *feedback,
	struct wl_output *output)
{
	struct feedback *f = data;
	f->sync_outputs++;
	f->sync_output = output;
}

static void feedback_presented(void *data, struct wp_presentation_feedback *feedback,
	uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh,
	uint32_t seq_hi, uint32_t seq_lo, uint32_t flags)
{
	struct feedback *f = data;
	f->presented = true;
	f->when.tv_sec = (time_t)((uint64_t)tv_sec_hi << 32 | tv_sec_lo);
	f->when.tv_nsec = tv_nsec;
	f->refresh = refresh;
	f->seq = (uint64_t)seq_hi << 32 | seq_lo;
	f->flags = flags;
	f->order = ++feedback_order;
	wp_presentation_feedback_destroy(feedback);
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	struct feedback *f = data;
	f->discarded = true;
	f->order = ++feedback_order;
	wp_presentation_feedback_destroy(feedback);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

static void feedback_request(struct client *c, struct wl_surface *surface, struct feedback *f)
{
	*f = (struct feedback){0};
	struct wp_presentation_feedback *feedback = wp_presentation_feedback(c->presentation,
		surface);
	wp_presentation_feedback_add_listener(feedback, &feedback_listener, f);
}

/* Dispatches until the feedback ended (presented or discarded), at most 10 s. */
static void feedback_wait(struct client *c, struct feedback *f)
{
	double end = now_s() + 10.0;
	while (!f->presented && !f->discarded && now_s() < end) {
		assert_true(wl_display_dispatch_pending(c->display) >= 0);
		assert_true(wl_display_flush(c->display) >= 0);
		if (f->presented || f->discarded) {
			break;
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(c->display), .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0) {
			assert_true(wl_display_dispatch(c->display) >= 0);
		}
	}
	assert_true(f->presented || f->discarded);
}

static int64_t timespec_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_ping,
};

struct window {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
	uint32_t serial;
};

static void window_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct window *win = data;
	win->configured = true;
	win->serial = serial;
}

static const struct xdg_surface_listener window_listener = {
	.configure = window_configure,
};

static struct wl_buffer *solid_buffer(struct client *c, int w, int h)
{
	int fd = memfd_create("test-wayland-protocols", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, w * h * 4), 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, w * h * 4);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

/* A toplevel, configured and acked; its first buffer comes with the caller's commit. */
static void window_create(struct client *c, struct window *win)
{
	*win = (struct window){0};
	win->surface = wl_compositor_create_surface(c->compositor);
	win->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, win->surface);
	xdg_surface_add_listener(win->xdg_surface, &window_listener, win);
	win->toplevel = xdg_surface_get_toplevel(win->xdg_surface);
	wl_surface_commit(win->surface);
	assert_true(dispatch_until(c->display, &win->configured));
	xdg_surface_ack_configure(win->xdg_surface, win->serial);
}

/* Attaches a new buffer, damaged whole (the buffer is released by the compositor, leaked here). */
static void attach_new(struct client *c, struct wl_surface *surface, int size)
{
	wl_surface_attach(surface, solid_buffer(c, size, size), 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, size, size);
}

static void presentation_connect(struct client *c)
{
	client_connect(c, 3);
	assert_non_null(c->wm_base);
	assert_non_null(c->subcompositor);
	xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, NULL);
	assert_non_null(c->presentation);
	assert_int_equal(c->presentation_version, 1);
}

static void presentation_presented(void **state)
{
	struct client c;
	presentation_connect(&c);
	struct clock clock = {0};
	wp_presentation_add_listener(c.presentation, &presentation_listener, &clock);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_true(clock.received);
	assert_int_equal(clock.id, CLOCK_MONOTONIC);

	struct window win;
	window_create(&c, &win);
	struct feedback f;
	struct timespec commit_time, now;
	clock_gettime(CLOCK_MONOTONIC, &commit_time);
	feedback_request(&c, win.surface, &f);
	attach_new(&c, win.surface, 32);
	wl_surface_commit(win.surface);
	feedback_wait(&c, &f);
	clock_gettime(CLOCK_MONOTONIC, &now);
	print_message("presented %.3f ms after the commit, refresh %u, seq %llu, flags 0x%x\n",
		(double)(timespec_ns(&f.when) - timespec_ns(&commit_time)) / 1e6, f.refresh,
		(unsigned long long)f.seq, f.flags);
	assert_true(f.presented);
	assert_false(f.discarded);
	// One sync_output, for our one wl_output, before presented.
	assert_int_equal(f.sync_outputs, 1);
	assert_ptr_equal(f.sync_output, c.output);
	assert_true(timespec_ns(&f.when) >= timespec_ns(&commit_time));
	assert_true(timespec_ns(&f.when) <= timespec_ns(&now));
	assert_true(f.when.tv_nsec >= 0 && f.when.tv_nsec < 1000000000);

	// A commit without damage or a buffer still has content on screen: presented.
	clock_gettime(CLOCK_MONOTONIC, &commit_time);
	feedback_request(&c, win.surface, &f);
	wl_surface_commit(win.surface);
	feedback_wait(&c, &f);
	clock_gettime(CLOCK_MONOTONIC, &now);
	assert_true(f.presented);
	assert_true(timespec_ns(&f.when) >= timespec_ns(&commit_time));
	assert_true(timespec_ns(&f.when) <= timespec_ns(&now));
	wl_display_disconnect(c.display);
}

/*
 * Two commits in one flush: mosaic-nested handles both before its frame
 * timer can fire, so no frame shows the first one. It is discarded, the
 * second presented.
 */
static void presentation_superseded(void **state)
{
	struct client c;
	presentation_connect(&c);
	struct window win;
	window_create(&c, &win);
	attach_new(&c, win.surface, 32);
	wl_surface_commit(win.surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);

	struct feedback first, second;
	feedback_request(&c, win.surface, &first);
	attach_new(&c, win.surface, 24);
	wl_surface_commit(win.surface);
	feedback_request(&c, win.surface, &second);
	attach_new(&c, win.surface, 40);
	wl_surface_commit(win.surface);
	feedback_wait(&c, &second);
	feedback_wait(&c, &first);
	assert_true(first.discarded);
	assert_false(first.presented);
	assert_true(second.presented);
	assert_false(second.discarded);
	assert_true(first.order < second.order);

	// A surface destroyed right after its commit: never shown, discarded.
	struct feedback gone;
	feedback_request(&c, win.surface, &gone);
	attach_new(&c, win.surface, 16);
	wl_surface_commit(win.surface);
	xdg_toplevel_destroy(win.toplevel);
	xdg_surface_destroy(win.xdg_surface);
	wl_surface_destroy(win.surface);
	feedback_wait(&c, &gone);
	assert_true(gone.discarded);
	assert_false(gone.presented);
	wl_display_disconnect(c.display);
}

/*
 * A synchronized subsurface's commits wait in its cache: a feedback of one
 * superseded there is discarded; that of the last one is presented once the
 * parent's commit shows it.
 */
static void presentation_subsurface_cache(void **state)
{
	struct client c;
	presentation_connect(&c);
	struct window win;
	window_create(&c, &win);
	attach_new(&c, win.surface, 32);
	wl_surface_commit(win.surface);
	struct wl_surface *child = wl_compositor_create_surface(c.compositor);
	struct wl_subsurface *sub = wl_subcompositor_get_subsurface(c.subcompositor, child,
		win.surface);
	wl_subsurface_set_position(sub, 4, 4);
	assert_true(wl_display_roundtrip(c.display) >= 0);

	struct feedback cached, last;
	feedback_request(&c, child, &cached);
	attach_new(&c, child, 8);
	wl_surface_commit(child);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_false(cached.presented || cached.discarded);
	feedback_request(&c, child, &last);
	attach_new(&c, child, 12);
	wl_surface_commit(child);
	feedback_wait(&c, &cached);
	assert_true(cached.discarded);
	// Not before the parent's commit: the content is still in the cache.
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_false(last.presented || last.discarded);
	wl_surface_commit(win.surface);
	feedback_wait(&c, &last);
	assert_true(last.presented);
	wl_display_disconnect(c.display);
}

/*
 * A client that goes with feedback pending everywhere (a surface's pending
 * and current state, a subsurface's cache, a frame in flight): mosaic-nested
 * forgets them, and presents the next client's frames.
 */
static void presentation_client_gone(void **state)
{
	struct client c;
	presentation_connect(&c);
	struct window win;
	window_create(&c, &win);
	attach_new(&c, win.surface, 32);
	wl_surface_commit(win.surface);
	struct wl_surface *child = wl_compositor_create_surface(c.compositor);
	wl_subcompositor_get_subsurface(c.subcompositor, child, win.surface);
	struct wl_surface *bare = wl_compositor_create_surface(c.compositor);
	struct feedback f[4];
	feedback_request(&c, win.surface, &f[0]);
	attach_new(&c, win.surface, 24);
	wl_surface_commit(win.surface);
	feedback_request(&c, child, &f[1]);
	attach_new(&c, child, 8);
	wl_surface_commit(child);
	feedback_request(&c, bare, &f[2]);
	wl_surface_commit(bare);
	feedback_request(&c, bare, &f[3]);
	assert_true(wl_display_flush(c.display) >= 0);
	wl_display_disconnect(c.display);

	presentation_connect(&c);
	window_create(&c, &win);
	struct feedback next;
	feedback_request(&c, win.surface, &next);
	attach_new(&c, win.surface, 32);
	wl_surface_commit(win.surface);
	feedback_wait(&c, &next);
	assert_true(next.presented);
	wl_display_disconnect(c.display);
}

/* wp_fractional_scale_v1. */
static void fractional_preferred_scale(void *data, struct wp_fractional_scale_v1 *scale,
	uint32_t value)
{
	*(uint32_t *)data = value;
}

static const struct wp_fractional_scale_v1_listener fractional_listener = {
	.preferred_scale = fractional_preferred_scale,
};

/* The client must be disconnected with `code` on an object of `interface`. */
static void expect_error(struct client *c, const struct wl_interface *interface,
	uint32_t code)
{
	assert_true(wl_display_roundtrip(c->display) < 0);
	assert_int_equal(wl_display_get_error(c->display), EPROTO);
	const struct wl_interface *got = NULL;
	uint32_t id;
	uint32_t got_code = wl_display_get_protocol_error(c->display, &got, &id);
	assert_non_null(got);
	print_message("error %u on %s@%u\n", got_code, got->name, id);
	assert_string_equal(got->name, interface->name);
	assert_int_equal(got_code, code);
	wl_display_disconnect(c->display);
}

static void fractional_scale(void **state)
{
	struct client c;
	client_connect(&c, 3);
	assert_non_null(c.fractional_scale_manager);
	assert_int_equal(c.fractional_scale_manager_version, 1);
	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	uint32_t scale = 0;
	struct wp_fractional_scale_v1 *fractional =
		wp_fractional_scale_manager_v1_get_fractional_scale(
		c.fractional_scale_manager, surface);
	wp_fractional_scale_v1_add_listener(fractional, &fractional_listener, &scale);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_int_equal(scale, 120);

	// Destroyed, it makes room for another one, told the scale again.
	wp_fractional_scale_v1_destroy(fractional);
	scale = 0;
	fractional = wp_fractional_scale_manager_v1_get_fractional_scale(
		c.fractional_scale_manager, surface);
	wp_fractional_scale_v1_add_listener(fractional, &fractional_listener, &scale);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_int_equal(scale, 120);

	// An object whose surface went stays harmless.
	wl_surface_destroy(surface);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	wp_fractional_scale_v1_destroy(fractional);
	assert_true(wl_display_roundtrip(c.display) >= 0);

	// A second object for one surface is an error.
	surface = wl_compositor_create_surface(c.compositor);
	wp_fractional_scale_manager_v1_get_fractional_scale(c.fractional_scale_manager, surface);
	wp_fractional_scale_manager_v1_get_fractional_scale(c.fractional_scale_manager, surface);
	expect_error(&c, &wp_fractional_scale_manager_v1_interface,
		WP_FRACTIONAL_SCALE_MANAGER_V1_ERROR_FRACTIONAL_SCALE_EXISTS);

	// mosaic-nested goes on: the next client is told its scale.
	client_connect(&c, 3);
	surface = wl_compositor_create_surface(c.compositor);
	scale = 0;
	fractional = wp_fractional_scale_manager_v1_get_fractional_scale(
		c.fractional_scale_manager, surface);
	wp_fractional_scale_v1_add_listener(fractional, &fractional_listener, &scale);
	assert_true(wl_display_roundtrip(c.display) >= 0);
	assert_int_equal(scale, 120);
	wl_display_disconnect(c.display);
}

/*
 * Starts `nested_path` as a window of the headless one serving PARENT_SOCKET,
 * serving NESTED_SOCKET itself in the same XDG_RUNTIME_DIR; waits for the
 * socket (at most 10 s).
 */
static pid_t start_in_parent(const struct headless_nested *parent, const char *nested_path)
{
	pid_t pid = fork();
	if (pid == 0) {
		setenv("WAYLAND_DISPLAY", PARENT_SOCKET, 1);
		execl(nested_path, nested_path, "--renderer", "pixman", "--size", "320x240",
			"--socket", NESTED_SOCKET, (char *)NULL);
		_exit(127);
	}
	char socket_path[160];
	snprintf(socket_path, sizeof(socket_path), "%s/%s", parent->dir, NESTED_SOCKET);
	for (int i = 0; i < 1000 && access(socket_path, F_OK) != 0; i++) {
		usleep(10000);
	}
	return pid;
}

/* Stops it (SIGTERM); 1 with a line unless it exited cleanly. */
static int stop_in_parent(pid_t pid)
{
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "the mosaic-nested in a parent did not exit cleanly (status 0x%x)\n",
			status);
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	bool in_parent = argc > 2 && strcmp(argv[2], "--nested") == 0;
	struct headless_nested nested;
	if (!headless_nested_start(&nested, argv[1], "mosaic-protocols",
			in_parent ? PARENT_SOCKET : NESTED_SOCKET)) {
		return 1;
	}
	pid_t inner = 0;
	if (in_parent) {
		output_name_expected = "WL-1";
		inner = start_in_parent(&nested, argv[1]);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(output_and_xdg_output),
		cmocka_unit_test(xdg_output_version_2),
		cmocka_unit_test(presentation_presented),
		cmocka_unit_test(presentation_superseded),
		cmocka_unit_test(presentation_subsurface_cache),
		cmocka_unit_test(presentation_client_gone),
		cmocka_unit_test(fractional_scale),
	};
	int failed = cmocka_run_group_tests_name(in_parent ? "wayland-protocols-nested" :
		"wayland-protocols", tests, NULL, NULL);
	if (inner > 0) {
		failed += stop_in_parent(inner);
	}
	failed += headless_nested_stop(&nested);
	return failed;
}
