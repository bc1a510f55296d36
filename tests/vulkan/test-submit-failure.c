/*
 * A frame whose vkQueueSubmit fails (forced with the MOSAIC_VK_FAIL_SUBMIT
 * switch): the pass reports the failure with a log line, and the next frame
 * renders right, without validation messages (the -validation variant runs
 * this under the validation layer): the images the failed frame used keep
 * the layouts the GPU really left them in. The failed frame's uploads are
 * lost, as documented: the next frame uploads again. Exits 77 where the
 * switch is compiled out (NDEBUG builds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "common.h"

enum { W = 24, H = 16 };

static struct mosaic_renderer *renderer;

/* Draws `left` and `right` side by side, each 1:1 into half of the target. */
static bool draw(struct mosaic_buffer *target, struct mosaic_texture *left,
	struct mosaic_texture *right)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, target, NULL);
	assert_non_null(pass);
	struct mosaic_texture *textures[2] = { left, right };
	for (int i = 0; i < 2; i++) {
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = textures[i],
			.dst_box = { i * W / 2, 0, W / 2, H },
			.filter = MOSAIC_FILTER_NEAREST,
			.blend = MOSAIC_BLEND_NONE,
		}));
	}
	return mosaic_pass_submit(pass, NULL);
}

static void check(struct mosaic_buffer *target, const uint32_t *left, const uint32_t *right)
{
	uint32_t out[W * H];
	struct mosaic_texture *view = mosaic_texture_from_buffer(renderer, target);
	assert_true(test_read_texture(view, out));
	mosaic_texture_destroy(view);
	for (int y = 0; y < H; y++) {
		assert_memory_equal(out + y * W, left + y * (W / 2), (W / 2) * 4);
		assert_memory_equal(out + y * W + W / 2, right + y * (W / 2), (W / 2) * 4);
	}
}

static void test_failed_submit(void **state)
{
	(void)state;
	uint32_t a[W / 2 * H], b[W / 2 * H], c[W / 2 * H];
	test_pattern(a, W / 2, H, 1);
	test_pattern(b, W / 2, H, 2);
	test_pattern(c, W / 2, H, 3);
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(renderer, W, H,
		DRM_FORMAT_ARGB8888);
	struct mosaic_buffer *b_buf = mosaic_buffer_from_data(W / 2, H, DRM_FORMAT_ARGB8888,
		W / 2 * 4, b);
	struct mosaic_buffer *c_buf = mosaic_buffer_from_data(W / 2, H, DRM_FORMAT_ARGB8888,
		W / 2 * 4, c);
	// Submissions 1 and 2: a frame drawing texture A, then a readback (the target
	// is left in the transfer layout).
	struct mosaic_texture *tex = mosaic_texture_from_pixels(renderer, W / 2,
		H, DRM_FORMAT_ARGB8888, W / 2 * 4, a);
	assert_non_null(tex);
	assert_true(draw(target, tex, tex));
	check(target, a, a);

	// Submission 3 fails: it held an update of the texture, a new texture's
	// first upload and the target's move back to the attachment layout.
	assert_true(mosaic_texture_update_from_buffer(tex, b_buf, NULL));
	struct mosaic_texture *fresh = mosaic_texture_from_pixels(renderer, W / 2,
		H, DRM_FORMAT_ARGB8888, W / 2 * 4, c);
	assert_non_null(fresh);
	test_log.quiet_errors = true;
	int errors = test_log.errors;
	assert_false(draw(target, fresh, tex));
	assert_int_equal(test_log.errors, errors + 1);
	test_log.quiet_errors = false;

	// The next frame uploads again (the failed frame's uploads never ran) and
	// renders exactly; the validation layer sees every layout as recorded.
	assert_true(mosaic_texture_update_from_buffer(tex, b_buf, NULL));
	assert_true(mosaic_texture_update_from_buffer(fresh, c_buf, NULL));
	assert_true(draw(target, fresh, tex));
	check(target, c, b);
	// And the frames after it too.
	assert_true(draw(target, tex, fresh));
	check(target, b, c);

	mosaic_texture_destroy(fresh);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(c_buf);
	mosaic_buffer_drop(b_buf);
	mosaic_buffer_drop(target);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_log_reset();
	setenv("MOSAIC_VK_FAIL_SUBMIT", "3", 1);
	renderer = test_vulkan_renderer();
	unsetenv("MOSAIC_VK_FAIL_SUBMIT");
	if (!test_log.fail_submit_switch) {
		printf("MOSAIC_VK_FAIL_SUBMIT is compiled out of this build (NDEBUG)\n");
		mosaic_renderer_destroy(renderer);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_submit),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	mosaic_renderer_destroy(renderer);
	if (test_log.validation > 0) {
		fprintf(stderr, "%d validation messages\n", test_log.validation);
		return 1;
	}
	return failed;
}
