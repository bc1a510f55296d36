/*
 * test-pixman: what happens to textures and buffers around the drawing:
 * updates limited to the damage, completion points, nested data access and
 * compositor buffers whose CPU access misbehaves.
 */
#include <stdlib.h>

#include <drm_fourcc.h>

#include "test-pixman.h"

void test_update_damage_only(void **state)
{
	uint32_t red[16], green[16];
	for (int i = 0; i < 16; i++) {
		red[i] = 0xffff0000;
		green[i] = 0xff00ff00 | (uint32_t)i;
	}
	struct mosaic_texture *tex = texture_argb(4, 4, red);
	struct mosaic_buffer *b = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16, green);
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 0, 1, 1);
	pixman_region32_union_rect(&damage, &damage, 2, 1, 2, 2);
	pixman_region32_union_rect(&damage, &damage, 3, 3, 10, 10);
	assert_true(mosaic_texture_update_from_buffer(tex, b, &damage));
	uint32_t got[16];
	read_argb(tex, &(struct mosaic_box){ 0, 0, 4, 4 }, got);
	for (int y = 0; y < 4; y++) {
		for (int x = 0; x < 4; x++) {
			bool damaged = (x == 0 && y == 0) || (x >= 2 && y >= 1 && y < 3) ||
				(x == 3 && y == 3);
			assert_pixel_near(got[y * 4 + x], damaged ? green[y * 4 + x] : red[0], 0,
				x, y);
		}
	}
	// NULL damage: everything.
	assert_true(mosaic_texture_update_from_buffer(tex, b, NULL));
	read_argb(tex, &(struct mosaic_box){ 0, 0, 4, 4 }, got);
	assert_memory_equal(got, green, sizeof(got));

	// Another format is refused.
	struct mosaic_buffer *x = mosaic_buffer_from_data(4, 4, DRM_FORMAT_XRGB8888, 16, green);
	assert_false(mosaic_texture_update_from_buffer(tex, x, NULL));
	assert_one_error(&cap, "XRGB8888");
	mosaic_buffer_drop(x);
	pixman_region32_fini(&damage);
	mosaic_buffer_drop(b);
	mosaic_texture_destroy(tex);
}

void test_completion_points(void **state)
{
	struct output o = output_create(2, 2, DRM_FORMAT_XRGB8888, 0);
	uint64_t first = mosaic_renderer_get_completed_point(renderer);
	for (uint64_t i = 1; i <= 3; i++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o.buffer, NULL);
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_int_equal(done.point, first + i);
		assert_int_equal(done.sync_file_fd, -1);
		// pixman completes synchronously.
		assert_int_equal(mosaic_renderer_get_completed_point(renderer), first + i);
		assert_true(mosaic_renderer_wait_point(renderer, done.point, 0));
	}
	output_destroy(&o);
}

void test_nested_access(void **state)
{
	// A texture made from the buffer a pass is drawing into: the buffer is
	// already being accessed, so this fails with one line.
	struct output o = output_create(2, 2, DRM_FORMAT_XRGB8888, 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, o.buffer, NULL);
	assert_null(mosaic_texture_from_buffer(renderer, o.buffer));
	assert_one_error(&cap, "nest");
	// A second pass, on this buffer or any other, fails: one open pass per
	// renderer. The first one goes on.
	assert_null(mosaic_renderer_begin_pass(renderer, o.buffer, NULL));
	assert_one_error(&cap, "another pass");
	struct output other = output_create(2, 2, DRM_FORMAT_XRGB8888, 0);
	assert_null(mosaic_renderer_begin_pass(renderer, other.buffer, NULL));
	assert_one_error(&cap, "another pass");
	assert_int_equal(other.buffer->n_locks, 0);
	assert_int_equal(o.buffer->n_locks, 1);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 1, 1 }, .color = { 1, 1, 1, 1 },
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_int_equal(o.buffer->n_locks, 0);
	assert_int_equal(at(&o, 0, 0), 0xffffffff);
	// Submitted: the other buffer can have its pass now.
	pass = mosaic_renderer_begin_pass(renderer, other.buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_submit(pass, NULL));
	output_destroy(&other);
	output_destroy(&o);
}

/* A compositor buffer whose CPU access misbehaves in a chosen way. */
enum bad_kind { BAD_REFUSES, BAD_FORMAT, BAD_STRIDE, BAD_NO_CPU };

struct bad_buffer {
	struct mosaic_buffer base;
	enum bad_kind kind;
	uint32_t pixels[16];
};

static void bad_destroy(struct mosaic_buffer *buffer)
{
	free(buffer);
}

static bool bad_begin(struct mosaic_buffer *buffer, uint32_t flags, void **data,
	uint32_t *fourcc, uint32_t *stride)
{
	struct bad_buffer *b = (struct bad_buffer *)buffer;
	*data = b->pixels;
	*fourcc = b->kind == BAD_FORMAT ? DRM_FORMAT_NV12 : DRM_FORMAT_ARGB8888;
	*stride = b->kind == BAD_STRIDE ? 8 : 16;
	return b->kind != BAD_REFUSES;
}

static void bad_end(struct mosaic_buffer *buffer)
{
}

static const struct mosaic_buffer_impl bad_impl = {
	.destroy = bad_destroy,
	.begin_data_access = bad_begin,
	.end_data_access = bad_end,
};

static const struct mosaic_buffer_impl no_cpu_impl = {
	.destroy = bad_destroy,
};

void test_bad_buffers(void **state)
{
	const char *msgs[] = {
		[BAD_REFUSES] = "refused",
		[BAD_FORMAT] = "NV12",
		[BAD_STRIDE] = "too small",
		[BAD_NO_CPU] = "no CPU access",
	};
	uint32_t px[16] = {0};
	struct mosaic_texture *tex = texture_argb(4, 4, px);
	for (int k = 0; k < 4; k++) {
		struct bad_buffer *b = calloc(1, sizeof(*b));
		mosaic_buffer_init(&b->base, k == BAD_NO_CPU ? &no_cpu_impl : &bad_impl, 4, 4);
		b->kind = (enum bad_kind)k;

		assert_null(mosaic_texture_from_buffer(renderer, &b->base));
		assert_one_error(&cap, msgs[k]);
		assert_false(b->base.accessing_data);
		assert_null(mosaic_renderer_begin_pass(renderer, &b->base, NULL));
		assert_one_error(&cap, msgs[k]);
		assert_false(b->base.accessing_data);
		assert_int_equal(b->base.n_locks, 0);
		assert_false(mosaic_texture_update_from_buffer(tex, &b->base, NULL));
		assert_one_error(&cap, msgs[k]);
		assert_false(b->base.accessing_data);
		// The texture kept its content.
		uint32_t got[16] = { 1 };
		read_argb(tex, &(struct mosaic_box){ 0, 0, 4, 4 }, got);
		assert_memory_equal(got, px, sizeof(px));
		mosaic_buffer_drop(&b->base);
	}
	mosaic_texture_destroy(tex);
}
