/*
 * The GLES backend's dmabuf paths on a real DRM node: import (cached per
 * buffer), rendering into a dmabuf, export, and sync_files. Buffers come from
 * GBM on the same card node the renderer runs on (kms_swrast refuses imports
 * across nodes). Needs a node whose EGL imports dmabufs: inside the DRM test
 * VM (vkms/vgem card node, GBM platform); skips elsewhere. On a software
 * driver (kms_swrast in the VM) nothing is imported: the buffer's cached
 * texture is a CPU copy and targets are mapped (gl/dmabuf_cpu_copy.c), the
 * same checks hold, and the run through
 * GL_TEXTURE_EXTERNAL_OES is left out (no dmabuf reaches that program).
 *
 * MOSAIC_TEST_DRM_NODE picks the node (default /dev/dri/card0).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
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
#include <gbm.h>
#include <xf86drm.h>

#include <mosaic/gles.h>
#include <mosaic/mosaic.h>

#include "gles_common.h"

#ifndef GL_TEXTURE_EXTERNAL_OES
#define GL_TEXTURE_EXTERNAL_OES 0x8D65
#endif

static int drm_fd = -1;
static bool external_run;
static struct gbm_device *gbm;
static struct mosaic_renderer *gl;
static struct mosaic_renderer *ref;

#define W 29
#define H 17

static uint32_t pattern(int x, int y)
{
	// Opaque, so every format agrees on what the pixel means.
	return 0xff000000u | (uint32_t)(x * 8) << 16 | (uint32_t)(y * 14) << 8 |
		(uint32_t)((x + y) * 5);
}

struct gbm_dmabuf {
	struct gbm_bo *bo;
	struct mosaic_buffer *buffer;
};

/* A linear GBM buffer on the test node, filled with the pattern, wrapped as a mosaic buffer. */
static bool make_dmabuf(struct gbm_dmabuf *out, uint32_t fourcc, bool fill)
{
	out->bo = gbm_bo_create(gbm, W, H, fourcc, GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING);
	if (out->bo == NULL) {
		out->bo = gbm_bo_create(gbm, W, H, fourcc, GBM_BO_USE_LINEAR);
	}
	if (out->bo == NULL) {
		fprintf(stderr, "gbm_bo_create failed\n");
		return false;
	}
	if (fill) {
		uint32_t stride;
		void *map_data = NULL;
		uint32_t *px = gbm_bo_map(out->bo, 0, 0, W, H, GBM_BO_TRANSFER_WRITE, &stride,
			&map_data);
		assert_non_null(px);
		for (int y = 0; y < H; y++) {
			for (int x = 0; x < W; x++) {
				px[y * (stride / 4) + x] = pattern(x, y);
			}
		}
		gbm_bo_unmap(out->bo, map_data);
	}
	// A writable dmabuf: gbm_bo_get_fd exports read-only ones on dumb buffers.
	int fd = -1;
	if (drmPrimeHandleToFD(drm_fd, gbm_bo_get_handle(out->bo).u32, DRM_CLOEXEC | DRM_RDWR,
			&fd) != 0) {
		fd = gbm_bo_get_fd(out->bo);
	}
	assert_true(fd >= 0);
	struct mosaic_dmabuf_attributes attribs = {
		.width = W,
		.height = H,
		.fourcc = fourcc,
		.modifier = gbm_bo_get_modifier(out->bo),
		.n_planes = 1,
		.offset = { gbm_bo_get_offset(out->bo, 0) },
		.stride = { gbm_bo_get_stride(out->bo) },
		.fd = { fd, -1, -1, -1 },
	};
	out->buffer = mosaic_buffer_from_dmabuf(&attribs);
	assert_non_null(out->buffer);
	return true;
}

static void free_dmabuf(struct gbm_dmabuf *d)
{
	mosaic_buffer_drop(d->buffer);
	gbm_bo_destroy(d->bo);
}

static void check_gl(void)
{
	assert_int_equal(gles_test_gl_error(gl), GL_NO_ERROR);
}

static void test_import(void **state)
{
	struct gbm_dmabuf d;
	assert_true(make_dmabuf(&d, DRM_FORMAT_XRGB8888, true));
	bool software = mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE;
	struct mosaic_texture *tex = mosaic_texture_from_buffer(gl, d.buffer);
	assert_non_null(tex);
	check_gl();
	// The import (a software driver's CPU copy) is cached on the buffer: a
	// second texture shares it.
	struct mosaic_texture *again = mosaic_texture_from_buffer(gl, d.buffer);
	assert_non_null(again);
	struct mosaic_gles_texture_attribs a, b;
	mosaic_gles_texture_get_attribs(tex, &a);
	mosaic_gles_texture_get_attribs(again, &b);
	assert_int_equal(a.tex, b.tex);
	if (software) {
		assert_int_equal(a.target, GL_TEXTURE_2D);
	}
	assert_false(a.has_alpha);
	if (external_run) {
		assert_int_equal(a.target, GL_TEXTURE_EXTERNAL_OES);
	}

	uint32_t out[W * H];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_XRGB8888, .stride = W * 4, .data = out,
	}));
	check_gl();
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			assert_int_equal(out[y * W + x] & 0xffffff, pattern(x, y) & 0xffffff);
		}
	}

	// Drawn into CPU memory, rotated: the same pixels as pixman draws from a copy.
	uint32_t gl_out[H * W] = {0}, ref_out[H * W] = {0};
	struct mosaic_buffer *target = mosaic_buffer_from_data(H, W, DRM_FORMAT_XRGB8888, H * 4,
		gl_out);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex, .transform = MOSAIC_TRANSFORM_90,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	check_gl();
	mosaic_buffer_drop(target);

	uint32_t src[W * H];
	for (int i = 0; i < W * H; i++) {
		src[i] = pattern(i % W, i / W);
	}
	struct mosaic_texture *ref_tex = mosaic_texture_from_pixels(ref, W, H, DRM_FORMAT_XRGB8888,
		W * 4, src);
	target = mosaic_buffer_from_data(H, W, DRM_FORMAT_XRGB8888, H * 4, ref_out);
	pass = mosaic_renderer_begin_pass(ref, target, NULL);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = ref_tex, .transform = MOSAIC_TRANSFORM_90,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	mosaic_buffer_drop(target);
	mosaic_texture_destroy(ref_tex);
	for (int i = 0; i < W * H; i++) {
		assert_int_equal(gl_out[i] & 0xffffff, ref_out[i] & 0xffffff);
	}

	mosaic_texture_destroy(again);
	mosaic_texture_destroy(tex);
	// The import outlives its textures while the buffer lives...
	assert_int_equal(gles_test_gl_query(gl, a.tex), GL_TRUE);
	// ...and dropping the buffer drops it (the addon).
	free_dmabuf(&d);
	assert_int_equal(gles_test_gl_query(gl, a.tex), GL_FALSE);
	check_gl();
}

static void test_render_into(void **state)
{
	const struct mosaic_format_set *set = mosaic_renderer_get_render_formats(gl,
		MOSAIC_BUFFER_CAP_DMABUF);
	if (mosaic_format_set_get(set, DRM_FORMAT_XRGB8888) == NULL) {
		skip();
	}
	struct gbm_dmabuf d;
	assert_true(make_dmabuf(&d, DRM_FORMAT_XRGB8888, false));
	uint32_t src[W * H];
	for (int i = 0; i < W * H; i++) {
		src[i] = pattern(i % W, i / W);
	}
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, W, H, DRM_FORMAT_ARGB8888,
		W * 4, src);
	// Twice: the second pass reuses the cached framebuffer.
	for (int round = 0; round < 2; round++) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, d.buffer, NULL);
		assert_non_null(pass);
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, W, H }, .color = { 0, 0, 0.5f, 1 },
		}));
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex, .dst_box = { 3, 2, W - 6, H - 4 },
			.filter = MOSAIC_FILTER_NEAREST, .src_box = { 3, 2, W - 6, H - 4 },
		}));
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		assert_true(mosaic_renderer_wait_point(gl, done.point, -1));
		check_gl();
	}
	uint32_t stride;
	void *map_data = NULL;
	uint32_t *px = gbm_bo_map(d.bo, 0, 0, W, H, GBM_BO_TRANSFER_READ, &stride, &map_data);
	assert_non_null(px);
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			bool inside = x >= 3 && x < W - 3 && y >= 2 && y < H - 2;
			uint32_t expect = inside ? pattern(x, y) : 0xff000080;
			uint32_t got = px[y * (stride / 4) + x];
			if ((got & 0xffffff) != (expect & 0xffffff)) {
				fprintf(stderr, "pixel %d,%d: %08x, expected %08x\n", x, y, got, expect);
			}
			assert_int_equal(got & 0xffffff, expect & 0xffffff);
		}
	}
	gbm_bo_unmap(d.bo, map_data);
	mosaic_texture_destroy(tex);
	free_dmabuf(&d);
	check_gl();
}

/* Who made a dmabuf: its exporter's name, from /proc/self/fdinfo ("?" if none). */
static void dmabuf_exporter(int fd, char *name, size_t size)
{
	snprintf(name, size, "?");
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "exp_name:", 9) == 0) {
			char *v = line + 9;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(name, size, "%s", v);
		}
	}
	fclose(f);
}

/* The W x H ARGB8888 pixels of a one-plane dmabuf, read through mmap. */
static void read_mapped(const struct mosaic_dmabuf_attributes *a, uint32_t *out)
{
	size_t size = (size_t)a->offset[0] + (size_t)a->stride[0] * H;
	uint8_t *map = mmap(NULL, size, PROT_READ, MAP_SHARED, a->fd[0], 0);
	assert_true(map != MAP_FAILED);
	for (int y = 0; y < H; y++) {
		memcpy(out + y * W, map + a->offset[0] + (size_t)y * a->stride[0], W * 4);
	}
	munmap(map, size);
}

static void test_export(void **state)
{
	if ((mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_DMABUF_EXPORT) == 0) {
		skip();
	}
	uint32_t src[W * H];
	for (int i = 0; i < W * H; i++) {
		src[i] = pattern(i % W, i / W);
	}
	struct mosaic_texture *tex = mosaic_texture_from_pixels(gl, W, H, DRM_FORMAT_ARGB8888,
		W * 4, src);
	struct mosaic_dmabuf_attributes attribs;
	assert_true(mosaic_gles_texture_export_dmabuf(tex, &attribs));
	check_gl();
	assert_int_equal(attribs.n_planes, 1);
	// The CPU sees the pixels through the dmabuf, whoever backs it.
	uint32_t out[W * H];
	read_mapped(&attribs, out);
	assert_memory_equal(out, src, sizeof(src));

	// Imported back into GL. With /dev/udmabuf, Mesa 25's llvmpipe backs
	// its textures with memfds and exports udmabufs; kms_swrast imports
	// those as foreign buffers of the card, which it cannot map (the kernel
	// refuses MODE_MAP_DUMB on imported objects): reading them fails with
	// GL_OUT_OF_MEMORY. Only the card's own buffers come back through an
	// import; a software driver, given none, reads every one through its copy.
	char exporter[64];
	dmabuf_exporter(attribs.fd[0], exporter, sizeof(exporter));
	bool gl_reads_back = strcmp(exporter, "udmabuf") != 0 ||
		(mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE) != 0;
	print_message("GLES exports %s dmabufs%s\n", exporter,
		gl_reads_back ? "" : ": checked through mmap only, kms_swrast cannot read them");
	// The buffer takes the fds; attribs still names them while it lives.
	struct mosaic_buffer *buffer = mosaic_buffer_from_dmabuf(&attribs);
	assert_non_null(buffer);
	struct mosaic_texture *back = NULL;
	if (gl_reads_back) {
		back = mosaic_texture_from_buffer(gl, buffer);
		assert_non_null(back);
		assert_true(mosaic_texture_read_pixels(back, &(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888, .stride = W * 4, .data = out,
		}));
		assert_memory_equal(out, src, sizeof(src));
	}

	// The planes share the texture's storage: an update shows through them.
	for (int i = 0; i < W * H; i++) {
		src[i] = ~src[i] | 0xff000000u;
	}
	struct mosaic_buffer *update = mosaic_buffer_from_data(W, H, DRM_FORMAT_ARGB8888, W * 4,
		src);
	assert_true(mosaic_texture_update_from_buffer(tex, update, NULL));
	mosaic_buffer_drop(update);
	// Exporting again hands out the same storage.
	struct mosaic_dmabuf_attributes again;
	assert_true(mosaic_gles_texture_export_dmabuf(tex, &again));
	mosaic_dmabuf_attributes_finish(&again);
	read_mapped(&attribs, out);
	assert_memory_equal(out, src, sizeof(src));
	if (back != NULL) {
		assert_true(mosaic_texture_read_pixels(back, &(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888, .stride = W * 4, .data = out,
		}));
		assert_memory_equal(out, src, sizeof(src));
	}
	// And the texture itself still draws from it.
	uint32_t drawn[W * H] = {0};
	struct mosaic_buffer *target = mosaic_buffer_from_data(W, H, DRM_FORMAT_ARGB8888, W * 4,
		drawn);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex, .blend = MOSAIC_BLEND_NONE, .filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	mosaic_buffer_drop(target);
	assert_memory_equal(drawn, src, sizeof(src));
	check_gl();
	mosaic_texture_destroy(back);
	mosaic_buffer_drop(buffer);
	mosaic_texture_destroy(tex);
	check_gl();
}

static void test_sync_file(void **state)
{
	if ((mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SYNC_FILE_EXPORT) == 0) {
		skip();
	}
	struct gbm_dmabuf d;
	assert_true(make_dmabuf(&d, DRM_FORMAT_XRGB8888, false));
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(gl, d.buffer,
		&(struct mosaic_pass_options){ .signal_sync_file = true });
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H }, .color = { 1, 0, 0, 1 },
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(done.sync_file_fd >= 0);
	// The next pass waits for it (on the GPU where EGL_KHR_wait_sync exists).
	pass = mosaic_renderer_begin_pass(gl, d.buffer, &(struct mosaic_pass_options){
		.wait_sync_files = &done.sync_file_fd, .n_wait_sync_files = 1,
	});
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 4, 4 }, .color = { 0, 1, 0, 1 },
	}));
	struct mosaic_pass_completion done2;
	assert_true(mosaic_pass_submit(pass, &done2));
	struct pollfd pfd = { .fd = done.sync_file_fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	close(done.sync_file_fd);
	assert_true(mosaic_renderer_wait_point(gl, done2.point, -1));
	uint32_t stride;
	void *map_data = NULL;
	uint32_t *px = gbm_bo_map(d.bo, 0, 0, W, H, GBM_BO_TRANSFER_READ, &stride, &map_data);
	assert_non_null(px);
	assert_int_equal(px[0] & 0xffffff, 0x00ff00);
	assert_int_equal(px[10 * (stride / 4) + 10] & 0xffffff, 0xff0000);
	gbm_bo_unmap(d.bo, map_data);
	free_dmabuf(&d);
	check_gl();
}

int main(void)
{
	gles_test_log_init();
	const char *node = getenv("MOSAIC_TEST_DRM_NODE");
	if (node == NULL || node[0] == '\0') {
		node = "/dev/dri/card0";
	}
	drm_fd = open(node, O_RDWR | O_CLOEXEC);
	if (drm_fd < 0) {
		printf("no DRM node at %s (set MOSAIC_TEST_DRM_NODE; runs in the DRM test VM)\n",
			node);
		return 77;
	}
	gbm = gbm_create_device(drm_fd);
	gl = gbm != NULL ? mosaic_gles_renderer_create(drm_fd) : NULL;
	if (gl == NULL) {
		printf("no GBM device or GLES renderer on %s\n", node);
		return 77;
	}
	if ((mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_DMABUF_IMPORT) == 0) {
		printf("EGL on %s cannot import dmabufs (no EGL_EXT_image_dma_buf_import)\n", node);
		mosaic_renderer_destroy(gl);
		return 77;
	}
	fprintf(stderr, "gles on %s (platform %s, features 0x%llx)\n",
		mosaic_renderer_get_device_name(gl), mosaic_gles_renderer_get_egl_platform(gl),
		(unsigned long long)mosaic_renderer_get_features(gl));
	ref = mosaic_pixman_renderer_create();

	const struct CMUnitTest tests[] = {
		GLES_TEST(test_import),
		GLES_TEST(test_render_into),
		GLES_TEST(test_export),
		GLES_TEST(test_sync_file),
	};
	int failed = cmocka_run_group_tests_name("gles-dmabuf", tests, NULL, NULL);
	bool software = mosaic_renderer_get_features(gl) & MOSAIC_FEATURE_SOFTWARE;

	// Again with every import sampled through GL_TEXTURE_EXTERNAL_OES: no format
	// is external-only on kms_swrast, and that program must be exercised too.
	// A software driver is given no dmabuf: nothing is sampled that way there.
	if (software) {
		print_message("gles-dmabuf-external: left out, %s imports no dmabuf\n",
			mosaic_renderer_get_device_name(gl));
		mosaic_renderer_destroy(gl);
		mosaic_renderer_destroy(ref);
		gbm_device_destroy(gbm);
		close(drm_fd);
		return failed;
	}
	mosaic_renderer_destroy(gl);
	external_run = true;
	setenv("MOSAIC_GLES_EXTERNAL", "1", 1);
	gl = mosaic_gles_renderer_create(drm_fd);
	unsetenv("MOSAIC_GLES_EXTERNAL");
	if (gl != NULL) {
		failed += cmocka_run_group_tests_name("gles-dmabuf-external", tests, NULL, NULL);
		mosaic_renderer_destroy(gl);
	} else {
		failed++;
	}
	mosaic_renderer_destroy(ref);
	gbm_device_destroy(gbm);
	close(drm_fd);
	return failed;
}
