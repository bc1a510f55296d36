/*
 * dmabufs on a software GLES driver (llvmpipe; surfaceless on CI): never
 * imported into EGL, which faults on dmabufs of other exporters (Mesa
 * 25.0.7), but mapped by the core and copied (gl/dmabuf_cpu_copy.c), or
 * rendered into as CPU targets. memfds stand in for dmabufs here (the core
 * maps them alike; the DRM test VM has the real ones:
 * tests/drm/test-gles-foreign-dmabuf.c).
 * - An ARGB8888 memfd draws as pixman draws it; after the producer rewrites
 *   the memory, the next pass and a read show the new pixels. Two textures
 *   of one buffer share its copy, which stays while the buffer lives;
 *   updating one from memory is refused.
 * - NV12 and YUYV memfds draw as pixman converts them.
 * - A dmabuf the CPU cannot map (a tiled modifier) is refused with one log
 *   line.
 * - A frame rendered into a memfd dmabuf lands in its memory as pixman's.
 * Exits 77 where the GLES renderer is no software one.
 */
#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <mosaic/mosaic.h>

#include "gles_common.h"
#include "../core/memfd_dmabuf.h"

#define W 40
#define H 24

static struct mosaic_renderer *gl;
static struct mosaic_renderer *ref;

/* A W x H buffer of `fourcc` over a memfd, mapped at *map; NV12's chroma follows its luma. */
static struct mosaic_buffer *memfd_buffer(uint32_t fourcc, uint64_t modifier, uint8_t **map,
	uint32_t *stride)
{
	bool nv12 = fourcc == DRM_FORMAT_NV12;
	*stride = fourcc == DRM_FORMAT_YUYV ? W * 2 : nv12 ? W : W * 4;
	size_t size = (size_t)*stride * H * (nv12 ? 3 : 2) / 2;
	int fd = make_memfd(size);
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(*map != MAP_FAILED);
	struct mosaic_dmabuf_attributes a = {
		.width = W, .height = H, .fourcc = fourcc, .modifier = modifier,
		.n_planes = nv12 ? 2 : 1,
		.stride = { *stride, *stride },
		.offset = { 0, *stride * H },
		.fd = { fd, nv12 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1, -1, -1 },
	};
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a,
		&(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	assert_non_null(b);
	return b;
}

/* Frame `v` of a pattern: every byte of every plane. */
static void fill(uint8_t *map, size_t size, int v)
{
	for (size_t i = 0; i < size; i++) {
		map[i] = (uint8_t)(i * 7 + (size_t)v * 29 + i / 97);
	}
}

/* ARGB8888, premultiplied: alpha steps, color at most alpha. */
static void fill_argb(uint8_t *map, int v)
{
	uint32_t *px = (uint32_t *)(void *)map;
	for (int i = 0; i < W * H; i++) {
		uint32_t a = (uint32_t)((i / 5 + v) % 4) * 85;
		uint32_t c = (uint32_t)(i * 13 + v * 41) % 256 * a / 255;
		px[i] = a << 24 | c << 16 | (a - c / 2) << 8 | c / 3;
	}
}

/* What `r` draws of `tex`, 1:1 and nearest over grey, into W x H XRGB8888 memory. */
static void draw_into(struct mosaic_renderer *r, struct mosaic_texture *tex,
	struct mosaic_buffer *target)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H }, .color = { 0.5f, 0.5f, 0.5f, 1 },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex, .filter = MOSAIC_FILTER_NEAREST,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	if (done.sync_file_fd >= 0) {
		close(done.sync_file_fd);
	}
}

static void draw(struct mosaic_renderer *r, struct mosaic_texture *tex, uint32_t *out)
{
	struct mosaic_buffer *target = mosaic_buffer_from_data(W, H, DRM_FORMAT_XRGB8888, W * 4,
		out);
	draw_into(r, tex, target);
	mosaic_buffer_drop(target);
}

static void reference(struct mosaic_buffer *b, uint32_t *out)
{
	struct mosaic_texture *t = mosaic_texture_from_buffer(ref, b);
	assert_non_null(t);
	draw(ref, t, out);
	mosaic_texture_destroy(t);
}

static void expect_close(const uint32_t *got, const uint32_t *want, int tolerance)
{
	for (int i = 0; i < W * H; i++) {
		for (int s = 0; s < 24; s += 8) {
			int d = abs((int)(got[i] >> s & 0xff) - (int)(want[i] >> s & 0xff));
			if (d > tolerance) {
				fail_msg("pixel %d,%d: GLES 0x%06x, pixman 0x%06x", i % W, i / W,
					got[i] & 0xffffff, want[i] & 0xffffff);
			}
		}
	}
}

static void test_argb_frames(void **state)
{
	uint8_t *map;
	uint32_t stride;
	struct mosaic_buffer *b = memfd_buffer(DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR, &map,
		&stride);
	fill_argb(map, 0);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(gl, b);
	assert_non_null(tex);
	struct mosaic_texture *again = mosaic_texture_from_buffer(gl, b);
	assert_non_null(again);
	struct mosaic_gles_texture_attribs a, a2;
	mosaic_gles_texture_get_attribs(tex, &a);
	mosaic_gles_texture_get_attribs(again, &a2);
	assert_int_equal(a.target, GL_TEXTURE_2D);
	assert_true(a.has_alpha);
	assert_int_equal(a.tex, a2.tex);
	static uint32_t got[W * H], want[W * H];
	for (int v = 0; v < 3; v++) {
		// The producer draws its next frame into the same memory.
		fill_argb(map, v);
		draw(gl, tex, got);
		reference(b, want);
		expect_close(got, want, 1);
	}
	// A read copies too.
	fill_argb(map, 7);
	assert_true(mosaic_texture_read_pixels(again, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = W * 4, .data = got,
	}));
	assert_memory_equal(got, map, W * H * 4);
	// The texture shows its buffer: it is not updated from memory.
	struct mosaic_buffer *mem = mosaic_buffer_from_data(W, H, DRM_FORMAT_ARGB8888, W * 4,
		want);
	gles_test_log_errors = 0;
	assert_false(mosaic_texture_update_from_buffer(tex, mem, NULL));
	assert_int_equal(gles_test_log_errors, 1);
	gles_test_log_errors = 0;
	mosaic_buffer_drop(mem);
	mosaic_texture_destroy(again);
	mosaic_texture_destroy(tex);
	// The copy is the buffer's: it goes with the buffer.
	assert_int_equal(gles_test_gl_query(gl, a.tex), GL_TRUE);
	mosaic_buffer_drop(b);
	assert_int_equal(gles_test_gl_query(gl, a.tex), GL_FALSE);
	munmap(map, (size_t)stride * H);
	assert_int_equal(gles_test_gl_error(gl), GL_NO_ERROR);
}

static void yuv_case(uint32_t fourcc)
{
	uint8_t *map;
	uint32_t stride;
	struct mosaic_buffer *b = memfd_buffer(fourcc, DRM_FORMAT_MOD_LINEAR, &map, &stride);
	size_t size = (size_t)stride * H * (fourcc == DRM_FORMAT_NV12 ? 3 : 2) / 2;
	static uint32_t got[W * H], want[W * H];
	fill(map, size, 0);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(gl, b);
	assert_non_null(tex);
	for (int v = 0; v < 2; v++) {
		fill(map, size, v);
		draw(gl, tex, got);
		reference(b, want);
		// The same conversion on both: only GL's 8-bit round trip differs.
		expect_close(got, want, 1);
	}
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(b);
	munmap(map, size);
	assert_int_equal(gles_test_gl_error(gl), GL_NO_ERROR);
}

static void test_nv12(void **state)
{
	yuv_case(DRM_FORMAT_NV12);
}

static void test_yuyv(void **state)
{
	yuv_case(DRM_FORMAT_YUYV);
}

static void test_unmappable(void **state)
{
	uint8_t *map;
	uint32_t stride;
	// The CPU cannot tell a tiled layout's pixels: the core refuses to map it.
	struct mosaic_buffer *b = memfd_buffer(DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED,
		&map, &stride);
	gles_test_log_errors = 0;
	assert_null(mosaic_texture_from_buffer(gl, b));
	assert_int_equal(gles_test_log_errors, 1);
	gles_test_log_errors = 0;
	mosaic_buffer_drop(b);
	munmap(map, (size_t)stride * H);
}

static void test_render_into(void **state)
{
	assert_true(mosaic_format_set_has(mosaic_renderer_get_render_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF), DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	uint8_t *src_map, *dst_map;
	uint32_t stride;
	struct mosaic_buffer *src = memfd_buffer(DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR,
		&src_map, &stride);
	struct mosaic_buffer *dst = memfd_buffer(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR,
		&dst_map, &stride);
	fill_argb(src_map, 3);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(gl, src);
	assert_non_null(tex);
	static uint32_t want[W * H];
	for (int v = 0; v < 2; v++) {
		fill_argb(src_map, v);
		draw_into(gl, tex, dst);
		reference(src, want);
		expect_close((const uint32_t *)(void *)dst_map, want, 1);
	}
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(src);
	mosaic_buffer_drop(dst);
	munmap(src_map, (size_t)stride * H);
	munmap(dst_map, (size_t)stride * H);
	assert_int_equal(gles_test_gl_error(gl), GL_NO_ERROR);
}

int main(void)
{
	gles_test_log_init();
	gl = gles_test_renderer();
	if ((mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE) == 0) {
		printf("GLES runs on %s, no software driver\n", mosaic_renderer_get_device_name(gl));
		mosaic_renderer_destroy(gl);
		return 77;
	}
	ref = mosaic_pixman_renderer_create();
	const struct CMUnitTest tests[] = {
		GLES_TEST(test_argb_frames),
		GLES_TEST(test_nv12),
		GLES_TEST(test_yuyv),
		GLES_TEST(test_unmappable),
		GLES_TEST(test_render_into),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	mosaic_renderer_destroy(ref);
	mosaic_renderer_destroy(gl);
	return failed;
}
