/*
 * test-wayland-protocols: a raw Wayland client checks, against a headless
 * mosaic-nested (320x240), the protocols that tell clients about the output
 * and about their frames:
 *
 *   - wl_output version 4: geometry, mode, scale, name and description, then
 *     done; zxdg_output_manager_v1 version 3: logical position 0,0 and a
 *     logical size equal to the mode (scale 1), its name and description,
 *     ended by wl_output.done (xdg_output.done is deprecated from version 3).
 *
 * Usage: test-wayland-protocols PATH/TO/mosaic-nested
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
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <wayland-client.h>

#include "headless.h"
#include "xdg-output-unstable-v1-client-protocol.h"

#define NESTED_SOCKET "mosaic-protocols"
/* The size headless.c starts mosaic-nested with. */
#define OUTPUT_W 320
#define OUTPUT_H 240

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
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
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
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
	assert_string_equal(e.name, "HEADLESS-1");
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
	assert_string_equal(e.xdg_name, "HEADLESS-1");
	zxdg_output_v1_destroy(xdg_output);
	wl_display_disconnect(c.display);
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	struct headless_nested nested;
	if (!headless_nested_start(&nested, argv[1], "mosaic-protocols", NESTED_SOCKET)) {
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(output_and_xdg_output),
		cmocka_unit_test(xdg_output_version_2),
	};
	int failed = cmocka_run_group_tests_name("wayland-protocols", tests, NULL, NULL);
	failed += headless_nested_stop(&nested);
	return failed;
}
