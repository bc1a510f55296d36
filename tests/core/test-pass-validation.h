#ifndef MOSAIC_TESTS_CORE_TEST_PASS_VALIDATION_H
#define MOSAIC_TESTS_CORE_TEST_PASS_VALIDATION_H

/*
 * test-pass-validation is one binary built from test-pass-validation*.c:
 * a recording backend (test-pass-validation-backend.c) captures what the
 * core hands its hooks; the tests of passes and of textures check it, and
 * test-pass-validation.c runs them all.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#include <mosaic/interface.h>

#include "common.h"

extern struct log_capture cap;

/* What the recording backend saw last. */
struct record {
	int n_rects, n_textures, n_submits, n_updates, n_reads, n_begin;
	struct mosaic_rect_options rect;
	struct mosaic_texture_options texture;
	float alpha;
	pixman_region32_t clip;
	pixman_region32_t damage;
	struct mosaic_texture_update update;
	bool accessing_in_update;
	struct mosaic_read_pixels_options read;
	uint64_t point;
	bool asked_sync_file;
	size_t buffer_locks_in_pass;
};

extern struct record rec;

/* A buffer of any size, including invalid ones, that counts releases. */
struct size_buffer {
	struct mosaic_buffer base;
	int releases;
};

struct size_buffer *size_buffer_create(int width, int height);
struct mosaic_renderer *fake_renderer_create(void);

/*
 * What each test gets as *state: a recording renderer, a 100x50 output, a
 * 20x10 texture and a pass begun into the output (submitted by teardown).
 */
struct fixture {
	struct mosaic_renderer *renderer;
	struct size_buffer *output;
	struct mosaic_texture *texture;
	struct mosaic_pass *pass;
};

int setup(void **state);
int teardown(void **state);

/* Asserts that `region` is exactly the union of the `n` boxes. */
void assert_region(const pixman_region32_t *region, const struct mosaic_box *boxes, int n);

/* test-pass-validation.c: rects, textures and passes as the core hands them on. */
void test_rect_clip(void **state);
void test_rect_rejects(void **state);
void test_texture_defaults(void **state);
void test_texture_rejects(void **state);
void test_begin_submit(void **state);
void test_backend_identity(void **state);
void test_begin_rejects(void **state);

/* test-pass-validation-textures.c: texture creation, updates and reads. */
void test_texture_from_pixels_rejects(void **state);
void test_update_damage(void **state);
void test_update_preamble(void **state);
void test_read_pixels_checks(void **state);

#endif
