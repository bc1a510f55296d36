/*
 * test-gles: uploads with padded strides and damage updates, synchronous and
 * asynchronous reads in every format, and pass completion with timers.
 */
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
#include <pixman.h>

#include <mosaic/allocator.h>
#include <mosaic/mosaic.h>

#include "test_gles.h"

/* Uploads with a padded stride, damage updates and reads in every format. */
void test_upload_read(void **state)
{
	const int w = 19, h = 11;
	size_t n;
	const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
	for (size_t i = 0; i < n; i++) {
		uint32_t fourcc = infos[i].fourcc;
		uint32_t stride = ((uint32_t)w * infos[i].bytes_per_pixel + 8 + 3) & ~3u;
		if (!mosaic_format_set_has(mosaic_renderer_get_texture_formats(gl,
				MOSAIC_BUFFER_CAP_DATA_PTR), fourcc, DRM_FORMAT_MOD_LINEAR)) {
			// Refused when the texture is made, with one line saying why.
			uint8_t *zeros = calloc(1, (size_t)stride * h);
			int errors = gles_test_log_errors;
			assert_null(mosaic_texture_from_pixels(gl, w, h, fourcc, stride, zeros));
			assert_int_equal(gles_test_log_errors, errors + 1);
			gles_test_log_errors = errors;
			free(zeros);
			CHECK_GL();
			continue;
		}
		size_t size = (size_t)stride * h;
		uint8_t *data = malloc(size), *back = calloc(1, size);
		for (size_t k = 0; k < size; k++) {
			data[k] = (uint8_t)rng();
		}
		struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, w, h, fourcc, stride,
			data);
		assert_non_null(tex);
		CHECK_GL();

		// Damage: two rectangles change; the rest must keep the first upload.
		uint8_t *update = malloc(size);
		for (size_t k = 0; k < size; k++) {
			update[k] = (uint8_t)rng();
		}
		struct mosaic_buffer *buffer = mosaic_buffer_from_data(w, h, fourcc, stride, update);
		pixman_region32_t damage;
		pixman_region32_init_rect(&damage, 2, 1, 5, 4);
		pixman_region32_union_rect(&damage, &damage, 10, 6, 9, 5);
		assert_true(mosaic_texture_update_from_buffer(tex, buffer, &damage));
		CHECK_GL();
		size_t bpp = infos[i].bytes_per_pixel;
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				if (pixman_region32_contains_point(&damage, x, y, NULL)) {
					memcpy(data + y * stride + x * bpp, update + y * stride + x * bpp,
						bpp);
				}
			}
		}
		pixman_region32_fini(&damage);
		mosaic_buffer_drop(buffer);

		assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
			.fourcc = fourcc, .stride = stride, .data = back,
		}));
		CHECK_GL();
		assert_int_equal(compare(fourcc, back, data, stride, w, h, 0, "read back"), 0);

		// A sub-rectangle in another format, through the asynchronous path.
		uint32_t argb[8 * 5];
		struct mosaic_read_request *req = mosaic_texture_read_pixels_start(tex,
			&(struct mosaic_read_pixels_options){
				.fourcc = DRM_FORMAT_ARGB8888, .stride = 32, .data = argb,
				.src_box = { 3, 2, 8, 5 },
			});
		assert_non_null(req);
		int fd = mosaic_read_request_get_fd(req);
		if (fd < 0) {
			// Without an fd, completion is polled; the read must get there.
			for (int k = 0; k < 100000 && !mosaic_read_request_is_complete(req); k++) {
			}
		}
		assert_true(mosaic_read_request_finish(req));
		CHECK_GL();
		uint32_t *expect = to_argb(fourcc, data + 2 * stride + 3 * bpp, stride, 8, 5);
		for (int k = 0; k < 8 * 5; k++) {
			uint32_t e = infos[i].has_alpha ? expect[k] : expect[k] | 0xff000000;
			if (argb[k] != e) {
				fprintf(stderr, "%s async read: pixel %d is %08x, expected %08x\n",
					infos[i].name, k, argb[k], e);
			}
			assert_int_equal(argb[k], e);
		}
		free(expect);
		(void)mosaic_texture_get_preferred_read_format(tex);
		mosaic_texture_destroy(tex);
		CHECK_GL();
		free(data);
		free(back);
		free(update);
	}
}

void test_completion_timer(void **state)
{
	struct mosaic_render_timer *timer = mosaic_render_timer_create(gl);
	bool timers = (mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_GPU_TIMERS) != 0;
	assert_int_equal(timer != NULL, timers);
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(alloc, 64, 64,
		DRM_FORMAT_XRGB8888, NULL, 0);
	assert_non_null(buffer);
	uint64_t last = 0;
	for (int i = 0; i < 3; i++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, buffer,
			&(struct mosaic_pass_options){ .timer = timer, .signal_sync_file = true });
		assert_non_null(pass);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 64, 64 }, .color = { 0.5f, 0.5f, 0.5f, 1.0f },
		}));
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(done.point > last);
		last = done.point;
		if (done.sync_file_fd >= 0) {
			close(done.sync_file_fd);
		}
		assert_true(mosaic_renderer_wait_point(gl, done.point, -1));
		assert_true(mosaic_renderer_get_completed_point(gl) >= done.point);
		if (timer != NULL) {
			assert_true(mosaic_render_timer_get_duration_ns(timer) >= 0);
		}
	}
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	// 50% gray: 127.5 may round to 0x7f or 0x80 depending on the GPU.
	uint32_t px = ((uint32_t *)data)[0];
	for (int c = 0; c < 3; c++) {
		int v = (int)((px >> (8 * c)) & 0xff);
		assert_true(v == 0x7f || v == 0x80);
	}
	mosaic_buffer_end_data_access(buffer);
	mosaic_buffer_drop(buffer);
	mosaic_allocator_destroy(alloc);
	mosaic_render_timer_destroy(timer);
	CHECK_GL();
}
