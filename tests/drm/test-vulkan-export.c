/*
 * The Vulkan GPU allocator's dmabuf exports, consumed by others, inside the
 * test VM (where lavapipe exports dmabufs through /dev/udmabuf): a frame the
 * Vulkan renderer drew into an exported image must read back exactly as
 * Vulkan itself reads it
 *   - by the pixman renderer, through mmap of the dmabuf;
 *   - by KMS: a vkms framebuffer made from the dmabuf, shown and captured
 *     through the writeback connector;
 *   - by a second Vulkan renderer importing the dmabuf;
 * and a frame drawn after the export shows through all of them again.
 * GLES is not among the importers: kms_swrast cannot read dmabufs that
 * another device exported (test-gles-dmabuf says why).
 *
 * Exits 77 with one line where there is no vkms, no Vulkan backend, or the
 * renderer cannot export dmabufs.
 */
#include <fcntl.h>

#include <drm_fourcc.h>

#include <mosaic/vulkan.h>

#include "kms-test.h"

static struct mosaic_renderer *vk;

static void draw_frame(struct mosaic_renderer *r, struct mosaic_buffer *target, int seed)
{
	int w = target->width, h = target->height;
	static uint32_t pattern[64 * 64];
	for (int y = 0; y < 64; y++) {
		for (int x = 0; x < 64; x++) {
			uint32_t a = 255 - (uint32_t)y * 2;
			pattern[y * 64 + x] = a << 24 | ((uint32_t)x * 4 * a / 255) << 16 |
				((uint32_t)(x ^ y ^ seed) & 0x3f) * a / 255 << 8 | (a / 2);
		}
	}
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 64,
		64, DRM_FORMAT_ARGB8888, 64 * 4, pattern);
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
		.dst_box = { w / 8 + seed * 16, h / 8, w / 2, h / 2 },
		.transform = MOSAIC_TRANSFORM_90,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { w / 2, h / 2, w / 3, h / 3 },
		.color = { 0.4f, 0.0f, 0.2f, 0.5f },
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	// Others may read the exported image once the pass is complete.
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	mosaic_texture_destroy(tex);
}

/* The buffer's pixels as XRGB8888 (tight rows), read by renderer `r`. */
static uint32_t *read_buffer(struct mosaic_renderer *r, struct mosaic_buffer *b)
{
	uint32_t *out = calloc((size_t)b->width * (size_t)b->height, 4);
	assert_non_null(out);
	struct mosaic_texture *t = mosaic_texture_from_buffer(r, b);
	assert_non_null(t);
	assert_true(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_XRGB8888,
		.stride = (uint32_t)b->width * 4,
		.data = out,
	}));
	mosaic_texture_destroy(t);
	return out;
}

/* Every pixel of `got` equals `want` (the X byte aside). */
static void compare(const char *who, const uint32_t *want, const uint32_t *got, int w, int h)
{
	int bad = 0, first = -1;
	uint32_t distinct = 0, last = 0;
	for (int i = 0; i < w * h; i++) {
		if ((want[i] & 0xffffff) != (got[i] & 0xffffff)) {
			first = first < 0 ? i : first;
			bad++;
		}
		distinct += (want[i] & 0xffffff) != last;
		last = want[i] & 0xffffff;
	}
	if (bad > 0) {
		fail_msg("%s: %d of %d pixels differ; first at %d,%d: Vulkan 0x%06x, read 0x%06x",
			who, bad, w * h, first % w, first / w, want[first] & 0xffffff,
			got[first] & 0xffffff);
	}
	// Not a flat color that a broken path could match by chance.
	assert_true(distinct > 100);
	print_message("%s: %dx%d pixel-exact\n", who, w, h);
}

/* A fresh dmabuf of the same image: the caller owns its fd. */
static struct mosaic_buffer *import_again(struct mosaic_buffer *exported)
{
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_vulkan_buffer_export_dmabuf(exported, &a));
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf(&a);
	assert_non_null(b);
	return b;
}

/* What each consumer sees of `image` now equals what Vulkan reads of it. */
static void check_consumers(struct mosaic_buffer *image, struct mosaic_renderer *second,
	struct mosaic_allocator *dumb)
{
	int w = image->width, h = image->height;
	uint32_t *want = read_buffer(vk, image);

	// pixman, through mmap of a dmabuf of the image.
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	struct mosaic_buffer *mapped = import_again(image);
	uint32_t *got = read_buffer(pixman, mapped);
	compare("pixman (mmap)", want, got, w, h);
	free(got);
	mosaic_buffer_drop(mapped);
	mosaic_renderer_destroy(pixman);

	// A second Vulkan renderer imports it.
	struct mosaic_buffer *imported = import_again(image);
	got = read_buffer(second, imported);
	compare("second Vulkan renderer", want, got, w, h);
	free(got);
	mosaic_buffer_drop(imported);

	// KMS shows it; the writeback connector captures the CRTC.
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_vulkan_buffer_export_dmabuf(image, &a));
	uint32_t frame_fb = add_fb_dmabuf(&a, true);
	mosaic_dmabuf_attributes_finish(&a);
	struct mosaic_buffer *capture = mosaic_allocator_create_buffer(dumb, w, h,
		DRM_FORMAT_XRGB8888, NULL, 0);
	assert_non_null(capture);
	uint32_t capture_fb = add_fb(capture);
	show_and_capture(frame_fb, capture_fb);
	pixman = mosaic_pixman_renderer_create();
	got = read_buffer(pixman, capture);
	compare("KMS (vkms writeback)", want, got, w, h);
	free(got);
	mosaic_renderer_destroy(pixman);
	drmModeRmFB(kms.fd, capture_fb);
	mosaic_buffer_drop(capture);
	// Removing the shown framebuffer turns the plane off.
	drmModeRmFB(kms.fd, frame_fb);
	free(want);
}

static void test_export_consumers(void **state)
{
	int w = kms.mode.hdisplay, h = kms.mode.vdisplay;
	// What the Vulkan renderer renders into as a dmabuf and the plane shows.
	struct mosaic_format_set formats;
	mosaic_format_set_init(&formats);
	assert_true(mosaic_format_set_intersect(&formats, mosaic_renderer_get_render_formats(vk,
		MOSAIC_BUFFER_CAP_DMABUF), &kms.plane_formats));
	const struct mosaic_format *xrgb = mosaic_format_set_get(&formats, DRM_FORMAT_XRGB8888);
	assert_non_null(xrgb);
	struct mosaic_allocator *alloc = mosaic_renderer_create_gpu_allocator(vk);
	assert_non_null(alloc);
	struct mosaic_buffer *image = mosaic_allocator_create_buffer(alloc, w, h,
		DRM_FORMAT_XRGB8888, xrgb->modifiers, xrgb->n_modifiers);
	assert_non_null(image);
	struct mosaic_allocator *dumb = mosaic_drm_dumb_allocator_create(kms.fd);
	assert_non_null(dumb);
	struct mosaic_renderer *second = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_VULKAN,
	});
	assert_non_null(second);

	// Drawn, then exported: the export releases what was drawn.
	draw_frame(vk, image, 0);
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_vulkan_buffer_export_dmabuf(image, &a));
	char name[32];
	mosaic_format_name(a.fourcc, name);
	print_message("exported %dx%d %s, modifier 0x%llx, stride %u\n", a.width, a.height,
		name, (unsigned long long)a.modifier, a.stride[0]);
	mosaic_dmabuf_attributes_finish(&a);
	check_consumers(image, second, dumb);

	// Drawn again after the export: every consumer sees the new frame.
	draw_frame(vk, image, 1);
	check_consumers(image, second, dumb);

	mosaic_renderer_destroy(second);
	mosaic_allocator_destroy(dumb);
	mosaic_buffer_drop(image);
	mosaic_allocator_destroy(alloc);
	mosaic_format_set_finish(&formats);
}

int main(void)
{
	if (!mosaic_backend_is_built(MOSAIC_BACKEND_VULKAN)) {
		printf("the Vulkan backend was not built\n");
		return TEST_SKIP;
	}
	if (!find_vkms()) {
		printf("no vkms DRM device (run inside the test VM: tests/vm/run.sh)\n");
		return TEST_SKIP;
	}
	test_log_reset();
	vk = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_VULKAN,
	});
	if (vk == NULL) {
		printf("no Vulkan renderer: %s\n", test_log.last_error);
		close(kms.fd);
		return TEST_SKIP;
	}
	if (!(mosaic_renderer_get_features(vk) & MOSAIC_FEATURE_DMABUF_EXPORT)) {
		printf("%s cannot export dmabufs (no /dev/udmabuf for lavapipe?)\n",
			mosaic_renderer_get_device_name(vk));
		mosaic_renderer_destroy(vk);
		close(kms.fd);
		return TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_consumers),
	};
	int failed = cmocka_run_group_tests(tests, kms_setup, kms_teardown);
	mosaic_renderer_destroy(vk);
	close(kms.fd);
	return failed;
}
