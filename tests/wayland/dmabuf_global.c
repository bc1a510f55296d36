/*
 * test-wayland-dmabuf-global: what clients still hold when the compositor
 * destroys the linux-dmabuf global (and then the renderer). Server and client
 * run in this process over a socketpair; every wait pumps both ends.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <wayland-client.h>
#include <wayland-server.h>

#include <mosaic/mosaic.h>

#include "linux-dmabuf-unstable-v1-client-protocol.h"

struct harness {
	struct wl_display *server;
	struct wl_event_loop *loop;
	struct mosaic_renderer *renderer;
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf;
	struct wl_display *client;
	struct zwp_linux_dmabuf_v1 *dmabuf;
};

static void done(void *data, struct wl_callback *callback, uint32_t serial)
{
	*(bool *)data = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener sync_listener = { .done = done };

/* One client roundtrip, the server dispatched in between. False once the client is dead. */
static bool roundtrip(struct harness *h)
{
	bool synced = false;
	struct wl_callback *callback = wl_display_sync(h->client);
	wl_callback_add_listener(callback, &sync_listener, &synced);
	for (int i = 0; i < 1000 && !synced; i++) {
		if (wl_display_flush(h->client) < 0 && wl_display_get_error(h->client) != 0) {
			return false;
		}
		wl_event_loop_dispatch(h->loop, 0);
		wl_display_flush_clients(h->server);
		if (wl_display_prepare_read(h->client) == 0) {
			struct pollfd pfd = { .fd = wl_display_get_fd(h->client), .events = POLLIN };
			if (poll(&pfd, 1, 10) > 0) {
				wl_display_read_events(h->client);
			} else {
				wl_display_cancel_read(h->client);
			}
		}
		if (wl_display_dispatch_pending(h->client) < 0) {
			return false;
		}
	}
	assert_true(synced);
	return true;
}

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct harness *h = data;
	if (strcmp(interface, "zwp_linux_dmabuf_v1") == 0) {
		h->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 4);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->server = wl_display_create();
	assert_non_null(h->server);
	h->loop = wl_display_get_event_loop(h->server);
	// The feedback names a DRM device; any fd will do for pixman here.
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(null_fd >= 0);
	h->renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
		.drm_fd = null_fd,
	});
	close(null_fd);
	assert_non_null(h->renderer);
	h->linux_dmabuf = mosaic_linux_dmabuf_v1_create(h->server, h->renderer);
	assert_non_null(h->linux_dmabuf);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_non_null(wl_client_create(h->server, sv[0]));
	h->client = wl_display_connect_to_fd(sv[1]);
	assert_non_null(h->client);
	struct wl_registry *registry = wl_display_get_registry(h->client);
	wl_registry_add_listener(registry, &registry_listener, h);
	assert_true(roundtrip(h));
	wl_registry_destroy(registry);
	assert_non_null(h->dmabuf);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	wl_display_disconnect(h->client);
	wl_display_destroy_clients(h->server);
	mosaic_linux_dmabuf_v1_destroy(h->linux_dmabuf);
	mosaic_renderer_destroy(h->renderer);
	wl_display_destroy(h->server);
	free(h);
	return 0;
}

/* Params with one plane of a 64x64 XRGB8888 linear buffer (a memfd: never importable). */
static struct zwp_linux_buffer_params_v1 *params_one_plane(struct harness *h)
{
	int fd = memfd_create("test-wayland-dmabuf-global", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 * 64 * 4), 0);
	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(h->dmabuf);
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, 64 * 4, 0, 0);
	close(fd);
	return params;
}

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params,
	struct wl_buffer *buffer)
{
	*(int *)data = 1;
	wl_buffer_destroy(buffer);
}

static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	*(int *)data = -1;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_created,
	.failed = params_failed,
};

struct feedback_events {
	int format_tables;
	int dones;
};

static void fb_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	((struct feedback_events *)data)->dones++;
}

static void fb_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, int32_t fd,
	uint32_t size)
{
	((struct feedback_events *)data)->format_tables++;
	close(fd);
}

static void fb_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
	struct wl_array *device)
{
}

static void fb_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
}

static void fb_tranche_target_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
	struct wl_array *device)
{
}

static void fb_tranche_formats(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
	struct wl_array *indices)
{
}

static void fb_tranche_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
	uint32_t flags)
{
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
	.done = fb_done,
	.format_table = fb_format_table,
	.main_device = fb_main_device,
	.tranche_done = fb_tranche_done,
	.tranche_target_device = fb_tranche_target_device,
	.tranche_formats = fb_tranche_formats,
	.tranche_flags = fb_tranche_flags,
};

static struct feedback_events default_feedback(struct harness *h)
{
	struct feedback_events events = {0};
	struct zwp_linux_dmabuf_feedback_v1 *fb =
		zwp_linux_dmabuf_v1_get_default_feedback(h->dmabuf);
	zwp_linux_dmabuf_feedback_v1_add_listener(fb, &feedback_listener, &events);
	assert_true(roundtrip(h));
	zwp_linux_dmabuf_feedback_v1_destroy(fb);
	return events;
}

/*
 * Params made before the global goes, params made after on the old manager,
 * and feedback asked for after: each fails cleanly or is empty, and nothing
 * reaches the freed global or the renderer destroyed after it.
 */
static void objects_outlive_global(void **state)
{
	struct harness *h = *state;
	struct feedback_events before = default_feedback(h);
	assert_int_equal(before.format_tables, 1);
	assert_int_equal(before.dones, 1);

	struct zwp_linux_buffer_params_v1 *early = params_one_plane(h);
	int early_result = 0;
	zwp_linux_buffer_params_v1_add_listener(early, &params_listener, &early_result);
	assert_true(roundtrip(h));

	mosaic_linux_dmabuf_v1_destroy(h->linux_dmabuf);
	h->linux_dmabuf = NULL;
	mosaic_renderer_destroy(h->renderer);
	h->renderer = NULL;

	zwp_linux_buffer_params_v1_create(early, 64, 64, DRM_FORMAT_XRGB8888, 0);
	struct zwp_linux_buffer_params_v1 *late = params_one_plane(h);
	int late_result = 0;
	zwp_linux_buffer_params_v1_add_listener(late, &params_listener, &late_result);
	zwp_linux_buffer_params_v1_create(late, 64, 64, DRM_FORMAT_XRGB8888, 0);
	assert_true(roundtrip(h));
	assert_int_equal(early_result, -1);
	assert_int_equal(late_result, -1);

	struct feedback_events after = default_feedback(h);
	assert_int_equal(after.format_tables, 0);
	assert_int_equal(after.dones, 1);
	assert_int_equal(wl_display_get_error(h->client), 0);

	// create_immed has no `failed`: the client gets INVALID_WL_BUFFER.
	struct zwp_linux_buffer_params_v1 *immed = params_one_plane(h);
	zwp_linux_buffer_params_v1_create_immed(immed, 64, 64, DRM_FORMAT_XRGB8888, 0);
	assert_false(roundtrip(h));
	const struct wl_interface *interface = NULL;
	uint32_t id;
	assert_int_equal(wl_display_get_protocol_error(h->client, &interface, &id),
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER);
	assert_non_null(interface);
	assert_string_equal(interface->name, "zwp_linux_buffer_params_v1");
	zwp_linux_buffer_params_v1_destroy(early);
	zwp_linux_buffer_params_v1_destroy(late);
	zwp_linux_buffer_params_v1_destroy(immed);
	zwp_linux_dmabuf_v1_destroy(h->dmabuf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(objects_outlive_global, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
