/*
 * dmabuf export of the Vulkan GPU allocator's images: export, re-import
 * through mosaic_buffer_from_dmabuf() on the same renderer, same pixels.
 * Exits 77 (SKIP) with one line where the renderer cannot export dmabufs
 * (MOSAIC_FEATURE_DMABUF_EXPORT unset).
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "common.h"

enum { W = 48, H = 34 };

static struct mosaic_renderer *renderer;

/* The modifiers the renderer can render into for `fourcc` as a dmabuf. */
static const struct mosaic_format *dmabuf_render_format(uint32_t fourcc)
{
	return mosaic_format_set_get(mosaic_renderer_get_render_formats(renderer,
		MOSAIC_BUFFER_CAP_DMABUF), fourcc);
}

/* Reads a buffer of the renderer through a texture made from it. */
static void read_buffer(struct mosaic_buffer *buffer, uint32_t *out)
{
	struct mosaic_texture *texture = mosaic_texture_from_buffer(renderer, buffer);
	assert_non_null(texture);
	assert_true(test_read_texture(texture, out));
	mosaic_texture_destroy(texture);
}

static void test_roundtrip(void **state)
{
	(void)state;
	const struct mosaic_format *format = dmabuf_render_format(DRM_FORMAT_ARGB8888);
	assert_non_null(format);
	struct mosaic_allocator *alloc = mosaic_renderer_create_gpu_allocator(renderer);
	assert_non_null(alloc);
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(alloc, W, H,
		DRM_FORMAT_ARGB8888, format->modifiers, format->n_modifiers);
	assert_non_null(buffer);
	test_draw_quadrants(renderer, buffer, W, H);

	// Exported after it was drawn: the contents travel with it.
	struct mosaic_dmabuf_attributes attribs;
	assert_true(mosaic_vulkan_buffer_export_dmabuf(buffer, &attribs));
	assert_int_equal(attribs.width, W);
	assert_int_equal(attribs.height, H);
	assert_int_equal(attribs.fourcc, DRM_FORMAT_ARGB8888);
	assert_int_equal(attribs.n_planes, 1);
	assert_true(attribs.modifier != DRM_FORMAT_MOD_INVALID);
	bool listed = false;
	for (size_t i = 0; i < format->n_modifiers; i++) {
		listed = listed || format->modifiers[i] == attribs.modifier;
	}
	assert_true(listed);
	assert_true(attribs.stride[0] >= W * 4);
	assert_true(attribs.fd[0] >= 0);
	assert_int_equal(fcntl(attribs.fd[0], F_GETFD), FD_CLOEXEC);
	// Every export is a new fd the caller owns.
	struct mosaic_dmabuf_attributes second;
	assert_true(mosaic_vulkan_buffer_export_dmabuf(buffer, &second));
	assert_int_not_equal(second.fd[0], attribs.fd[0]);
	assert_int_equal(second.modifier, attribs.modifier);
	assert_int_equal(second.offset[0], attribs.offset[0]);
	assert_int_equal(second.stride[0], attribs.stride[0]);
	mosaic_dmabuf_attributes_finish(&second);

	// Re-imported on the same renderer: exactly the exported pixels.
	struct mosaic_buffer *imported = mosaic_buffer_from_dmabuf(&attribs);
	assert_non_null(imported);
	uint32_t exported[W * H], seen[W * H];
	read_buffer(buffer, exported);
	test_check_quadrants(exported, W, H);
	read_buffer(imported, seen);
	assert_memory_equal(seen, exported, sizeof(seen));

	// Drawn again after the export (acquired from and released to the
	// foreign queue family): the import sees the new contents.
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0, 0.5f, 0, 0.5f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(renderer, done.point, -1));
	read_buffer(buffer, exported);
	read_buffer(imported, seen);
	assert_memory_equal(seen, exported, sizeof(seen));
	uint32_t p = seen[W * H / 2];
	assert_true(p == 0x80008000 || p == 0x80007f00 || p == 0x7f007f00);

	// The imported buffer owns the fd of `attribs`.
	mosaic_buffer_drop(imported);
	mosaic_buffer_drop(buffer);
	mosaic_allocator_destroy(alloc);
}

/* Exported before anything was drawn: the first pass acquires it, the import sees it. */
static void test_export_first(void **state)
{
	(void)state;
	const struct mosaic_format *format = dmabuf_render_format(DRM_FORMAT_XRGB8888);
	if (format == NULL) {
		skip();
	}
	struct mosaic_allocator *alloc = mosaic_renderer_create_gpu_allocator(renderer);
	assert_non_null(alloc);
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(alloc, W, H,
		DRM_FORMAT_XRGB8888, format->modifiers, format->n_modifiers);
	assert_non_null(buffer);
	struct mosaic_dmabuf_attributes attribs;
	assert_true(mosaic_vulkan_buffer_export_dmabuf(buffer, &attribs));
	struct mosaic_buffer *imported = mosaic_buffer_from_dmabuf(&attribs);
	assert_non_null(imported);
	test_draw_quadrants(renderer, buffer, W, H);
	uint32_t exported[W * H], seen[W * H];
	read_buffer(buffer, exported);
	read_buffer(imported, seen);
	assert_memory_equal(seen, exported, sizeof(seen));
	// The imported buffer owns the fd of `attribs`.
	mosaic_buffer_drop(imported);
	mosaic_buffer_drop(buffer);
	mosaic_allocator_destroy(alloc);
}

static int teardown(void **state)
{
	(void)state;
	if (test_log.validation > 0) {
		fprintf(stderr, "%d validation messages\n", test_log.validation);
		return -1;
	}
	return 0;
}

int main(void)
{
	test_log_reset();
	renderer = test_vulkan_renderer();
	if (!(mosaic_renderer_get_features(renderer) & MOSAIC_FEATURE_DMABUF_EXPORT)) {
		printf("%s cannot export dmabufs (no MOSAIC_FEATURE_DMABUF_EXPORT)\n",
			mosaic_renderer_get_device_name(renderer));
		mosaic_renderer_destroy(renderer);
		return 77;
	}
	if (dmabuf_render_format(DRM_FORMAT_ARGB8888) == NULL) {
		printf("%s cannot render into ARGB8888 dmabufs\n",
			mosaic_renderer_get_device_name(renderer));
		mosaic_renderer_destroy(renderer);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_roundtrip, teardown),
		cmocka_unit_test_teardown(test_export_first, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	mosaic_renderer_destroy(renderer);
	if (test_log.validation > 0) {
		fprintf(stderr, "%d validation messages\n", test_log.validation);
		return 1;
	}
	return failed;
}
