/*
 * test-wayland-glue: the library's wl_shm and linux-dmabuf glue, seen from
 * small clients. Each bad-input test has one client misbehave and checks
 * the protocol error (or `failed` event) it gets, then checks that another
 * client, connected all along, is still served. Leaks: run under ASan.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <wayland-client.h>
#ifdef GLUE_GBM_CARD
#include <fcntl.h>
#include <gbm.h>
#include <xf86drm.h>
#endif

#include <mosaic/wayland.h>

#include "glue.h"
#include "glue_client.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"

const char *socket_name;
bool nested;
bool libwayland_shm;

static void shm_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct client *c = data;
	if (c->n_shm_formats < 64) {
		c->shm_formats[c->n_shm_formats++] = format;
	}
}

static const struct wl_shm_listener shm_listener = { .format = shm_format };

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, "wl_shm") == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
		wl_shm_add_listener(c->shm, &shm_listener, c);
	} else if (strcmp(interface, "zwp_linux_dmabuf_v1") == 0) {
		assert_int_equal(version, 4);
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

struct client *client_connect(void)
{
	struct client *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->display = wl_display_connect(socket_name);
	assert_non_null(c->display);
	struct wl_registry *registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(registry, &registry_listener, c);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	wl_registry_destroy(registry);
	assert_non_null(c->compositor);
	assert_non_null(c->shm);
	if (!nested) {
		assert_non_null(c->dmabuf);
	}
	return c;
}

void client_disconnect(struct client *c)
{
	// The proxies go with the display; the test only checks the server side.
	wl_display_disconnect(c->display);
	free(c);
}

/* The client was disconnected with this error on an object of `interface`. */
void expect_error(struct client *c, const struct wl_interface *interface,
	uint32_t code)
{
	assert_int_equal(wl_display_roundtrip(c->display), -1);
	assert_int_equal(wl_display_get_error(c->display), EPROTO);
	const struct wl_interface *got = NULL;
	uint32_t id;
	uint32_t got_code = wl_display_get_protocol_error(c->display, &got, &id);
	assert_non_null(got);
	print_message("error %u on %s@%u\n", got_code, got->name, id);
	assert_string_equal(got->name, interface->name);
	assert_int_equal(got_code, code);
}

int memfd_sized(size_t size)
{
	int fd = memfd_create("test-wayland-glue", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static void buffer_release(void *data, struct wl_buffer *buffer)
{
	*(bool *)data = true;
}

const struct wl_buffer_listener buffer_listener = { .release = buffer_release };

/* Shows a small shm buffer and waits for its release: proof the server works. */
void show_shm_buffer(struct client *c)
{
	const int w = 32, h = 16, stride = w * 4;
	int fd = memfd_sized((size_t)stride * h);
	uint32_t *pixels = mmap(NULL, (size_t)stride * h, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	assert_true(pixels != MAP_FAILED);
	for (int i = 0; i < w * h; i++) {
		pixels[i] = 0xff336699;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, stride * h);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride,
		WL_SHM_FORMAT_XRGB8888);
	bool released = false;
	wl_buffer_add_listener(buffer, &buffer_listener, &released);
	struct wl_surface *surface = wl_compositor_create_surface(c->compositor);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, w, h);
	wl_surface_commit(surface);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	// Copied at commit, released at once: before the roundtrip's reply.
	assert_true(released);
	wl_surface_destroy(surface);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	munmap(pixels, (size_t)stride * h);
	close(fd);
	assert_true(wl_display_roundtrip(c->display) >= 0);
}

int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->bystander = client_connect();
	f->bad = client_connect();
	test_server_log_clear();
	*state = f;
	return 0;
}

int teardown(void **state)
{
	struct fixture *f = *state;
	// The compositor kept serving the other client.
	show_shm_buffer(f->bystander);
	client_disconnect(f->bad);
	client_disconnect(f->bystander);
	free(f);
	return 0;
}

static void shm_formats_and_release(void **state)
{
	struct fixture *f = *state;
	bool argb = false, xrgb = false, abgr = false;
	for (int i = 0; i < f->bad->n_shm_formats; i++) {
		argb |= f->bad->shm_formats[i] == WL_SHM_FORMAT_ARGB8888;
		xrgb |= f->bad->shm_formats[i] == WL_SHM_FORMAT_XRGB8888;
		abgr |= f->bad->shm_formats[i] == WL_SHM_FORMAT_ABGR8888;
	}
	// The two mandatory ones, and one more pixman textures from.
	assert_true(argb && xrgb && abgr);
	show_shm_buffer(f->bad);
}

static void shm_damage_limited_update(void **state)
{
	struct fixture *f = *state;
	struct client *c = f->bad;
	const int w = 32, h = 16, stride = w * 4;
	int fd = memfd_sized((size_t)stride * h);
	uint32_t *pixels = mmap(NULL, (size_t)stride * h, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	assert_true(pixels != MAP_FAILED);
	for (int i = 0; i < w * h; i++) {
		pixels[i] = 0xff0000ff;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, stride * h);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride,
		WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *surface = wl_compositor_create_surface(c->compositor);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, w, h);
	wl_surface_commit(surface);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_true(test_server_log_contains("texture ff0000ff ff0000ff"));

	// Everything changes, only the first texel is said to: the texture
	// must take exactly that one.
	for (int i = 0; i < w * h; i++) {
		pixels[i] = 0xff00ff00;
	}
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, 1, 1);
	wl_surface_commit(surface);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_true(test_server_log_contains("texture ff00ff00 ff0000ff"));

	wl_surface_destroy(surface);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	munmap(pixels, (size_t)stride * h);
	close(fd);
}

static void shm_pool_truncated(void **state)
{
	struct fixture *f = *state;
	const int w = 256, h = 256, stride = w * 4;
	int fd = memfd_sized((size_t)stride * h);
	struct wl_shm_pool *pool = wl_shm_create_pool(f->bad->shm, fd, stride * h);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride,
		WL_SHM_FORMAT_XRGB8888);
	assert_true(wl_display_roundtrip(f->bad->display) >= 0);
	// Shrink the file under the compositor's mapping: reading it would
	// raise SIGBUS there.
	assert_int_equal(ftruncate(fd, 0), 0);
	struct wl_surface *surface = wl_compositor_create_surface(f->bad->compositor);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_commit(surface);
	expect_error(f->bad, &wl_buffer_interface, WL_SHM_ERROR_INVALID_FD);
	close(fd);
}

static void shm_buffer_size(void **state, int w, int h)
{
	struct fixture *f = *state;
	int fd = memfd_sized(4096);
	struct wl_shm_pool *pool = wl_shm_create_pool(f->bad->shm, fd, 4096);
	wl_shm_pool_create_buffer(pool, 0, w, h, w * 4, WL_SHM_FORMAT_XRGB8888);
	expect_error(f->bad, &wl_shm_pool_interface, WL_SHM_ERROR_INVALID_STRIDE);
	close(fd);
}

static void shm_buffer_0x0(void **state)
{
	shm_buffer_size(state, 0, 0);
}

static void shm_buffer_100000x100000(void **state)
{
	shm_buffer_size(state, 100000, 100000);
}

/* dmabuf params of one plane; `fd` is given away. */
static struct zwp_linux_buffer_params_v1 *params_one_plane(struct client *c, int fd,
	uint32_t offset, uint32_t stride, uint64_t modifier)
{
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(c->dmabuf);
	zwp_linux_buffer_params_v1_add(params, fd, 0, offset, stride,
		(uint32_t)(modifier >> 32), (uint32_t)modifier);
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

/* create (not immed): the outcome, 1 created, -1 failed, 0 nothing (error). */
static int create_and_wait_flags(struct client *c, struct zwp_linux_buffer_params_v1 *params,
	int w, int h, uint32_t format, uint32_t flags)
{
	int result = 0;
	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &result);
	zwp_linux_buffer_params_v1_create(params, w, h, format, flags);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return result;
}

static int create_and_wait(struct client *c, struct zwp_linux_buffer_params_v1 *params,
	int w, int h, uint32_t format)
{
	return create_and_wait_flags(c, params, w, h, format, 0);
}

static void dmabuf_not_a_dmabuf(void **state)
{
	struct fixture *f = *state;
	// A memfd of the right size: every size check passes, the import fails.
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(64 * 64 * 4), 0, 64 * 4, DRM_FORMAT_MOD_LINEAR);
	assert_int_equal(create_and_wait(f->bad, params, 64, 64, DRM_FORMAT_XRGB8888), -1);
	assert_true(test_server_log_contains("is not a dmabuf"));

	// create_immed has no `failed`: the client is disconnected instead.
	params = params_one_plane(f->bad, memfd_sized(64 * 64 * 4), 0, 64 * 4,
		DRM_FORMAT_MOD_LINEAR);
	zwp_linux_buffer_params_v1_create_immed(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER);
}

static void dmabuf_stride_too_small(void **state)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(64 * 64 * 4), 0, 64 * 4 - 4, DRM_FORMAT_MOD_LINEAR);
	assert_int_equal(create_and_wait(f->bad, params, 64, 64, DRM_FORMAT_XRGB8888), -1);
	assert_true(test_server_log_contains("stride 252 is too small"));
}

static void dmabuf_offset_past_end(void **state)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(64 * 64 * 4), 64 * 64 * 4 + 64, 64 * 4, DRM_FORMAT_MOD_LINEAR);
	zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS);
}

static void dmabuf_plane_past_end(void **state)
{
	struct fixture *f = *state;
	// The offset is inside, the last row is not.
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(64 * 64 * 4), 256, 64 * 4, DRM_FORMAT_MOD_LINEAR);
	zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS);
}

static void dmabuf_unsupported_modifier(void **state)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(64 * 64 * 4), 0, 64 * 4, I915_FORMAT_MOD_X_TILED);
	zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT);
}

static void dmabuf_size(void **state, int w, int h)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(4096), 0, 256, DRM_FORMAT_MOD_LINEAR);
	zwp_linux_buffer_params_v1_create(params, w, h, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS);
}

static void dmabuf_0x0(void **state)
{
	dmabuf_size(state, 0, 0);
}

static void dmabuf_100000x100000(void **state)
{
	dmabuf_size(state, 100000, 100000);
}

static void dmabuf_plane_twice(void **state)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(4096), 0, 256, DRM_FORMAT_MOD_LINEAR);
	int fd = memfd_sized(4096);
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, 256, 0, 0);
	close(fd);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET);
}

static void dmabuf_no_plane(void **state)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(f->bad->dmabuf);
	zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE);
}

/* NV12 has two planes: one is incomplete. */
static void dmabuf_nv12_one_plane(void **state)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(64 * 64), 0, 64, DRM_FORMAT_MOD_LINEAR);
	zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_NV12, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE);
}

/*
 * Two NV12 planes in one memfd sized exactly (the chroma plane has half the
 * rows): the size checks pass, and the check after them refuses the format,
 * which this server does not list.
 */
static void dmabuf_nv12_subsampled_size(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_sized(64 * 63 + 64 * 32);
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(f->bad->dmabuf);
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, 64, 0, 0);
	zwp_linux_buffer_params_v1_add(params, fd, 1, 64 * 63, 64, 0, 0);
	close(fd);
	zwp_linux_buffer_params_v1_create(params, 64, 63, DRM_FORMAT_NV12, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT);
}

/* Default feedback: a table with the renderer's pairs, one tranche over all of it. */
struct feedback {
	int table_fd;
	uint32_t table_size;
	bool main_device, done;
	size_t n_indices;
};

static void fb_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	((struct feedback *)data)->done = true;
}

static void fb_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, int32_t fd,
	uint32_t size)
{
	struct feedback *f = data;
	f->table_fd = fd;
	f->table_size = size;
}

static void fb_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
	struct wl_array *device)
{
	((struct feedback *)data)->main_device = device->size == sizeof(dev_t);
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
	((struct feedback *)data)->n_indices += indices->size / sizeof(uint16_t);
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

static void dmabuf_default_feedback(void **state)
{
	struct fixture *f = *state;
	struct feedback fb = { .table_fd = -1 };
	struct zwp_linux_dmabuf_feedback_v1 *feedback =
		zwp_linux_dmabuf_v1_get_default_feedback(f->bad->dmabuf);
	zwp_linux_dmabuf_feedback_v1_add_listener(feedback, &feedback_listener, &fb);
	assert_true(wl_display_roundtrip(f->bad->display) >= 0);
	assert_true(fb.done && fb.main_device);
	assert_true(fb.table_fd >= 0);
	// The test server offers XRGB8888 and ARGB8888, linear.
	assert_int_equal(fb.table_size, 2 * 16);
	assert_int_equal(fb.n_indices, 2);
	const struct { uint32_t format, pad; uint64_t modifier; } *table =
		mmap(NULL, fb.table_size, PROT_READ, MAP_PRIVATE, fb.table_fd, 0);
	assert_true(table != MAP_FAILED);
	bool xrgb = false;
	for (int i = 0; i < 2; i++) {
		xrgb |= table[i].format == DRM_FORMAT_XRGB8888 &&
			table[i].modifier == DRM_FORMAT_MOD_LINEAR;
	}
	assert_true(xrgb);
	munmap((void *)table, fb.table_size);
	close(fb.table_fd);
	zwp_linux_dmabuf_feedback_v1_destroy(feedback);
}

/* NULL objects: one log line and the failure value, never a crash (mosaic.h). */
static void null_arguments(void **state)
{
	assert_false(mosaic_wl_shm_init(NULL, NULL));
	assert_null(mosaic_wl_shm_create(NULL, NULL));
	mosaic_wl_shm_destroy(NULL);
	assert_null(mosaic_wl_buffer_from_resource(NULL));
	assert_false(mosaic_wl_buffer_is_supported(NULL));
	assert_null(mosaic_surface_texture_create(NULL));
	assert_false(mosaic_surface_texture_commit(NULL, NULL, NULL));
	assert_null(mosaic_surface_texture_get_texture(NULL));
	mosaic_surface_texture_mark_used(NULL, 1);
	mosaic_surface_texture_collect(NULL);
	mosaic_surface_texture_destroy(NULL);
	assert_null(mosaic_linux_dmabuf_v1_create(NULL, NULL));
	mosaic_linux_dmabuf_v1_destroy(NULL);
}

#ifdef GLUE_GBM_CARD
/*
 * Real dmabufs: GBM buffers of the card the server's GLES renderer runs on
 * (kms_swrast: implicit modifier, dumb buffers), exported read-write.
 */
static struct gbm_device *gbm;

/* A 64x64 XRGB8888 dmabuf; returns its fd and stride. */
static int gbm_dmabuf(uint32_t *stride)
{
	struct gbm_bo *bo = gbm_bo_create(gbm, 64, 64, GBM_FORMAT_XRGB8888,
		GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
	assert_non_null(bo);
	int fd = -1;
	assert_int_equal(drmPrimeHandleToFD(gbm_device_get_fd(gbm), gbm_bo_get_handle(bo).u32,
		DRM_CLOEXEC | DRM_RDWR, &fd), 0);
	*stride = gbm_bo_get_stride(bo);
	// The dmabuf keeps the memory.
	gbm_bo_destroy(bo);
	return fd;
}

static void gbm_valid(void **state)
{
	struct fixture *f = *state;
	uint32_t stride;
	int fd = gbm_dmabuf(&stride);
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad, fd, 0, stride,
		DRM_FORMAT_MOD_INVALID);
	assert_int_equal(create_and_wait(f->bad, params, 64, 64, DRM_FORMAT_XRGB8888), 1);
	// Smaller than the buffer is fine too.
	fd = gbm_dmabuf(&stride);
	params = params_one_plane(f->bad, fd, 0, stride, DRM_FORMAT_MOD_INVALID);
	assert_int_equal(create_and_wait(f->bad, params, 32, 16, DRM_FORMAT_XRGB8888), 1);
	// And the bottom-up buffers of GL clients.
	fd = gbm_dmabuf(&stride);
	params = params_one_plane(f->bad, fd, 0, stride, DRM_FORMAT_MOD_INVALID);
	assert_int_equal(create_and_wait_flags(f->bad, params, 64, 64, DRM_FORMAT_XRGB8888,
		ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT), 1);
}

static void gbm_interlaced(void **state)
{
	struct fixture *f = *state;
	uint32_t stride;
	int fd = gbm_dmabuf(&stride);
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad, fd, 0, stride,
		DRM_FORMAT_MOD_INVALID);
	assert_int_equal(create_and_wait_flags(f->bad, params, 64, 64, DRM_FORMAT_XRGB8888,
		ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_INTERLACED), -1);
	assert_true(test_server_log_contains("flags 0x2 are not supported"));
}

static void gbm_truncated(void **state)
{
	struct fixture *f = *state;
	uint32_t stride;
	// Twice as many rows as the dmabuf holds.
	int fd = gbm_dmabuf(&stride);
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad, fd, 0, stride,
		DRM_FORMAT_MOD_INVALID);
	zwp_linux_buffer_params_v1_create(params, 64, 128, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS);
}

/* The offset is inside the dmabuf, its last rows are not. */
static void gbm_plane_past_end(void **state)
{
	struct fixture *f = *state;
	uint32_t stride;
	int fd = gbm_dmabuf(&stride);
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad, fd, stride * 8,
		stride, DRM_FORMAT_MOD_INVALID);
	zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
	expect_error(f->bad, &zwp_linux_buffer_params_v1_interface,
		ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS);
}

static void gbm_stride_too_small(void **state)
{
	struct fixture *f = *state;
	uint32_t stride;
	int fd = gbm_dmabuf(&stride);
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad, fd, 0, 64 * 4 - 4,
		DRM_FORMAT_MOD_INVALID);
	assert_int_equal(create_and_wait(f->bad, params, 64, 64, DRM_FORMAT_XRGB8888), -1);
	assert_true(test_server_log_contains("stride 252 is too small"));
}

/* A memfd is no dmabuf: the real importer refuses it too. */
static void gbm_not_a_dmabuf(void **state)
{
	struct fixture *f = *state;
	struct zwp_linux_buffer_params_v1 *params = params_one_plane(f->bad,
		memfd_sized(64 * 64 * 4), 0, 64 * 4, DRM_FORMAT_MOD_INVALID);
	assert_int_equal(create_and_wait(f->bad, params, 64, 64, DRM_FORMAT_XRGB8888), -1);
	assert_true(test_server_log_contains("is not a dmabuf"));
}

static int gbm_main(void)
{
	int fd = open(GLUE_GBM_CARD, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("no %s here (the DRM test VM has one: meson test --suite drm)\n",
			GLUE_GBM_CARD);
		return 77;
	}
	gbm = gbm_create_device(fd);
	if (gbm == NULL) {
		printf("no GBM device on %s\n", GLUE_GBM_CARD);
		close(fd);
		return 77;
	}
	char dir[] = "/tmp/mosaic-glue-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", dir, 1);
	socket_name = test_server_start(NULL);
	if (socket_name == NULL) {
		// The server exits 77 when GLES cannot import dmabufs on the card.
		int status = test_server_stop();
		if (status == 77) {
			printf("the GLES renderer does not import dmabufs on %s\n", GLUE_GBM_CARD);
			return 77;
		}
		fprintf(stderr, "cannot start the test compositor\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(gbm_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(gbm_interlaced, setup, teardown),
		cmocka_unit_test_setup_teardown(gbm_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(gbm_plane_past_end, setup, teardown),
		cmocka_unit_test_setup_teardown(gbm_stride_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(gbm_not_a_dmabuf, setup, teardown),
	};
	int failed = cmocka_run_group_tests_name("wayland-glue-gbm", tests, NULL, NULL);
	int status = test_server_stop();
	if (status != 0) {
		fprintf(stderr, "the test compositor exited with status %d\n", status);
		failed++;
	}
	gbm_device_destroy(gbm);
	close(fd);
	return failed;
}
#endif

int main(int argc, char *argv[])
{
#ifdef GLUE_GBM_CARD
	return gbm_main();
#endif
	nested = argc > 1;
	libwayland_shm = getenv("GLUE_LIBWAYLAND_SHM") != NULL;
	char dir[] = "/tmp/mosaic-glue-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", dir, 1);
	socket_name = test_server_start(nested ? argv[1] : NULL);
	if (socket_name == NULL) {
		fprintf(stderr, "cannot start the test compositor\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(null_arguments),
		cmocka_unit_test_setup_teardown(shm_formats_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(shm_damage_limited_update, setup, teardown),
		cmocka_unit_test_setup_teardown(shm_pool_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(shm_buffer_0x0, setup, teardown),
		cmocka_unit_test_setup_teardown(shm_buffer_100000x100000, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_not_a_dmabuf, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_stride_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_offset_past_end, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_plane_past_end, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_unsupported_modifier, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_0x0, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_100000x100000, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_plane_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_no_plane, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_nv12_one_plane, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_nv12_subsampled_size, setup, teardown),
		cmocka_unit_test_setup_teardown(dmabuf_default_feedback, setup, teardown),
	};
	// mosaic-nested gets the wl_shm tests that need nothing from the test server.
	const struct CMUnitTest nested_tests[] = {
		cmocka_unit_test_setup_teardown(shm_formats_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(shm_pool_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(shm_buffer_0x0, setup, teardown),
		cmocka_unit_test_setup_teardown(shm_buffer_100000x100000, setup, teardown),
	};
	int failed = nested ?
		cmocka_run_group_tests_name("wayland-glue-nested", nested_tests, NULL, NULL) :
		cmocka_run_group_tests_name("wayland-glue", tests, NULL, NULL);
	// mosaic's wl_shm (mosaic-nested's too): its misuse cases and lifetimes.
	if (!libwayland_shm) {
		failed += glue_shm_run();
	}
	int status = test_server_stop();
	if (status != 0) {
		fprintf(stderr, "the test compositor exited with status %d\n", status);
		failed++;
	}
	if (failed == 0) {
		char path[64];
		snprintf(path, sizeof(path), "%s/server.log", dir);
		unlink(path);
		rmdir(dir);
	}
	return failed;
}
