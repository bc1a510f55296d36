/*
 * test-pass-validation: the core's checks around textures: creation from
 * pixels, damage updates and their preamble (data access, format and
 * layout) and reads, as the recording backend sees them.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "test-pass-validation.h"

void test_texture_from_pixels_rejects(void **state)
{
	struct fixture *f = *state;
	uint32_t px[16] = {0};
	assert_null(mosaic_texture_from_pixels(NULL, 4, 4, DRM_FORMAT_ARGB8888, 16, px));
	assert_one_error(&cap, "no renderer");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, 4, DRM_FORMAT_ARGB8888, 16, NULL));
	assert_one_error(&cap, "no data");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, 4, DRM_FORMAT_NV12, 16, px));
	assert_one_error(&cap, "NV12");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, 4, DRM_FORMAT_ARGB8888, 12, px));
	assert_one_error(&cap, "too small");
	assert_null(mosaic_texture_from_pixels(f->renderer, 0, 4, DRM_FORMAT_ARGB8888, 16, px));
	assert_one_error(&cap, "invalid size");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, -4, DRM_FORMAT_ARGB8888, 16, px));
	assert_one_error(&cap, "invalid size");
	assert_null(mosaic_texture_from_pixels(f->renderer, MOSAIC_MAX_IMAGE_SIZE + 1, 1,
		DRM_FORMAT_ARGB8888, 1u << 20, px));
	assert_one_error(&cap, "invalid size");
}

void test_update_damage(void **state)
{
	struct fixture *f = *state;
	uint32_t px[20 * 10] = {0};
	struct mosaic_buffer *b = mosaic_buffer_from_data(20, 10, DRM_FORMAT_ARGB8888, 80, px);

	assert_true(mosaic_texture_update_from_buffer(f->texture, b, NULL));
	assert_int_equal(rec.n_updates, 1);
	assert_region(&rec.damage, &(struct mosaic_box){ 0, 0, 20, 10 }, 1);

	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, -5, -5, 10, 10);
	pixman_region32_union_rect(&damage, &damage, 15, 8, 100, 100);
	assert_true(mosaic_texture_update_from_buffer(f->texture, b, &damage));
	const struct mosaic_box want[] = { { 0, 0, 5, 5 }, { 15, 8, 5, 2 } };
	assert_region(&rec.damage, want, 2);
	assert_int_equal(rec.n_updates, 2);

	// Damage outside the texture: nothing to do, success.
	pixman_region32_fini(&damage);
	pixman_region32_init_rect(&damage, 20, 0, 10, 10);
	assert_true(mosaic_texture_update_from_buffer(f->texture, b, &damage));
	pixman_region32_fini(&damage);
	pixman_region32_init(&damage);
	assert_true(mosaic_texture_update_from_buffer(f->texture, b, &damage));
	assert_int_equal(rec.n_updates, 2);
	pixman_region32_fini(&damage);
	assert_no_error(&cap);

	struct size_buffer *wrong = size_buffer_create(20, 11);
	assert_false(mosaic_texture_update_from_buffer(f->texture, &wrong->base, NULL));
	assert_one_error(&cap, "20x11");
	assert_false(mosaic_texture_update_from_buffer(NULL, b, NULL));
	assert_one_error(&cap, "no texture or buffer");
	assert_false(mosaic_texture_update_from_buffer(f->texture, NULL, NULL));
	assert_one_error(&cap, "no texture or buffer");
	assert_int_equal(rec.n_updates, 2);
	mosaic_buffer_drop(&wrong->base);
	mosaic_buffer_drop(b);
}

/* A 20x10 buffer whose data access reports what the test asks for. */
struct access_buffer {
	struct mosaic_buffer base;
	uint32_t fourcc, stride;
	bool refuse;
	int n_begin, n_end;
	uint32_t pixels[40 * 10];
};

static void access_buffer_destroy(struct mosaic_buffer *buffer)
{
	free(buffer);
}

static bool access_buffer_begin(struct mosaic_buffer *buffer, uint32_t flags, void **data,
	uint32_t *fourcc, uint32_t *stride)
{
	struct access_buffer *b = (struct access_buffer *)buffer;
	b->n_begin++;
	if (b->refuse) {
		return false;
	}
	*data = b->pixels;
	*fourcc = b->fourcc;
	*stride = b->stride;
	return true;
}

static void access_buffer_end(struct mosaic_buffer *buffer)
{
	struct access_buffer *b = (struct access_buffer *)buffer;
	b->n_end++;
}

static const struct mosaic_buffer_impl access_buffer_impl = {
	.destroy = access_buffer_destroy,
	.begin_data_access = access_buffer_begin,
	.end_data_access = access_buffer_end,
};

/*
 * The update preamble is the core's: it maps the buffer, checks its format
 * and layout, hands the mapped pixels to the hook and ends the access. A
 * failed check is one log line and the hook is not called.
 */
void test_update_preamble(void **state)
{
	struct fixture *f = *state;
	struct access_buffer *b = calloc(1, sizeof(*b));
	mosaic_buffer_init(&b->base, &access_buffer_impl, 20, 10);
	b->fourcc = DRM_FORMAT_ARGB8888;
	b->stride = 160;

	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 2, 3, 4, 5);
	assert_true(mosaic_texture_update_from_buffer(f->texture, &b->base, &damage));
	assert_no_error(&cap);
	assert_int_equal(rec.n_updates, 1);
	assert_ptr_equal(rec.update.buffer, &b->base);
	assert_ptr_equal(rec.update.data, b->pixels);
	assert_int_equal(rec.update.fourcc, DRM_FORMAT_ARGB8888);
	assert_int_equal(rec.update.stride, 160);
	assert_true(rec.accessing_in_update);
	assert_region(&rec.damage, &(struct mosaic_box){ 2, 3, 4, 5 }, 1);
	assert_int_equal(b->n_begin, 1);
	assert_int_equal(b->n_end, 1);
	assert_false(b->base.accessing_data);

	struct {
		uint32_t fourcc, stride;
		bool refuse;
		const char *msg;
	} bad[] = {
		{ DRM_FORMAT_XRGB8888, 160, false, "differs from texture format" },
		{ DRM_FORMAT_C8, 160, false, "unsupported format" },
		{ DRM_FORMAT_NV12, 160, false, "is a YUV format" },
		{ DRM_FORMAT_ARGB8888, 76, false, "too small" },
		{ DRM_FORMAT_ARGB8888, 82, false, "not a multiple" },
		{ DRM_FORMAT_ARGB8888, 160, true, "refused" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b->fourcc = bad[i].fourcc;
		b->stride = bad[i].stride;
		b->refuse = bad[i].refuse;
		b->n_begin = b->n_end = 0;
		assert_false(mosaic_texture_update_from_buffer(f->texture, &b->base, &damage));
		assert_one_error(&cap, bad[i].msg);
		assert_int_equal(rec.n_updates, 1);
		assert_int_equal(b->n_begin, 1);
		// Every access that began has ended.
		assert_int_equal(b->n_end, bad[i].refuse ? 0 : 1);
		assert_false(b->base.accessing_data);
	}

	// No CPU access at all: one line, nothing begun.
	struct size_buffer *opaque = size_buffer_create(20, 10);
	assert_false(mosaic_texture_update_from_buffer(f->texture, &opaque->base, &damage));
	assert_one_error(&cap, "no CPU access");
	assert_int_equal(rec.n_updates, 1);
	mosaic_buffer_drop(&opaque->base);

	// A buffer whose data is already being accessed: accesses do not nest.
	b->fourcc = DRM_FORMAT_ARGB8888;
	b->stride = 160;
	b->refuse = false;
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(&b->base, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	assert_false(mosaic_texture_update_from_buffer(f->texture, &b->base, &damage));
	assert_one_error(&cap, "does not nest");
	assert_int_equal(rec.n_updates, 1);
	mosaic_buffer_end_data_access(&b->base);

	pixman_region32_fini(&damage);
	mosaic_buffer_drop(&b->base);
}

void test_read_pixels_checks(void **state)
{
	struct fixture *f = *state;
	uint32_t mem[20 * 10];
	struct mosaic_read_pixels_options o = {
		.fourcc = DRM_FORMAT_XBGR8888, .stride = 80, .data = mem,
	};
	// Not while the fixture's pass is open: on every backend, as Vulkan needs.
	assert_false(mosaic_texture_read_pixels(f->texture, &o));
	assert_one_error(&cap, "pass of this renderer is open");
	assert_null(mosaic_texture_read_pixels_start(f->texture, &o));
	assert_one_error(&cap, "pass of this renderer is open");
	assert_int_equal(rec.n_reads, 0);
	assert_true(mosaic_pass_submit(f->pass, NULL));
	f->pass = NULL;
	// Empty box = whole texture.
	assert_true(mosaic_texture_read_pixels(f->texture, &o));
	assert_int_equal(rec.n_reads, 1);
	assert_memory_equal(&rec.read.src_box, &((struct mosaic_box){ 0, 0, 20, 10 }),
		sizeof(struct mosaic_box));
	assert_ptr_equal(rec.read.data, mem);
	o.src_box = (struct mosaic_box){ 19, 9, 1, 1 };
	o.stride = 4;
	assert_true(mosaic_texture_read_pixels(f->texture, &o));
	assert_memory_equal(&rec.read.src_box, &o.src_box, sizeof(o.src_box));
	o.fourcc = DRM_FORMAT_RGB565;
	o.stride = 2;
	assert_true(mosaic_texture_read_pixels(f->texture, &o));
	assert_no_error(&cap);

	const struct { struct mosaic_read_pixels_options o; const char *msg; } bad[] = {
		{ { .fourcc = DRM_FORMAT_NV12, .stride = 80, .data = mem }, "NV12" },
		{ { .fourcc = 0, .stride = 80, .data = mem }, "unsupported format" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80 }, "no destination" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 79, .data = mem }, "stride 79" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 0, .data = mem }, "stride 0" },
		{ { .fourcc = DRM_FORMAT_RGB565, .stride = 39, .data = mem }, "stride 39" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 82, .data = mem }, "multiple" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { 10, 5, 11, 1 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { -1, 0, 5, 5 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { 0, 9, 5, 2 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { 20, 10, 1, 1 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { INT_MAX, 0, INT_MAX, 1 } }, "outside" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mosaic_texture_read_pixels(f->texture, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
		assert_null(mosaic_texture_read_pixels_start(f->texture, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
	}
	assert_false(mosaic_texture_read_pixels(NULL, &o));
	assert_one_error(&cap, "no texture or options");
	assert_false(mosaic_texture_read_pixels(f->texture, NULL));
	assert_one_error(&cap, "no texture or options");
	assert_false(mosaic_read_request_finish(NULL));
	assert_one_error(&cap, "no request");
	assert_int_equal(rec.n_reads, 3);

	// The synchronous fallback of read_pixels_start.
	o = (struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
	};
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(f->texture, &o);
	assert_non_null(req);
	assert_int_equal(rec.n_reads, 4);
	assert_int_equal(mosaic_read_request_get_fd(req), -1);
	assert_true(mosaic_read_request_is_complete(req));
	assert_true(mosaic_read_request_finish(req));
	assert_no_error(&cap);
	assert_int_equal(mosaic_texture_get_preferred_read_format(f->texture),
		DRM_FORMAT_ARGB8888);
	assert_int_equal(mosaic_texture_get_width(f->texture), 20);
	assert_int_equal(mosaic_texture_get_height(f->texture), 10);
	assert_int_equal(mosaic_texture_get_fourcc(f->texture), DRM_FORMAT_ARGB8888);
}
