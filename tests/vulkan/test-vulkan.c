/*
 * Vulkan-specific behaviour: readback (blocking and not), uploads from
 * shared memory and CPU targets, Vulkan buffers and opaque-fd sharing
 * between two renderers, pipeline cache files, device choice, device loss,
 * timers and the absent-feature paths (dmabuf, sync_file). The many-frames
 * tests are in test-frames.c. One binary: this file holds the renderer and
 * device tests and runs all; the others are in test-vulkan-*.c
 * (test-vulkan.h).
 */
#define _GNU_SOURCE /* mkdtemp */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "common.h"
#include "test-vulkan.h"

void test_features(void **state)
{
	struct mosaic_renderer *r = *state;
	assert_true(mosaic_renderer_is_vulkan(r));
	assert_int_equal(mosaic_renderer_get_backend(r), MOSAIC_BACKEND_VULKAN);
	assert_non_null(mosaic_vulkan_renderer_get_device(r));
	assert_non_null(mosaic_vulkan_renderer_get_instance(r));
	assert_non_null(mosaic_vulkan_renderer_get_physical_device(r));
	uint64_t features = mosaic_renderer_get_features(r);
	// The dmabuf features and format sets agree; LINEAR imports wherever dmabufs do
	// (as a buffer and a copy without VK_EXT_image_drm_format_modifier).
	const struct mosaic_format_set *dmabuf_tex = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	const struct mosaic_format_set *dmabuf_render = mosaic_renderer_get_render_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	assert_int_equal((features & MOSAIC_FEATURE_DMABUF_IMPORT) != 0,
		dmabuf_tex->n_formats > 0);
	if (features & MOSAIC_FEATURE_DMABUF_IMPORT) {
		assert_true(mosaic_format_set_has(dmabuf_tex, DRM_FORMAT_ARGB8888,
			DRM_FORMAT_MOD_LINEAR));
		assert_true(mosaic_format_set_has(dmabuf_render, DRM_FORMAT_ARGB8888,
			DRM_FORMAT_MOD_LINEAR));
	} else {
		assert_int_equal(dmabuf_render->n_formats, 0);
	}
	// Export needs the modifier extension, which import needs too.
	if (features & MOSAIC_FEATURE_DMABUF_EXPORT) {
		assert_true(features & MOSAIC_FEATURE_DRM_MODIFIERS);
	}
	const struct mosaic_format_set *tex = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	const struct mosaic_format_set *render = mosaic_renderer_get_render_formats(r,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_true(mosaic_format_set_has(tex, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_format_set_has(tex, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_format_set_has(render, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));
}

void test_pipeline_cache(void **state)
{
	struct mosaic_renderer *r = *state;
	char dir[] = "/tmp/mosaic-vk-cache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], missing[256], junk[256];
	snprintf(path, sizeof(path), "%s/pipelines", dir);
	snprintf(missing, sizeof(missing), "%s/none", dir);
	snprintf(junk, sizeof(junk), "%s/junk", dir);

	// Make a pipeline exist, then save.
	struct test_image img;
	test_image_init(&img, 8, 8, DRM_FORMAT_ARGB8888, 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, img.buffer, NULL);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 4, 4 }, .color = { 0, 0, 0, 0.5f },
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	test_image_finish(&img);
	assert_true(mosaic_vulkan_renderer_save_pipeline_cache(r, path));
	assert_true(access(path, R_OK) == 0);

	struct mosaic_renderer *r2 = test_vulkan_renderer();
	assert_true(mosaic_vulkan_renderer_load_pipeline_cache(r2, path));
	assert_true(mosaic_vulkan_renderer_load_pipeline_cache(r2, missing));
	FILE *f = fopen(junk, "w");
	fputs("not a pipeline cache, not at all, no.", f);
	fclose(f);
	assert_true(mosaic_vulkan_renderer_load_pipeline_cache(r2, junk));
	mosaic_renderer_destroy(r2);
	unlink(path);
	unlink(junk);
	rmdir(dir);
}

void test_device_choice(void **state)
{
	// By index and by name.
	setenv("MOSAIC_VK_DEVICE", "0", 1);
	struct mosaic_renderer *r = mosaic_vulkan_renderer_create(-1);
	assert_non_null(r);
	char name[64];
	snprintf(name, sizeof(name), "%.5s", mosaic_renderer_get_device_name(r));
	mosaic_renderer_destroy(r);
	setenv("MOSAIC_VK_DEVICE", name, 1);
	r = mosaic_vulkan_renderer_create(-1);
	assert_non_null(r);
	mosaic_renderer_destroy(r);

	test_log.quiet_errors = true;
	setenv("MOSAIC_VK_DEVICE", "no such device anywhere", 1);
	assert_null(mosaic_vulkan_renderer_create(-1));
	unsetenv("MOSAIC_VK_DEVICE");
	// A DRM fd that matches no Vulkan device (here not even a DRM device).
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int errors = test_log.errors;
	assert_null(mosaic_vulkan_renderer_create(fd));
	// The failure lists the devices seen.
	assert_true(test_log.errors >= errors + 2);
	close(fd);
	test_log.quiet_errors = false;
}

static int lost_calls;

static void on_lost(struct mosaic_renderer *renderer, void *data)
{
	lost_calls++;
}

void test_device_lost(void **state)
{
	// A real VK_ERROR_DEVICE_LOST cannot be provoked on purpose; this checks what
	// follows once the backend reports it.
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_VULKAN,
		.lost = on_lost,
	});
	assert_non_null(r);
	struct test_image img;
	test_image_init(&img, 8, 8, DRM_FORMAT_ARGB8888, 0);
	uint32_t px[4] = {0};
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 2, 2, DRM_FORMAT_ARGB8888, 8,
		px);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, img.buffer, NULL);
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));

	test_log.quiet_errors = true;
	lost_calls = 0;
	mosaic_renderer_set_lost(r);
	mosaic_renderer_set_lost(r);
	// Delivered once, when the next call returns.
	assert_int_equal(lost_calls, 0);
	assert_true(mosaic_renderer_is_lost(r));
	assert_null(mosaic_renderer_begin_pass(r, img.buffer, NULL));
	assert_int_equal(lost_calls, 1);
	assert_null(mosaic_texture_from_pixels(r, 2, 2, DRM_FORMAT_ARGB8888, 8, px));
	assert_null(mosaic_vulkan_buffer_create(r, 8, 8, DRM_FORMAT_ARGB8888));
	assert_false(mosaic_renderer_wait_point(r, done.point, 0));
	uint32_t out[4];
	assert_false(test_read_texture(tex, out));
	test_log.quiet_errors = false;
	mosaic_texture_destroy(tex);
	mosaic_renderer_destroy(r);
	test_image_finish(&img);
}

int main(void)
{
	// Results printed before a failed assertion must not be lost.
	setvbuf(stdout, NULL, _IONBF, 0);
	test_log_reset();
	mosaic_renderer_destroy(test_vulkan_renderer());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_features, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_read_pixels, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_partial_update, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_shm_upload, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_shm_target, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_vulkan_buffer, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_gpu_allocator, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_opaque_fd_roundtrip, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_target_refuses, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_dmabuf_absent, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_cache, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_device_choice, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_device_lost, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_timer, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_sync_files, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pipelines_at_begin, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_huge_boxes, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
