/*
 * Teardown in the wrong order and unbalanced lifetime calls are programmer
 * errors that debug builds catch with an assertion. Each case runs in a
 * forked child that must die of SIGABRT; the renderer cases must also say,
 * in one ERROR line first, what was left behind.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "common.h"

#ifndef NDEBUG
static int log_fd = -1;

static void pipe_handler(enum mosaic_log level, const char *msg, void *user_data)
{
	if (level == MOSAIC_LOG_ERROR) {
		dprintf(log_fd, "%s\n", msg);
	}
}

static uint32_t pixel;

static void renderer_before_texture(void)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	struct mosaic_texture *t = mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_XRGB8888, 4,
		&pixel);
	if (r == NULL || t == NULL) {
		_exit(2);
	}
	mosaic_renderer_destroy(r);
}

static void renderer_before_read_request(void)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	if (r == NULL) {
		_exit(77);
	}
	struct mosaic_texture *t = mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_XRGB8888, 4,
		&pixel);
	uint32_t out;
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(t,
		&(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_XRGB8888, .stride = 4, .data = &out,
		});
	if (req == NULL) {
		_exit(2);
	}
	mosaic_renderer_destroy(r);
}

static enum mosaic_backend read_backend = MOSAIC_BACKEND_PIXMAN;

/*
 * The request reads from its texture until it is finished (Vulkan and GLES
 * read asynchronously, through their own requests).
 */
static void texture_before_read_request(void)
{
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = read_backend,
	});
	if (r == NULL) {
		_exit(77);
	}
	struct mosaic_texture *t = mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_XRGB8888, 4,
		&pixel);
	uint32_t out;
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(t,
		&(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_XRGB8888, .stride = 4, .data = &out,
		});
	if (req == NULL) {
		_exit(2);
	}
	mosaic_texture_destroy(t);
	mosaic_read_request_finish(req);
	mosaic_renderer_destroy(r);
}

static void double_drop(void)
{
	struct mosaic_buffer *b = mosaic_buffer_from_data(1, 1, DRM_FORMAT_XRGB8888, 4, &pixel);
	mosaic_buffer_lock(b);
	mosaic_buffer_drop(b);
	mosaic_buffer_drop(b);
}

static void unlock_without_lock(void)
{
	struct mosaic_buffer *b = mosaic_buffer_from_data(1, 1, DRM_FORMAT_XRGB8888, 4, &pixel);
	mosaic_buffer_unlock(b);
}

static void end_access_without_begin(void)
{
	struct mosaic_buffer *b = mosaic_buffer_from_data(1, 1, DRM_FORMAT_XRGB8888, 4, &pixel);
	mosaic_buffer_end_data_access(b);
}

static void drop_while_accessing(void)
{
	struct mosaic_buffer *b = mosaic_buffer_from_data(1, 1, DRM_FORMAT_XRGB8888, 4, &pixel);
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_READ, &data, &fourcc,
			&stride)) {
		_exit(2);
	}
	mosaic_buffer_drop(b);
}

/*
 * Runs `fn` in a child; returns its ERROR lines and asserts it aborted. A
 * child that exits 77 could not set up what it checks: false.
 */
static bool expect_abort(void (*fn)(void), char *buf, size_t size)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		log_fd = fds[1];
		mosaic_log_init(MOSAIC_LOG_ERROR, pipe_handler, NULL);
		fn();
		// Not reached in a debug build.
		_exit(0);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t n;
	while ((n = read(fds[0], buf + len, size - 1 - len)) > 0) {
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		return false;
	}
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
		print_error("child did not abort (status 0x%x)\n", status);
		fail();
	}
	return true;
}

/* Exactly one line in `buf`, containing `needle`. */
static void assert_one_line(const char *buf, const char *needle)
{
	assert_non_null(strstr(buf, needle));
	const char *nl = strchr(buf, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
}

static void test_renderer_before_texture(void **state)
{
	char buf[2048];
	expect_abort(renderer_before_texture, buf, sizeof(buf));
	assert_one_line(buf, "before 1 of its textures");
}

static void test_renderer_before_read_request(void **state)
{
	char buf[2048];
	expect_abort(renderer_before_read_request, buf, sizeof(buf));
	assert_one_line(buf, "read requests");
}

static void test_texture_before_read_request(void **state)
{
	char buf[2048];
	const enum mosaic_backend backends[] = {
		MOSAIC_BACKEND_PIXMAN, MOSAIC_BACKEND_VULKAN, MOSAIC_BACKEND_GLES,
	};
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		read_backend = backends[i];
		// The renderer starts in the child only: a GPU driver started before
		// a fork need not work after it (NVIDIA's does not).
		if (!expect_abort(texture_before_read_request, buf, sizeof(buf))) {
			print_message("backend %d cannot start here: not checked\n", read_backend);
			continue;
		}
		print_message("backend %d: %s", read_backend, buf);
		assert_one_line(buf, "texture destroyed before 1 of its read requests");
	}
}

static void test_buffer_misuse(void **state)
{
	char buf[2048];
	expect_abort(double_drop, buf, sizeof(buf));
	expect_abort(unlock_without_lock, buf, sizeof(buf));
	expect_abort(end_access_without_begin, buf, sizeof(buf));
	expect_abort(drop_while_accessing, buf, sizeof(buf));
}
#endif

int main(void)
{
#ifdef NDEBUG
	printf("assertions are disabled (NDEBUG): teardown order is not checked\n");
	return 77;
#else
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renderer_before_texture),
		cmocka_unit_test(test_renderer_before_read_request),
		cmocka_unit_test(test_texture_before_read_request),
		cmocka_unit_test(test_buffer_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
#endif
}
