/*
 * test-gles: what the renderer advertises for dmabufs without a DRM node
 * (import and export features, YUV texture formats, checked against EGL),
 * and a YUYV memfd drawn with its colour hints.
 */
#define _GNU_SOURCE /* memfd_create */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <drm_fourcc.h>

#include <mosaic/gles.h>
#include <mosaic/mosaic.h>

#include "test_gles.h"

/* dmabuf paths need a DRM node: they run in tests/gles/test_gles_dmabuf.c. */
void test_dmabuf_features(void **state)
{
	uint64_t f = mosaic_renderer_get_features(gl);
	const struct mosaic_format_set *set = mosaic_renderer_get_texture_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF);
	// Import advertised iff some dmabuf format is listed.
	assert_int_equal((f & MOSAIC_FEATURE_DMABUF_IMPORT) != 0, set->n_formats > 0);
	uint32_t px = 0;
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, 1, 1, DRM_FORMAT_ARGB8888, 4,
		&px);
	struct mosaic_dmabuf_attributes attribs;
	int errors = gles_test_log_errors;
	bool exported = mosaic_gles_texture_export_dmabuf(tex, &attribs);
	assert_int_equal(exported, (f & MOSAIC_FEATURE_DMABUF_EXPORT) != 0);
	if (exported) {
		mosaic_dmabuf_attributes_finish(&attribs);
	} else {
		// The refusal is logged once.
		assert_int_equal(gles_test_log_errors, errors + 1);
		gles_test_log_errors = errors;
	}
	mosaic_texture_destroy(tex);
	CHECK_GL();
}

/* A 16x16 linear image of `fourcc` at the start of `fd`, imported directly with EGL. */
static bool egl_imports(EGLDisplay display, int fd, uint32_t fourcc)
{
	PFNEGLCREATEIMAGEKHRPROC create =
		(PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	PFNEGLDESTROYIMAGEKHRPROC destroy =
		(PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	static const EGLint keys[3][3] = {
		{ EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE0_OFFSET_EXT,
			EGL_DMA_BUF_PLANE0_PITCH_EXT },
		{ EGL_DMA_BUF_PLANE1_FD_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT,
			EGL_DMA_BUF_PLANE1_PITCH_EXT },
		{ EGL_DMA_BUF_PLANE2_FD_EXT, EGL_DMA_BUF_PLANE2_OFFSET_EXT,
			EGL_DMA_BUF_PLANE2_PITCH_EXT },
	};
	EGLint attribs[6 + 3 * 6 + 1] = {
		EGL_WIDTH, 16, EGL_HEIGHT, 16, EGL_LINUX_DRM_FOURCC_EXT, (EGLint)fourcc,
	};
	int n = 6;
	EGLint offset = 0;
	for (int p = 0; p < info->n_planes; p++) {
		uint64_t row_bytes;
		uint32_t rows;
		assert_true(mosaic_format_plane_size(info, p, 16, 16, &row_bytes, &rows));
		const EGLint values[3] = { fd, offset, (EGLint)row_bytes };
		for (int k = 0; k < 3; k++) {
			attribs[n++] = keys[p][k];
			attribs[n++] = values[k];
		}
		offset += (EGLint)(row_bytes * rows);
	}
	attribs[n] = EGL_NONE;
	EGLImageKHR image = create(display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL,
		attribs);
	if (image == EGL_NO_IMAGE_KHR) {
		return false;
	}
	destroy(display, image);
	return true;
}

static void yuv_formats_of_egl(const struct mosaic_format_set *tex,
	const struct mosaic_format_set *render, const struct mosaic_format_info *all, size_t n);

static void draw_yuyv_red(void);

/*
 * YUV formats: never render formats. On a software driver, which is given no
 * dmabuf (mosaic maps and converts them), every YUV format of the table is a
 * texture format with the LINEAR and implicit layouts. Elsewhere a texture
 * format exactly when EGL lists it and it imports (checked here with a memfd,
 * where the driver maps any fd), then with the modifiers EGL lists plus the
 * implicit one. A YUYV memfd draws red with the colour hints.
 */
void test_yuv_dmabuf(void **state)
{
	const struct mosaic_format_set *tex = mosaic_renderer_get_texture_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF);
	const struct mosaic_format_set *render = mosaic_renderer_get_render_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF);
	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	if (mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE) {
		for (size_t i = 0; i < n; i++) {
			if (!all[i].is_yuv) {
				continue;
			}
			assert_null(mosaic_format_set_get(render, all[i].fourcc));
			// Converted into R'G'B' of 10 bits (P010) or 8: offered where GL holds that.
			uint32_t rgb = all[i].fourcc == DRM_FORMAT_P010 ? DRM_FORMAT_XRGB2101010 :
				DRM_FORMAT_XRGB8888;
			const struct mosaic_format *f = mosaic_format_set_get(tex, all[i].fourcc);
			if (mosaic_format_set_get(mosaic_renderer_get_texture_formats(gl,
					MOSAIC_BUFFER_CAP_DATA_PTR), rgb) == NULL) {
				assert_null(f);
				continue;
			}
			assert_non_null(f);
			assert_int_equal(f->n_modifiers, 2);
			assert_true(mosaic_format_set_has(tex, all[i].fourcc, DRM_FORMAT_MOD_INVALID));
			assert_true(mosaic_format_set_has(tex, all[i].fourcc, DRM_FORMAT_MOD_LINEAR));
		}
		draw_yuyv_red();
		return;
	}
	yuv_formats_of_egl(tex, render, all, n);
}

/* The hardware rule of test_yuv_dmabuf(): what EGL lists and imports. */
static void yuv_formats_of_egl(const struct mosaic_format_set *tex,
	const struct mosaic_format_set *render, const struct mosaic_format_info *all, size_t n)
{
	EGLDisplay display = mosaic_gles_renderer_get_egl_display(gl);
	PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_modifiers =
		(PFNEGLQUERYDMABUFMODIFIERSEXTPROC)eglGetProcAddress("eglQueryDmaBufModifiersEXT");
	const char *exts = eglQueryString(display, EGL_EXTENSIONS);
	if (query_modifiers == NULL || exts == NULL ||
			strstr(exts, "EGL_EXT_image_dma_buf_import_modifiers") == NULL) {
		skip();
	}
	int probe = memfd_create("test-gles-probe", MFD_CLOEXEC);
	assert_true(probe >= 0);
	assert_int_equal(ftruncate(probe, 16 * 16 * 4), 0);
	if (!egl_imports(display, probe, DRM_FORMAT_XRGB8888)) {
		close(probe);
		skip();
	}
	for (size_t i = 0; i < n; i++) {
		if (!all[i].is_yuv) {
			continue;
		}
		assert_null(mosaic_format_set_get(render, all[i].fourcc));
		EGLuint64KHR mods[64];
		EGLBoolean external[64];
		EGLint n_mods = 0;
		assert_true(query_modifiers(display, (EGLint)all[i].fourcc, 64, mods, external,
			&n_mods));
		const struct mosaic_format *f = mosaic_format_set_get(tex, all[i].fourcc);
		bool imports = n_mods > 0 && egl_imports(display, probe, all[i].fourcc);
		print_message("%s: %d modifiers listed, %s, %s\n", all[i].name, n_mods,
			imports ? "imports" : "does not import", f != NULL ? "advertised" :
			"not advertised");
		if (!imports) {
			assert_null(f);
			continue;
		}
		assert_non_null(f);
		assert_int_equal(f->n_modifiers, (size_t)n_mods + 1);
		assert_true(mosaic_format_set_has(tex, all[i].fourcc, DRM_FORMAT_MOD_INVALID));
		for (EGLint j = 0; j < n_mods; j++) {
			assert_true(mosaic_format_set_has(tex, all[i].fourcc, mods[j]));
		}
	}
	close(probe);
	if (mosaic_format_set_has(tex, DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR)) {
		draw_yuyv_red();
	}
}

/* A YUYV memfd of BT.709 limited red draws red. */
static void draw_yuyv_red(void)
{
	// BT.709 limited red: Y 63, Cb 102, Cr 240.
	int fd = memfd_create("test-gles-yuyv", MFD_CLOEXEC);
	assert_true(fd >= 0);
	const uint8_t pair[4] = { 63, 102, 63, 240 };
	uint8_t rows[2][8];
	for (int i = 0; i < 2; i++) {
		memcpy(rows[i], pair, 4);
		memcpy(rows[i] + 4, pair, 4);
	}
	assert_int_equal(write(fd, rows, sizeof(rows)), (ssize_t)sizeof(rows));
	struct mosaic_dmabuf_attributes a = {
		.width = 4, .height = 2, .fourcc = DRM_FORMAT_YUYV,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 1,
		.stride = { 8 }, .fd = { fd, -1, -1, -1 },
		.yuv = { .matrix = MOSAIC_YUV_MATRIX_BT709 },
	};
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf_with_options(&a,
		&(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	assert_non_null(b);
	struct mosaic_texture *t = mosaic_texture_from_buffer(gl, b);
	assert_non_null(t);
	uint32_t out[4 * 2] = {0};
	struct mosaic_buffer *target = mosaic_buffer_from_data(4, 2, DRM_FORMAT_XRGB8888, 16,
		out);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = t, .filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	for (int i = 0; i < 8; i++) {
		uint32_t p = out[i];
		// Red within 2 steps: the driver rounds its own way.
		assert_true((p >> 16 & 0xff) >= 253 && (p >> 8 & 0xff) <= 2 && (p & 0xff) <= 2);
	}
	mosaic_buffer_drop(target);
	mosaic_texture_destroy(t);
	mosaic_buffer_drop(b);
	CHECK_GL();
}
