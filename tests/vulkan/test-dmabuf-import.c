/*
 * dmabuf import on the Vulkan renderer, with memfds standing in for dmabufs
 * (lavapipe imports any fd it can map read-write; on the host there is no
 * dmabuf exporter a test can use): LINEAR buffers with a
 * plane offset and a stride wider than the rows, sampled and compared pixel
 * for pixel with the pixman renderer drawing the same buffer, rendered into
 * and checked in the memfd, updated by the CPU between frames, imported once
 * however many frames use them, and read-only fds copied by the CPU. Exits 77 (SKIP)
 * with one line where the renderer reports no MOSAIC_FEATURE_DMABUF_IMPORT.
 * The last test prints what a first import costs against a cached one.
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
#include <mosaic/vulkan.h>

#include "common.h"

/* A memfd shaped like a LINEAR ARGB8888 dmabuf, mapped for the CPU side. */
struct memfd_dmabuf {
	int fd;
	uint8_t *map;
	size_t size;
	uint32_t offset, stride;
	int width, height;
	struct mosaic_buffer *buffer;
};

/* Whether the renderer's physical device is VK_PHYSICAL_DEVICE_TYPE_CPU (lavapipe). */
static bool test_vulkan_is_cpu_device(struct mosaic_renderer *renderer)
{
	VkPhysicalDeviceProperties props;
	vkGetPhysicalDeviceProperties(mosaic_vulkan_renderer_get_physical_device(renderer), &props);
	return props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
}

/* Bytes outside the image (before the plane, row padding): must stay untouched. */
#define SENTINEL 0xa5

static void memfd_dmabuf_init(struct memfd_dmabuf *m, int width, int height, uint32_t offset,
	uint32_t row_padding)
{
	*m = (struct memfd_dmabuf){
		.width = width,
		.height = height,
		.offset = offset,
		.stride = (uint32_t)width * 4 + row_padding,
	};
	m->size = ((size_t)offset + (size_t)m->stride * (size_t)height + 4095) / 4096 * 4096;
	m->fd = memfd_create("mosaic-test-dmabuf", MFD_CLOEXEC);
	assert_true(m->fd >= 0);
	assert_int_equal(ftruncate(m->fd, (off_t)m->size), 0);
	m->map = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	assert_true(m->map != MAP_FAILED);
	memset(m->map, SENTINEL, m->size);
}

/*
 * The memfd as a dmabuf buffer. mosaic_buffer_from_dmabuf() accepts real
 * dmabufs only (it checks the file system), so the test wraps the memfd in a
 * buffer of its own that hands out the same attributes.
 */
struct memfd_buffer {
	struct mosaic_buffer base;
	struct mosaic_dmabuf_attributes attribs;
};

static void memfd_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct memfd_buffer *b = (struct memfd_buffer *)(void *)buffer;
	mosaic_dmabuf_attributes_finish(&b->attribs);
	free(b);
}

static bool memfd_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *out)
{
	*out = ((struct memfd_buffer *)(void *)buffer)->attribs;
	return true;
}

static const struct mosaic_buffer_impl memfd_buffer_impl = {
	.destroy = memfd_buffer_destroy,
	.get_dmabuf = memfd_buffer_get_dmabuf,
};

/* Wraps `fd` (a new fd, owned by the buffer) as the dmabuf of `m`, with `modifier`. */
static struct mosaic_buffer *wrap_modifier(const struct memfd_dmabuf *m, int fd,
	uint64_t modifier)
{
	assert_true(fd >= 0);
	struct memfd_buffer *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	b->attribs = (struct mosaic_dmabuf_attributes){
		.width = m->width,
		.height = m->height,
		.fourcc = DRM_FORMAT_ARGB8888,
		.modifier = modifier,
		.n_planes = 1,
		.offset = { m->offset },
		.stride = { m->stride },
		.fd = { fd, -1, -1, -1 },
	};
	mosaic_buffer_init(&b->base, &memfd_buffer_impl, m->width, m->height);
	return &b->base;
}

static struct mosaic_buffer *wrap(const struct memfd_dmabuf *m, int fd)
{
	return wrap_modifier(m, fd, DRM_FORMAT_MOD_LINEAR);
}

static void memfd_dmabuf_wrap(struct memfd_dmabuf *m)
{
	m->buffer = wrap(m, fcntl(m->fd, F_DUPFD_CLOEXEC, 0));
}

static void memfd_dmabuf_finish(struct memfd_dmabuf *m)
{
	mosaic_buffer_drop(m->buffer);
	munmap(m->map, m->size);
	close(m->fd);
}

/* The image part of the memfd, as test_compare() takes it (no buffer). */
static struct test_image memfd_view(const struct memfd_dmabuf *m)
{
	return (struct test_image){
		.data = m->map + m->offset,
		.width = m->width,
		.height = m->height,
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = m->stride,
	};
}

static void fill_pattern(struct memfd_dmabuf *m, uint32_t seed)
{
	uint32_t *pixels = malloc((size_t)m->width * (size_t)m->height * 4);
	test_pattern(pixels, m->width, m->height, seed);
	for (int y = 0; y < m->height; y++) {
		memcpy(m->map + m->offset + (size_t)y * m->stride, pixels + (size_t)y * m->width,
			(size_t)m->width * 4);
	}
	free(pixels);
}

static void check_sentinels(const struct memfd_dmabuf *m)
{
	for (uint32_t i = 0; i < m->offset; i++) {
		assert_int_equal(m->map[i], SENTINEL);
	}
	for (int y = 0; y < m->height; y++) {
		const uint8_t *row = m->map + m->offset + (size_t)y * m->stride;
		for (uint32_t x = (uint32_t)m->width * 4; x < m->stride; x++) {
			assert_int_equal(row[x], SENTINEL);
		}
	}
}

/* The scene of the sampling test: the dmabuf copied 1:1, and scaled over a backdrop. */
static void draw_scene(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_buffer *dmabuf)
{
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, dmabuf);
	assert_non_null(tex);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 64, 48 },
		.color = { 0.25f, 0.5f, 0.75f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { 5, 4, 37, 23 },
		.filter = MOSAIC_FILTER_NEAREST,
		.blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	mosaic_texture_destroy(tex);
}

static void test_sample(void **state)
{
	struct mosaic_renderer *r = *state;
	struct memfd_dmabuf m;
	memfd_dmabuf_init(&m, 37, 23, 256, 40);
	fill_pattern(&m, 7);
	memfd_dmabuf_wrap(&m);

	struct test_image vk_out, ref_out;
	test_image_init(&vk_out, 64, 48, DRM_FORMAT_ARGB8888, 0);
	test_image_init(&ref_out, 64, 48, DRM_FORMAT_ARGB8888, 0);
	draw_scene(r, vk_out.buffer, m.buffer);
	// pixman draws the same pixels, read through a CPU view of the memfd.
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	assert_non_null(pixman);
	struct mosaic_buffer *cpu = mosaic_buffer_from_data(m.width, m.height,
		DRM_FORMAT_ARGB8888, m.stride, m.map + m.offset);
	draw_scene(pixman, ref_out.buffer, cpu);
	mosaic_buffer_drop(cpu);
	assert_int_equal(test_compare(&vk_out, &ref_out, 0, "dmabuf texture"), 0);
	mosaic_renderer_destroy(pixman);
	check_sentinels(&m);
	test_image_finish(&vk_out);
	test_image_finish(&ref_out);
	memfd_dmabuf_finish(&m);
}

/* A pass that leaves some of the target as it was: the copy in must be complete. */
static void draw_into(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_texture *tex)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 3, 2, 11, 9 },
		.color = { 1.0f, 0.0f, 0.0f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 8, 6, 20, 14 },
		.color = { 0.0f, 0.25f, 0.0f, 0.5f },
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { 22, 12, 16, 16 },
		.filter = MOSAIC_FILTER_NEAREST,
		.blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
}

static void test_render_target(void **state)
{
	struct mosaic_renderer *r = *state;
	struct memfd_dmabuf m;
	memfd_dmabuf_init(&m, 40, 30, 128, 24);
	fill_pattern(&m, 11);
	memfd_dmabuf_wrap(&m);
	uint32_t pixels[16 * 16];
	test_pattern(pixels, 16, 16, 5);

	// The reference: pixman drawing the same into a copy of the same pixels.
	struct test_image ref;
	test_image_init(&ref, m.width, m.height, DRM_FORMAT_ARGB8888, 0);
	for (int y = 0; y < m.height; y++) {
		memcpy((uint8_t *)ref.data + (size_t)y * ref.stride,
			m.map + m.offset + (size_t)y * m.stride, (size_t)m.width * 4);
	}
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	struct mosaic_texture *ref_tex = mosaic_texture_from_pixels(pixman, 16,
		16, DRM_FORMAT_ARGB8888, 16 * 4, pixels);
	draw_into(pixman, ref.buffer, ref_tex);
	mosaic_texture_destroy(ref_tex);
	mosaic_renderer_destroy(pixman);

	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 16, 16,
		DRM_FORMAT_ARGB8888, 16 * 4, pixels);
	assert_non_null(tex);
	draw_into(r, m.buffer, tex);
	struct test_image seen = memfd_view(&m);
	// Blending may round differently from pixman; copies and clears may not.
	assert_true(test_compare(&seen, &ref, 1, "dmabuf target") <= 1);
	const uint32_t *red = (const uint32_t *)(m.map + m.offset + 3 * m.stride) + 4;
	assert_int_equal(*red, 0xffff0000);
	const uint32_t *copied = (const uint32_t *)(m.map + m.offset + 12 * m.stride) + 22;
	assert_int_equal(*copied, pixels[0]);
	check_sentinels(&m);
	mosaic_texture_destroy(tex);
	test_image_finish(&ref);
	memfd_dmabuf_finish(&m);
}

/* Draws the dmabuf (imported again, as a compositor does each frame) into `target`. */
static void show(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_buffer *dmabuf, uint32_t *out)
{
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, dmabuf);
	assert_non_null(tex);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.filter = MOSAIC_FILTER_NEAREST,
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	mosaic_texture_destroy(tex);
	struct mosaic_texture *view = mosaic_texture_from_buffer(r, target);
	assert_true(test_read_texture(view, out));
	mosaic_texture_destroy(view);
}

static void test_cpu_updates(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 33, H = 21, FRAMES = 10 };
	struct memfd_dmabuf m;
	memfd_dmabuf_init(&m, W, H, 64, 28);
	memfd_dmabuf_wrap(&m);
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, W, H, DRM_FORMAT_ARGB8888);
	assert_non_null(target);
	uint32_t expect[W * H], out[W * H];
	// The same frames with a CPU texture first: every frame slot makes its quad
	// buffer and the readback memory exists, so what remains is the import's.
	struct test_image warm;
	test_image_init(&warm, W, H, DRM_FORMAT_ARGB8888, 0xff00ff00);
	for (int frame = 0; frame < 8; frame++) {
		show(r, target, warm.buffer, out);
	}
	test_image_finish(&warm);
	for (int frame = 0; frame < FRAMES; frame++) {
		// The producer writes new pixels between frames; the next frame shows them.
		fill_pattern(&m, 100 + (uint32_t)frame);
		test_pattern(expect, W, H, 100 + (uint32_t)frame);
		uint64_t before = mosaic_vulkan_renderer_get_create_count(r);
		show(r, target, m.buffer, out);
		assert_memory_equal(out, expect, sizeof(out));
		uint64_t made = mosaic_vulkan_renderer_get_create_count(r) - before;
		if (frame == 0) {
			// The import: buffer, memory, image, view and descriptor set.
			printf("first import: %llu Vulkan objects\n", (unsigned long long)made);
			assert_true(made > 0);
		} else {
			assert_int_equal(made, 0);
		}
	}
	check_sentinels(&m);
	mosaic_buffer_drop(target);
	memfd_dmabuf_finish(&m);
}

/*
 * The implicit modifier (DRM_FORMAT_MOD_INVALID), what GBM reports for
 * buffers allocated without modifiers: a CPU device lays every buffer out
 * linearly, so it lists the implicit modifier beside LINEAR for every format
 * and imports such buffers as LINEAR ones, for sampling and rendering.
 * Other devices list explicit modifiers only.
 */
static void test_implicit_modifier(void **state)
{
	struct mosaic_renderer *r = *state;
	bool cpu = test_vulkan_is_cpu_device(r);
	const struct mosaic_format_set *sets[] = {
		mosaic_renderer_get_texture_formats(r, MOSAIC_BUFFER_CAP_DMABUF),
		mosaic_renderer_get_render_formats(r, MOSAIC_BUFFER_CAP_DMABUF),
	};
	for (size_t i = 0; i < 2; i++) {
		for (size_t j = 0; j < sets[i]->n_formats; j++) {
			const struct mosaic_format *f = &sets[i]->formats[j];
			bool linear = mosaic_format_set_has(sets[i], f->fourcc,
				DRM_FORMAT_MOD_LINEAR);
			bool implicit = mosaic_format_set_has(sets[i], f->fourcc,
				DRM_FORMAT_MOD_INVALID);
			assert_true(cpu ? linear == implicit : !implicit);
		}
	}
	if (!cpu) {
		print_message("%s is no CPU device: the implicit modifier is not listed\n",
			mosaic_renderer_get_device_name(r));
		skip();
	}
	assert_true(mosaic_format_set_has(sets[0], DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_INVALID));
	assert_true(mosaic_format_set_has(sets[1], DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID));

	// Sampled: what the memfd holds, stride and offset included.
	enum { W = 37, H = 23 };
	struct memfd_dmabuf m;
	memfd_dmabuf_init(&m, W, H, 256, 40);
	fill_pattern(&m, 9);
	m.buffer = wrap_modifier(&m, fcntl(m.fd, F_DUPFD_CLOEXEC, 0), DRM_FORMAT_MOD_INVALID);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, m.buffer);
	assert_non_null(tex);
	uint32_t expect[W * H], out[W * H];
	test_pattern(expect, W, H, 9);
	assert_true(test_read_texture(tex, out));
	assert_memory_equal(out, expect, sizeof(out));
	mosaic_texture_destroy(tex);

	// Rendered into: the clear lands in the memfd, rows at the buffer's stride.
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, m.buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0.0f, 0.0f, 1.0f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	for (int y = 0; y < H; y++) {
		const uint32_t *row = (const uint32_t *)(m.map + m.offset + (size_t)y * m.stride);
		for (int x = 0; x < W; x++) {
			assert_int_equal(row[x], 0xff0000ff);
		}
	}
	check_sentinels(&m);
	memfd_dmabuf_finish(&m);
}

/*
 * A dmabuf whose fd is read-only, as gbm_bo_get_fd() gives them on Mesa's
 * kms_swrast: lavapipe maps an fd read-write to import it and refuses this
 * one, so the renderer copies it with the CPU. The texture shows the
 * buffer's pixels, and what the producer writes later, frame after frame;
 * the copy is announced once, at INFO; the buffer cannot be a render target.
 */
static void test_read_only_fd(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 33, H = 21 };
	if (!test_vulkan_is_cpu_device(r)) {
		print_message("%s is no CPU device: read-only dmabufs are imported by the "
			"driver\n", mosaic_renderer_get_device_name(r));
		skip();
	}
	struct memfd_dmabuf m;
	memfd_dmabuf_init(&m, W, H, 64, 28);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m.fd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	// The core maps memfd stand-ins only where the producer said so.
	m.buffer = mosaic_buffer_from_dmabuf_with_options(&(struct mosaic_dmabuf_attributes){
		.width = W,
		.height = H,
		.fourcc = DRM_FORMAT_ARGB8888,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = 1,
		.offset = { m.offset },
		.stride = { m.stride },
		.fd = { fd, -1, -1, -1 },
	}, &(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	assert_non_null(m.buffer);
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, W, H, DRM_FORMAT_ARGB8888);
	assert_non_null(target);
	uint32_t expect[W * H], out[W * H];
	int errors = test_log.errors;
	for (int frame = 0; frame < 4; frame++) {
		fill_pattern(&m, 40 + (uint32_t)frame);
		test_pattern(expect, W, H, 40 + (uint32_t)frame);
		show(r, target, m.buffer, out);
		assert_memory_equal(out, expect, sizeof(out));
	}
	assert_int_equal(test_log.errors, errors);
	assert_int_equal(test_log.cpu_copy_notes, 1);

	// A texture kept across frames shows what the producer wrote since.
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, m.buffer);
	assert_non_null(tex);
	fill_pattern(&m, 77);
	test_pattern(expect, W, H, 77);
	assert_true(test_read_texture(tex, out));
	assert_memory_equal(out, expect, sizeof(out));
	mosaic_texture_destroy(tex);
	check_sentinels(&m);

	test_log.quiet_errors = true;
	assert_null(mosaic_renderer_begin_pass(r, m.buffer, NULL));
	assert_int_equal(test_log.errors, errors + 1);
	test_log.quiet_errors = false;
	assert_int_equal(test_log.cpu_copy_notes, 1);
	mosaic_buffer_drop(target);
	memfd_dmabuf_finish(&m);
}

/*
 * A read-only dmabuf the CPU cannot read either (its memory was truncated
 * after the buffer was made): refused when the texture is made, with one
 * ERROR line.
 */
static void test_read_only_unreadable(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 16, H = 8 };
	if (!test_vulkan_is_cpu_device(r)) {
		print_message("%s is no CPU device: read-only dmabufs are imported by the "
			"driver\n", mosaic_renderer_get_device_name(r));
		skip();
	}
	struct memfd_dmabuf m;
	memfd_dmabuf_init(&m, W, H, 0, W * 4);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m.fd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	m.buffer = mosaic_buffer_from_dmabuf_with_options(&(struct mosaic_dmabuf_attributes){
		.width = W,
		.height = H,
		.fourcc = DRM_FORMAT_ARGB8888,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = 1,
		.stride = { W * 4 },
		.fd = { fd, -1, -1, -1 },
	}, &(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	assert_non_null(m.buffer);
	assert_int_equal(ftruncate(m.fd, 0), 0);
	int errors = test_log.errors;
	test_log.quiet_errors = true;
	assert_null(mosaic_texture_from_buffer(r, m.buffer));
	test_log.quiet_errors = false;
	assert_int_equal(test_log.errors, errors + 1);
	mosaic_buffer_drop(m.buffer);
	m.buffer = NULL;
	memfd_dmabuf_finish(&m);
}

/* One frame that samples `dmabuf` into `target`, from the import to the GPU's completion. */
static int64_t timed_frame(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_buffer *dmabuf)
{
	int64_t start = test_now_ns();
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, dmabuf);
	assert_non_null(tex);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	int64_t ns = test_now_ns() - start;
	mosaic_texture_destroy(tex);
	return ns;
}

static void test_import_cost(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { RUNS = 9 };
	const int sizes[] = { 64, 512 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int size = sizes[s];
		struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, size, size,
			DRM_FORMAT_ARGB8888);
		int64_t first[RUNS], cached[RUNS];
		for (int i = 0; i < RUNS; i++) {
			struct memfd_dmabuf m;
			memfd_dmabuf_init(&m, size, size, 0, 0);
			memfd_dmabuf_wrap(&m);
			first[i] = timed_frame(r, target, m.buffer);
			cached[i] = timed_frame(r, target, m.buffer);
			memfd_dmabuf_finish(&m);
		}
		test_sort_i64(first, RUNS);
		test_sort_i64(cached, RUNS);
		printf("%dx%d dmabuf, frame from import to completion, median of %d: "
			"new import %.3f ms, cached %.3f ms\n", size, size, RUNS,
			(double)first[RUNS / 2] / 1e6, (double)cached[RUNS / 2] / 1e6);
		mosaic_buffer_drop(target);
	}
}

int main(void)
{
	// Results printed before a failed assertion must not be lost.
	setvbuf(stdout, NULL, _IONBF, 0);
	test_log_reset();
	struct mosaic_renderer *r = test_vulkan_renderer();
	bool can = mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_IMPORT;
	if (!can) {
		printf("%s cannot import dmabufs (no MOSAIC_FEATURE_DMABUF_IMPORT)\n",
			mosaic_renderer_get_device_name(r));
	}
	mosaic_renderer_destroy(r);
	if (!can) {
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sample, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_render_target, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_updates, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_implicit_modifier, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_fd, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_unreadable, test_setup,
			test_teardown),
		cmocka_unit_test_setup_teardown(test_import_cost, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
