/*
 * test-vulkan: readback (blocking and not), damage updates and uploads from
 * shared memory, and CPU-memory targets: drawn into like pixman does, or
 * refused when their data access misbehaves.
 */
#define _GNU_SOURCE /* usleep */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "common.h"
#include "test-vulkan.h"

void test_read_pixels(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 37, H = 23 };
	uint32_t pixels[W * H], out[W * H];
	test_pattern(pixels, W, H, 3);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, W, H, DRM_FORMAT_ARGB8888, W * 4,
		pixels);
	assert_non_null(tex);
	assert_true(test_read_texture(tex, out));
	assert_memory_equal(pixels, out, sizeof(pixels));

	// A rectangle, converted to ABGR8888, with a padded stride.
	uint32_t sub[10 * 8];
	memset(sub, 0, sizeof(sub));
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ABGR8888,
		.stride = 10 * 4,
		.data = sub,
		.src_box = { 5, 7, 9, 8 },
	}));
	for (int y = 0; y < 8; y++) {
		for (int x = 0; x < 9; x++) {
			uint32_t p = pixels[(y + 7) * W + x + 5];
			uint32_t swapped = (p & 0xff00ff00) | ((p >> 16) & 0xff) | ((p & 0xff) << 16);
			assert_int_equal(sub[y * 10 + x], swapped);
		}
	}

	// The non-blocking read: started, polled, then collected.
	memset(out, 0, sizeof(out));
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(tex,
		&(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888,
			.stride = W * 4,
			.data = out,
		});
	assert_non_null(req);
	int fd = mosaic_read_request_get_fd(req);
	if (mosaic_renderer_get_features(r) & MOSAIC_FEATURE_SYNC_FILE_EXPORT) {
		// A sync_file: readable once the copy is complete.
		assert_true(fd >= 0);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&pfd, 1, 10000), 1);
	} else {
		assert_int_equal(fd, -1);
	}
	int polls = 0;
	while (!mosaic_read_request_is_complete(req) && polls < 100000) {
		polls++;
		usleep(100);
	}
	assert_true(mosaic_read_request_is_complete(req));
	assert_true(mosaic_read_request_finish(req));
	assert_memory_equal(pixels, out, sizeof(pixels));
	mosaic_texture_destroy(tex);
}

/* Writes a pattern into a buffer from the shm allocator (the kind wl_shm clients give). */
static void fill_shm(struct mosaic_buffer *buffer, uint32_t seed)
{
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data,
		&fourcc, &stride));
	uint32_t *pixels = malloc((size_t)buffer->width * buffer->height * 4);
	test_pattern(pixels, buffer->width, buffer->height, seed);
	for (int y = 0; y < buffer->height; y++) {
		memcpy((uint8_t *)data + (size_t)y * stride, pixels + y * buffer->width,
			(size_t)buffer->width * 4);
	}
	free(pixels);
	mosaic_buffer_end_data_access(buffer);
}

void test_shm_upload(void **state)
{
	struct mosaic_renderer *r = *state;
	bool direct = mosaic_renderer_get_features(r) & MOSAIC_FEATURE_HOST_POINTER_IMPORT;
	printf("uploads from shared memory: %s\n", direct ? "copied by the GPU directly" :
		"through the staging ring");
	enum { W = 300, H = 200 };
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	struct mosaic_buffer *bufs[2];
	for (int i = 0; i < 2; i++) {
		bufs[i] = mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_ARGB8888, NULL, 0);
		assert_non_null(bufs[i]);
	}
	mosaic_allocator_destroy(alloc);
	fill_shm(bufs[0], 40);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, bufs[0]);
	assert_non_null(tex);
	uint32_t *expect = malloc(W * H * 4), *out = malloc(W * H * 4);
	uint64_t creates = 0;
	// Double-buffered client: alternate buffers, damage a band each time.
	for (int frame = 0; frame < 20; frame++) {
		struct mosaic_buffer *buf = bufs[frame % 2];
		fill_shm(buf, (uint32_t)(41 + frame));
		pixman_region32_t damage;
		pixman_region32_init_rect(&damage, 0, frame * 7, W, 30);
		pixman_region32_union_rect(&damage, &damage, frame * 11, 0, 13, H);
		if (frame == 0) {
			pixman_region32_fini(&damage);
			pixman_region32_init_rect(&damage, 0, 0, W, H);
		}
		assert_true(mosaic_texture_update_from_buffer(tex, buf, &damage));
		if (direct) {
			// The buffer stays locked while the GPU may still read it.
			assert_true(buf->n_locks > 0);
		}
		assert_true(test_read_texture(tex, out));
		// The read waited for the copy: the buffer went back to its producer.
		assert_int_equal(buf->n_locks, 0);
		test_pattern(expect, W, H, (uint32_t)(41 + frame));
		for (int y = 0; y < H; y++) {
			for (int x = 0; x < W; x++) {
				if (pixman_region32_contains_point(&damage, x, y, NULL)) {
					assert_int_equal(out[y * W + x], expect[y * W + x]);
				}
			}
		}
		pixman_region32_fini(&damage);
		if (frame == 3) {
			creates = mosaic_vulkan_renderer_get_create_count(r);
		}
	}
	// Both buffers' imports are cached: nothing new in the steady state.
	assert_int_equal(mosaic_vulkan_renderer_get_create_count(r), creates);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(bufs[0]);
	mosaic_buffer_drop(bufs[1]);
	free(expect);
	free(out);
}

/* Draws into a buffer of the shm allocator and returns its pixels (malloc'd). */
static uint32_t *draw_into_shm(struct mosaic_renderer *r, int w, int h)
{
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	struct mosaic_buffer *target = mosaic_allocator_create_buffer(alloc, w, h,
		DRM_FORMAT_ARGB8888, NULL, 0);
	mosaic_allocator_destroy(alloc);
	assert_non_null(target);
	fill_shm(target, 5);
	uint32_t pixels[64 * 64];
	test_pattern(pixels, 64, 64, 6);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 64, 64, DRM_FORMAT_ARGB8888,
		64 * 4, pixels);
	// Twice: the second pass finds the target cached and must still see new pixels.
	for (int i = 0; i < 2; i++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
		assert_non_null(pass);
		float alpha = 0.7f;
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex,
			.dst_box = { 10 + 20 * i, 5, 128, 128 },
			.alpha = &alpha,
			.filter = MOSAIC_FILTER_NEAREST,
		}));
		assert_true(mosaic_pass_submit(pass, NULL));
	}
	mosaic_texture_destroy(tex);
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(target, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	uint32_t *out = malloc((size_t)w * h * 4);
	for (int y = 0; y < h; y++) {
		memcpy(out + y * w, (uint8_t *)data + (size_t)y * stride, (size_t)w * 4);
	}
	mosaic_buffer_end_data_access(target);
	mosaic_buffer_drop(target);
	return out;
}

void test_shm_target(void **state)
{
	struct mosaic_renderer *r = *state;
	struct mosaic_renderer *px = mosaic_pixman_renderer_create();
	enum { W = 200, H = 150 };
	uint32_t *a = draw_into_shm(r, W, H), *b = draw_into_shm(px, W, H);
	for (int i = 0; i < W * H; i++) {
		for (int c = 0; c < 32; c += 8) {
			int d = abs((int)((a[i] >> c) & 0xff) - (int)((b[i] >> c) & 0xff));
			if (d > 2) {
				fail_msg("pixel %d,%d: %08x, pixman %08x", i % W, i / W, a[i], b[i]);
			}
		}
	}
	free(a);
	free(b);
	mosaic_renderer_destroy(px);
}

void test_partial_update(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 64, H = 48 };
	uint32_t a[W * H], b[W * H], out[W * H];
	test_pattern(a, W, H, 1);
	test_pattern(b, W, H, 2);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, W, H, DRM_FORMAT_ARGB8888, W * 4,
		a);
	assert_non_null(tex);
	struct mosaic_buffer *buf = mosaic_buffer_from_data(W, H, DRM_FORMAT_ARGB8888, W * 4, b);
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 3, 4, 10, 7);
	pixman_region32_union_rect(&damage, &damage, 40, 20, 24, 28);
	pixman_region32_union_rect(&damage, &damage, 0, 47, 64, 1);
	assert_true(mosaic_texture_update_from_buffer(tex, buf, &damage));
	assert_true(test_read_texture(tex, out));
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			bool in = pixman_region32_contains_point(&damage, x, y, NULL);
			assert_int_equal(out[y * W + x], in ? b[y * W + x] : a[y * W + x]);
		}
	}
	pixman_region32_fini(&damage);
	mosaic_buffer_drop(buf);
	mosaic_texture_destroy(tex);
}

/* A CPU buffer whose data access refuses, or reports a stride too small. */
struct refusing_buffer {
	struct mosaic_buffer base;
	bool refuse;
	uint32_t pixels[8 * 8];
};

static void refusing_destroy(struct mosaic_buffer *buffer)
{
	free(buffer);
}

static bool refusing_begin(struct mosaic_buffer *buffer, uint32_t flags, void **data,
	uint32_t *fourcc, uint32_t *stride)
{
	struct refusing_buffer *b = (struct refusing_buffer *)buffer;
	*data = b->pixels;
	*fourcc = DRM_FORMAT_ARGB8888;
	*stride = 16;
	return !b->refuse;
}

static void refusing_end(struct mosaic_buffer *buffer)
{
}

static const struct mosaic_buffer_impl refusing_impl = {
	.destroy = refusing_destroy,
	.begin_data_access = refusing_begin,
	.end_data_access = refusing_end,
};

/* A CPU target the renderer cannot reach: no pass, one log line, no access left open. */
void test_target_refuses(void **state)
{
	struct mosaic_renderer *r = *state;
	test_log.quiet_errors = true;
	for (int refuse = 0; refuse < 2; refuse++) {
		struct refusing_buffer *b = calloc(1, sizeof(*b));
		mosaic_buffer_init(&b->base, &refusing_impl, 8, 8);
		b->refuse = refuse;
		int errors = test_log.errors;
		// Refused, or 16 bytes per row for 8 ARGB pixels.
		assert_null(mosaic_renderer_begin_pass(r, &b->base, NULL));
		assert_int_equal(test_log.errors, errors + 1);
		assert_false(b->base.accessing_data);
		mosaic_buffer_drop(&b->base);
	}
	test_log.quiet_errors = false;
}
