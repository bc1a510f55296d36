/*
 * Faults in the GLES backend, along one scripted session (textures from
 * pixels, an update with damage, a GPU-allocated target and a memory target
 * with rects, transformed and translucent textures and a clip, waits, sync
 * and async reads, destroys):
 *
 * - allocations: every malloc/calloc/realloc made by libmosaic itself fails
 *   in turn, renderer creation included (the driver's own allocations are
 *   left alone: a driver is not expected to survive them);
 * - GL and EGL: the Nth call of glTexImage2D, glBufferData (GL_OUT_OF_MEMORY),
 *   glMapBufferRange (NULL), glFenceSync, eglCreateSyncKHR and
 *   eglCreateImageKHR (no object) fails, for a few N of each;
 * - a context reset (GL_KHR_robustness): glGetGraphicsResetStatusKHR
 *   reports a guilty reset from its Nth call on, and glGetError reports
 *   GL_CONTEXT_LOST once, as a reset context does.
 *
 * For each run: no crash; a public call that fails logs exactly one ERROR
 * line and one that works none; a run where every call worked draws and
 * reads exactly what the clean run did; nothing libmosaic allocated is left
 * after the teardown, and no fd. After a reset: `lost` runs once, every
 * later call fails, and a new renderer draws correctly.
 *
 * The interposers (fault_hooks.c, ../common/alloc_fail.c) are this executable's own definitions,
 * exported dynamically, which the library's calls resolve to. Not under
 * AddressSanitizer, which owns malloc.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>
#include <drm_fourcc.h>
#include <pixman.h>

#include <mosaic/allocator.h>
#include <mosaic/gles.h>
#include <mosaic/mosaic.h>

#include "fault_hooks.h"

#if defined(__SANITIZE_ADDRESS__)
int main(void)
{
	printf("built with AddressSanitizer: allocations are not interposed\n");
	return 77;
}
#else

/* What one run saw. */
struct run {
	int lost_calls;
	int failed_calls, bad_logs;
	char first_bad[320];
	/* After a reset: every public call of the session failed. */
	int worked_after_loss;
	/* A hash of everything drawn and read, when every call worked. */
	uint64_t pixels;
	bool renderer_failed;
};

static struct run *current;
static struct mosaic_renderer *current_renderer;

static void on_lost(struct mosaic_renderer *renderer, void *data)
{
	((struct run *)data)->lost_calls++;
}

/* `of_renderer`: a call on the renderer or its objects, which fails once it is lost. */
static bool checked_call(bool ok, int before, const char *what, bool of_renderer)
{
	int lines = fault_log.errors - before;
	if (!ok) {
		current->failed_calls++;
	} else if (of_renderer && current_renderer != NULL &&
			mosaic_renderer_is_lost(current_renderer) && lines == 0) {
		current->worked_after_loss++;
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

static bool checked(bool ok, int before, const char *what)
{
	return checked_call(ok, before, what, true);
}

#define CALL(ok_expr, what) \
	do { \
		int before_ = fault_log.errors; \
		checked((ok_expr), before_, what); \
	} while (0)

static uint64_t hash(uint64_t h, const void *data, size_t size)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < size; i++) {
		h = (h ^ p[i]) * 1099511628211u;
	}
	return h;
}

#define W 48
#define H 32
#define TW 96
#define TH 64

static void pattern(uint32_t *px, int w, int h, uint32_t seed)
{
	for (int i = 0; i < w * h; i++) {
		uint32_t v = (uint32_t)i * 2654435761u + seed * 40503u;
		uint32_t a = (i + seed) % 3 == 0 ? 0xff : 0x80;
		uint32_t r = ((v >> 8) & 0xff) * a / 255, g = ((v >> 16) & 0xff) * a / 255;
		uint32_t b = ((v >> 24) & 0xff) * a / 255;
		px[i] = a << 24 | r << 16 | g << 8 | b;
	}
}

static void session(struct mosaic_renderer *r)
{
	static uint32_t pixels[2][W * H], big[300 * 200];
	pattern(pixels[0], W, H, 1);
	pattern(pixels[1], W, H, 2);
	pattern(big, 300, 200, 3);
	uint64_t sum = 1469598103934665603u;
	int before = fault_log.errors;
	struct mosaic_allocator *gpu = mosaic_renderer_create_gpu_allocator(r);
	checked(gpu != NULL, before, "create_gpu_allocator");
	before = fault_log.errors;
	struct mosaic_texture *small = mosaic_texture_from_pixels(r, W, H, DRM_FORMAT_ARGB8888,
		W * 4, pixels[0]);
	checked(small != NULL, before, "texture_from_pixels");
	before = fault_log.errors;
	struct mosaic_texture *large = mosaic_texture_from_pixels(r, 300, 200, DRM_FORMAT_XRGB8888,
		300 * 4, big);
	checked(large != NULL, before, "texture_from_pixels (large)");
	if (small != NULL) {
		before = fault_log.errors;
		struct mosaic_buffer *update = mosaic_buffer_from_data(W, H, DRM_FORMAT_ARGB8888,
			W * 4, pixels[1]);
		checked_call(update != NULL, before, "buffer_from_data", false);
		pixman_region32_t damage;
		pixman_region32_init_rect(&damage, 0, 0, 20, 20);
		pixman_region32_union_rect(&damage, &damage, 30, 10, 18, 22);
		if (update != NULL) {
			CALL(mosaic_texture_update_from_buffer(small, update, &damage), "update");
		}
		pixman_region32_fini(&damage);
		mosaic_buffer_drop(update);
	}

	static uint32_t shm_px[TW * TH];
	memset(shm_px, 0, sizeof(shm_px));
	before = fault_log.errors;
	struct mosaic_buffer *shm = mosaic_buffer_from_data(TW, TH, DRM_FORMAT_XRGB8888, TW * 4,
		shm_px);
	checked_call(shm != NULL, before, "buffer_from_data (target)", false);
	struct mosaic_buffer *target = NULL;
	if (gpu != NULL) {
		before = fault_log.errors;
		target = mosaic_allocator_create_buffer(gpu, TW, TH, DRM_FORMAT_ARGB8888, NULL, 0);
		checked(target != NULL, before, "allocator_create_buffer");
	}
	struct mosaic_buffer *targets[2] = { target, shm };
	const float half = 0.5f;
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 4, 4, 60, 40);
	pixman_region32_union_rect(&clip, &clip, 30, 30, 60, 30);
	uint64_t last_point = 0;
	for (int t = 0; t < 2; t++) {
		if (targets[t] == NULL) {
			continue;
		}
		for (int frame = 0; frame < 2; frame++) {
			before = fault_log.errors;
			struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, targets[t], NULL);
			if (!checked(pass != NULL, before, "begin_pass")) {
				continue;
			}
			bool ok = mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { 0, 0, TW, TH }, .color = { 0.1f, 0.2f, 0.3f, 1 },
				.blend = MOSAIC_BLEND_NONE,
			});
			if (small != NULL) {
				ok = mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = small, .dst_box = { 5, 7, 32, 48 },
					.transform = MOSAIC_TRANSFORM_90, .alpha = &half, .clip = &clip,
					.filter = MOSAIC_FILTER_LINEAR,
				}) && ok;
				ok = mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = small, .dst_box = { 40, 20, W, H },
					.filter = MOSAIC_FILTER_NEAREST, .blend = MOSAIC_BLEND_NONE,
				}) && ok;
			}
			if (large != NULL) {
				ok = mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = large, .src_box = { 10.5, 20.25, 200, 100 },
					.dst_box = { 20, 30, 50, 25 }, .filter = MOSAIC_FILTER_LINEAR,
				}) && ok;
			}
			struct mosaic_pass_completion done = { 0 };
			ok = mosaic_pass_submit(pass, &done) && ok;
			if (checked(ok, before, "pass")) {
				last_point = done.point;
			}
			if (done.sync_file_fd > 0) {
				close(done.sync_file_fd);
			}
		}
	}
	pixman_region32_fini(&clip);
	if (last_point != 0) {
		CALL(mosaic_renderer_wait_point(r, last_point, 5000000000), "wait_point");
	}
	sum = hash(sum, shm_px, sizeof(shm_px));

	static uint32_t out[TW * TH];
	if (target != NULL) {
		before = fault_log.errors;
		struct mosaic_texture *view = mosaic_texture_from_buffer(r, target);
		if (checked(view != NULL, before, "texture_from_buffer")) {
			memset(out, 0, sizeof(out));
			CALL(mosaic_texture_read_pixels(view, &(struct mosaic_read_pixels_options){
				.fourcc = DRM_FORMAT_ARGB8888, .stride = TW * 4, .data = out,
			}), "read_pixels");
			sum = hash(sum, out, sizeof(out));
			memset(out, 0, sizeof(out));
			before = fault_log.errors;
			struct mosaic_read_request *req = mosaic_texture_read_pixels_start(view,
				&(struct mosaic_read_pixels_options){
					.fourcc = DRM_FORMAT_ABGR8888, .stride = TW * 4, .data = out,
					.src_box = { 3, 5, 40, 30 },
				});
			if (checked(req != NULL, before, "read_pixels_start")) {
				CALL(mosaic_read_request_finish(req), "read_request_finish");
			}
			sum = hash(sum, out, sizeof(out));
			mosaic_texture_destroy(view);
		}
	}
	if (small != NULL) {
		memset(out, 0, sizeof(out));
		CALL(mosaic_texture_read_pixels(small, &(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888, .stride = W * 4, .data = out,
		}), "read_pixels (texture)");
		sum = hash(sum, out, W * H * 4);
	}
	current->pixels = sum;

	mosaic_texture_destroy(small);
	mosaic_texture_destroy(large);
	mosaic_buffer_drop(target);
	mosaic_buffer_drop(shm);
	mosaic_allocator_destroy(gpu);
}

/*
 * One run: a renderer (its creation armed for allocations only when
 * `arm_create`), the session, the teardown. Returns false when the renderer
 * could not be created (then it logged exactly one ERROR line, or bad_logs
 * says otherwise).
 */
static void run_session(struct run *run, bool arm_create)
{
	memset(run, 0, sizeof(*run));
	current = run;
	memset(fault_sweep.calls, 0, sizeof(fault_sweep.calls));
	fault_sweep.injected = false;
	fault_sweep.reset = EGL_NO_CONTEXT;
	fault_sweep.reset_reported = false;
	fault_alloc.calls = 0;
	fault_alloc.injected = false;
	fault_alloc.armed = arm_create;
	int before = fault_log.errors;
	struct mosaic_renderer *r = mosaic_gles_renderer_create(-1);
	if (!checked(r != NULL, before, "gles_renderer_create")) {
		run->renderer_failed = true;
		fault_alloc.armed = false;
		return;
	}
	fault_alloc.armed = true;
	fault_sweep.armed = true;
	current_renderer = r;
	mosaic_renderer_set_lost_callback(r, on_lost, run);
	session(r);
	fault_sweep.armed = false;
	fault_alloc.armed = false;
	current_renderer = NULL;
	mosaic_renderer_destroy(r);
}

/* A new renderer (nothing failing now) draws and reads back right. */
static void check_new_renderer(void)
{
	struct mosaic_renderer *r = mosaic_gles_renderer_create(-1);
	assert_non_null(r);
	static uint32_t px[16 * 16];
	memset(px, 0, sizeof(px));
	struct mosaic_buffer *buf = mosaic_buffer_from_data(16, 16, DRM_FORMAT_ARGB8888, 64, px);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, buf, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 16, 16 }, .color = { 1, 0, 0, 1 }, .blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done = { 0 };
	assert_true(mosaic_pass_submit(pass, &done));
	if (done.sync_file_fd > 0) {
		close(done.sync_file_fd);
	}
	assert_true(mosaic_renderer_wait_point(r, done.point, 5000000000));
	assert_int_equal(px[5 * 16 + 5], 0xffff0000);
	mosaic_buffer_drop(buf);
	mosaic_renderer_destroy(r);
}

static struct run clean;
static int clean_allocs, clean_calls[E_COUNT];

static int setup(void **state)
{
	fault_log.verbose = getenv("MOSAIC_DEBUG") != NULL;
	mosaic_log_init(MOSAIC_LOG_INFO, fault_log_handler, NULL);
	if (!fault_alloc_init()) {
		fprintf(stderr, "libmosaic is not a shared object of this process\n");
		return -1;
	}
	struct mosaic_renderer *probe = mosaic_gles_renderer_create(-1);
	if (probe == NULL) {
		printf("no GLES renderer here\n");
		exit(77);
	}
	mosaic_renderer_destroy(probe);
	// The first run warms the driver's caches; the second counts.
	run_session(&clean, false);
	run_session(&clean, true);
	clean_allocs = fault_alloc.calls;
	memcpy(clean_calls, fault_sweep.calls, sizeof(clean_calls));
	return clean.failed_calls == 0 && clean.bad_logs == 0 ? 0 : -1;
}

/* The checks of one run with one failure; prints and returns false when one fails. */
static bool judge(const struct run *run, int live_before, int fds_before, const char *what,
	int n)
{
	char why[400] = "";
	bool lost = fault_sweep.reset != EGL_NO_CONTEXT;
	if (run->bad_logs > 0) {
		snprintf(why, sizeof(why), "%s", run->first_bad);
	} else if (run->failed_calls == 0 && !run->renderer_failed &&
			run->pixels != clean.pixels) {
		snprintf(why, sizeof(why), "every call worked, with other pixels");
	} else if (lost && run->lost_calls != 1) {
		snprintf(why, sizeof(why), "lost called %d times", run->lost_calls);
	} else if (!lost && run->lost_calls != 0) {
		snprintf(why, sizeof(why), "lost called without a reset");
	} else if (run->worked_after_loss > 0) {
		snprintf(why, sizeof(why), "%d calls worked after the loss", run->worked_after_loss);
	} else if (fault_live != live_before) {
		snprintf(why, sizeof(why), "%d allocations of libmosaic left", fault_live - live_before);
	} else if (fault_count_fds() != fds_before) {
		snprintf(why, sizeof(why), "%d fds left", fault_count_fds() - fds_before);
	}
	if (why[0] == '\0') {
		return true;
	}
	print_message("%s %d failing: %s\n", what, n, why);
	return false;
}

static void test_allocations(void **state)
{
	int failures = 0, runs = 0;
	fault_tracking = true;
	for (int n = 0; n <= clean_allocs + 8; n++) {
		int live_before = fault_live, fds_before = fault_count_fds();
		fault_alloc.fail_at = n;
		if (fault_log.verbose) {
			fprintf(stderr, "-- allocation %d\n", n);
		}
		struct run run;
		run_session(&run, true);
		if (!fault_alloc.injected) {
			break;
		}
		runs++;
		failures += !judge(&run, live_before, fds_before, "allocation", n);
	}
	fault_tracking = false;
	fault_alloc.fail_at = -1;
	print_message("%d allocations in the session, %d runs, %d bad\n", clean_allocs, runs,
		failures);
	assert_int_equal(failures, 0);
}

static void test_gl_faults(void **state)
{
	int failures = 0, runs = 0;
	fault_alloc.fail_at = -1;
	fault_tracking = true;
	for (int e = 0; e < E_COUNT; e++) {
		int n = clean_calls[e];
		int which[4] = { 1, 2, n / 2, n };
		for (int k = 0; k < 4; k++) {
			bool dup = which[k] < 1 || which[k] > n;
			for (int j = 0; j < k; j++) {
				dup |= which[j] == which[k];
			}
			if (dup) {
				continue;
			}
			fault_sweep.fail_entry = e;
			fault_sweep.fail_call = which[k];
			if (fault_log.verbose) {
				fprintf(stderr, "-- %s %d\n", fault_entry_names[e], which[k]);
			}
			int live_before = fault_live, fds_before = fault_count_fds();
			struct run run;
			run_session(&run, false);
			if (!fault_sweep.injected) {
				continue;
			}
			runs++;
			failures += !judge(&run, live_before, fds_before, fault_entry_names[e], which[k]);
			if (fault_sweep.reset != EGL_NO_CONTEXT) {
				check_new_renderer();
			}
		}
		if (n == 0) {
			print_message("%s: not called on this driver\n", fault_entry_names[e]);
		}
	}
	fault_tracking = false;
	fault_sweep.fail_entry = -1;
	print_message("%d runs with one failing GL/EGL call, %d bad\n", runs, failures);
	assert_true(clean_calls[E_RESET_STATUS] > 0);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gl_faults),
		cmocka_unit_test(test_allocations),
	};
	return cmocka_run_group_tests_name("gles-faults", tests, setup, NULL);
}
#endif
