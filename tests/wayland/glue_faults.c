/*
 * test-wayland-glue-faults: every allocation that libmosaic makes along a
 * scripted linux-dmabuf session fails in turn (../common/alloc_fail.c).
 * The session: the zwp_linux_dmabuf_v1 global is created, a client binds it,
 * asks for the default feedback, makes one wl_buffer with create, and with
 * create_immed a second one, commits both in turn to a surface whose
 * commits go through mosaic_surface_texture_commit() (GLES), destroys a
 * buffer the cache still holds, unmaps, and disconnects; then the global
 * goes. The buffers are udmabufs where /dev/udmabuf exists (the DRM test
 * VM); elsewhere memfds, which are no dmabufs: then the session is the
 * import-failure one (a `failed` event, no buffer, no commit of one).
 *
 * Server and client live in this process on a socketpair, one thread: the
 * interposer sees every allocation of the library in order. For each run:
 * no crash; a public call that fails logs exactly one ERROR line; a failure
 * reaches the client as a protocol error (no_memory) or a `failed` event, or
 * shows as a failed call, never as nothing at all with another outcome; the
 * run leaves no allocation of libmosaic and no fd behind.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/udmabuf.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <wayland-client.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <mosaic/interface.h>
#include <mosaic/mosaic.h>
#include <mosaic/wayland.h>

#include "alloc_fail.h"
#include "glue_compositor.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"

#if defined(__SANITIZE_ADDRESS__)
int main(void)
{
	printf("built with AddressSanitizer: allocations are not interposed\n");
	return 77;
}
#else

/* What one run saw. */
struct run {
	int failed_calls, bad_logs;
	char first_bad[320];
	int commits_ok, buffers_made, feedback_done;
	bool client_error, got_failed;
};

static struct run *current;
static struct mosaic_renderer *renderer;

static bool checked(bool ok, int before, const char *what)
{
	int lines = fault_log.errors - before;
	if (!ok) {
		current->failed_calls++;
	}
	if ((!ok && lines != 1) || (ok && lines != 0)) {
		if (current->bad_logs++ == 0) {
			snprintf(current->first_bad, sizeof(current->first_bad),
				"%s %s with %d ERROR lines (last: %s)", what, ok ? "worked" : "failed",
				lines, fault_log.last);
		}
	}
	return ok;
}

/* ---- the server: a wl_compositor whose commits feed a surface texture ---- */

static struct mosaic_surface_texture *create_texture(void *data)
{
	int before = fault_log.errors;
	struct mosaic_surface_texture *texture = mosaic_surface_texture_create(renderer);
	checked(texture != NULL, before, "surface_texture_create");
	return texture;
}

static void commit(struct mosaic_surface_texture *texture, struct wl_resource *buffer,
	pixman_region32_t *damage, void *data)
{
	int before = fault_log.errors;
	bool ok = mosaic_surface_texture_commit(texture, buffer, damage);
	if (checked(ok, before, "surface_texture_commit") && buffer != NULL) {
		current->commits_ok++;
	}
}

static const struct glue_compositor compositor = {
	.create_texture = create_texture,
	.commit = commit,
};

/* ---- the client ---- */

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct zwp_linux_dmabuf_v1 *dmabuf;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0) {
		c->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 4);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static void fb_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	current->feedback_done++;
}

static void fb_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, int32_t fd,
	uint32_t size)
{
	close(fd);
}

static void fb_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
	struct wl_array *device)
{
}

static void fb_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
}

static void fb_formats(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
	struct wl_array *indices)
{
}

static void fb_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, uint32_t flags)
{
}

static const struct zwp_linux_dmabuf_feedback_v1_listener fb_listener = {
	.done = fb_done,
	.format_table = fb_table,
	.main_device = fb_device,
	.tranche_done = fb_tranche_done,
	.tranche_target_device = fb_device,
	.tranche_formats = fb_formats,
	.tranche_flags = fb_flags,
};

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params,
	struct wl_buffer *buffer)
{
	*(struct wl_buffer **)data = buffer;
}

static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	current->got_failed = true;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_created,
	.failed = params_failed,
};

static void sync_done(void *data, struct wl_callback *cb, uint32_t serial)
{
	*(bool *)data = true;
}

static const struct wl_callback_listener sync_listener = { .done = sync_done };

static struct wl_display *server;

/* Both ends, until the client's sync comes back; false when the client was cut off. */
static bool roundtrip(struct client *c)
{
	bool done = false;
	struct wl_callback *cb = wl_display_sync(c->display);
	wl_callback_add_listener(cb, &sync_listener, &done);
	for (int i = 0; i < 100 && !done && wl_display_get_error(c->display) == 0; i++) {
		wl_display_flush(c->display);
		wl_event_loop_dispatch(wl_display_get_event_loop(server), 0);
		wl_display_flush_clients(server);
		while (wl_display_prepare_read(c->display) != 0) {
			wl_display_dispatch_pending(c->display);
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(c->display), .events = POLLIN };
		if (poll(&pfd, 1, 0) > 0) {
			wl_display_read_events(c->display);
		} else {
			wl_display_cancel_read(c->display);
		}
		wl_display_dispatch_pending(c->display);
	}
	if (!done) {
		wl_callback_destroy(cb);
	}
	if (wl_display_get_error(c->display) != 0) {
		current->client_error = true;
	}
	return done;
}

static int udmabuf_dev = -1;

/* A udmabuf of `size` bytes (a memfd without /dev/udmabuf), with a pattern. */
static int buffer_fd(size_t size)
{
	int fd = memfd_create("test-glue-faults", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	uint32_t *px = mmap(NULL, size, PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(px != MAP_FAILED);
	for (size_t i = 0; i < size / 4; i++) {
		px[i] = 0xff000000 | (uint32_t)i * 2654435761u;
	}
	munmap(px, size);
	if (udmabuf_dev < 0) {
		return fd;
	}
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	struct udmabuf_create create = {
		.memfd = (uint32_t)fd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size,
	};
	int dmabuf = ioctl(udmabuf_dev, UDMABUF_CREATE, &create);
	assert_true(dmabuf >= 0);
	close(fd);
	return dmabuf;
}

static struct zwp_linux_buffer_params_v1 *params_for(struct client *c)
{
	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(c->dmabuf);
	int fd = buffer_fd(32 * 32 * 4);
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, 32 * 4,
		(uint32_t)(DRM_FORMAT_MOD_LINEAR >> 32), (uint32_t)DRM_FORMAT_MOD_LINEAR);
	close(fd);
	return params;
}

/* ---- the session ---- */

static void client_session(struct client *c)
{
	struct zwp_linux_dmabuf_feedback_v1 *fb =
		zwp_linux_dmabuf_v1_get_default_feedback(c->dmabuf);
	zwp_linux_dmabuf_feedback_v1_add_listener(fb, &fb_listener, NULL);
	struct wl_buffer *a = NULL, *b = NULL;
	struct zwp_linux_buffer_params_v1 *params = params_for(c);
	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &b);
	zwp_linux_buffer_params_v1_create(params, 32, 32, DRM_FORMAT_ARGB8888, 0);
	if (!roundtrip(c)) {
		goto out;
	}
	zwp_linux_buffer_params_v1_destroy(params);
	params = NULL;
	if (b == NULL) {
		// Not importable (memfds): create_immed would cut the client off.
		goto out;
	}
	params = params_for(c);
	a = zwp_linux_buffer_params_v1_create_immed(params, 32, 32, DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	params = NULL;
	if (!roundtrip(c)) {
		goto out;
	}
	current->buffers_made = 2;

	struct wl_surface *surface = wl_compositor_create_surface(c->compositor);
	wl_surface_attach(surface, a, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, 32, 32);
	wl_surface_commit(surface);
	wl_surface_attach(surface, b, 0, 0);
	wl_surface_damage_buffer(surface, 4, 4, 10, 10);
	wl_surface_commit(surface);
	// Destroyed while the cache may still hold it.
	wl_buffer_destroy(b);
	b = NULL;
	wl_surface_attach(surface, a, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, 8, 8);
	wl_surface_commit(surface);
	roundtrip(c);
	wl_surface_attach(surface, NULL, 0, 0);
	wl_surface_commit(surface);
	wl_surface_destroy(surface);
	roundtrip(c);
out:
	if (params != NULL) {
		zwp_linux_buffer_params_v1_destroy(params);
	}
	if (b != NULL) {
		wl_buffer_destroy(b);
	}
	if (a != NULL) {
		wl_buffer_destroy(a);
	}
	zwp_linux_dmabuf_feedback_v1_destroy(fb);
}

static void run_session(struct run *run)
{
	memset(run, 0, sizeof(*run));
	current = run;
	fault_alloc.calls = 0;
	fault_alloc.injected = false;
	fault_alloc.armed = true;
	server = wl_display_create();
	assert_non_null(server);
	int before = fault_log.errors;
	struct mosaic_linux_dmabuf_v1 *dmabuf = mosaic_linux_dmabuf_v1_create(server, renderer);
	checked(dmabuf != NULL, before, "linux_dmabuf_v1_create");
	assert_non_null(glue_compositor_create(server, &compositor));
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	struct wl_client *wc = wl_client_create(server, fds[0]);
	assert_non_null(wc);
	struct client c = { .display = wl_display_connect_to_fd(fds[1]) };
	assert_non_null(c.display);
	struct wl_registry *registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	roundtrip(&c);
	if (c.dmabuf != NULL && c.compositor != NULL) {
		client_session(&c);
	}
	if (c.dmabuf != NULL) {
		zwp_linux_dmabuf_v1_destroy(c.dmabuf);
	}
	if (c.compositor != NULL) {
		wl_compositor_destroy(c.compositor);
	}
	wl_registry_destroy(registry);
	wl_display_disconnect(c.display);
	wl_display_destroy_clients(server);
	mosaic_linux_dmabuf_v1_destroy(dmabuf);
	wl_display_destroy(server);
	server = NULL;
	fault_alloc.armed = false;
}

static struct run clean;

static int setup(void **state)
{
	fault_log.verbose = getenv("MOSAIC_DEBUG") != NULL;
	mosaic_log_init(MOSAIC_LOG_INFO, fault_log_handler, NULL);
	if (!fault_alloc_init()) {
		fprintf(stderr, "libmosaic is not a shared object of this process\n");
		return -1;
	}
	renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
	});
	if (renderer == NULL) {
		printf("no GLES renderer here\n");
		exit(77);
	}
	glue_renderer_announce_dmabuf(renderer);
	udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	run_session(&clean);
	bool real = udmabuf_dev >= 0;
	if (clean.failed_calls != 0 || clean.bad_logs != 0 || clean.client_error ||
			clean.got_failed == real || clean.feedback_done != 1 ||
			clean.buffers_made != (real ? 2 : 0) || (real && clean.commits_ok == 0)) {
		fprintf(stderr, "the clean run failed: %d failed calls, %s, client error %d, "
			"failed %d, feedback %d, buffers %d\n", clean.failed_calls, clean.first_bad,
			clean.client_error, clean.got_failed, clean.feedback_done, clean.buffers_made);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	mosaic_renderer_destroy(renderer);
	if (udmabuf_dev >= 0) {
		close(udmabuf_dev);
	}
	return 0;
}

static void test_allocations(void **state)
{
	int failures = 0, runs = 0, total = 0;
	fault_tracking = true;
	for (int n = 0; n < 2000; n++) {
		int live_before = fault_live, fds_before = fault_count_fds();
		fault_alloc.fail_at = n;
		if (fault_log.verbose) {
			fprintf(stderr, "-- allocation %d\n", n);
		}
		struct run run;
		int errors_before = fault_log.errors;
		run_session(&run);
		if (!fault_alloc.injected) {
			total = n;
			break;
		}
		runs++;
		char why[400] = "";
		bool seen = run.failed_calls > 0 || run.client_error ||
			run.got_failed != clean.got_failed;
		if (run.bad_logs > 0) {
			snprintf(why, sizeof(why), "%s", run.first_bad);
		} else if (fault_log.errors - errors_before > 1) {
			snprintf(why, sizeof(why), "%d ERROR lines for one failure",
				fault_log.errors - errors_before);
		} else if (!seen && (run.commits_ok != clean.commits_ok ||
				run.buffers_made != clean.buffers_made ||
				run.feedback_done != clean.feedback_done)) {
			snprintf(why, sizeof(why), "nothing failed, yet %d commits, %d buffers, "
				"%d feedbacks (clean: %d, %d, %d)", run.commits_ok, run.buffers_made,
				run.feedback_done, clean.commits_ok, clean.buffers_made,
				clean.feedback_done);
		} else if (fault_live != live_before) {
			snprintf(why, sizeof(why), "%d allocations of libmosaic left",
				fault_live - live_before);
		} else if (fault_count_fds() != fds_before) {
			snprintf(why, sizeof(why), "%d fds left", fault_count_fds() - fds_before);
		}
		if (why[0] != '\0') {
			failures++;
			print_message("allocation %d failing: %s\n", n, why);
		}
	}
	fault_tracking = false;
	fault_alloc.fail_at = -1;
	print_message("%d allocations in the session (%s, %d commits work), %d runs, %d bad\n",
		total, udmabuf_dev >= 0 ? "udmabufs" : "memfds: imports fail", clean.commits_ok,
		runs, failures);
	assert_true(runs > 0);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocations),
	};
	return cmocka_run_group_tests_name("wayland-glue-faults", tests, setup, teardown);
}
#endif
