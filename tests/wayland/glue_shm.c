/*
 * mosaic's wl_shm global (mosaic_wl_shm_create()) against misbehaving
 * clients: every misuse ends in its wl_shm error for that client, the
 * compositor goes on serving the others, and buffers stay readable after
 * the client let go of them.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <wayland-client.h>

#include "glue.h"
#include "glue_client.h"

static uint32_t *map_fd(int fd, size_t size)
{
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(pixels != MAP_FAILED);
	return pixels;
}

static void pool_size_zero(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_sized(4096);
	wl_shm_create_pool(f->bad->shm, fd, 0);
	expect_error(f->bad, &wl_shm_interface, WL_SHM_ERROR_INVALID_STRIDE);
	close(fd);
}

static void pool_size_negative(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_sized(4096);
	wl_shm_create_pool(f->bad->shm, fd, -4096);
	expect_error(f->bad, &wl_shm_interface, WL_SHM_ERROR_INVALID_STRIDE);
	close(fd);
}

static void pool_fd_not_mappable(void **state)
{
	struct fixture *f = *state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	wl_shm_create_pool(f->bad->shm, fds[0], 4096);
	expect_error(f->bad, &wl_shm_interface, WL_SHM_ERROR_INVALID_FD);
	close(fds[0]);
	close(fds[1]);
}

static void pool_larger_than_file(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_sized(4096);
	wl_shm_create_pool(f->bad->shm, fd, 8192);
	expect_error(f->bad, &wl_shm_interface, WL_SHM_ERROR_INVALID_FD);
	close(fd);
}

static void pool_resize_smaller(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_sized(8192);
	struct wl_shm_pool *pool = wl_shm_create_pool(f->bad->shm, fd, 8192);
	wl_shm_pool_resize(pool, 4096);
	expect_error(f->bad, &wl_shm_pool_interface, WL_SHM_ERROR_INVALID_FD);
	close(fd);
}

static void pool_resize_past_file(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_sized(4096);
	struct wl_shm_pool *pool = wl_shm_create_pool(f->bad->shm, fd, 4096);
	wl_shm_pool_resize(pool, 1 << 20);
	expect_error(f->bad, &wl_shm_pool_interface, WL_SHM_ERROR_INVALID_FD);
	close(fd);
}

static void buffer_format_not_offered(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_sized(4096);
	struct wl_shm_pool *pool = wl_shm_create_pool(f->bad->shm, fd, 4096);
	// NV12 is a YUV format: never offered through wl_shm.
	wl_shm_pool_create_buffer(pool, 0, 16, 16, 16, WL_SHM_FORMAT_NV12);
	expect_error(f->bad, &wl_shm_pool_interface, WL_SHM_ERROR_INVALID_FORMAT);
	close(fd);
}

/* A buffer of `w` x `h`, `stride` at `offset` in a 4096-byte pool: INVALID_STRIDE. */
static void bad_layout(void **state, int32_t offset, int32_t w, int32_t h, int32_t stride)
{
	struct fixture *f = *state;
	int fd = memfd_sized(4096);
	struct wl_shm_pool *pool = wl_shm_create_pool(f->bad->shm, fd, 4096);
	wl_shm_pool_create_buffer(pool, offset, w, h, stride, WL_SHM_FORMAT_XRGB8888);
	expect_error(f->bad, &wl_shm_pool_interface, WL_SHM_ERROR_INVALID_STRIDE);
	close(fd);
}

static void buffer_offset_negative(void **state)
{
	bad_layout(state, -64, 4, 4, 16);
}

static void buffer_offset_past_end(void **state)
{
	bad_layout(state, 4096, 1, 1, 4);
}

static void buffer_rows_past_end(void **state)
{
	// The last row ends 16 bytes past the pool.
	bad_layout(state, 16, 16, 16, 256);
}

static void buffer_stride_too_small(void **state)
{
	bad_layout(state, 0, 16, 4, 60);
}

static void buffer_stride_overflow(void **state)
{
	// stride x height overflows 32 bits.
	bad_layout(state, 0, 16, 0x10000, 0x10000);
}

static void buffer_size_negative(void **state)
{
	bad_layout(state, 0, -16, 4, 64);
}

/* Attaches `buffer` with full damage and commits; the surface is returned. */
static struct wl_surface *show(struct client *c, struct wl_buffer *buffer, int w, int h)
{
	struct wl_surface *surface = wl_compositor_create_surface(c->compositor);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, w, h);
	wl_surface_commit(surface);
	return surface;
}

static void truncated_after_attach(void **state)
{
	struct fixture *f = *state;
	const int w = 64, h = 64, stride = w * 4;
	size_t size = (size_t)stride * h;
	int fd = memfd_sized(size);
	uint32_t *pixels = map_fd(fd, size);
	for (int i = 0; i < w * h; i++) {
		pixels[i] = 0xff123456;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(f->bad->shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride,
		WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *surface = show(f->bad, buffer, w, h);
	assert_true(wl_display_roundtrip(f->bad->display) >= 0);
	if (!nested) {
		assert_true(test_server_log_contains("texture ff123456 ff123456"));
	}
	munmap(pixels, size);
	// The file goes away under the compositor's mapping; the next commit
	// reads it: zeroes, an error for the client, no SIGBUS for the compositor.
	assert_int_equal(ftruncate(fd, 0), 0);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, w, h);
	wl_surface_commit(surface);
	expect_error(f->bad, &wl_buffer_interface, WL_SHM_ERROR_INVALID_FD);
	if (!nested) {
		// Zeroes, read as XRGB8888.
		assert_true(test_server_log_contains("texture ff000000 ff000000"));
	}
	close(fd);
}

/*
 * The buffer's memory outlives the client's pool: a buffer of a destroyed
 * pool (and of a resized one) still shows the client's pixels. mosaic-nested
 * reports no textures: there the buffers are shown without an error.
 */
static void buffer_outlives_pool(void **state)
{
	struct fixture *f = *state;
	struct client *c = f->bad;
	const int w = 16, h = 16, stride = w * 4;
	size_t size = (size_t)stride * h;
	int fd = memfd_sized(2 * size);
	uint32_t *pixels = map_fd(fd, 2 * size);
	for (int i = 0; i < w * h; i++) {
		pixels[i] = 0xff0000aa;
		pixels[w * h + i] = 0xff00bb00;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	struct wl_buffer *first = wl_shm_pool_create_buffer(pool, 0, w, h, stride,
		WL_SHM_FORMAT_XRGB8888);
	// The second buffer lies in the part the resize adds.
	wl_shm_pool_resize(pool, (int32_t)(2 * size));
	struct wl_buffer *second = wl_shm_pool_create_buffer(pool, (int32_t)size, w, h, stride,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	struct wl_surface *surface = show(c, first, w, h);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_true(nested || test_server_log_contains("texture ff0000aa ff0000aa"));
	wl_surface_attach(surface, second, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, w, h);
	wl_surface_commit(surface);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	assert_true(nested || test_server_log_contains("texture ff00bb00 ff00bb00"));
	wl_surface_destroy(surface);
	wl_buffer_destroy(first);
	wl_buffer_destroy(second);
	munmap(pixels, 2 * size);
	assert_true(wl_display_roundtrip(c->display) >= 0);
}

/* A client that disconnects with pools and buffers in use leaves nothing behind (ASan). */
static void disconnect_with_buffers(void **state)
{
	struct fixture *f = *state;
	struct client *c = client_connect();
	const int w = 16, h = 16, stride = w * 4;
	int fd = memfd_sized((size_t)stride * h);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, stride * h);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride,
		WL_SHM_FORMAT_ARGB8888);
	show(c, buffer, w, h);
	assert_true(wl_display_roundtrip(c->display) >= 0);
	close(fd);
	client_disconnect(c);
	show_shm_buffer(f->bad);
}

int glue_shm_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pool_size_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_size_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_fd_not_mappable, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_larger_than_file, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_resize_smaller, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_resize_past_file, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_format_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_offset_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_offset_past_end, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_rows_past_end, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_stride_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_stride_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_size_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_after_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_outlives_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(disconnect_with_buffers, setup, teardown),
	};
	return cmocka_run_group_tests_name(nested ? "wayland-glue-nested-shm" : "wayland-glue-shm",
		tests, NULL, NULL);
}
