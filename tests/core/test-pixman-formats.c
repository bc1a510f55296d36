/*
 * test-pixman: every output and texture format, checked against layouts
 * written here from the DRM format names; conversions on read; rows that
 * are not 4-byte aligned.
 */
#include <math.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include "test-pixman.h"

/* Layouts of the formats, written from their DRM names. */
struct layout {
	uint32_t fourcc;
	int bpp;
	/* shift and bits of a, r, g, b; bits 0 = channel absent */
	int shift[4], bits[4];
};

static const struct layout layouts[] = {
	{ DRM_FORMAT_ARGB8888, 4, { 24, 16, 8, 0 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XRGB8888, 4, { 24, 16, 8, 0 }, { 0, 8, 8, 8 } },
	{ DRM_FORMAT_ABGR8888, 4, { 24, 0, 8, 16 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XBGR8888, 4, { 24, 0, 8, 16 }, { 0, 8, 8, 8 } },
	{ DRM_FORMAT_RGB565, 2, { 0, 11, 5, 0 }, { 0, 5, 6, 5 } },
	{ DRM_FORMAT_ARGB2101010, 4, { 30, 20, 10, 0 }, { 2, 10, 10, 10 } },
	{ DRM_FORMAT_XRGB2101010, 4, { 30, 20, 10, 0 }, { 0, 10, 10, 10 } },
	{ DRM_FORMAT_ABGR2101010, 4, { 30, 0, 10, 20 }, { 2, 10, 10, 10 } },
	{ DRM_FORMAT_XBGR2101010, 4, { 30, 0, 10, 20 }, { 0, 10, 10, 10 } },
};

static uint32_t encode(const struct layout *l, const double c[4])
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		if (l->bits[i] > 0) {
			uint32_t max = (1u << l->bits[i]) - 1;
			v |= (uint32_t)lround(c[i] * max) << l->shift[i];
		}
	}
	return v;
}

static uint32_t load(const struct layout *l, const void *p)
{
	if (l->bpp == 2) {
		return *(const uint16_t *)p;
	}
	return *(const uint32_t *)p;
}

/* Asserts every present channel of `v` is c * max within one step. */
static void assert_encoded(const struct layout *l, uint32_t v, const double c[4], int x)
{
	char name[32];
	for (int i = 0; i < 4; i++) {
		if (l->bits[i] == 0) {
			continue;
		}
		uint32_t max = (1u << l->bits[i]) - 1;
		long got = (long)((v >> l->shift[i]) & max);
		long want = lround(c[i] * max);
		if (labs(got - want) > 1) {
			print_error("%s pixel %d channel %d: got %ld, want %ld\n",
				mosaic_format_name(l->fourcc, name), x, i, got, want);
			fail();
		}
	}
}

/*
 * Colors (a, r, g, b) premultiplied, chosen so that the 8-bit and the 5/6
 * bit encodings hit exact steps.
 */
static const double colors[3][4] = {
	{ 1.0, 1.0, 0.0, 0.0 },
	{ 1.0, 0.0, 1.0, 1.0 },
	{ 0.0, 0.0, 0.0, 0.0 },
};

void test_output_formats(void **state)
{
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	uint32_t src_px = argb(0xff, 0x00, 0xff, 0xff);
	struct mosaic_texture *tex = texture_argb(1, 1, &src_px);
	for (size_t f = 0; f < sizeof(layouts) / sizeof(layouts[0]); f++) {
		const struct layout *l = &layouts[f];
		struct mosaic_buffer *b = mosaic_allocator_create_buffer(alloc, 3, 1, l->fourcc,
			NULL, 0);
		assert_non_null(b);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, b, NULL);
		assert_non_null(pass);
		// Pixel 0: red rect; pixel 1: the cyan texel; pixel 2: cleared.
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 3, 1 }, .color = { 0.5f, 0.5f, 0.5f, 1.0f },
		}));
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 1, 1 }, .color = { 1, 0, 0, 1 },
		}));
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex, .dst_box = { 1, 0, 1, 1 },
		}));
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 2, 0, 1, 1 }, .blend = MOSAIC_BLEND_NONE,
		}));
		assert_true(mosaic_pass_submit(pass, NULL));

		void *data;
		uint32_t fourcc, stride;
		assert_true(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
			&fourcc, &stride));
		for (int x = 0; x < 3; x++) {
			assert_encoded(l, load(l, (uint8_t *)data + x * l->bpp), colors[x], x);
		}
		mosaic_buffer_end_data_access(b);
		mosaic_buffer_drop(b);
	}
	mosaic_texture_destroy(tex);
	mosaic_allocator_destroy(alloc);
}

void test_texture_formats(void **state)
{
	// Texels encoded by hand in each format, read back as ARGB8888.
	for (size_t f = 0; f < sizeof(layouts) / sizeof(layouts[0]); f++) {
		const struct layout *l = &layouts[f];
		uint8_t mem[3 * 4] = {0};
		for (int x = 0; x < 3; x++) {
			uint32_t v = encode(l, colors[x]);
			// The ignored bits of X formats are garbage on purpose.
			if (l->bits[0] == 0 && l->bpp == 4) {
				v |= (uint32_t)0x1 << l->shift[0];
			}
			memcpy(mem + x * l->bpp, &v, (size_t)l->bpp);
		}
		struct mosaic_texture *tex = mosaic_texture_from_pixels(renderer, 3, 1, l->fourcc,
			(uint32_t)(3 * l->bpp), mem);
		assert_non_null(tex);
		assert_int_equal(mosaic_texture_get_fourcc(tex), l->fourcc);
		uint32_t got[3];
		read_argb(tex, &(struct mosaic_box){ 0, 0, 3, 1 }, got);
		for (int x = 0; x < 3; x++) {
			double c[4] = { colors[x][0], colors[x][1], colors[x][2], colors[x][3] };
			if (l->bits[0] == 0) {
				c[0] = 1.0; // no alpha channel: opaque
			}
			assert_encoded(&layouts[0], got[x], c, x);
		}
		mosaic_texture_destroy(tex);
	}
}

void test_read_pixels_convert(void **state)
{
	// A 4x3 ARGB8888 texture; row y, column x holds (a, x*16+y, 0x80, 0x42).
	uint32_t px[12];
	for (int y = 0; y < 3; y++) {
		for (int x = 0; x < 4; x++) {
			px[y * 4 + x] = argb(0xff, (uint8_t)(0x80 + x * 16 + y), 0x82, 0x42);
		}
	}
	px[1 * 4 + 2] = argb(0x80, 0x40, 0x20, 0x10);
	struct mosaic_texture *tex = texture_argb(4, 3, px);
	const struct mosaic_box box = { 1, 1, 2, 2 };

	// ARGB8888 -> ABGR8888, with a stride wider than the rectangle.
	uint32_t out[2 * 3];
	memset(out, 0xee, sizeof(out));
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ABGR8888, .stride = 12, .data = out, .src_box = box,
	}));
	for (int y = 0; y < 2; y++) {
		for (int x = 0; x < 2; x++) {
			uint32_t s = px[(y + 1) * 4 + x + 1];
			uint32_t want = (s & 0xff00ff00) | (s >> 16 & 0xff) | (s & 0xff) << 16;
			assert_int_equal(out[y * 3 + x], want);
		}
		// Bytes past the rectangle are not touched.
		assert_int_equal(out[y * 3 + 2], 0xeeeeeeee);
	}

	// XRGB8888 texture with garbage in X reads back opaque.
	uint32_t xpx[2] = { 0x12345678, 0x00abcdef };
	struct mosaic_texture *xtex = mosaic_texture_from_pixels(renderer, 2, 1,
		DRM_FORMAT_XRGB8888, 8, xpx);
	uint32_t xout[2];
	assert_true(mosaic_texture_read_pixels(xtex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 8, .data = xout,
	}));
	assert_int_equal(xout[0], 0xff345678);
	assert_int_equal(xout[1], 0xffabcdef);
	mosaic_texture_destroy(xtex);

	// RGB565: 0x82 and 0x42 are exact 6- and 5-bit steps (32 and 8).
	uint16_t out565[2 * 2];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_RGB565, .stride = 4, .data = out565,
		.src_box = { 0, 0, 2, 2 },
	}));
	for (int y = 0; y < 2; y++) {
		for (int x = 0; x < 2; x++) {
			int r = 0x80 + x * 16 + y;
			long want = lround(r * 31.0 / 255) << 11 | 32 << 5 | 8;
			long got = out565[y * 2 + x];
			assert_in_range(got >> 11, (want >> 11) - 1, (want >> 11) + 1);
			assert_int_equal(got & 0x7ff, want & 0x7ff);
		}
	}

	// ARGB2101010 and ABGR2101010, the translucent texel included.
	const uint32_t tenbits[] = { DRM_FORMAT_ARGB2101010, DRM_FORMAT_ABGR2101010 };
	for (int k = 0; k < 2; k++) {
		const struct layout *l = &layouts[k == 0 ? 5 : 7];
		assert_int_equal(l->fourcc, tenbits[k]);
		uint32_t out10[4];
		assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
			.fourcc = tenbits[k], .stride = 8, .data = out10, .src_box = box,
		}));
		for (int y = 0; y < 2; y++) {
			for (int x = 0; x < 2; x++) {
				uint32_t s = px[(y + 1) * 4 + x + 1];
				const double c[4] = { channel(s, 24) / 255.0, channel(s, 16) / 255.0,
					channel(s, 8) / 255.0, channel(s, 0) / 255.0 };
				assert_encoded(l, out10[y * 2 + x], c, x);
			}
		}
	}

	// The asynchronous form: complete at once for pixman.
	uint32_t async_out[4];
	memset(async_out, 0, sizeof(async_out));
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(tex,
		&(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888, .stride = 8, .data = async_out, .src_box = box,
		});
	assert_non_null(req);
	assert_true(mosaic_read_request_is_complete(req));
	assert_int_equal(mosaic_read_request_get_fd(req), -1);
	assert_true(mosaic_read_request_finish(req));
	for (int y = 0; y < 2; y++) {
		for (int x = 0; x < 2; x++) {
			assert_int_equal(async_out[y * 2 + x], px[(y + 1) * 4 + x + 1]);
		}
	}
	assert_int_equal(mosaic_texture_get_preferred_read_format(tex), DRM_FORMAT_ARGB8888);
	mosaic_texture_destroy(tex);
}

void test_unaligned_rows(void **state)
{
	// wl_shm allows tightly packed RGB565 rows of odd width (6 bytes here),
	// which are not 4-byte aligned.
	uint16_t px[3 * 2] = { 0xf800, 0x07e0, 0x001f, 0xffff, 0x0000, 0xf81f };
	struct mosaic_texture *tex = mosaic_texture_from_pixels(renderer, 3, 2, DRM_FORMAT_RGB565,
		6, px);
	assert_non_null(tex);
	uint32_t got[6];
	read_argb(tex, &(struct mosaic_box){ 0, 0, 3, 2 }, got);
	const uint32_t want[6] = { 0xffff0000, 0xff00ff00, 0xff0000ff, 0xffffffff, 0xff000000,
		0xffff00ff };
	assert_memory_equal(got, want, sizeof(want));
	uint16_t back[3 * 2];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_RGB565, .stride = 6, .data = back,
	}));
	assert_memory_equal(back, px, sizeof(px));

	// And as a render target.
	uint16_t target[3 * 2] = {0};
	struct mosaic_buffer *b = mosaic_buffer_from_data(3, 2, DRM_FORMAT_RGB565, 6, target);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, b, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	assert_memory_equal(target, px, sizeof(px));
	mosaic_buffer_drop(b);
	mosaic_texture_destroy(tex);

	// 32-bit pixels at an odd address (a wl_shm pool offset may be anything).
	uint8_t raw[2 * 4 + 1];
	const uint32_t argb_px[2] = { 0x80402010, 0xff00ff00 };
	memcpy(raw + 1, argb_px, sizeof(argb_px));
	tex = mosaic_texture_from_pixels(renderer, 2, 1, DRM_FORMAT_ARGB8888, 8, raw + 1);
	assert_non_null(tex);
	uint8_t out[2 * 4 + 3];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 8, .data = out + 3,
	}));
	assert_memory_equal(out + 3, argb_px, sizeof(argb_px));
	b = mosaic_buffer_from_data(2, 1, DRM_FORMAT_ARGB8888, 8, raw + 1);
	pass = mosaic_renderer_begin_pass(renderer, b, NULL);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 1, 0, 1, 1 }, .color = { 0, 0, 1, 1 }, .blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	uint32_t written[2];
	memcpy(written, raw + 1, sizeof(written));
	assert_int_equal(written[0], argb_px[0]);
	assert_int_equal(written[1], 0xff0000ff);
	mosaic_buffer_drop(b);
	mosaic_texture_destroy(tex);
}
