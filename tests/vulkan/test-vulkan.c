/*
 * Vulkan-specific behaviour: readback (blocking and not), uploads from
 * shared memory and CPU targets, Vulkan buffers and opaque-fd sharing
 * between two renderers, pipeline cache files, device choice, device loss,
 * timers and the absent-feature paths (dmabuf, sync_file). The many-frames
 * tests are in test-frames.c.
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
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "common.h"

/* More passes than the renderer keeps frames in flight (4), so every slot is reused. */
#define VK_FRAMES_FOR_TEST 4

static void test_features(void **state)
{
	struct mosaic_renderer *r = *state;
	assert_true(mosaic_renderer_is_vulkan(r));
	assert_int_equal(mosaic_renderer_get_backend(r), MOSAIC_BACKEND_VULKAN);
	assert_non_null(mosaic_vulkan_renderer_get_device(r));
	assert_non_null(mosaic_vulkan_renderer_get_instance(r));
	assert_non_null(mosaic_vulkan_renderer_get_physical_device(r));
	uint64_t features = mosaic_renderer_get_features(r);
	// The dmabuf features and format sets agree; LINEAR imports wherever dmabufs do
	// (as a buffer and a copy without VK_EXT_image_drm_format_modifier).
	const struct mosaic_format_set *dmabuf_tex = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	const struct mosaic_format_set *dmabuf_render = mosaic_renderer_get_render_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	assert_int_equal((features & MOSAIC_FEATURE_DMABUF_IMPORT) != 0,
		dmabuf_tex->n_formats > 0);
	if (features & MOSAIC_FEATURE_DMABUF_IMPORT) {
		assert_true(mosaic_format_set_has(dmabuf_tex, DRM_FORMAT_ARGB8888,
			DRM_FORMAT_MOD_LINEAR));
		assert_true(mosaic_format_set_has(dmabuf_render, DRM_FORMAT_ARGB8888,
			DRM_FORMAT_MOD_LINEAR));
	} else {
		assert_int_equal(dmabuf_render->n_formats, 0);
	}
	// Export needs the modifier extension, which import needs too.
	if (features & MOSAIC_FEATURE_DMABUF_EXPORT) {
		assert_true(features & MOSAIC_FEATURE_DRM_MODIFIERS);
	}
	const struct mosaic_format_set *tex = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	const struct mosaic_format_set *render = mosaic_renderer_get_render_formats(r,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_true(mosaic_format_set_has(tex, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_format_set_has(tex, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_format_set_has(render, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));
}

static void test_read_pixels(void **state)
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

static void test_shm_upload(void **state)
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

static void test_shm_target(void **state)
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

static void test_partial_update(void **state)
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

/* Fills a Vulkan buffer through a pass and returns what pixman draws for the same. */
static void draw_quadrants(struct mosaic_renderer *r, struct mosaic_buffer *target, int w, int h)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	const struct mosaic_color colors[4] = {
		{ 1, 0, 0, 1 }, { 0, 1, 0, 1 }, { 0, 0, 1, 1 }, { 0.25f, 0.25f, 0.25f, 0.5f },
	};
	for (int i = 0; i < 4; i++) {
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { (i & 1) * w / 2, (i >> 1) * h / 2, w / 2, h / 2 },
			.color = colors[i],
			.blend = MOSAIC_BLEND_NONE,
		}));
	}
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	assert_true(mosaic_renderer_get_completed_point(r) >= done.point);
}

static void check_quadrants(const uint32_t *pixels, int w, int h)
{
	const uint32_t expect[4] = { 0xffff0000, 0xff00ff00, 0xff0000ff, 0x80404040 };
	for (int i = 0; i < 4; i++) {
		int x = (i & 1) * w / 2 + 1, y = (i >> 1) * h / 2 + 1;
		uint32_t p = pixels[y * w + x];
		for (int c = 0; c < 4; c++) {
			int d = abs((int)((p >> (8 * c)) & 0xff) - (int)((expect[i] >> (8 * c)) & 0xff));
			assert_true(d <= 1);
		}
	}
}

static void test_vulkan_buffer(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 32, H = 16 };
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, W, H, DRM_FORMAT_ARGB8888);
	assert_non_null(target);
	assert_true(mosaic_buffer_is_vulkan(target));
	draw_quadrants(r, target, W, H);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, target);
	assert_non_null(tex);
	uint32_t out[W * H];
	assert_true(test_read_texture(tex, out));
	check_quadrants(out, W, H);

	// The texture of a buffer shows the buffer: draw it into a CPU target.
	struct test_image shm;
	test_image_init(&shm, W, H, DRM_FORMAT_ARGB8888, 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, shm.buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	for (int y = 0; y < H; y++) {
		memcpy(out + y * W, (uint8_t *)shm.data + y * shm.stride, W * 4);
	}
	check_quadrants(out, W, H);

	// Drawing into the buffer again updates what the texture shows.
	pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0, 0, 0, 1 },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_true(test_read_texture(tex, out));
	assert_int_equal(out[5 * W + 5], 0xff000000);

	test_image_finish(&shm);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(target);
}

/* A scene of every kind of draw: fills, blends, a clip, a scaled translucent texture. */
static void draw_allocator_scene(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_texture *tex, int w, int h)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, w, h },
		.color = { 0.125f, 0.25f, 0.375f, 1 },
		.blend = MOSAIC_BLEND_NONE,
	}));
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, w / 2, h);
	pixman_region32_union_rect(&clip, &clip, w / 2 + 3, 4, 5, 6);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		// Scaled 4x and 3x: no pixel center falls on a texel edge, where
		// nearest sampling may round either way.
		.dst_box = { 3, 2, w - 6, h - 4 },
		.clip = &clip,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	pixman_region32_fini(&clip);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { w / 4, h / 4, w / 2, h / 2 },
		.color = { 0.25f, 0, 0.125f, 0.5f },
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
}

static void test_gpu_allocator(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { TW = 12, TH = 10, W = 4 * TW + 6, H = 3 * TH + 4 };
	struct mosaic_allocator *alloc = mosaic_renderer_create_gpu_allocator(r);
	assert_non_null(alloc);
	assert_int_equal(mosaic_allocator_get_buffer_caps(alloc), 0);

	// Its images have no DRM modifier: an explicit one is refused.
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR, implicit = DRM_FORMAT_MOD_INVALID;
	test_log.quiet_errors = true;
	assert_null(mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_ARGB8888, &linear, 1));
	test_log.quiet_errors = false;
	struct mosaic_buffer *target = mosaic_allocator_create_buffer(alloc, W, H,
		DRM_FORMAT_ARGB8888, &implicit, 1);
	assert_non_null(target);
	assert_true(mosaic_buffer_is_vulkan(target));

	uint32_t pixels[TW * TH];
	test_pattern(pixels, TW, TH, 3);
	struct mosaic_renderer *px = mosaic_pixman_renderer_create();
	assert_non_null(px);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, TW, TH, DRM_FORMAT_ARGB8888,
		TW * 4, pixels);
	struct mosaic_texture *px_tex = mosaic_texture_from_pixels(px, TW, TH, DRM_FORMAT_ARGB8888,
		TW * 4, pixels);
	assert_non_null(tex);
	assert_non_null(px_tex);

	draw_allocator_scene(r, target, tex, W, H);
	struct mosaic_texture *view = mosaic_texture_from_buffer(r, target);
	assert_non_null(view);
	struct test_image got, want;
	test_image_init(&got, W, H, DRM_FORMAT_ARGB8888, 0);
	test_image_init(&want, W, H, DRM_FORMAT_ARGB8888, 0);
	assert_true(mosaic_texture_read_pixels(view, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = got.stride,
		.data = got.data,
	}));
	draw_allocator_scene(px, want.buffer, px_tex, W, H);
	int worst = test_compare(&got, &want, 2, "GPU allocator target");
	assert_true(worst <= 2);

	// Once every frame slot has been used, rendering into it again and again
	// creates no Vulkan object.
	for (int i = 0; i < VK_FRAMES_FOR_TEST; i++) {
		draw_allocator_scene(r, target, tex, W, H);
	}
	uint64_t created = mosaic_vulkan_renderer_get_create_count(r);
	for (int i = 0; i < 2 * VK_FRAMES_FOR_TEST; i++) {
		draw_allocator_scene(r, target, tex, W, H);
	}
	assert_int_equal(mosaic_vulkan_renderer_get_create_count(r), created);

	// The texture shows the image without a copy: sampled into a CPU target.
	test_image_finish(&got);
	test_image_init(&got, W, H, DRM_FORMAT_ARGB8888, 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, got.buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = view,
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_true(test_compare(&got, &want, 2, "sampled GPU allocator target") <= 2);

	// Its buffers are shared as opaque fds like those of mosaic_vulkan_buffer_create().
	if (mosaic_renderer_get_features(r) & MOSAIC_FEATURE_OPAQUE_FD) {
		struct mosaic_vulkan_opaque_image image;
		assert_true(mosaic_vulkan_buffer_export_opaque_fd(target, &image));
		assert_true(image.fd >= 0);
		assert_int_equal(image.width, W);
		assert_int_equal(image.height, H);
		struct mosaic_buffer *again = mosaic_vulkan_buffer_import_opaque_fd(r, &image);
		assert_non_null(again);
		struct mosaic_texture *again_tex = mosaic_texture_from_buffer(r, again);
		assert_non_null(again_tex);
		// Exactly the pixels of the exported image (pixman's differ by the
		// GPU's rounding, within the tolerance checked above).
		uint32_t out[W * H], exported[W * H];
		assert_true(test_read_texture(again_tex, out));
		assert_true(test_read_texture(view, exported));
		assert_memory_equal(out, exported, sizeof(out));
		mosaic_texture_destroy(again_tex);
		mosaic_buffer_drop(again);
	}

	test_image_finish(&got);
	test_image_finish(&want);
	mosaic_texture_destroy(view);
	mosaic_texture_destroy(tex);
	mosaic_texture_destroy(px_tex);
	mosaic_buffer_drop(target);
	mosaic_allocator_destroy(alloc);
	mosaic_renderer_destroy(px);
}

static void test_opaque_fd_roundtrip(void **state)
{
	struct mosaic_renderer *a = *state;
	if (!(mosaic_renderer_get_features(a) & MOSAIC_FEATURE_OPAQUE_FD)) {
		skip();
	}
	struct mosaic_renderer *b = test_vulkan_renderer();
	enum { W = 40, H = 30 };
	struct mosaic_buffer *buf_a = mosaic_vulkan_buffer_create(a, W, H, DRM_FORMAT_ARGB8888);
	assert_non_null(buf_a);
	draw_quadrants(a, buf_a, W, H);

	struct mosaic_vulkan_opaque_image image;
	assert_true(mosaic_vulkan_buffer_export_opaque_fd(buf_a, &image));
	assert_true(image.fd >= 0);
	// Every export is a new fd the caller owns.
	struct mosaic_vulkan_opaque_image second;
	assert_true(mosaic_vulkan_buffer_export_opaque_fd(buf_a, &second));
	assert_int_not_equal(second.fd, image.fd);
	close(second.fd);

	struct mosaic_buffer *buf_b = mosaic_vulkan_buffer_import_opaque_fd(b, &image);
	assert_non_null(buf_b);
	struct mosaic_texture *tex_b = mosaic_texture_from_buffer(b, buf_b);
	assert_non_null(tex_b);
	uint32_t out[W * H];
	assert_true(test_read_texture(tex_b, out));
	check_quadrants(out, W, H);

	// The other way: b draws, a sees it.
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(b, buf_b, NULL);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0, 0.5f, 0, 0.5f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(b, done.point, -1));
	struct mosaic_texture *tex_a = mosaic_texture_from_buffer(a, buf_a);
	assert_true(test_read_texture(tex_a, out));
	uint32_t p = out[W * H / 2];
	assert_true(p == 0x80008000 || p == 0x80007f00 || p == 0x7f007f00);

	// An import on another device is refused and leaves the fd to the caller.
	assert_true(mosaic_vulkan_buffer_export_opaque_fd(buf_a, &second));
	second.device_uuid[0] ^= 0xff;
	test_log.quiet_errors = true;
	assert_null(mosaic_vulkan_buffer_import_opaque_fd(b, &second));
	test_log.quiet_errors = false;
	assert_int_equal(fcntl(second.fd, F_GETFD), FD_CLOEXEC);
	close(second.fd);

	mosaic_texture_destroy(tex_a);
	mosaic_texture_destroy(tex_b);
	mosaic_buffer_drop(buf_b);
	mosaic_buffer_drop(buf_a);
	mosaic_renderer_destroy(b);
}

struct fake_dmabuf {
	struct mosaic_buffer base;
	int fd;
};

static void fake_dmabuf_destroy(struct mosaic_buffer *buffer)
{
	close(((struct fake_dmabuf *)(void *)buffer)->fd);
}

static bool fake_dmabuf_get(struct mosaic_buffer *buffer, struct mosaic_dmabuf_attributes *out)
{
	*out = (struct mosaic_dmabuf_attributes){
		.width = 8, .height = 8, .fourcc = DRM_FORMAT_XRGB8888,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 1,
		.stride = { 32 }, .fd = { ((struct fake_dmabuf *)(void *)buffer)->fd, -1, -1, -1 },
	};
	return true;
}

static const struct mosaic_buffer_impl fake_dmabuf_impl = {
	.destroy = fake_dmabuf_destroy,
	.get_dmabuf = fake_dmabuf_get,
};

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
static void test_target_refuses(void **state)
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

static void test_dmabuf_absent(void **state)
{
	struct mosaic_renderer *r = *state;
	if (mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_EXPORT) {
		skip();
	}
	struct mosaic_buffer *buf = mosaic_vulkan_buffer_create(r, 8, 8, DRM_FORMAT_XRGB8888);
	struct mosaic_dmabuf_attributes attribs = { .n_planes = -1 };
	test_log.quiet_errors = true;
	// Refused with one log line, `attribs` untouched.
	int errors = test_log.errors;
	assert_false(mosaic_vulkan_buffer_export_dmabuf(buf, &attribs));
	assert_int_equal(test_log.errors, errors + 1);
	assert_int_equal(attribs.n_planes, -1);

	// The GPU allocator cannot honour explicit modifiers only (one line) and
	// falls back to its optimally tiled images when the implicit one is allowed.
	struct mosaic_allocator *alloc = mosaic_renderer_create_gpu_allocator(r);
	assert_non_null(alloc);
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	errors = test_log.errors;
	assert_null(mosaic_allocator_create_buffer(alloc, 8, 8, DRM_FORMAT_XRGB8888, &linear, 1));
	assert_int_equal(test_log.errors, errors + 1);
	const uint64_t either[] = { DRM_FORMAT_MOD_LINEAR, DRM_FORMAT_MOD_INVALID };
	struct mosaic_buffer *allocated = mosaic_allocator_create_buffer(alloc, 8, 8,
		DRM_FORMAT_XRGB8888, either, 2);
	assert_non_null(allocated);
	errors = test_log.errors;
	assert_false(mosaic_vulkan_buffer_export_dmabuf(allocated, &attribs));
	assert_int_equal(test_log.errors, errors + 1);
	assert_int_equal(attribs.n_planes, -1);
	mosaic_buffer_drop(allocated);
	mosaic_allocator_destroy(alloc);

	// Where dmabufs import at all, test-dmabuf-import.c covers them; elsewhere a
	// dmabuf-only buffer (a memfd stands in for the dmabuf) is refused cleanly.
	if (mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_IMPORT) {
		test_log.quiet_errors = false;
		mosaic_buffer_drop(buf);
		return;
	}
	struct fake_dmabuf fake;
	fake.fd = memfd_create("fake-dmabuf", MFD_CLOEXEC);
	assert_true(fake.fd >= 0);
	assert_int_equal(ftruncate(fake.fd, 8 * 8 * 4), 0);
	mosaic_buffer_init(&fake.base, &fake_dmabuf_impl, 8, 8);
	struct mosaic_buffer *dmabuf = &fake.base;
	assert_true(mosaic_buffer_get_caps(dmabuf) & MOSAIC_BUFFER_CAP_DMABUF);
	assert_null(mosaic_texture_from_buffer(r, dmabuf));
	assert_null(mosaic_renderer_begin_pass(r, dmabuf, NULL));
	test_log.quiet_errors = false;
	mosaic_buffer_drop(dmabuf);
	mosaic_buffer_drop(buf);
}

static void test_pipeline_cache(void **state)
{
	struct mosaic_renderer *r = *state;
	char dir[] = "/tmp/mosaic-vk-cache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], missing[256], junk[256];
	snprintf(path, sizeof(path), "%s/pipelines", dir);
	snprintf(missing, sizeof(missing), "%s/none", dir);
	snprintf(junk, sizeof(junk), "%s/junk", dir);

	// Make a pipeline exist, then save.
	struct test_image img;
	test_image_init(&img, 8, 8, DRM_FORMAT_ARGB8888, 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, img.buffer, NULL);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 4, 4 }, .color = { 0, 0, 0, 0.5f },
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	test_image_finish(&img);
	assert_true(mosaic_vulkan_renderer_save_pipeline_cache(r, path));
	assert_true(access(path, R_OK) == 0);

	struct mosaic_renderer *r2 = test_vulkan_renderer();
	assert_true(mosaic_vulkan_renderer_load_pipeline_cache(r2, path));
	assert_true(mosaic_vulkan_renderer_load_pipeline_cache(r2, missing));
	FILE *f = fopen(junk, "w");
	fputs("not a pipeline cache, not at all, no.", f);
	fclose(f);
	assert_true(mosaic_vulkan_renderer_load_pipeline_cache(r2, junk));
	mosaic_renderer_destroy(r2);
	unlink(path);
	unlink(junk);
	rmdir(dir);
}

static void test_device_choice(void **state)
{
	// By index and by name.
	setenv("MOSAIC_VK_DEVICE", "0", 1);
	struct mosaic_renderer *r = mosaic_vulkan_renderer_create(-1);
	assert_non_null(r);
	char name[64];
	snprintf(name, sizeof(name), "%.5s", mosaic_renderer_get_device_name(r));
	mosaic_renderer_destroy(r);
	setenv("MOSAIC_VK_DEVICE", name, 1);
	r = mosaic_vulkan_renderer_create(-1);
	assert_non_null(r);
	mosaic_renderer_destroy(r);

	test_log.quiet_errors = true;
	setenv("MOSAIC_VK_DEVICE", "no such device anywhere", 1);
	assert_null(mosaic_vulkan_renderer_create(-1));
	unsetenv("MOSAIC_VK_DEVICE");
	// A DRM fd that matches no Vulkan device (here not even a DRM device).
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int errors = test_log.errors;
	assert_null(mosaic_vulkan_renderer_create(fd));
	// The failure lists the devices seen.
	assert_true(test_log.errors >= errors + 2);
	close(fd);
	test_log.quiet_errors = false;
}

static int lost_calls;

static void on_lost(struct mosaic_renderer *renderer, void *data)
{
	lost_calls++;
}

static void test_device_lost(void **state)
{
	// A real VK_ERROR_DEVICE_LOST cannot be provoked on purpose; this checks what
	// follows once the backend reports it.
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_VULKAN,
		.lost = on_lost,
	});
	assert_non_null(r);
	struct test_image img;
	test_image_init(&img, 8, 8, DRM_FORMAT_ARGB8888, 0);
	uint32_t px[4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 2, 2, DRM_FORMAT_ARGB8888, 8,
		px);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, img.buffer, NULL);
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));

	test_log.quiet_errors = true;
	lost_calls = 0;
	mosaic_renderer_set_lost(r);
	mosaic_renderer_set_lost(r);
	// Delivered once, when the next call returns.
	assert_int_equal(lost_calls, 0);
	assert_true(mosaic_renderer_is_lost(r));
	assert_null(mosaic_renderer_begin_pass(r, img.buffer, NULL));
	assert_int_equal(lost_calls, 1);
	assert_null(mosaic_texture_from_pixels(r, 2, 2, DRM_FORMAT_ARGB8888, 8, px));
	assert_null(mosaic_vulkan_buffer_create(r, 8, 8, DRM_FORMAT_ARGB8888));
	assert_false(mosaic_renderer_wait_point(r, done.point, 0));
	uint32_t out[4];
	assert_false(test_read_texture(tex, out));
	test_log.quiet_errors = false;
	mosaic_texture_destroy(tex);
	mosaic_renderer_destroy(r);
	test_image_finish(&img);
}

static void test_timer(void **state)
{
	struct mosaic_renderer *r = *state;
	if (!(mosaic_renderer_get_features(r) & MOSAIC_FEATURE_GPU_TIMERS)) {
		skip();
	}
	struct mosaic_render_timer *timer = mosaic_render_timer_create(r);
	assert_non_null(timer);
	assert_int_equal(mosaic_render_timer_get_duration_ns(timer), -1);
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, 256, 256,
		DRM_FORMAT_ARGB8888);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target,
		&(struct mosaic_pass_options){ .timer = timer });
	for (int i = 0; i < 50; i++) {
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { i, i, 200, 200 }, .color = { 0, 0, 0.1f, 0.2f },
		}));
	}
	assert_true(mosaic_pass_submit(pass, NULL));
	int64_t ns = mosaic_render_timer_get_duration_ns(timer);
	printf("50 blended 200x200 rects at 256x256: %lld ns of GPU time\n", (long long)ns);
	assert_true(ns > 0);
	assert_true(ns < 10 * 1000 * 1000 * 1000LL);
	mosaic_render_timer_destroy(timer);
	mosaic_buffer_drop(target);
}

static void test_sync_files(void **state)
{
	struct mosaic_renderer *r = *state;
	uint64_t features = mosaic_renderer_get_features(r);
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, 8, 8, DRM_FORMAT_ARGB8888);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target,
		&(struct mosaic_pass_options){ .signal_sync_file = true });
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	if (!(features & MOSAIC_FEATURE_SYNC_FILE_EXPORT)) {
		assert_int_equal(done.sync_file_fd, -1);
	} else {
		// A real sync_file: it becomes readable when the pass is complete.
		assert_true(done.sync_file_fd >= 0);
		struct pollfd pfd = { .fd = done.sync_file_fd, .events = POLLIN };
		assert_int_equal(poll(&pfd, 1, 10000), 1);
		assert_true(mosaic_renderer_get_completed_point(r) >= done.point ||
			mosaic_renderer_wait_point(r, done.point, 0));
		if (features & MOSAIC_FEATURE_SYNC_FILE_IMPORT) {
			// And a later pass can wait for it on the GPU.
			int fds[2] = { done.sync_file_fd, done.sync_file_fd };
			pass = mosaic_renderer_begin_pass(r, target, &(struct mosaic_pass_options){
				.wait_sync_files = fds, .n_wait_sync_files = 2,
			});
			assert_non_null(pass);
			assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { 0, 0, 8, 8 }, .color = { 1, 1, 1, 1 },
			}));
			struct mosaic_pass_completion second;
			assert_true(mosaic_pass_submit(pass, &second));
			assert_true(mosaic_renderer_wait_point(r, second.point, -1));
		}
		close(done.sync_file_fd);
	}
	if (!(features & MOSAIC_FEATURE_SYNC_FILE_IMPORT)) {
		// The core waits on the CPU instead (a pipe with data is readable at once).
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], "x", 1), 1);
		pass = mosaic_renderer_begin_pass(r, target, &(struct mosaic_pass_options){
			.wait_sync_files = &fds[0], .n_wait_sync_files = 1,
		});
		assert_non_null(pass);
		assert_true(mosaic_pass_submit(pass, NULL));
		close(fds[0]);
		close(fds[1]);
	}
	mosaic_buffer_drop(target);
}

/*
 * The pipelines of a target format are made when the first pass into it
 * begins: the draws of that pass, whatever their blending and kind, create
 * no Vulkan object (no pipeline compiled in the middle of a frame).
 */
static void test_pipelines_at_begin(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 64, H = 48 };
	uint32_t *pixels = malloc(W * H * 4);
	test_pattern(pixels, W, H, 3);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, W, H,
		DRM_FORMAT_ARGB8888, W * 4, pixels);
	assert_non_null(tex);
	static const uint32_t fourccs[] = {
		DRM_FORMAT_XRGB8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_XRGB2101010, DRM_FORMAT_RGB565,
	};
	int tested = 0;
	for (size_t i = 0; i < sizeof(fourccs) / sizeof(fourccs[0]); i++) {
		test_log.quiet_errors = true;
		struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, W, H, fourccs[i]);
		test_log.quiet_errors = false;
		if (target == NULL) {
			continue;
		}
		for (int frame = 0; frame < 2; frame++) {
			struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
			assert_non_null(pass);
			uint64_t before = mosaic_vulkan_renderer_get_create_count(r);
			float alpha = 0.5f;
			for (int blend = 0; blend < 2; blend++) {
				enum mosaic_blend mode = blend ? MOSAIC_BLEND_PREMULTIPLIED :
					MOSAIC_BLEND_NONE;
				assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
					.box = { 1, 2, 30, 20 },
					.color = { 0.25f, 0.0f, 0.0f, 0.5f },
					.blend = mode,
				}));
				assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = tex,
					.dst_box = { 5, 3, 40, 30 },
					.alpha = &alpha,
					.filter = blend ? MOSAIC_FILTER_LINEAR : MOSAIC_FILTER_NEAREST,
					.blend = mode,
				}));
			}
			assert_int_equal(mosaic_vulkan_renderer_get_create_count(r), before);
			assert_true(mosaic_pass_submit(pass, NULL));
		}
		mosaic_buffer_drop(target);
		tested++;
	}
	assert_true(tested >= 2);
	mosaic_texture_destroy(tex);
	free(pixels);
}

/*
 * Destination boxes that are valid but end past INT32_MAX (the core clips
 * them in 64 bits): the backend must not overflow where it compares them
 * with the target (UBSan builds see it), and draws what lies in the target.
 */
static void test_huge_boxes(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 40, H = 30 };
	uint32_t *pixels = malloc(W * H * 4), *out = malloc(W * H * 4);
	for (int i = 0; i < W * H; i++) {
		pixels[i] = 0xff00ff00;
	}
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, W, H,
		DRM_FORMAT_ARGB8888, W * 4, pixels);
	assert_non_null(tex);
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, W, H, DRM_FORMAT_ARGB8888);
	assert_non_null(target);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H }, .color = { 0, 0, 0, 1 },
	}));
	// Blended: drawn as a quad, not cleared.
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 10, 5, INT32_MAX, INT32_MAX }, .color = { 0, 0, 0.5f, 0.5f },
	}));
	// The texture stretched over a box as large: its top-left pixels land at 20,15.
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { 20, 15, INT32_MAX - 1, INT32_MAX - 1 },
		.filter = MOSAIC_FILTER_NEAREST,
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	struct mosaic_texture *result = mosaic_texture_from_buffer(r, target);
	assert_non_null(result);
	assert_true(test_read_texture(result, out));
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			uint32_t want = x >= 20 && y >= 15 ? 0xff00ff00 :
				x >= 10 && y >= 5 ? 0xff000080 : 0xff000000;
			uint32_t got = out[y * W + x];
			// The blended blue may round either way.
			if (want == 0xff000080 && (got == 0xff00007f || got == 0xff000081)) {
				continue;
			}
			if (got != want) {
				fprintf(stderr, "pixel %d,%d: %08x, expected %08x\n", x, y, got, want);
			}
			assert_int_equal(got, want);
		}
	}
	mosaic_texture_destroy(result);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(target);
	free(pixels);
	free(out);
}

int main(void)
{
	// Results printed before a failed assertion must not be lost.
	setvbuf(stdout, NULL, _IONBF, 0);
	test_log_reset();
	mosaic_renderer_destroy(test_vulkan_renderer());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_features, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_read_pixels, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_partial_update, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_shm_upload, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_shm_target, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_vulkan_buffer, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_gpu_allocator, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_opaque_fd_roundtrip, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_target_refuses, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_dmabuf_absent, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_cache, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_device_choice, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_device_lost, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_timer, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_sync_files, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pipelines_at_begin, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_huge_boxes, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
