/*
 * wl_output and zxdg_output_manager_v1: what clients learn about our one
 * output.
 *
 * wl_output (version 4) says the output's size as its one mode, its scale,
 * its make and model, and (from version 4 on) a name and a description.
 * xdg-output (version 3) adds the output's place and size in the global
 * compositor space, in logical pixels: toolkits size fullscreen and
 * layer-shell surfaces with it. This compositor has one output at 0,0 and
 * scale COMPOSITOR_OUTPUT_SCALE, so the logical size is the mode divided by
 * the scale.
 *
 * Every batch of properties ends with wl_output.done. Before version 3 an
 * xdg_output ended its own batch with xdg_output.done; from version 3 on
 * that event is deprecated and the wl_output's done closes both.
 */
#include <stdio.h>
#include <stdlib.h>

#include <wayland-server-protocol.h>

#include "compositor.h"
#include "xdg-output-unstable-v1-protocol.h"

static const char *output_make(struct server *server)
{
	return server->output_make != NULL ? server->output_make : "mosaic";
}

static const char *output_model(struct server *server)
{
	return server->output_model != NULL ? server->output_model : "mosaic";
}

static const char *output_name(struct server *server)
{
	return server->output_name != NULL ? server->output_name : "MOSAIC-1";
}

/* "mosaic nested 1024x768": what a settings panel would show. */
static void output_description(struct server *server, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s %dx%d", output_make(server), output_model(server),
		server->width, server->height);
}

static void unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

/* The xdg_output's wl_output, or NULL once the wl_output is gone (the xdg_output is inert). */
static struct wl_resource *xdg_output_wl_output(struct wl_resource *xdg_output)
{
	return wl_resource_get_user_data(xdg_output);
}

/* The xdg_output's properties that change with the output's size. */
static void xdg_output_send_size(struct server *server, struct wl_resource *xdg_output)
{
	zxdg_output_v1_send_logical_size(xdg_output, server->width / COMPOSITOR_OUTPUT_SCALE,
		server->height / COMPOSITOR_OUTPUT_SCALE);
	if (wl_resource_get_version(xdg_output) >= ZXDG_OUTPUT_V1_DESCRIPTION_SINCE_VERSION) {
		char description[128];
		output_description(server, description, sizeof(description));
		zxdg_output_v1_send_description(xdg_output, description);
	}
}

/* Ends a batch of properties of `wl_output` and of its xdg_outputs. */
static void output_send_done(struct server *server, struct wl_resource *wl_output)
{
	struct wl_resource *xdg_output;
	wl_resource_for_each(xdg_output, &server->xdg_outputs) {
		if (xdg_output_wl_output(xdg_output) == wl_output &&
				wl_resource_get_version(xdg_output) < 3) {
			zxdg_output_v1_send_done(xdg_output);
		}
	}
	if (wl_resource_get_version(wl_output) >= WL_OUTPUT_DONE_SINCE_VERSION) {
		wl_output_send_done(wl_output);
	}
}

static void output_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_output_interface wl_output_impl = {
	.release = output_release,
};

static void output_handle_resource_destroy(struct wl_resource *resource)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct wl_resource *xdg_output;
	wl_resource_for_each(xdg_output, &server->xdg_outputs) {
		if (xdg_output_wl_output(xdg_output) == resource) {
			wl_resource_set_user_data(xdg_output, NULL);
		}
	}
	unlink_resource(resource);
}

static void output_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct server *server = data;
	struct wl_resource *resource = wl_resource_create(client, &wl_output_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &wl_output_impl, server,
		output_handle_resource_destroy);
	wl_list_insert(&server->outputs, wl_resource_get_link(resource));
	wl_output_send_geometry(resource, 0, 0, 0, 0, WL_OUTPUT_SUBPIXEL_UNKNOWN,
		output_make(server), output_model(server), WL_OUTPUT_TRANSFORM_NORMAL);
	wl_output_send_mode(resource, WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED,
		server->width, server->height, 60000);
	if (version >= WL_OUTPUT_SCALE_SINCE_VERSION) {
		wl_output_send_scale(resource, COMPOSITOR_OUTPUT_SCALE);
	}
	if (version >= WL_OUTPUT_NAME_SINCE_VERSION) {
		// The name never changes for the life of the global; the
		// description may (it names the size).
		char description[128];
		output_description(server, description, sizeof(description));
		wl_output_send_name(resource, output_name(server));
		wl_output_send_description(resource, description);
	}
	output_send_done(server, resource);
}

/* zxdg_output_v1 and its manager. */
static void xdg_output_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zxdg_output_v1_interface xdg_output_impl = {
	.destroy = xdg_output_destroy,
};

static void xdg_output_manager_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void xdg_output_manager_get_xdg_output(struct wl_client *client,
	struct wl_resource *resource, uint32_t id, struct wl_resource *wl_output)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct wl_resource *xdg_output = wl_resource_create(client, &zxdg_output_v1_interface,
		wl_resource_get_version(resource), id);
	if (xdg_output == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(xdg_output, &xdg_output_impl, wl_output,
		unlink_resource);
	wl_list_insert(&server->xdg_outputs, wl_resource_get_link(xdg_output));
	// One output, at the origin of the compositor space.
	zxdg_output_v1_send_logical_position(xdg_output, 0, 0);
	if (wl_resource_get_version(xdg_output) >= ZXDG_OUTPUT_V1_NAME_SINCE_VERSION) {
		zxdg_output_v1_send_name(xdg_output, output_name(server));
	}
	xdg_output_send_size(server, xdg_output);
	// The batch ends with xdg_output.done before version 3, with the
	// wl_output's done from version 3 on.
	if (wl_resource_get_version(xdg_output) < 3) {
		zxdg_output_v1_send_done(xdg_output);
	} else if (wl_resource_get_version(wl_output) >= WL_OUTPUT_DONE_SINCE_VERSION) {
		wl_output_send_done(wl_output);
	}
}

static const struct zxdg_output_manager_v1_interface xdg_output_manager_impl = {
	.destroy = xdg_output_manager_destroy,
	.get_xdg_output = xdg_output_manager_get_xdg_output,
};

static void xdg_output_manager_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client,
		&zxdg_output_manager_v1_interface, (int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &xdg_output_manager_impl, data, NULL);
}

void output_send_mode(struct server *server)
{
	struct wl_resource *resource, *xdg_output;
	wl_resource_for_each(resource, &server->outputs) {
		wl_output_send_mode(resource, WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED,
			server->width, server->height, 60000);
		if (wl_resource_get_version(resource) >= WL_OUTPUT_DESCRIPTION_SINCE_VERSION) {
			char description[128];
			output_description(server, description, sizeof(description));
			wl_output_send_description(resource, description);
		}
		wl_resource_for_each(xdg_output, &server->xdg_outputs) {
			if (xdg_output_wl_output(xdg_output) == resource) {
				xdg_output_send_size(server, xdg_output);
			}
		}
		output_send_done(server, resource);
	}
}

bool output_init_globals(struct server *server)
{
	wl_list_init(&server->outputs);
	wl_list_init(&server->xdg_outputs);
	return wl_global_create(server->display, &wl_output_interface, 4, server,
			output_bind) != NULL &&
		wl_global_create(server->display, &zxdg_output_manager_v1_interface, 3, server,
			xdg_output_manager_bind) != NULL;
}
