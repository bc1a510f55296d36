/* YUV dmabufs: per-format validation and the pixman conversion. */
#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "common.h"

static struct log_capture cap;

static int setup(void **state)
{
	log_capture_start(&cap);
	return 0;
}

/* A W x H NV12 image in one memfd: Y at 0 (stride 16), CbCr after it. */
#define W 5
#define H 3
static int nv12_memfd(uint8_t y, uint8_t cb, uint8_t cr)
{
	int fd = memfd_create("test-yuv", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 16 * H + 16 * 2), 0);
	uint8_t *m = mmap(NULL, 16 * H + 16 * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	memset(m, y, 16 * H);
	for (int i = 0; i < 16; i++) {
		m[16 * H + 2 * i] = cb;
		m[16 * H + 2 * i + 1] = cr;
	}
	munmap(m, 16 * H + 16 * 2);
	return fd;
}

static struct mosaic_dmabuf_attributes nv12_attribs(int fd)
{
	return (struct mosaic_dmabuf_attributes){
		.width = W, .height = H,
		.fourcc = DRM_FORMAT_NV12,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = 2,
		.offset = { 0, 16 * H },
		.stride = { 16, 16 },
		.fd = { fd, fd, -1, -1 },
	};
}

static const struct mosaic_dmabuf_buffer_options memfd_ok = { .allow_memfd = true };

static void test_validation(void **state)
{
	int fd = nv12_memfd(16, 128, 128);
	struct mosaic_dmabuf_attributes a = nv12_attribs(fd);
	// A memfd is no dmabuf unless the producer says it stands in for one.
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "not a dmabuf");
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, NULL));
	assert_one_error(&cap, "not a dmabuf");

	a.n_planes = 1;
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok));
	assert_one_error(&cap, "NV12 has 2 planes, 1 given");
	a = nv12_attribs(fd);
	a.n_planes = 3;
	a.fd[2] = fd;
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok));
	assert_one_error(&cap, "3 given");
	// The chroma plane of a 5-pixel row holds 3 pairs: 6 bytes.
	a = nv12_attribs(fd);
	a.stride[1] = 5;
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok));
	assert_one_error(&cap, "plane 1: stride 5 is too small");
	// 2 chroma rows of 16 bytes after the luma must fit.
	a = nv12_attribs(fd);
	a.offset[1] = 16 * H + 1;
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok));
	assert_one_error(&cap, "ends past the buffer");
	// Overflow: a huge stride times the rows is computed in 64 bits.
	a = nv12_attribs(fd);
	a.stride[1] = UINT32_MAX;
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok));
	assert_one_error(&cap, "x 2 rows overflows");
	a = nv12_attribs(fd);
	a.yuv.matrix = (enum mosaic_yuv_matrix)7;
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok));
	assert_one_error(&cap, "unknown YUV matrix");

	// The caller keeps its fd on failure; on success the buffer owns both.
	a = nv12_attribs(fd);
	a.fd[1] = dup(fd);
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok);
	assert_non_null(b);
	assert_no_error(&cap);
	mosaic_buffer_drop(b);
}

static void read_one(struct mosaic_renderer *r, int fd, const struct mosaic_yuv_info *yuv,
	uint8_t rgb[3])
{
	struct mosaic_dmabuf_attributes a = nv12_attribs(fd);
	a.fd[1] = dup(fd);
	a.yuv = *yuv;
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok);
	assert_non_null(b);
	struct mosaic_texture *t = mosaic_texture_from_buffer(r, b);
	assert_non_null(t);
	assert_int_equal(mosaic_texture_get_fourcc(t), DRM_FORMAT_NV12);
	assert_int_equal(mosaic_texture_get_preferred_read_format(t), DRM_FORMAT_XRGB8888);
	uint32_t px[W * H];
	assert_true(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_XRGB8888, .stride = W * 4, .data = px,
	}));
	for (int i = 1; i < W * H; i++) {
		assert_int_equal(px[i], px[0]);
	}
	rgb[0] = (uint8_t)(px[0] >> 16);
	rgb[1] = (uint8_t)(px[0] >> 8);
	rgb[2] = (uint8_t)px[0];
	// YUV is no read format.
	assert_false(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_NV12, .stride = W * 4, .data = px,
	}));
	assert_one_error(&cap, "unsupported format NV12");
	mosaic_texture_destroy(t);
	mosaic_buffer_drop(b);
}

/*
 * Codes of known colors, from the definitions of BT.601 and BT.709 (ITU-R
 * BT.601-7 and BT.709-6, 8-bit): limited-range red is Y 81, Cb 90, Cr 240
 * in BT.601 and Y 63, Cb 102, Cr 240 in BT.709; full-range white is 255,
 * 128, 128 in both.
 */
static void test_pixman_conversion(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	assert_true(mosaic_format_set_has(mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF), DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR));
	assert_false(mosaic_format_set_has(mosaic_renderer_get_render_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF), DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR));
	const struct {
		uint8_t y, cb, cr;
		struct mosaic_yuv_info yuv;
		uint8_t rgb[3];
	} cases[] = {
		{ 81, 90, 240, { MOSAIC_YUV_MATRIX_BT601, MOSAIC_YUV_RANGE_LIMITED, 0 },
			{ 255, 0, 0 } },
		{ 63, 102, 240, { MOSAIC_YUV_MATRIX_BT709, MOSAIC_YUV_RANGE_LIMITED, 0 },
			{ 255, 0, 0 } },
		{ 16, 128, 128, { MOSAIC_YUV_MATRIX_BT601, MOSAIC_YUV_RANGE_LIMITED, 0 },
			{ 0, 0, 0 } },
		{ 255, 128, 128, { MOSAIC_YUV_MATRIX_BT709, MOSAIC_YUV_RANGE_FULL, 1 },
			{ 255, 255, 255 } },
		// Full range: BT.601 red is Y 76, Cb 85, Cr 255.
		{ 76, 85, 255, { MOSAIC_YUV_MATRIX_BT601, MOSAIC_YUV_RANGE_FULL, 2 },
			{ 254, 0, 0 } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = nv12_memfd(cases[i].y, cases[i].cb, cases[i].cr);
		uint8_t rgb[3];
		read_one(r, fd, &cases[i].yuv, rgb);
		close(fd);
		for (int c = 0; c < 3; c++) {
			if (abs(rgb[c] - cases[i].rgb[c]) > 1) {
				print_error("case %zu: got %d,%d,%d\n", i, rgb[0], rgb[1], rgb[2]);
				fail();
			}
		}
	}
	mosaic_renderer_destroy(r);
}

/*
 * Where chroma sits: a 4x4 NV12 image whose Cr grows along x and Cb along y
 * (over a 2x2 chroma grid), read back per pixel and compared with the
 * weights the chroma location implies (H.273: chroma sample k at luma
 * coordinate 2k + offset, offset 0 cosited, 0.5 midpoint; edges clamp).
 */
static void test_chroma_location(void **state)
{
	static const double weights[3][2][4] = {
		// x weights, y weights of the second chroma sample, per pixel.
		[MOSAIC_CHROMA_LOCATION_LEFT] = { { 0, 0.5, 1, 1 }, { 0, 0.25, 0.75, 1 } },
		[MOSAIC_CHROMA_LOCATION_CENTER] = { { 0, 0.25, 0.75, 1 }, { 0, 0.25, 0.75, 1 } },
		[MOSAIC_CHROMA_LOCATION_TOP_LEFT] = { { 0, 0.5, 1, 1 }, { 0, 0.5, 1, 1 } },
	};
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	for (int loc = 0; loc < 3; loc++) {
		int fd = memfd_create("test-yuv", MFD_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 4 * 4 + 4 * 2), 0);
		uint8_t *m = mmap(NULL, 24, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		assert_true(m != MAP_FAILED);
		memset(m, 100, 16);
		for (int j = 0; j < 2; j++) {
			for (int k = 0; k < 2; k++) {
				m[16 + j * 4 + k * 2] = (uint8_t)(128 + 60 * j);
				m[16 + j * 4 + k * 2 + 1] = (uint8_t)(128 + 50 * k);
			}
		}
		munmap(m, 24);
		struct mosaic_dmabuf_attributes a = {
			.width = 4, .height = 4, .fourcc = DRM_FORMAT_NV12,
			.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 2,
			.offset = { 0, 16 }, .stride = { 4, 4 }, .fd = { fd, dup(fd), -1, -1 },
			.yuv = { .chroma_location = (enum mosaic_chroma_location)loc },
		};
		struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok);
		assert_non_null(b);
		struct mosaic_texture *t = mosaic_texture_from_buffer(r, b);
		assert_non_null(t);
		uint32_t px[16];
		assert_true(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_XRGB8888, .stride = 16, .data = px,
		}));
		for (int y = 0; y < 4; y++) {
			for (int x = 0; x < 4; x++) {
				double ey = (100.0 - 16.0) / 219.0;
				double cr = 50.0 * weights[loc][0][x] / 224.0;
				double cb = 60.0 * weights[loc][1][y] / 224.0;
				double red = (ey + 1.402 * cr) * 255.0;
				double blue = (ey + 1.772 * cb) * 255.0;
				int got_r = (int)(px[y * 4 + x] >> 16 & 0xff);
				int got_b = (int)(px[y * 4 + x] & 0xff);
				if (fabs(got_r - red) > 1.0 || fabs(got_b - blue) > 1.0) {
					print_error("location %d, pixel %d,%d: R %d B %d, expected "
						"%.1f %.1f\n", loc, x, y, got_r, got_b, red, blue);
					fail();
				}
			}
		}
		mosaic_texture_destroy(t);
		mosaic_buffer_drop(b);
	}
	mosaic_renderer_destroy(r);
}

/*
 * A compositor's own buffer must hold dmabufs: its memfd is refused when
 * pixman maps it (only mosaic_buffer_from_dmabuf_with_options() opts in).
 * That the facts are read again at every update is tested with a real
 * dmabuf in the DRM test VM (tests/drm/test-drm-nodes.c).
 */
struct own_buffer {
	struct mosaic_buffer base;
	struct mosaic_dmabuf_attributes attribs;
};

static void own_destroy(struct mosaic_buffer *buffer)
{
	struct own_buffer *b = (struct own_buffer *)buffer;
	close(b->attribs.fd[0]);
	free(b);
}

static bool own_get_dmabuf(struct mosaic_buffer *buffer, struct mosaic_dmabuf_attributes *a)
{
	*a = ((struct own_buffer *)buffer)->attribs;
	return true;
}

static const struct mosaic_buffer_impl own_impl = {
	.destroy = own_destroy,
	.get_dmabuf = own_get_dmabuf,
};

static void test_own_buffer_memfd_refused(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	struct own_buffer *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	mosaic_buffer_init(&b->base, &own_impl, W, H);
	b->attribs = nv12_attribs(nv12_memfd(81, 90, 240));
	assert_null(mosaic_texture_from_buffer(r, &b->base));
	assert_one_error(&cap, "is not a dmabuf");
	mosaic_buffer_drop(&b->base);
	mosaic_renderer_destroy(r);
}

/* P010 keeps 10 bits: its textures read as XRGB2101010, full-range white exactly. */
static void test_p010(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	int fd = memfd_create("test-yuv", MFD_CLOEXEC);
	assert_true(fd >= 0);
	// 2x2: Y plane of 4 words, CbCr plane of one pair; 1023 << 6 and 512 << 6.
	const uint16_t words[6] = { 0xffc0, 0xffc0, 0xffc0, 0xffc0, 0x8000, 0x8000 };
	assert_int_equal(write(fd, words, sizeof(words)), (ssize_t)sizeof(words));
	struct mosaic_dmabuf_attributes a = {
		.width = 2, .height = 2, .fourcc = DRM_FORMAT_P010,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 2,
		.offset = { 0, 8 }, .stride = { 4, 4 }, .fd = { fd, dup(fd), -1, -1 },
		.yuv = { .range = MOSAIC_YUV_RANGE_FULL },
	};
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok);
	assert_non_null(b);
	struct mosaic_texture *t = mosaic_texture_from_buffer(r, b);
	assert_non_null(t);
	assert_int_equal(mosaic_texture_get_preferred_read_format(t), DRM_FORMAT_XRGB2101010);
	uint32_t px[4];
	assert_true(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_XRGB2101010, .stride = 8, .data = px,
	}));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(px[i] & 0x3fffffff, 0x3fffffff);
	}
	mosaic_texture_destroy(t);
	mosaic_buffer_drop(b);
	mosaic_renderer_destroy(r);
	assert_no_error(&cap);
}

static int memfd_with(const void *bytes, size_t size)
{
	int fd = memfd_create("test-yuv", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, size), (ssize_t)size);
	return fd;
}

/* Disjoint planes: YUV420 with Y, Cb and Cr in three memfds, each mapped. */
static void test_disjoint_planes(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	// 3x3: chroma planes of 2x2; BT.601 limited red everywhere.
	const uint8_t y[9] = { 81, 81, 81, 81, 81, 81, 81, 81, 81 };
	const uint8_t cb[4] = { 90, 90, 90, 90 }, cr[4] = { 240, 240, 240, 240 };
	struct mosaic_dmabuf_attributes a = {
		.width = 3, .height = 3, .fourcc = DRM_FORMAT_YUV420,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 3,
		.stride = { 3, 2, 2 },
		.fd = { memfd_with(y, 9), memfd_with(cb, 4), memfd_with(cr, 4), -1 },
	};
	// A chroma plane one row short is refused, naming the plane.
	a.stride[2] = 3;
	assert_null(mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok));
	assert_one_error(&cap, "dmabuf: plane 2: offset 0 + stride 3 x 2 rows ends past");
	a.stride[2] = 2;
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a, &memfd_ok);
	assert_non_null(b);
	struct mosaic_texture *t = mosaic_texture_from_buffer(r, b);
	assert_non_null(t);
	uint32_t px[9];
	assert_true(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_XRGB8888, .stride = 12, .data = px,
	}));
	for (int i = 0; i < 9; i++) {
		assert_true((px[i] >> 16 & 0xff) >= 254 && (px[i] & 0xffff) == 0);
	}
	assert_no_error(&cap);
	mosaic_texture_destroy(t);
	mosaic_buffer_drop(b);
	mosaic_renderer_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_validation, setup),
		cmocka_unit_test_setup(test_pixman_conversion, setup),
		cmocka_unit_test_setup(test_chroma_location, setup),
		cmocka_unit_test_setup(test_own_buffer_memfd_refused, setup),
		cmocka_unit_test_setup(test_p010, setup),
		cmocka_unit_test_setup(test_disjoint_planes, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
