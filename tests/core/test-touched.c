/*
 * The touched-region bookkeeping of CPU render targets (render/touched.c),
 * compiled into the test: the helper is private to the library.
 */
#include "private/touched.h"

#include "common.h"

static struct log_capture cap;

static void add_rect(struct mosaic_touched *t, int x, int y, int w, int h)
{
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, x, y, (unsigned)w, (unsigned)h);
	assert_true(mosaic_touched_add(t, &clip));
	pixman_region32_fini(&clip);
}

static void test_boxes_and_extents(void **state)
{
	log_capture_start(&cap);
	struct mosaic_touched t;
	mosaic_touched_init(&t);
	pixman_region32_t out;
	pixman_region32_init(&out);

	// Nothing drawn: nothing to copy.
	mosaic_touched_build(&t, &out, 32);
	assert_false(pixman_region32_not_empty(&out));

	// A clip of two rectangles counts as its bounding box.
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 2, 2);
	pixman_region32_union_rect(&clip, &clip, 8, 8, 2, 2);
	assert_true(mosaic_touched_add(&t, &clip));
	pixman_region32_fini(&clip);
	// An empty clip notes nothing.
	pixman_region32_init(&clip);
	assert_true(mosaic_touched_add(&t, &clip));
	pixman_region32_fini(&clip);
	assert_int_equal(t.n_boxes, 1);
	add_rect(&t, 20, 0, 5, 5);
	mosaic_touched_build(&t, &out, 32);
	// Two boxes, in pixman's bands: [0,10)x[0,5) beside [20,25)x[0,5), then [0,10)x[5,10).
	assert_int_equal(pixman_region32_n_rects(&out), 3);
	assert_true(pixman_region32_contains_point(&out, 5, 5, NULL));
	assert_false(pixman_region32_contains_point(&out, 15, 2, NULL));

	// Past max_rects rectangles: their extents.
	for (int i = 0; i < 40; i++) {
		add_rect(&t, 100 + 3 * i, 50 + 7 * i, 1, 1);
	}
	mosaic_touched_build(&t, &out, 32);
	assert_int_equal(pixman_region32_n_rects(&out), 1);
	const pixman_box32_t *e = pixman_region32_extents(&out);
	assert_int_equal(e->x1, 0);
	assert_int_equal(e->y1, 0);
	assert_int_equal(e->x2, 100 + 3 * 39 + 1);
	assert_int_equal(e->y2, 50 + 7 * 39 + 1);
	// A higher bound keeps them apart.
	mosaic_touched_build(&t, &out, 256);
	assert_true(pixman_region32_n_rects(&out) > 32);
	assert_false(pixman_region32_contains_point(&out, 101, 50, NULL));

	// Reset for the next frame: storage kept, boxes forgotten.
	size_t cap_boxes = t.cap_boxes;
	mosaic_touched_reset(&t);
	assert_int_equal(t.n_boxes, 0);
	assert_int_equal(t.cap_boxes, cap_boxes);
	mosaic_touched_build(&t, &out, 32);
	assert_false(pixman_region32_not_empty(&out));

	assert_no_error(&cap);
	pixman_region32_fini(&out);
	mosaic_touched_finish(&t);
	assert_null(t.boxes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boxes_and_extents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
