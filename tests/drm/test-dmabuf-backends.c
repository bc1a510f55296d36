/*
 * The GPU backends on real DRM nodes, inside the test VM:
 * - GLES on the GBM platform of vkms' card node imports a GBM dmabuf
 *   allocated on the same node (Mesa's kms_swrast: llvmpipe), samples it and
 *   renders into another one; the result is read back through the dmabuf and
 *   compared with the pixman renderer's;
 * - Vulkan on lavapipe: where it imports dmabufs (Mesa 25), a GBM buffer of
 *   the card reads back pixel-exact and a frame rendered into one matches
 *   pixman's; where it does not (Mesa 22.3), it says so (no
 *   MOSAIC_FEATURE_DMABUF_IMPORT, no dmabuf formats) and a dmabuf texture is
 *   refused with a log line rather than a crash.
 * - Vulkan on lavapipe with a buffer as a GBM client makes it: no modifier
 *   asked for (GBM reports DRM_FORMAT_MOD_INVALID) and exported with
 *   gbm_bo_get_fd(), which is read-only on kms_swrast. lavapipe lists the
 *   implicit modifier, and the texture (a CPU copy: lavapipe cannot import a
 *   read-only fd) shows the buffer's pixels as the client rewrites them. The
 *   first use of such a buffer is timed on Vulkan and GLES (printed only).
 * Each part skips when its backend was not built; the binary exits 77 when
 * neither was, or where there is no vkms.
 */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gbm.h>
#include <xf86drm.h>

#include "drm-test.h"

#define W 48
#define H 32
/* Per channel, between llvmpipe and pixman (blending rounds differently). */
#define TOLERANCE 2

static int card_fd = -1;

static bool open_vkms(void)
{
	struct mosaic_drm_device *devices;
	int n = mosaic_drm_list_devices(MOSAIC_DRM_LIST_KMS_ONLY | MOSAIC_DRM_LIST_IGNORE_ENV,
		&devices);
	for (int i = 0; i < n && card_fd < 0; i++) {
		if (strcmp(devices[i].driver, "vkms") == 0) {
			card_fd = mosaic_drm_device_open(&devices[i], MOSAIC_DRM_NODE_PRIMARY);
		}
	}
	mosaic_drm_devices_free(devices);
	return card_fd >= 0;
}

/* A linear GBM buffer on the card node holding a pattern written through the dmabuf. */
static struct mosaic_buffer *pattern_buffer(struct mosaic_allocator *gbm, int w, int h)
{
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct mosaic_buffer *b = mosaic_allocator_create_buffer(gbm, w, h, DRM_FORMAT_ARGB8888,
		&linear, 1);
	assert_non_null(b);
	// The pixman renderer writes it: through the same mapping code as a compositor would.
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(pixman, b, NULL);
	assert_non_null(pass);
	for (int y = 0; y < h; y += 4) {
		for (int x = 0; x < w; x += 4) {
			float a = (float)((x + y) % 3 + 1) / 3.0f;
			assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { x, y, 4, 4 },
				.color = { a * (float)x / (float)w, a * (float)y / (float)h, a * 0.5f,
					a },
				.blend = MOSAIC_BLEND_NONE,
			}));
		}
	}
	assert_true(mosaic_pass_submit(pass, NULL));
	mosaic_renderer_destroy(pixman);
	return b;
}

static void draw_frame(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_texture *tex)
{
	struct mosaic_pass_completion done;
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0.2f, 0.1f, 0.0f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	// 1:1 and nearest: exact on every backend.
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.src_box = { 0, 0, 16, 24 },
		.dst_box = { 4, 4, 24, 16 },
		.transform = MOSAIC_TRANSFORM_90,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 20, 10, 20, 16 },
		.color = { 0.0f, 0.25f, 0.25f, 0.5f },
	}));
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
}

/* The buffer's pixels as ARGB8888, read by the pixman renderer through the dmabuf. */
static void read_buffer(struct mosaic_buffer *b, uint32_t *out)
{
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	struct mosaic_texture *t = mosaic_texture_from_buffer(pixman, b);
	assert_non_null(t);
	assert_true(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = (uint32_t)b->width * 4,
		.data = out,
	}));
	mosaic_texture_destroy(t);
	mosaic_renderer_destroy(pixman);
}

static int channel_diff(uint32_t a, uint32_t b)
{
	int worst = 0;
	for (int s = 0; s < 32; s += 8) {
		int d = abs((int)((a >> s) & 0xff) - (int)((b >> s) & 0xff));
		worst = d > worst ? d : worst;
	}
	return worst;
}

static void test_gles_gbm(void **state)
{
	if (!mosaic_backend_is_built(MOSAIC_BACKEND_GLES)) {
		print_message("the GLES backend was not built\n");
		skip();
	}
	struct mosaic_renderer *gles = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
		.drm_fd = card_fd,
	});
	assert_non_null(gles);
	print_message("GLES on %s\n", mosaic_renderer_get_device_name(gles));
	assert_true(mosaic_renderer_get_features(gles) & MOSAIC_FEATURE_DMABUF_IMPORT);
	const struct mosaic_format_set *render =
		mosaic_renderer_get_render_formats(gles, MOSAIC_BUFFER_CAP_DMABUF);
	assert_true(mosaic_format_set_has(render, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR) ||
		mosaic_format_set_has(render, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID));

	// The allocator mosaic picks for GLES on a DRM device: GBM, same node.
	struct mosaic_allocator *gbm = mosaic_allocator_autocreate(gles, -1);
	assert_non_null(gbm);
	assert_int_equal(mosaic_allocator_get_buffer_caps(gbm), MOSAIC_BUFFER_CAP_DMABUF);

	// Import and sample: the texture reads back as the pattern.
	struct mosaic_buffer *src = pattern_buffer(gbm, W, H);
	static uint32_t expected[W * H], got[W * H];
	read_buffer(src, expected);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(gles, src);
	assert_non_null(tex);
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = W * 4,
		.data = got,
	}));
	for (int i = 0; i < W * H; i++) {
		if (got[i] != expected[i]) {
			fail_msg("imported texel %d,%d is 0x%08x, the dmabuf has 0x%08x", i % W,
				i / W, got[i], expected[i]);
		}
	}

	// Render into a GBM dmabuf and compare with the pixman renderer.
	struct mosaic_format_set formats;
	mosaic_format_set_init(&formats);
	assert_true(mosaic_allocator_negotiate_formats(gbm, gles, NULL, &formats));
	const struct mosaic_format *xrgb = mosaic_format_set_get(&formats, DRM_FORMAT_XRGB8888);
	assert_non_null(xrgb);
	struct mosaic_buffer *dst = mosaic_allocator_create_buffer(gbm, W, H, xrgb->fourcc,
		xrgb->modifiers, xrgb->n_modifiers);
	assert_non_null(dst);
	draw_frame(gles, dst, tex);
	read_buffer(dst, got);

	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	struct mosaic_texture *ptex = mosaic_texture_from_buffer(pixman, src);
	assert_non_null(ptex);
	static uint32_t reference[W * H];
	struct mosaic_buffer *mem = mosaic_buffer_from_data(W, H, DRM_FORMAT_XRGB8888, W * 4,
		reference);
	draw_frame(pixman, mem, ptex);
	mosaic_buffer_drop(mem);
	int worst = 0;
	for (int i = 0; i < W * H; i++) {
		int d = channel_diff(got[i] & 0xffffff, reference[i] & 0xffffff);
		if (d > TOLERANCE) {
			fail_msg("pixel %d,%d: GLES 0x%06x, pixman 0x%06x", i % W, i / W,
				got[i] & 0xffffff, reference[i] & 0xffffff);
		}
		worst = d > worst ? d : worst;
	}
	print_message("GLES rendering into a GBM dmabuf matches pixman (worst channel "
		"difference %d)\n", worst);

	mosaic_texture_destroy(ptex);
	mosaic_renderer_destroy(pixman);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(src);
	mosaic_buffer_drop(dst);
	mosaic_format_set_finish(&formats);
	mosaic_allocator_destroy(gbm);
	mosaic_renderer_destroy(gles);
}

/* Without dmabuf import (lavapipe before Mesa 25): said so, and refused cleanly. */
static void vulkan_refuses_dmabuf(struct mosaic_renderer *vk, struct mosaic_allocator *gbm)
{
	assert_int_equal(mosaic_renderer_get_texture_formats(vk,
		MOSAIC_BUFFER_CAP_DMABUF)->n_formats, 0);
	assert_int_equal(mosaic_renderer_get_render_formats(vk,
		MOSAIC_BUFFER_CAP_DMABUF)->n_formats, 0);
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct mosaic_buffer *b = mosaic_allocator_create_buffer(gbm, W, H, DRM_FORMAT_ARGB8888,
		&linear, 1);
	assert_non_null(b);
	test_log_reset();
	assert_null(mosaic_texture_from_buffer(vk, b));
	assert_true(test_log.n_errors > 0);
	print_message("Vulkan refuses the dmabuf: %s\n", test_log.last_error);
	assert_logged("dmabuf");
	test_log_reset();
	assert_null(mosaic_renderer_begin_pass(vk, b, NULL));
	assert_true(test_log.n_errors > 0);
	mosaic_buffer_drop(b);
}

/*
 * With dmabuf import (lavapipe in Mesa 25 imports any dmabuf it can mmap):
 * a GBM buffer of the card reads back pixel-exact, and where the renderer
 * also renders into dmabufs, a frame drawn into one matches pixman's.
 */
static void vulkan_imports_gbm(struct mosaic_renderer *vk, struct mosaic_allocator *gbm)
{
	assert_true(mosaic_format_set_has(mosaic_renderer_get_texture_formats(vk,
		MOSAIC_BUFFER_CAP_DMABUF), DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));
	struct mosaic_buffer *src = pattern_buffer(gbm, 16, 24);
	uint32_t want[16 * 24], got[16 * 24];
	read_buffer(src, want);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(vk, src);
	assert_non_null(tex);
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 16 * 4, .data = got,
	}));
	assert_memory_equal(got, want, sizeof(want));
	print_message("Vulkan reads a GBM dmabuf pixel-exact\n");

	if (mosaic_format_set_has(mosaic_renderer_get_render_formats(vk,
			MOSAIC_BUFFER_CAP_DMABUF), DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR)) {
		const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
		struct mosaic_buffer *dst = mosaic_allocator_create_buffer(gbm, W, H,
			DRM_FORMAT_XRGB8888, &linear, 1);
		assert_non_null(dst);
		draw_frame(vk, dst, tex);
		uint32_t frame[W * H], reference[W * H];
		read_buffer(dst, frame);
		struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
		struct mosaic_texture *ptex = mosaic_texture_from_buffer(pixman, src);
		uint32_t mem_pixels[W * H];
		struct mosaic_buffer *mem = mosaic_buffer_from_data(W, H, DRM_FORMAT_XRGB8888,
			W * 4, mem_pixels);
		draw_frame(pixman, mem, ptex);
		memcpy(reference, mem_pixels, sizeof(reference));
		mosaic_buffer_drop(mem);
		mosaic_texture_destroy(ptex);
		mosaic_renderer_destroy(pixman);
		int worst = 0;
		for (int i = 0; i < W * H; i++) {
			int d = channel_diff(frame[i] & 0xffffff, reference[i] & 0xffffff);
			if (d > TOLERANCE) {
				fail_msg("pixel %d,%d: Vulkan 0x%06x, pixman 0x%06x", i % W,
					i / W, frame[i] & 0xffffff, reference[i] & 0xffffff);
			}
			worst = d > worst ? d : worst;
		}
		print_message("Vulkan rendering into a GBM dmabuf matches pixman (worst "
			"channel difference %d)\n", worst);
		mosaic_buffer_drop(dst);
	} else {
		print_message("Vulkan does not render into dmabufs on %s\n",
			mosaic_renderer_get_device_name(vk));
	}
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(src);
}

/* What a client writes into its GBM buffer: the pixel at x, y of version `v`. */
static uint32_t client_pixel(int x, int y, uint32_t v)
{
	return 0xff000000u | (uint32_t)(x * 7 + (int)v) % 256 << 16 |
		(uint32_t)(y * 5) % 256 << 8 | v % 256;
}

static void client_draw(struct gbm_bo *bo, int w, int h, uint32_t v)
{
	uint32_t stride;
	void *map_data = NULL;
	uint8_t *map = gbm_bo_map(bo, 0, 0, (uint32_t)w, (uint32_t)h, GBM_BO_TRANSFER_WRITE,
		&stride, &map_data);
	assert_non_null(map);
	for (int y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)(void *)(map + (size_t)y * stride);
		for (int x = 0; x < w; x++) {
			row[x] = client_pixel(x, y, v);
		}
	}
	gbm_bo_unmap(bo, map_data);
}

static void expect_client_pixels(struct mosaic_texture *tex, int w, int h, uint32_t v)
{
	uint32_t *got = calloc((size_t)w * (size_t)h, 4);
	assert_non_null(got);
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = (uint32_t)w * 4, .data = got,
	}));
	for (int i = 0; i < w * h; i++) {
		if (got[i] != client_pixel(i % w, i / w, v)) {
			fail_msg("texel %d,%d is 0x%08x, the client wrote 0x%08x", i % w, i / w,
				got[i], client_pixel(i % w, i / w, v));
		}
	}
	free(got);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * Prints what the first use of a client's buffer costs on `r`: a new import
 * (a new mosaic_buffer of the same GBM buffer each time) and a read of all
 * its pixels, median of a few runs. A figure, not a check.
 */
static void time_first_frame(struct mosaic_renderer *r, const char *name, struct gbm_bo *bo,
	int w, int h)
{
	enum { RUNS = 5 };
	double ms[RUNS];
	uint32_t *pixels = calloc((size_t)w * (size_t)h, 4);
	assert_non_null(pixels);
	for (int i = 0; i < RUNS; i++) {
		struct mosaic_buffer *b = mosaic_buffer_from_dmabuf(&(struct mosaic_dmabuf_attributes){
			.width = w,
			.height = h,
			.fourcc = DRM_FORMAT_ARGB8888,
			.modifier = gbm_bo_get_modifier(bo),
			.n_planes = 1,
			.offset = { gbm_bo_get_offset(bo, 0) },
			.stride = { gbm_bo_get_stride(bo) },
			.fd = { gbm_bo_get_fd(bo), -1, -1, -1 },
		});
		assert_non_null(b);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct mosaic_texture *tex = mosaic_texture_from_buffer(r, b);
		assert_non_null(tex);
		assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888, .stride = (uint32_t)w * 4, .data = pixels,
		}));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		mosaic_texture_destroy(tex);
		mosaic_buffer_drop(b);
	}
	qsort(ms, RUNS, sizeof(ms[0]), cmp_double);
	print_message("%s: first use of a %dx%d client GBM buffer (import and read back), "
		"median of %d: %.2f ms\n", name, w, h, RUNS, ms[RUNS / 2]);
	free(pixels);
}

static void vulkan_imports_client_gbm(struct mosaic_renderer *vk)
{
	enum { CW = 37, CH = 19 };
	struct gbm_device *dev = gbm_create_device(card_fd);
	assert_non_null(dev);
	struct gbm_bo *bo = gbm_bo_create(dev, CW, CH, GBM_FORMAT_ARGB8888,
		GBM_BO_USE_RENDERING);
	assert_non_null(bo);
	client_draw(bo, CW, CH, 1);
	struct mosaic_dmabuf_attributes a = {
		.width = CW,
		.height = CH,
		.fourcc = DRM_FORMAT_ARGB8888,
		.modifier = gbm_bo_get_modifier(bo),
		.n_planes = 1,
		.offset = { gbm_bo_get_offset(bo, 0) },
		.stride = { gbm_bo_get_stride(bo) },
		.fd = { gbm_bo_get_fd(bo), -1, -1, -1 },
	};
	assert_true(a.fd[0] >= 0);
	print_message("client GBM buffer: modifier 0x%llx, stride %u, fd %s\n",
		(unsigned long long)a.modifier, a.stride[0],
		(fcntl(a.fd[0], F_GETFL) & O_ACCMODE) == O_RDONLY ? "read-only" : "read-write");
	assert_true(mosaic_format_set_has(mosaic_renderer_get_texture_formats(vk,
		MOSAIC_BUFFER_CAP_DMABUF), DRM_FORMAT_ARGB8888, a.modifier));
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf(&a);
	assert_non_null(b);
	test_log_reset();
	struct mosaic_texture *tex = mosaic_texture_from_buffer(vk, b);
	assert_non_null(tex);
	assert_int_equal(test_log.n_errors, 0);
	expect_client_pixels(tex, CW, CH, 1);
	// The client draws its next frame into the same buffer: the texture shows it.
	client_draw(bo, CW, CH, 2);
	expect_client_pixels(tex, CW, CH, 2);
	assert_int_equal(test_log.n_errors, 0);
	print_message("Vulkan shows a client's GBM buffer pixel-exact, frame after frame\n");
	if ((fcntl(a.fd[0], F_GETFL) & O_ACCMODE) == O_RDONLY) {
		assert_null(mosaic_renderer_begin_pass(vk, b, NULL));
		assert_logged("read-only");
	}
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(b);

	// weston-simple-dmabuf-egl's size, on Vulkan and, for comparison, GLES.
	struct gbm_bo *big = gbm_bo_create(dev, 256, 256, GBM_FORMAT_ARGB8888,
		GBM_BO_USE_RENDERING);
	assert_non_null(big);
	time_first_frame(vk, "Vulkan", big, 256, 256);
	struct mosaic_renderer *gles = !mosaic_backend_is_built(MOSAIC_BACKEND_GLES) ? NULL :
		mosaic_renderer_create(&(struct mosaic_renderer_options){
			.backend = MOSAIC_BACKEND_GLES,
			.drm_fd = card_fd,
		});
	if (gles != NULL) {
		time_first_frame(gles, "GLES", big, 256, 256);
	}
	mosaic_renderer_destroy(gles);
	// The same on Vulkan for a buffer exported read-write first (the kernel
	// keeps that mode): imported without a copy.
	struct gbm_bo *rw = gbm_bo_create(dev, 256, 256, GBM_FORMAT_ARGB8888,
		GBM_BO_USE_RENDERING);
	assert_non_null(rw);
	int rw_fd = -1;
	assert_int_equal(drmPrimeHandleToFD(card_fd, gbm_bo_get_handle(rw).u32,
		DRM_CLOEXEC | DRM_RDWR, &rw_fd), 0);
	close(rw_fd);
	time_first_frame(vk, "Vulkan, read-write fd", rw, 256, 256);
	gbm_bo_destroy(rw);
	gbm_bo_destroy(big);
	gbm_bo_destroy(bo);
	gbm_device_destroy(dev);
}

static void test_vulkan_gbm(void **state)
{
	if (!mosaic_backend_is_built(MOSAIC_BACKEND_VULKAN)) {
		print_message("the Vulkan backend was not built\n");
		skip();
	}
	// lavapipe has no VK_EXT_physical_device_drm: on the card node it may
	// refuse to start, which it must do cleanly.
	test_log_reset();
	struct mosaic_renderer *vk = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_VULKAN,
		.drm_fd = card_fd,
	});
	if (vk == NULL) {
		assert_true(test_log.n_errors > 0);
		print_message("Vulkan on the vkms node: refused (%s)\n", test_log.last_error);
		vk = mosaic_renderer_create(&(struct mosaic_renderer_options){
			.backend = MOSAIC_BACKEND_VULKAN,
		});
	}
	assert_non_null(vk);
	bool imports = mosaic_renderer_get_features(vk) & MOSAIC_FEATURE_DMABUF_IMPORT;
	print_message("Vulkan on %s, dmabuf import: %s\n", mosaic_renderer_get_device_name(vk),
		imports ? "yes" : "no");
	struct mosaic_allocator *gbm = mosaic_gbm_allocator_create(card_fd);
	assert_non_null(gbm);
	if (imports) {
		vulkan_imports_gbm(vk, gbm);
		vulkan_imports_client_gbm(vk);
	} else {
		vulkan_refuses_dmabuf(vk, gbm);
	}
	mosaic_allocator_destroy(gbm);
	mosaic_renderer_destroy(vk);
}

int main(void)
{
	if (!mosaic_backend_is_built(MOSAIC_BACKEND_GLES) &&
			!mosaic_backend_is_built(MOSAIC_BACKEND_VULKAN)) {
		printf("neither the GLES nor the Vulkan backend was built\n");
		return TEST_SKIP;
	}
	if (!open_vkms()) {
		printf("no vkms DRM device (run inside the test VM: tests/vm/run.sh)\n");
		return TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gles_gbm),
		cmocka_unit_test(test_vulkan_gbm),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	close(card_fd);
	return failed;
}
