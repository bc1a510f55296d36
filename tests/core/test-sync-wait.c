/*
 * wait_sync_files behaves the same on every backend: where the GPU cannot
 * wait (pixman always; here also llvmpipe and lavapipe, which have no
 * sync_file import without /dev/udmabuf), the pass waits on the CPU within
 * mosaic_pass_options.sync_file_cpu_timeout_ns and then proceeds with one
 * WARN line. A pipe stands for a sync_file: poll() sees it readable
 * (signaled) once it holds data, and never while it is empty.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <mosaic/config.h>

#include "common.h"

static struct log_capture cap;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct fixture {
	struct mosaic_renderer *renderer;
	struct mosaic_allocator *alloc;
	struct mosaic_buffer *out;
	int never[2];
	int never2[2];
};

static int setup(void **state, enum mosaic_backend backend)
{
	struct fixture *f = calloc(1, sizeof(*f));
	log_capture_start(&cap);
	f->renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = backend,
	});
	if (f->renderer == NULL) {
		free(f);
		*state = NULL;
		return 0;
	}
	f->alloc = mosaic_shm_allocator_create();
	f->out = mosaic_allocator_create_buffer(f->alloc, 8, 8, DRM_FORMAT_XRGB8888, NULL, 0);
	if (pipe(f->never) != 0 || pipe(f->never2) != 0 || f->out == NULL) {
		return -1;
	}
	*state = f;
	return 0;
}

static int setup_pixman(void **state)
{
	return setup(state, MOSAIC_BACKEND_PIXMAN);
}

#if MOSAIC_HAS_GLES
static int setup_gles(void **state)
{
	return setup(state, MOSAIC_BACKEND_GLES);
}
#endif

#if MOSAIC_HAS_VULKAN
static int setup_vulkan(void **state)
{
	return setup(state, MOSAIC_BACKEND_VULKAN);
}
#endif

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f == NULL) {
		return 0;
	}
	mosaic_buffer_drop(f->out);
	mosaic_allocator_destroy(f->alloc);
	mosaic_renderer_destroy(f->renderer);
	close(f->never[0]);
	close(f->never[1]);
	close(f->never2[0]);
	close(f->never2[1]);
	free(f);
	return 0;
}

/* Runs a pass that waits for `fds`; returns its duration in ms. */
static int64_t timed_pass(struct fixture *f, const int *fds, size_t n, int64_t timeout_ns)
{
	log_capture_reset(&cap);
	int64_t t0 = now_ms();
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(f->renderer, f->out,
		&(struct mosaic_pass_options){
			.wait_sync_files = fds, .n_wait_sync_files = n,
			.sync_file_cpu_timeout_ns = timeout_ns,
		});
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 8, 8 }, .color = { 1, 1, 1, 1 },
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(f->renderer, done.point, 5000000000LL));
	int64_t t1 = now_ms();
	assert_no_error(&cap);
	return t1 - t0;
}

static bool cpu_waits(struct fixture *f)
{
	return !(mosaic_renderer_get_features(f->renderer) & MOSAIC_FEATURE_SYNC_FILE_IMPORT);
}

static void test_never_signaled(void **state)
{
	struct fixture *f = *state;
	if (f == NULL) {
		skip();
	}
	if (!cpu_waits(f)) {
		// A pipe is no sync_file for a GPU import; that path is tests/drm's.
		skip();
	}
	int64_t ms = timed_pass(f, &f->never[0], 1, 150000000);
	print_message("%s: one fence that never signals: %lld ms, %d warning(s)\n",
		mosaic_backend_name(mosaic_renderer_get_backend(f->renderer)), (long long)ms,
		cap.n_warnings);
	assert_true(ms >= 145 && ms < 2000);
	assert_int_equal(cap.n_warnings, 1);

	// Two of them share the budget: one bound, one line.
	const int two[2] = { f->never[0], f->never2[0] };
	ms = timed_pass(f, two, 2, 150000000);
	print_message("two: %lld ms, %d warning(s)\n", (long long)ms, cap.n_warnings);
	assert_true(ms >= 145 && ms < 2000);
	assert_int_equal(cap.n_warnings, 1);

	// The default bound (100 ms).
	ms = timed_pass(f, &f->never[0], 1, 0);
	print_message("default bound: %lld ms\n", (long long)ms);
	assert_true(ms >= 95 && ms < 2000);
	assert_int_equal(cap.n_warnings, 1);
}

struct late_signal {
	int fd;
	int delay_ms;
};

static void *signal_late(void *data)
{
	struct late_signal *s = data;
	usleep((useconds_t)s->delay_ms * 1000);
	if (write(s->fd, "x", 1) != 1) {
		abort();
	}
	return NULL;
}

static void test_signaled_in_time(void **state)
{
	struct fixture *f = *state;
	if (f == NULL) {
		skip();
	}
	// Already signaled: no wait, no line.
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	int64_t ms = timed_pass(f, &fds[0], 1, 0);
	assert_true(ms < 1000);
	assert_int_equal(cap.n_warnings, 0);
	close(fds[0]);
	close(fds[1]);
	if (!cpu_waits(f)) {
		return;
	}

	// Signaled while the pass waits, within an out-of-range bound (clamped to 10 s).
	assert_int_equal(pipe(fds), 0);
	struct late_signal s = { .fd = fds[1], .delay_ms = 200 };
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, signal_late, &s), 0);
	ms = timed_pass(f, &fds[0], 1, INT64_MAX);
	pthread_join(thread, NULL);
	print_message("signaled after 200 ms: the pass took %lld ms\n", (long long)ms);
	assert_true(ms >= 195 && ms < 5000);
	assert_int_equal(cap.n_warnings, 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	// The backends that were built (a build without them, such as the
	// sanitizer build, has only pixman's cases).
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_never_signaled, setup_pixman, teardown),
		cmocka_unit_test_setup_teardown(test_signaled_in_time, setup_pixman, teardown),
#if MOSAIC_HAS_GLES
		cmocka_unit_test_setup_teardown(test_never_signaled, setup_gles, teardown),
		cmocka_unit_test_setup_teardown(test_signaled_in_time, setup_gles, teardown),
#endif
#if MOSAIC_HAS_VULKAN
		cmocka_unit_test_setup_teardown(test_never_signaled, setup_vulkan, teardown),
		cmocka_unit_test_setup_teardown(test_signaled_in_time, setup_vulkan, teardown),
#endif
	};
	return cmocka_run_group_tests_name("sync-wait", tests, NULL, NULL);
}
