#ifndef MOSAIC_TESTS_CORE_COMMON_H
#define MOSAIC_TESTS_CORE_COMMON_H

/*
 * Helpers shared by the core tests: a log handler that counts ERROR lines
 * (through user_data, as a compositor would), and pixel access helpers.
 * Everything is static inline so that each test binary takes what it uses.
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

struct log_capture {
	int n_errors;
	int n_warnings;
	int n_lines;
	/** The last ERROR line. */
	char last_error[1024];
};

static inline void log_capture_handler(enum mosaic_log level, const char *msg,
	void *user_data)
{
	struct log_capture *cap = user_data;
	cap->n_lines++;
	if (level == MOSAIC_LOG_ERROR) {
		cap->n_errors++;
		snprintf(cap->last_error, sizeof(cap->last_error), "%s", msg);
	} else if (level == MOSAIC_LOG_WARN) {
		cap->n_warnings++;
	}
	if (getenv("MOSAIC_TEST_VERBOSE") != NULL) {
		fprintf(stderr, "log(%d): %s\n", (int)level, msg);
	}
}

/** Starts capturing: every later library message lands in `cap`. */
static inline void log_capture_start(struct log_capture *cap)
{
	*cap = (struct log_capture){0};
	mosaic_log_init(MOSAIC_LOG_DEBUG, log_capture_handler, cap);
}

static inline void log_capture_reset(struct log_capture *cap)
{
	cap->n_errors = 0;
	cap->n_warnings = 0;
	cap->n_lines = 0;
	cap->last_error[0] = '\0';
}

/*
 * Asserts that exactly one ERROR line was logged since the last reset and
 * that it contains `needle` (case-sensitive), then resets.
 */
#define assert_one_error(cap, needle) do { \
	if ((cap)->n_errors != 1 || strstr((cap)->last_error, (needle)) == NULL) { \
		print_error("expected one error containing \"%s\", got %d (last: \"%s\")\n", \
			(needle), (cap)->n_errors, (cap)->last_error); \
		fail(); \
	} \
	log_capture_reset(cap); \
} while (0)

#define assert_no_error(cap) do { \
	if ((cap)->n_errors != 0) { \
		print_error("expected no error, got %d (last: \"%s\")\n", (cap)->n_errors, \
			(cap)->last_error); \
		fail(); \
	} \
} while (0)

/** Packs 8-bit straight channels into an ARGB8888 word. */
static inline uint32_t argb(uint8_t a, uint8_t r, uint8_t g, uint8_t b)
{
	return (uint32_t)a << 24 | (uint32_t)r << 16 | (uint32_t)g << 8 | b;
}

static inline int channel(uint32_t px, int shift)
{
	return (int)((px >> shift) & 0xff);
}

/*
 * Asserts that two ARGB8888 words differ by at most `tol` in every channel,
 * naming the pixel on failure.
 */
#define assert_pixel_near(got, want, tol, x, y) do { \
	uint32_t got_ = (got), want_ = (want); \
	for (int sh_ = 0; sh_ < 32; sh_ += 8) { \
		int d_ = channel(got_, sh_) - channel(want_, sh_); \
		if (d_ < -(tol) || d_ > (tol)) { \
			print_error("pixel %d,%d: got 0x%08x, want 0x%08x (+-%d)\n", \
				(int)(x), (int)(y), got_, want_, (int)(tol)); \
			fail(); \
		} \
	} \
} while (0)

#endif
