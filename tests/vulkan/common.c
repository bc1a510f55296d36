#define _GNU_SOURCE
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <pixman.h>

#include "common.h"

struct test_log test_log;

static void log_handler(enum mosaic_log level, const char *msg, void *user_data)
{
	struct test_log *log = user_data;
	bool validation = strstr(msg, "vulkan validation") != NULL;
	if (validation && level <= MOSAIC_LOG_WARN) {
		log->validation++;
	}
	const char *nearest = strstr(msg, ": chroma is reconstructed with the nearest sample");
	if (nearest != NULL) {
		// "vulkan: FORMAT: chroma ...": keep the format names, space-separated.
		const char *name = strstr(msg, "vulkan: ");
		size_t used = strlen(log->nearest_chroma);
		if (name != NULL && nearest > name + 8 &&
				used + (size_t)(nearest - name - 8) + 2 < sizeof(log->nearest_chroma)) {
			snprintf(log->nearest_chroma + used, sizeof(log->nearest_chroma) - used,
				"%.*s ", (int)(nearest - name - 8), name + 8);
		}
	}
	if (strstr(msg, "staging ring grows") != NULL) {
		log->staging_grows++;
	}
	if (strstr(msg, "validation layer is not installed") != NULL) {
		log->no_validation_layer = true;
	}
	if (strstr(msg, "MOSAIC_VK_FAIL_SUBMIT=") != NULL) {
		log->fail_submit_switch = true;
	}
	if (strstr(msg, "staging ring wraps") != NULL) {
		log->staging_wraps++;
	}
	if (strstr(msg, "in non-coherent memory") != NULL) {
		log->noncoherent_buffers++;
	}
	if (level == MOSAIC_LOG_INFO && strstr(msg, "copied by the CPU") != NULL) {
		log->cpu_copy_notes++;
	}
	if (strstr(msg, "staging ring idle") != NULL) {
		log->staging_shrinks++;
	}
	if (level == MOSAIC_LOG_ERROR) {
		log->errors++;
	}
	// TEST_VERBOSE=1 also shows the errors a test provokes on purpose.
	bool expected = log->quiet_errors && getenv("TEST_VERBOSE") == NULL;
	if (validation || (level == MOSAIC_LOG_ERROR && !expected) || level == MOSAIC_LOG_WARN) {
		fprintf(stderr, "%s\n", msg);
	}
}

void test_log_reset(void)
{
	test_log = (struct test_log){0};
	mosaic_log_init(MOSAIC_LOG_DEBUG, log_handler, &test_log);
}

struct mosaic_renderer *test_vulkan_renderer(void)
{
	bool quiet = test_log.quiet_errors;
	test_log.quiet_errors = true;
	struct mosaic_renderer *renderer = mosaic_vulkan_renderer_create(-1);
	test_log.quiet_errors = quiet;
	if (renderer == NULL) {
		printf("no Vulkan device (or no Vulkan loader) on this machine\n");
		exit(77);
	}
	if (test_log.no_validation_layer) {
		// The run was asked to be validated; passing without the layer would lie.
		printf("MOSAIC_VK_VALIDATION=1 but the Vulkan validation layer is not installed\n");
		exit(77);
	}
	return renderer;
}

struct mosaic_renderer *test_vulkan_renderer_on_path(const char *path)
{
	setenv("MOSAIC_VK_PATH", path, 1);
	struct mosaic_renderer *r = test_vulkan_renderer();
	unsetenv("MOSAIC_VK_PATH");
	if (strcmp(mosaic_vulkan_renderer_get_path(r), path) != 0) {
		mosaic_renderer_destroy(r);
		return NULL;
	}
	return r;
}

void test_image_init(struct test_image *image, int width, int height, uint32_t fourcc,
	uint32_t fill)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	*image = (struct test_image){
		.width = width,
		.height = height,
		.fourcc = fourcc,
		.stride = (uint32_t)width * info->bytes_per_pixel,
	};
	// A stride larger than the row checks that nobody assumes packed rows.
	image->stride += 8 * info->bytes_per_pixel;
	image->data = calloc((size_t)height, image->stride);
	pixman_image_t *img = pixman_image_create_bits_no_clear(
		fourcc == DRM_FORMAT_ARGB8888 ? PIXMAN_a8r8g8b8 :
		fourcc == DRM_FORMAT_XRGB8888 ? PIXMAN_x8r8g8b8 :
		fourcc == DRM_FORMAT_ABGR8888 ? PIXMAN_a8b8g8r8 :
		fourcc == DRM_FORMAT_XBGR8888 ? PIXMAN_x8b8g8r8 :
		fourcc == DRM_FORMAT_RGB565 ? PIXMAN_r5g6b5 :
		fourcc == DRM_FORMAT_ARGB2101010 ? PIXMAN_a2r10g10b10 :
		fourcc == DRM_FORMAT_XRGB2101010 ? PIXMAN_x2r10g10b10 :
		fourcc == DRM_FORMAT_ABGR2101010 ? PIXMAN_a2b10g10r10 : PIXMAN_x2b10g10r10,
		width, height, image->data, (int)image->stride);
	pixman_color_t color = {
		.red = (uint16_t)(((fill >> 16) & 0xff) * 0x101),
		.green = (uint16_t)(((fill >> 8) & 0xff) * 0x101),
		.blue = (uint16_t)((fill & 0xff) * 0x101),
		.alpha = (uint16_t)((fill >> 24) * 0x101),
	};
	pixman_box32_t all = { 0, 0, width, height };
	pixman_image_fill_boxes(PIXMAN_OP_SRC, img, &color, 1, &all);
	pixman_image_unref(img);
	image->buffer = mosaic_buffer_from_data(width, height, fourcc, image->stride, image->data);
}

void test_image_finish(struct test_image *image)
{
	mosaic_buffer_drop(image->buffer);
	free(image->data);
	*image = (struct test_image){0};
}

void test_pattern(uint32_t *pixels, int width, int height, uint32_t seed)
{
	uint32_t s = seed * 2654435761u + 1;
	for (int i = 0; i < width * height; i++) {
		s = s * 1664525u + 1013904223u;
		uint32_t a = (s >> 24) & 0xff;
		// A quarter opaque, a quarter transparent, the rest translucent.
		if ((s & 3) == 0) {
			a = 0xff;
		} else if ((s & 3) == 1) {
			a = 0;
		}
		uint32_t r = ((s >> 16) & 0xff) * a / 255;
		uint32_t g = ((s >> 8) & 0xff) * a / 255;
		uint32_t b = ((s >> 4) & 0xff) * a / 255;
		pixels[i] = a << 24 | r << 16 | g << 8 | b;
	}
}

static uint32_t *to_argb(const struct test_image *image)
{
	uint32_t *out = calloc((size_t)image->width * (size_t)image->height, 4);
	uint32_t stride = 0;
	void *data = image->data;
	stride = image->stride;
	pixman_format_code_t code =
		image->fourcc == DRM_FORMAT_ARGB8888 ? PIXMAN_a8r8g8b8 :
		image->fourcc == DRM_FORMAT_XRGB8888 ? PIXMAN_x8r8g8b8 :
		image->fourcc == DRM_FORMAT_ABGR8888 ? PIXMAN_a8b8g8r8 :
		image->fourcc == DRM_FORMAT_XBGR8888 ? PIXMAN_x8b8g8r8 :
		image->fourcc == DRM_FORMAT_RGB565 ? PIXMAN_r5g6b5 :
		image->fourcc == DRM_FORMAT_ARGB2101010 ? PIXMAN_a2r10g10b10 :
		image->fourcc == DRM_FORMAT_XRGB2101010 ? PIXMAN_x2r10g10b10 :
		image->fourcc == DRM_FORMAT_ABGR2101010 ? PIXMAN_a2b10g10r10 : PIXMAN_x2b10g10r10;
	pixman_image_t *src = pixman_image_create_bits_no_clear(code, image->width,
		image->height, data, (int)stride);
	pixman_image_t *dst = pixman_image_create_bits_no_clear(PIXMAN_a8r8g8b8, image->width,
		image->height, out, image->width * 4);
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0,
		image->width, image->height);
	pixman_image_unref(src);
	pixman_image_unref(dst);
	return out;
}

int test_compare(const struct test_image *a, const struct test_image *b, int tolerance,
	const char *what)
{
	uint32_t *pa = to_argb(a), *pb = to_argb(b);
	const struct mosaic_format_info *info = mosaic_format_get_info(a->fourcc);
	int worst = 0;
	bool reported = false;
	for (int y = 0; y < a->height; y++) {
		for (int x = 0; x < a->width; x++) {
			uint32_t ca = pa[y * a->width + x], cb = pb[y * a->width + x];
			for (int c = 0; c < 4; c++) {
				if (c == 3 && !info->has_alpha) {
					continue;
				}
				int va = (int)((ca >> (8 * c)) & 0xff);
				int vb = (int)((cb >> (8 * c)) & 0xff);
				int d = abs(va - vb);
				// A 2-bit alpha has steps of 85: a value halfway between
				// two steps (0.5) may round either way on a GPU.
				if (c == 3 && info->bytes_per_pixel == 4 &&
						(a->fourcc == DRM_FORMAT_ARGB2101010 ||
						a->fourcc == DRM_FORMAT_ABGR2101010) && d <= 85) {
					continue;
				}
				if (d > worst) {
					worst = d;
				}
				if (d > tolerance && !reported) {
					fprintf(stderr, "%s: pixel %d,%d differs: %08x vs %08x\n",
						what, x, y, ca, cb);
					reported = true;
				}
			}
		}
	}
	free(pa);
	free(pb);
	return worst;
}

uint64_t test_draw_quadrants(struct mosaic_renderer *renderer, struct mosaic_buffer *target,
	int w, int h)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, target, NULL);
	assert_non_null(pass);
	const struct mosaic_color colors[4] = {
		{ 1, 0, 0, 1 }, { 0, 1, 0, 1 }, { 0, 0, 1, 1 }, { 0.25f, 0.25f, 0.25f, 0.5f },
	};
	for (int i = 0; i < 4; i++) {
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { (i & 1) * w / 2, (i >> 1) * h / 2, w / 2, h / 2 },
			.color = colors[i],
			.blend = MOSAIC_BLEND_NONE,
		}));
	}
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(renderer, done.point, -1));
	return done.point;
}

void test_check_quadrants(const uint32_t *pixels, int w, int h)
{
	const uint32_t expect[4] = { 0xffff0000, 0xff00ff00, 0xff0000ff, 0x80404040 };
	for (int i = 0; i < 4; i++) {
		int x = (i & 1) * w / 2 + 1, y = (i >> 1) * h / 2 + 1;
		uint32_t p = pixels[y * w + x];
		for (int c = 0; c < 4; c++) {
			int d = abs((int)((p >> (8 * c)) & 0xff) - (int)((expect[i] >> (8 * c)) & 0xff));
			assert_true(d <= 1);
		}
	}
}

bool test_read_texture(struct mosaic_texture *texture, uint32_t *out)
{
	int w = mosaic_texture_get_width(texture);
	return mosaic_texture_read_pixels(texture, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = (uint32_t)w * 4,
		.data = out,
	});
}

int64_t test_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void test_sort_i64(int64_t *values, size_t n)
{
	qsort(values, n, sizeof(values[0]), cmp_i64);
}

long test_rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL) {
		return -1;
	}
	long size = 0, resident = 0;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2) {
		resident = -1;
	}
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long test_heap_in_use(void)
{
	// malloc_stats() is the one glibc call that sums every arena; it prints to stderr.
	fflush(stderr);
	int saved = dup(2);
	int fd = memfd_create("malloc-stats", MFD_CLOEXEC);
	if (saved < 0 || fd < 0) {
		return -1;
	}
	dup2(fd, 2);
	malloc_stats();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char text[16384];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	if (n <= 0) {
		return -1;
	}
	text[n] = '\0';
	const char *total = strstr(text, "Total (incl. mmap)");
	const char *in_use = total != NULL ? strstr(total, "in use bytes") : NULL;
	const char *eq = in_use != NULL ? strchr(in_use, '=') : NULL;
	return eq != NULL ? strtol(eq + 1, NULL, 10) : -1;
}

int test_setup(void **state)
{
	test_log_reset();
	*state = test_vulkan_renderer();
	return 0;
}

int test_teardown(void **state)
{
	mosaic_renderer_destroy(*state);
	// Every test runs under the validation layer in the -validation suite.
	if (test_log.validation > 0) {
		fprintf(stderr, "%d validation messages\n", test_log.validation);
		return -1;
	}
	return 0;
}
