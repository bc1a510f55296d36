/*
 * test-vulkan: Vulkan buffers as targets and textures, the GPU allocator,
 * opaque-fd sharing between two renderers, and the paths of a device
 * without dmabuf support.
 */
#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
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
#include "test-vulkan.h"

/* More passes than the renderer keeps frames in flight (4), so every slot is reused. */
#define VK_FRAMES_FOR_TEST 4

/* test_draw_quadrants(), and the renderer knows the pass completed. */
static void draw_quadrants(struct mosaic_renderer *r, struct mosaic_buffer *target, int w, int h)
{
	uint64_t point = test_draw_quadrants(r, target, w, h);
	assert_true(mosaic_renderer_get_completed_point(r) >= point);
}

void test_vulkan_buffer(void **state)
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
	test_check_quadrants(out, W, H);

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
	test_check_quadrants(out, W, H);

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

void test_gpu_allocator(void **state)
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

void test_opaque_fd_roundtrip(void **state)
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
	test_check_quadrants(out, W, H);

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

void test_dmabuf_absent(void **state)
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
