#ifndef MOSAIC_TESTS_DRM_TEST_H
#define MOSAIC_TESTS_DRM_TEST_H

/*
 * Helpers of the DRM tests: a log handler keeping the last ERROR line (to
 * check that bad input is rejected with a clear message) and the skip rule.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mosaic/mosaic.h>

/** The exit status meson reads as SKIP. */
#define TEST_SKIP 77

struct log_capture {
	int n_errors;
	char last_error[1024];
};

static struct log_capture test_log;

static inline void test_log_handler(enum mosaic_log level, const char *msg,
	void *user_data)
{
	struct log_capture *cap = user_data;
	if (level == MOSAIC_LOG_ERROR) {
		cap->n_errors++;
		snprintf(cap->last_error, sizeof(cap->last_error), "%s", msg);
	}
	if (level <= MOSAIC_LOG_WARN || getenv("MOSAIC_TEST_VERBOSE") != NULL) {
		fprintf(stderr, "  log(%d): %s\n", (int)level, msg);
	}
}

/** Forgets earlier messages; every later library message lands in test_log. */
static inline void test_log_reset(void)
{
	test_log = (struct log_capture){0};
	mosaic_log_init(MOSAIC_LOG_DEBUG, test_log_handler, &test_log);
}

/** Asserts that an ERROR line containing `needle` was logged since the reset. */
#define assert_logged(needle) do { \
	if (strstr(test_log.last_error, (needle)) == NULL) { \
		fail_msg("expected an error about \"%s\", last error: \"%s\"", (needle), \
			test_log.last_error); \
	} \
} while (0)

#endif
