/*
 * Destroying a renderer before its textures is a programmer error that debug
 * builds catch with an assertion (after one ERROR line saying what is left).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "common.h"

#ifndef NDEBUG
static int log_fd = -1;

static void pipe_handler(enum mosaic_log_level level, const char *msg, void *user_data)
{
	if (level == MOSAIC_LOG_ERROR) {
		dprintf(log_fd, "%s\n", msg);
	}
}

static void child(void)
{
	mosaic_log_init(MOSAIC_LOG_ERROR, pipe_handler, NULL);
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	uint32_t px = 0;
	struct mosaic_texture *t = mosaic_texture_from_pixels(r, DRM_FORMAT_XRGB8888, 4, 1, 1,
		&px);
	if (r == NULL || t == NULL) {
		_exit(2);
	}
	mosaic_renderer_destroy(r);
	// Not reached in a debug build.
	_exit(0);
}

static void test_renderer_before_texture(void **state)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		log_fd = fds[1];
		child();
	}
	close(fds[1]);
	char buf[2048] = "";
	size_t len = 0;
	ssize_t n;
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	// Exactly one ERROR line, which says what was left behind.
	assert_non_null(strstr(buf, "before 1 of its textures"));
	assert_int_equal(strchr(buf, '\n') - buf, (long)len - 1);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
#endif
}
