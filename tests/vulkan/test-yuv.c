/*
 * YUV textures on the Vulkan renderer (sampler Y'CbCr conversions): every
 * format (NV12, NV21, P010, YUV420, YUYV), both matrices and both ranges, from
 * a memfd standing in for a dmabuf (imported as buffers and copied per plane)
 * and from pixels (the same buffer mapped and uploaded, with dmabuf import
 * off: MOSAIC_VK_NO_DMABUF=1), drawn 1:1 with both filters into a CPU target
 * and compared with what the pixman renderer draws from the same buffer.
 *
 * Tolerance: TOLERANCE per channel. pixman converts in double precision and
 * rounds once; lavapipe converts in float from UNORM texels, and has only
 * cosited chroma samples for the 4:2:0 formats and only midpoint ones for
 * YUYV (without a linear chroma filter): it samples the other chroma
 * locations at the nearest offset it has, which the smooth chroma gradients
 * here keep within a few codes. The same 8 as the conformance runner's GPU
 * tolerance for YUV scenes.
 *
 * NEAREST draws get TOLERANCE_NEAREST: pixman reconstructs chroma bilinearly
 * whatever the filter, while a device without
 * SAMPLED_IMAGE_YCBCR_CONVERSION_SEPARATE_RECONSTRUCTION_FILTER (lavapipe)
 * must reconstruct chroma with the sampler's filter, so a NEAREST draw
 * replicates each chroma sample: off by up to half a chroma step of the
 * gradients here (about 3.5 codes of Cb or Cr, times 1.8 into blue or red).
 * LINEAR draws of a format the renderer reports without a linear chroma
 * filter (lavapipe: YUYV) get the same tolerance, for the same reason.
 *
 * Nearest draws at 2:1, where every sample falls on a luma texel edge, must
 * pick pixman's texels (test_nearest_ties).
 *
 * Also: MOSAIC_VK_NO_YCBCR=1 leaves every YUV format out and refuses such a
 * buffer with an error, and the last test prints what a texture of a new
 * 1080p NV12 dmabuf costs against one of a buffer already imported.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include <mosaic/interface.h>
#include <mosaic/pixman.h>

#include "common.h"

#define TOLERANCE 8
#define TOLERANCE_NEAREST 24
#define W 37
#define H 21

static const uint32_t formats[] = {
	DRM_FORMAT_NV12, DRM_FORMAT_NV21, DRM_FORMAT_P010, DRM_FORMAT_YUV420, DRM_FORMAT_YUYV,
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

/* A memfd holding every plane of a LINEAR YUV image, mapped for the CPU side. */
struct yuv_memfd {
	const struct mosaic_format_info *info;
	int fd;
	uint8_t *map;
	size_t size;
	int width, height;
	uint32_t offset[MOSAIC_FORMAT_MAX_PLANES], stride[MOSAIC_FORMAT_MAX_PLANES];
};

static uint32_t round_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

/* Writes one sample of `bits` (8 or 10; 10 at the top of 16 bits as P010 has it). */
static void put(uint8_t *p, unsigned bits, double v, bool full)
{
	// v in 0..1 of the code range.
	unsigned max = (1u << bits) - 1;
	unsigned lo = full ? 0 : 16u << (bits - 8), hi = full ? max : 235u << (bits - 8);
	unsigned code = lo + (unsigned)(v * (hi - lo) + 0.5);
	if (bits == 8) {
		*p = (uint8_t)code;
	} else {
		uint16_t word = (uint16_t)(code << 6);
		memcpy(p, &word, 2);
	}
}

/* Smooth planes: luma a diagonal ramp, Cb across and Cr down, shifted by `seed`. */
static void yuv_fill(struct yuv_memfd *m, bool full, unsigned seed)
{
	const struct mosaic_format_info *info = m->info;
	unsigned bits = info->yuv_depth;
	unsigned bytes = bits > 8 ? 2 : 1;
	double shift = (seed % 7) / 20.0;
	if (info->n_planes == 1) {
		// YUYV: Y0 Cb Y1 Cr per pixel pair.
		for (int y = 0; y < m->height; y++) {
			uint8_t *row = m->map + m->offset[0] + (size_t)y * m->stride[0];
			for (int x = 0; x < (m->width + 1) / 2; x++) {
				double l0 = (2.0 * x + y) / (m->width + m->height) * 0.8 + shift;
				double l1 = (2.0 * x + 1 + y) / (m->width + m->height) * 0.8 + shift;
				put(row + 4 * x, 8, l0, full);
				put(row + 4 * x + 1, 8, 0.2 + 0.6 * x / (m->width / 2.0), full);
				put(row + 4 * x + 2, 8, l1, full);
				put(row + 4 * x + 3, 8, 0.8 - 0.6 * y / (double)m->height, full);
			}
		}
		return;
	}
	int cw = (m->width + 1) / 2, ch = (m->height + 1) / 2;
	for (int y = 0; y < m->height; y++) {
		uint8_t *row = m->map + m->offset[0] + (size_t)y * m->stride[0];
		for (int x = 0; x < m->width; x++) {
			put(row + x * bytes, bits, (double)(x + y) / (m->width + m->height) * 0.8 +
				shift, full);
		}
	}
	bool swap = info->fourcc == DRM_FORMAT_NV21;
	for (int y = 0; y < ch; y++) {
		for (int x = 0; x < cw; x++) {
			double cb = 0.2 + 0.6 * x / (double)cw, cr = 0.8 - 0.6 * y / (double)ch;
			if (info->n_planes == 3) {
				put(m->map + m->offset[1] + (size_t)y * m->stride[1] + x, bits, cb, full);
				put(m->map + m->offset[2] + (size_t)y * m->stride[2] + x, bits, cr, full);
			} else {
				uint8_t *p = m->map + m->offset[1] + (size_t)y * m->stride[1] +
					(size_t)x * 2 * bytes;
				put(p, bits, swap ? cr : cb, full);
				put(p + bytes, bits, swap ? cb : cr, full);
			}
		}
	}
}

static void yuv_memfd_init(struct yuv_memfd *m, uint32_t fourcc, int width, int height)
{
	*m = (struct yuv_memfd){ .info = mosaic_format_get_info(fourcc), .width = width,
		.height = height };
	assert_non_null(m->info);
	uint32_t offset = 128;
	for (int p = 0; p < m->info->n_planes; p++) {
		uint64_t min_stride;
		uint32_t rows;
		assert_true(mosaic_format_plane_size(m->info, p, width, height, &min_stride, &rows));
		// Rows wider than the image and planes not packed together: the copy must follow.
		m->stride[p] = round_up((uint32_t)min_stride, 64) + 64;
		m->offset[p] = offset;
		offset = round_up(offset + m->stride[p] * rows, 256);
	}
	m->size = round_up(offset, 4096);
	m->fd = memfd_create("mosaic-test-yuv", MFD_CLOEXEC);
	assert_true(m->fd >= 0);
	assert_int_equal(ftruncate(m->fd, (off_t)m->size), 0);
	m->map = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	assert_true(m->map != MAP_FAILED);
	memset(m->map, 0x5a, m->size);
}

/* A dmabuf buffer of the memfd (one duplicate fd per plane) with the given facts. */
static struct mosaic_buffer *yuv_buffer(const struct yuv_memfd *m,
	const struct mosaic_yuv_info *yuv)
{
	struct mosaic_dmabuf_attributes a = {
		.width = m->width,
		.height = m->height,
		.fourcc = m->info->fourcc,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = m->info->n_planes,
		.fd = { -1, -1, -1, -1 },
		.yuv = *yuv,
	};
	for (int p = 0; p < m->info->n_planes; p++) {
		a.offset[p] = m->offset[p];
		a.stride[p] = m->stride[p];
		a.fd[p] = fcntl(m->fd, F_DUPFD_CLOEXEC, 0);
		assert_true(a.fd[p] >= 0);
	}
	struct mosaic_buffer *buffer = mosaic_buffer_from_dmabuf_with_options(&a,
		&(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	assert_non_null(buffer);
	return buffer;
}

static void yuv_memfd_finish(struct yuv_memfd *m)
{
	munmap(m->map, m->size);
	close(m->fd);
}

/* The texture drawn 1:1 with `filter` over a backdrop, opaque and blended, into 2W+8 x H+4. */
static void draw(struct mosaic_renderer *r, struct mosaic_texture *tex, struct test_image *out,
	enum mosaic_filter filter)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, out->buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, out->width, out->height },
		.color = { 0.25f, 0.5f, 0.75f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	for (int f = 0; f < 2; f++) {
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex,
			.dst_box = { 2 + f * (W + 4), 2, W, H },
			.filter = filter,
			.blend = f == 0 ? MOSAIC_BLEND_NONE : MOSAIC_BLEND_PREMULTIPLIED,
		}));
	}
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
}

static uint32_t dmabuf_fourcc(struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_buffer_get_dmabuf(buffer, &a));
	return a.fourcc;
}

/* Draws with both filters on both renderers; the largest difference of the LINEAR draws. */
static int draw_and_compare(struct mosaic_renderer *r, struct mosaic_renderer *pixman,
	struct mosaic_buffer *buffer, const char *what)
{
	int linear_diff = 0;
	// Formats without a linear chroma filter (the renderer says which at start-up).
	char name[40];
	snprintf(name, sizeof(name), "%s ", mosaic_format_get_info(
		dmabuf_fourcc(buffer))->name);
	bool nearest_chroma = strstr(test_log.nearest_chroma, name) != NULL;
	for (int f = 0; f < 2; f++) {
		enum mosaic_filter filter = f == 0 ? MOSAIC_FILTER_LINEAR : MOSAIC_FILTER_NEAREST;
		int tolerance = f == 0 && !nearest_chroma ? TOLERANCE : TOLERANCE_NEAREST;
		struct test_image vk_out, ref_out;
		test_image_init(&vk_out, 2 * W + 8, H + 4, DRM_FORMAT_XRGB8888, 0);
		test_image_init(&ref_out, 2 * W + 8, H + 4, DRM_FORMAT_XRGB8888, 0);
		struct mosaic_texture *tex = mosaic_texture_from_buffer(r, buffer);
		assert_non_null(tex);
		draw(r, tex, &vk_out, filter);
		mosaic_texture_destroy(tex);
		struct mosaic_texture *ref = mosaic_texture_from_buffer(pixman, buffer);
		assert_non_null(ref);
		draw(pixman, ref, &ref_out, filter);
		mosaic_texture_destroy(ref);
		char label[128];
		snprintf(label, sizeof(label), "%s, %s", what, f == 0 ? "linear" : "nearest");
		int diff = test_compare(&vk_out, &ref_out, tolerance, label);
		test_image_finish(&vk_out);
		test_image_finish(&ref_out);
		assert_in_range(diff, 0, tolerance);
		if (f == 0) {
			linear_diff = diff;
		}
	}
	return linear_diff;
}

/*
 * Without dmabuf import the format sets list no YUV format: whether the
 * device samples `fourcc` shows when a texture is made from mapped planes.
 */
static bool samples_planes(struct mosaic_renderer *r, uint32_t fourcc)
{
	struct yuv_memfd m;
	yuv_memfd_init(&m, fourcc, W, H);
	struct mosaic_buffer *buffer = yuv_buffer(&m, &(struct mosaic_yuv_info){ 0 });
	int errors = test_log.errors;
	test_log.quiet_errors = true;
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, buffer);
	test_log.quiet_errors = false;
	bool ok = tex != NULL;
	// A refusal says why, in one line.
	assert_int_equal(test_log.errors, errors + (ok ? 0 : 1));
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(buffer);
	yuv_memfd_finish(&m);
	return ok;
}

/* Every format, matrix and range (and, for NV12, chroma location) against pixman. */
static void compare_all(struct mosaic_renderer *r, const char *path)
{
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	assert_non_null(pixman);
	const struct mosaic_format_set *set = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	bool importing = mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_IMPORT;
	for (size_t i = 0; i < N_FORMATS; i++) {
		char name[32];
		if (importing && mosaic_format_set_get(set, formats[i]) == NULL) {
			// The renderer logged why at start-up.
			printf("%s %s: not sampled by this device, skipped\n", path,
				mosaic_format_name(formats[i], name));
			continue;
		}
		if (!importing && !samples_planes(r, formats[i])) {
			// The renderer logged why.
			printf("%s %s: not sampled by this device, skipped\n", path,
				mosaic_format_name(formats[i], name));
			continue;
		}
		int worst = 0;
		int n_locations = formats[i] == DRM_FORMAT_NV12 ? 3 : 1;
		for (int c = 0; c < 4 * n_locations; c++) {
			struct mosaic_yuv_info yuv = {
				.matrix = (c & 1) ? MOSAIC_YUV_MATRIX_BT709 : MOSAIC_YUV_MATRIX_BT601,
				.range = (c & 2) ? MOSAIC_YUV_RANGE_FULL : MOSAIC_YUV_RANGE_LIMITED,
				.chroma_location = (enum mosaic_chroma_location)(c / 4),
			};
			struct yuv_memfd m;
			yuv_memfd_init(&m, formats[i], W, H);
			yuv_fill(&m, yuv.range == MOSAIC_YUV_RANGE_FULL, (unsigned)c);
			struct mosaic_buffer *buffer = yuv_buffer(&m, &yuv);
			char what[96];
			snprintf(what, sizeof(what), "%s %s, %s, %s range, chroma %d", path,
				m.info->name, yuv.matrix ? "BT.709" : "BT.601",
				yuv.range ? "full" : "limited", (int)yuv.chroma_location);
			int diff = draw_and_compare(r, pixman, buffer, what);
			worst = diff > worst ? diff : worst;
			mosaic_buffer_drop(buffer);
			yuv_memfd_finish(&m);
		}
		char key[40];
		snprintf(key, sizeof(key), "%s ", mosaic_format_name(formats[i], name));
		printf("%s %s: largest difference of the linear draws from pixman %d/255 "
			"(tolerance %d%s)\n", path, name, worst,
			strstr(test_log.nearest_chroma, key) != NULL ? TOLERANCE_NEAREST : TOLERANCE,
			strstr(test_log.nearest_chroma, key) != NULL ? ", nearest chroma" : "");
	}
	mosaic_renderer_destroy(pixman);
}

/* What is listed is listed with LINEAR, the modifier of the buffer path. */
static void test_formats_listed(void **state)
{
	struct mosaic_renderer *r = *state;
	const struct mosaic_format_set *set = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	for (size_t i = 0; i < N_FORMATS; i++) {
		const struct mosaic_format *f = mosaic_format_set_get(set, formats[i]);
		if (f != NULL) {
			assert_true(mosaic_format_set_has(set, formats[i], DRM_FORMAT_MOD_LINEAR));
		}
	}
	// YUV is never a CPU texture format: it arrives as dmabuf planes only.
	const struct mosaic_format_set *cpu = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	for (size_t i = 0; i < N_FORMATS; i++) {
		assert_null(mosaic_format_set_get(cpu, formats[i]));
	}
}

static void test_dmabuf(void **state)
{
	compare_all(*state, "dmabuf");
}

static int setup_pixels(void **state)
{
	setenv("MOSAIC_VK_NO_DMABUF", "1", 1);
	int ret = test_setup(state);
	unsetenv("MOSAIC_VK_NO_DMABUF");
	return ret;
}

static void test_pixels(void **state)
{
	struct mosaic_renderer *r = *state;
	assert_false(mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_IMPORT);
	compare_all(r, "pixels");
}

/* A texture made from mapped planes follows updates of the buffer. */
static void test_pixels_update(void **state)
{
	struct mosaic_renderer *r = *state;
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	assert_non_null(pixman);
	struct yuv_memfd m;
	yuv_memfd_init(&m, DRM_FORMAT_NV12, W, H);
	yuv_fill(&m, false, 1);
	struct mosaic_yuv_info yuv = { .matrix = MOSAIC_YUV_MATRIX_BT709 };
	struct mosaic_buffer *buffer = yuv_buffer(&m, &yuv);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, buffer);
	assert_non_null(tex);
	yuv_fill(&m, false, 5);
	assert_true(mosaic_texture_update_from_buffer(tex, buffer, NULL));
	struct test_image vk_out, ref_out;
	test_image_init(&vk_out, 2 * W + 8, H + 4, DRM_FORMAT_XRGB8888, 0);
	test_image_init(&ref_out, 2 * W + 8, H + 4, DRM_FORMAT_XRGB8888, 0);
	draw(r, tex, &vk_out, MOSAIC_FILTER_LINEAR);
	struct mosaic_texture *ref = mosaic_texture_from_buffer(pixman, buffer);
	assert_non_null(ref);
	draw(pixman, ref, &ref_out, MOSAIC_FILTER_LINEAR);
	assert_in_range(test_compare(&vk_out, &ref_out, TOLERANCE, "updated NV12"), 0,
		TOLERANCE);
	mosaic_texture_destroy(ref);
	mosaic_texture_destroy(tex);
	test_image_finish(&vk_out);
	test_image_finish(&ref_out);
	mosaic_buffer_drop(buffer);
	yuv_memfd_finish(&m);
	mosaic_renderer_destroy(pixman);
}

/*
 * Nearest filtering at 2:1 samples exactly on luma texel edges: Vulkan must
 * pick the texel pixman picks (include/mosaic/pass.h), through the Y'CbCr
 * sampler too. A one-texel luma checker under constant chroma makes a wrong
 * pick a difference of about 150 codes, whatever the chroma filter; the
 * source leaves out the odd last column and row, and one draw swaps the axes
 * at an odd position.
 */
static void test_nearest_ties(void **state)
{
	struct mosaic_renderer *r = *state;
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	assert_non_null(pixman);
	struct yuv_memfd m;
	yuv_memfd_init(&m, DRM_FORMAT_NV12, W, H);
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			put(m.map + m.offset[0] + (size_t)y * m.stride[0] + x, 8,
				(x + y) % 2 == 0 ? 0.2 : 0.8, false);
		}
	}
	for (int y = 0; y < (H + 1) / 2; y++) {
		for (int x = 0; x < W + 1; x++) {
			put(m.map + m.offset[1] + (size_t)y * m.stride[1] + x, 8, 0.5, false);
		}
	}
	struct mosaic_yuv_info yuv = { .matrix = MOSAIC_YUV_MATRIX_BT709 };
	struct mosaic_buffer *buffer = yuv_buffer(&m, &yuv);
	struct mosaic_renderer *renderers[2] = { r, pixman };
	struct test_image out[2];
	for (int i = 0; i < 2; i++) {
		test_image_init(&out[i], 40, 22, DRM_FORMAT_XRGB8888, 0);
		struct mosaic_texture *tex = mosaic_texture_from_buffer(renderers[i], buffer);
		assert_non_null(tex);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderers[i],
			out[i].buffer, NULL);
		assert_non_null(pass);
		const struct mosaic_fbox src = { 0, 0, W - 1, H - 1 };
		const int w = (W - 1) / 2, h = (H - 1) / 2;
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex, .src_box = src, .dst_box = { 2, 2, w, h },
			.filter = MOSAIC_FILTER_NEAREST,
		}));
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex, .src_box = src, .dst_box = { 23, 1, h, w },
			.transform = MOSAIC_TRANSFORM_FLIPPED_90, .filter = MOSAIC_FILTER_NEAREST,
		}));
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(mosaic_renderer_wait_point(renderers[i], done.point, -1));
		mosaic_texture_destroy(tex);
	}
	assert_in_range(test_compare(&out[0], &out[1], TOLERANCE, "NV12 nearest 2:1"), 0,
		TOLERANCE);
	test_image_finish(&out[0]);
	test_image_finish(&out[1]);
	mosaic_buffer_drop(buffer);
	yuv_memfd_finish(&m);
	mosaic_renderer_destroy(pixman);
}

static int setup_no_ycbcr(void **state)
{
	setenv("MOSAIC_VK_NO_YCBCR", "1", 1);
	int ret = test_setup(state);
	unsetenv("MOSAIC_VK_NO_YCBCR");
	return ret;
}

static void test_refusal(void **state)
{
	struct mosaic_renderer *r = *state;
	const struct mosaic_format_set *set = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	for (size_t i = 0; i < N_FORMATS; i++) {
		assert_null(mosaic_format_set_get(set, formats[i]));
	}
	struct yuv_memfd m;
	yuv_memfd_init(&m, DRM_FORMAT_NV12, W, H);
	struct mosaic_buffer *buffer = yuv_buffer(&m, &(struct mosaic_yuv_info){0});
	test_log.quiet_errors = true;
	int errors = test_log.errors;
	assert_null(mosaic_texture_from_buffer(r, buffer));
	assert_true(test_log.errors > errors);
	test_log.quiet_errors = false;
	mosaic_buffer_drop(buffer);
	yuv_memfd_finish(&m);
}

/* What a texture of a new 1080p NV12 dmabuf costs, against one of a buffer imported before. */
static void test_import_cost(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { RUNS = 5 };
	int64_t first[RUNS], cached[RUNS], frame[RUNS];
	struct test_image target;
	test_image_init(&target, 64, 64, DRM_FORMAT_XRGB8888, 0);
	for (int i = 0; i < RUNS; i++) {
		struct yuv_memfd m;
		yuv_memfd_init(&m, DRM_FORMAT_NV12, 1920, 1080);
		struct mosaic_buffer *buffer = yuv_buffer(&m, &(struct mosaic_yuv_info){0});
		int64_t t0 = test_now_ns();
		struct mosaic_texture *tex = mosaic_texture_from_buffer(r, buffer);
		int64_t t1 = test_now_ns();
		assert_non_null(tex);
		mosaic_texture_destroy(tex);
		int64_t t2 = test_now_ns();
		tex = mosaic_texture_from_buffer(r, buffer);
		int64_t t3 = test_now_ns();
		assert_non_null(tex);
		// The planes are copied into the image by the first frame that draws it.
		draw(r, tex, &target, MOSAIC_FILTER_LINEAR);
		int64_t t4 = test_now_ns();
		mosaic_texture_destroy(tex);
		first[i] = t1 - t0;
		cached[i] = t3 - t2;
		frame[i] = t4 - t3;
		mosaic_buffer_drop(buffer);
		yuv_memfd_finish(&m);
	}
	test_image_finish(&target);
	test_sort_i64(first, RUNS);
	test_sort_i64(cached, RUNS);
	test_sort_i64(frame, RUNS);
	printf("1920x1080 NV12 dmabuf, median of %d: texture of a new dmabuf %.3f ms, of a "
		"cached one %.3f ms; first frame drawing it (copies the planes) %.3f ms\n", RUNS,
		(double)first[RUNS / 2] / 1e6, (double)cached[RUNS / 2] / 1e6,
		(double)frame[RUNS / 2] / 1e6);
}

int main(void)
{
	// Results printed before a failed assertion must not be lost.
	setvbuf(stdout, NULL, _IONBF, 0);
	test_log_reset();
	struct mosaic_renderer *r = test_vulkan_renderer();
	bool imports = mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_IMPORT;
	bool samples = mosaic_format_set_get(mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF), DRM_FORMAT_NV12) != NULL;
	if (imports && !samples) {
		printf("%s samples no YUV format (no sampler Y'CbCr conversion for NV12)\n",
			mosaic_renderer_get_device_name(r));
		mosaic_renderer_destroy(r);
		return 77;
	}
	if (!imports) {
		// YUV buffers still reach it through mapped planes (a device without
		// VK_EXT_external_memory_dma_buf, such as NVIDIA's here).
		printf("%s cannot import dmabufs: only the mapped-planes cases run\n",
			mosaic_renderer_get_device_name(r));
	}
	mosaic_renderer_destroy(r);
	const struct CMUnitTest pixel_tests[] = {
		cmocka_unit_test_setup_teardown(test_pixels, setup_pixels, test_teardown),
		cmocka_unit_test_setup_teardown(test_pixels_update, setup_pixels, test_teardown),
		cmocka_unit_test_setup_teardown(test_nearest_ties, setup_pixels, test_teardown),
	};
	if (!imports) {
		return cmocka_run_group_tests(pixel_tests, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_formats_listed, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_dmabuf, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pixels, setup_pixels, test_teardown),
		cmocka_unit_test_setup_teardown(test_pixels_update, setup_pixels, test_teardown),
		cmocka_unit_test_setup_teardown(test_nearest_ties, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_refusal, setup_no_ycbcr, test_teardown),
		cmocka_unit_test_setup_teardown(test_import_cost, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
