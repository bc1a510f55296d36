/*
 * test-vulkan: what passes give and take beyond pixels: GPU timers,
 * sync_files signalled and waited for, pipelines made when a pass begins
 * rather than during it, and destination boxes that end past INT32_MAX.
 */
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

#include "common.h"
#include "test-vulkan.h"

void test_timer(void **state)
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

void test_sync_files(void **state)
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
void test_pipelines_at_begin(void **state)
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
void test_huge_boxes(void **state)
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
