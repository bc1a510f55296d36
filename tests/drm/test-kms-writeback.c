/*
 * KMS smoke test, inside the test VM: the pixman renderer draws a frame into
 * a buffer from the allocator mosaic picks for it (dumb buffers), then into a
 * GBM buffer; each frame is shown on vkms with an atomic commit that also
 * captures the CRTC through the writeback connector, and the capture must
 * equal the frame. Skips (77) where there is no vkms.
 */
#include <fcntl.h>

#include <drm_fourcc.h>

#include "kms-test.h"

static void draw_frame(struct mosaic_renderer *r, struct mosaic_buffer *target, int seed)
{
	int w = target->width, h = target->height;
	static uint32_t pattern[64 * 64];
	for (int y = 0; y < 64; y++) {
		for (int x = 0; x < 64; x++) {
			// Premultiplied ARGB with alpha falling along y.
			uint32_t a = 255 - (uint32_t)y * 2;
			pattern[y * 64 + x] = a << 24 | ((uint32_t)x * 4 * a / 255) << 16 |
				((uint32_t)(x ^ y ^ seed) & 0x3f) * a / 255 << 8 | (a / 2);
		}
	}
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 64, 64, DRM_FORMAT_ARGB8888,
		64 * 4, pattern);
	assert_non_null(tex);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, w, h },
		.color = { 0.1f, 0.2f, 0.3f + 0.1f * (float)seed, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { w / 8, h / 8, w / 2, h / 2 },
		.transform = MOSAIC_TRANSFORM_90,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { w / 2, h / 2, w / 3, h / 3 },
		.color = { 0.4f, 0.0f, 0.2f, 0.5f },
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	mosaic_texture_destroy(tex);
}

/* Every pixel of the capture equals the frame (the X byte aside). */
static void compare(struct mosaic_buffer *frame, struct mosaic_buffer *capture)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	struct mosaic_texture *a = mosaic_texture_from_buffer(r, frame);
	struct mosaic_texture *b = mosaic_texture_from_buffer(r, capture);
	assert_non_null(a);
	assert_non_null(b);
	int w = frame->width, h = frame->height;
	uint32_t *pa = calloc((size_t)w * (size_t)h, 4), *pb = calloc((size_t)w * (size_t)h, 4);
	assert_non_null(pa);
	assert_non_null(pb);
	struct mosaic_read_pixels_options opts = {
		.fourcc = DRM_FORMAT_XRGB8888,
		.stride = (uint32_t)w * 4,
	};
	opts.data = pa;
	assert_true(mosaic_texture_read_pixels(a, &opts));
	opts.data = pb;
	assert_true(mosaic_texture_read_pixels(b, &opts));
	int bad = 0, first = -1;
	uint32_t distinct = 0, last = 0;
	for (int i = 0; i < w * h; i++) {
		if ((pa[i] & 0xffffff) != (pb[i] & 0xffffff)) {
			if (first < 0) {
				first = i;
			}
			bad++;
		}
		distinct += (pa[i] & 0xffffff) != last;
		last = pa[i] & 0xffffff;
	}
	if (bad > 0) {
		fail_msg("%d of %d pixels differ; first at %d,%d: frame 0x%06x, capture 0x%06x",
			bad, w * h, first % w, first / w, pa[first] & 0xffffff, pb[first] & 0xffffff);
	}
	// The frame is not a flat color that a broken capture could match by chance.
	assert_true(distinct > 100);
	print_message("capture of %dx%d equals the frame\n", w, h);
	free(pa);
	free(pb);
	mosaic_texture_destroy(a);
	mosaic_texture_destroy(b);
	mosaic_renderer_destroy(r);
}

static void test_writeback(void **state)
{
	int w = kms.mode.hdisplay, h = kms.mode.vdisplay;
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);

	// What mosaic picks for pixman on a KMS device: dumb buffers.
	struct mosaic_allocator *dumb = mosaic_allocator_autocreate(r, kms.fd);
	assert_non_null(dumb);
	assert_int_equal(mosaic_allocator_get_buffer_caps(dumb),
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_DMABUF);
	struct mosaic_allocator *gbm = mosaic_gbm_allocator_create(kms.fd);
	assert_non_null(gbm);

	// The formats pixman renders into that the plane can show.
	struct mosaic_format_set formats;
	mosaic_format_set_init(&formats);
	assert_true(mosaic_allocator_negotiate_formats(dumb, r, &kms.plane_formats, &formats));
	const struct mosaic_format *xrgb = mosaic_format_set_get(&formats, DRM_FORMAT_XRGB8888);
	assert_non_null(xrgb);
	assert_true(mosaic_format_set_has(&formats, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));

	struct mosaic_allocator *frame_allocators[] = { dumb, gbm };
	const char *names[] = { "dumb", "GBM" };
	uint32_t shown_fb = 0;
	for (int i = 0; i < 2; i++) {
		struct mosaic_buffer *frame = mosaic_allocator_create_buffer(frame_allocators[i],
			w, h, xrgb->fourcc, xrgb->modifiers, xrgb->n_modifiers);
		struct mosaic_buffer *capture = mosaic_allocator_create_buffer(dumb, w, h,
			DRM_FORMAT_XRGB8888, NULL, 0);
		assert_non_null(frame);
		assert_non_null(capture);
		draw_frame(r, frame, i);
		uint32_t frame_fb = add_fb(frame), capture_fb = add_fb(capture);
		show_and_capture(frame_fb, capture_fb);
		print_message("%s frame: ", names[i]);
		compare(frame, capture);
		drmModeRmFB(kms.fd, capture_fb);
		mosaic_buffer_drop(capture);
		// The framebuffer keeps the frame's memory until it is replaced.
		mosaic_buffer_drop(frame);
		if (shown_fb != 0) {
			drmModeRmFB(kms.fd, shown_fb);
		}
		shown_fb = frame_fb;
	}
	drmModeRmFB(kms.fd, shown_fb);

	mosaic_format_set_finish(&formats);
	mosaic_allocator_destroy(gbm);
	mosaic_allocator_destroy(dumb);
	mosaic_renderer_destroy(r);
}

int main(void)
{
	if (!find_vkms()) {
		printf("no vkms DRM device (run inside the test VM: tests/vm/run.sh)\n");
		return TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writeback),
	};
	int failed = cmocka_run_group_tests(tests, kms_setup, kms_teardown);
	close(kms.fd);
	return failed;
}
