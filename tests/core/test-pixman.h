#ifndef MOSAIC_TESTS_CORE_TEST_PIXMAN_H
#define MOSAIC_TESTS_CORE_TEST_PIXMAN_H

/*
 * test-pixman is one binary built from test-pixman*.c: test-pixman.c holds
 * the fixtures and drawing helpers and runs the tests the others declare
 * here. Expected values are worked out in the tests, never taken from the
 * renderer's own output.
 */

#include <stdint.h>

#include "common.h"

/* The pixman renderer of the whole run, and what it logs (reset per test). */
extern struct log_capture cap;
extern struct mosaic_renderer *renderer;

/* An ARGB8888 output over test memory, filled with `fill`. */
struct output {
	int width, height;
	uint32_t *pixels;
	struct mosaic_buffer *buffer;
};

struct output output_create(int width, int height, uint32_t fourcc, uint32_t fill);
void output_destroy(struct output *o);
uint32_t at(const struct output *o, int x, int y);
struct mosaic_texture *texture_argb(int width, int height, const uint32_t *px);
/* One pass into `o` with one draw. */
void draw(struct output *o, const struct mosaic_texture_options *opts);
void draw_rect(struct output *o, const struct mosaic_rect_options *opts);
/* Reads `box` of `tex` as tight ARGB8888 rows. */
void read_argb(struct mosaic_texture *tex, const struct mosaic_box *box, uint32_t *out);

/* test-pixman-drawing.c: transforms, blending, clips, filters, fractional and huge boxes. */
/* Six distinct opaque texel colors, named A..F as in the grids of test_transforms(). */
extern const uint32_t texel[6];
void test_transforms(void **state);
void test_rect_blending(void **state);
void test_texture_blending(void **state);
void test_clip_region(void **state);
void test_scaling_filters(void **state);
void test_fractional_source(void **state);
void test_huge_destination(void **state);

/* test-pixman-formats.c: every output and texture format, conversions on read, row layouts. */
void test_output_formats(void **state);
void test_texture_formats(void **state);
void test_read_pixels_convert(void **state);
void test_unaligned_rows(void **state);

/* test-pixman-buffers.c: damage-only updates, completion, buffer access gone wrong. */
void test_update_damage_only(void **state);
void test_completion_points(void **state);
void test_nested_access(void **state);
void test_bad_buffers(void **state);

#endif
