/*
 * bench-dmabuf: what a client dmabuf costs the compositor's frame, new and
 * cached, and what an exported output costs its consumer.
 *
 * Import: one frame that makes a texture from a LINEAR XRGB8888 dmabuf,
 * samples it into a 64x64 output and waits for completion. "new" is the first
 * frame after the buffer arrives (the backend imports it); "cached" is the
 * next frame with the same buffer (the import is kept on the buffer). The
 * dmabufs are memfds here (mosaic_dmabuf_buffer_options.allow_memfd), which
 * every backend on a machine without /dev/dri imports the way it imports a
 * LINEAR dmabuf. The baseline is memcpy of the buffer's bytes in the same run.
 *
 * Export (Vulkan, where the renderer exports dmabufs: the test VM): render a
 * frame into a GPU-allocator image, export it, import it in a pixman renderer
 * and read its pixels back, against the render alone.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <mosaic/config.h>
#if MOSAIC_HAS_VULKAN
#include <mosaic/vulkan.h>
#endif

#include "bench_common.h"

/* A memfd of `width` x `height` XRGB8888 pixels with a pattern, as a LINEAR dmabuf. */
static struct mosaic_buffer *memfd_dmabuf(int width, int height, uint8_t **map)
{
	uint32_t stride = (uint32_t)width * 4;
	size_t size = (size_t)stride * (size_t)height;
	int fd = memfd_create("bench-dmabuf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		perror("memfd");
		exit(1);
	}
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (size_t i = 0; i < size; i++) {
		(*map)[i] = (uint8_t)(i * 7 + i / stride);
	}
	struct mosaic_dmabuf_attributes a = {
		.width = width, .height = height, .fourcc = DRM_FORMAT_XRGB8888,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 1,
		.fd = { fd, -1, -1, -1 }, .stride = { stride },
	};
	struct mosaic_buffer *buffer = mosaic_buffer_from_dmabuf_with_options(&a,
		&(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	if (buffer == NULL) {
		fprintf(stderr, "cannot wrap a memfd as a dmabuf\n");
		exit(1);
	}
	return buffer;
}

/* One frame sampling `source` into `output`, from the texture's creation to completion. */
static double frame_ms(struct mosaic_renderer *renderer, struct mosaic_buffer *output,
	struct mosaic_buffer *source)
{
	uint64_t t0 = bench_now_ns();
	struct mosaic_texture *texture = mosaic_texture_from_buffer(renderer, source);
	if (texture == NULL) {
		fprintf(stderr, "the renderer does not import this dmabuf\n");
		exit(1);
	}
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, output, NULL);
	if (pass == NULL || !mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = texture, .dst_box = { 0, 0, 64, 64 },
			.blend = MOSAIC_BLEND_NONE,
		})) {
		fprintf(stderr, "drawing the texture failed\n");
		exit(1);
	}
	bench_submit_and_wait(renderer, pass, t0);
	double ms = (double)(bench_now_ns() - t0) / 1e6;
	mosaic_texture_destroy(texture);
	return ms;
}

/* False when the renderer does not take the memfds that stand in for dmabufs. */
static bool measure_import(struct mosaic_renderer *renderer, const struct bench_options *options,
	int width, int height)
{
	struct mosaic_buffer *output = bench_create_buffer(64, 64, DRM_FORMAT_XRGB8888);
	size_t size = (size_t)width * 4 * (size_t)height;
	uint8_t *copy = malloc(size);
	if (copy == NULL) {
		exit(1);
	}
	int runs = options->runs;
	double *fresh = calloc((size_t)runs, sizeof(double));
	double *cached = calloc((size_t)runs, sizeof(double));
	double *copy_ms = calloc((size_t)runs, sizeof(double));
	// One warm-up frame: pipelines and first allocations are not an import's cost.
	uint8_t *map;
	struct mosaic_buffer *warm = memfd_dmabuf(width, height, &map);
	struct mosaic_texture *probe = mosaic_texture_from_buffer(renderer, warm);
	if (probe == NULL) {
		printf("import: this renderer imports no memfd as a dmabuf (it takes real "
			"dmabufs only)\n");
		mosaic_buffer_drop(warm);
		munmap(map, size);
		free(fresh);
		free(cached);
		free(copy_ms);
		free(copy);
		mosaic_buffer_drop(output);
		return false;
	}
	mosaic_texture_destroy(probe);
	frame_ms(renderer, output, warm);
	mosaic_buffer_drop(warm);
	munmap(map, size);
	for (int run = 0; run < runs; run++) {
		struct mosaic_buffer *source = memfd_dmabuf(width, height, &map);
		uint64_t t0 = bench_now_ns();
		memcpy(copy, map, size);
		copy_ms[run] = (double)(bench_now_ns() - t0) / 1e6;
		fresh[run] = frame_ms(renderer, output, source);
		cached[run] = frame_ms(renderer, output, source);
		mosaic_buffer_drop(source);
		munmap(map, size);
	}
	double f = bench_median(fresh, (size_t)runs), c = bench_median(cached, (size_t)runs);
	double m = bench_median(copy_ms, (size_t)runs);
	printf("import %4dx%-4d: new %8.3f ms, cached %8.3f ms, memcpy %7.3f ms; "
		"new/memcpy %.1f, cached/memcpy %.1f (median of %d)\n", width, height, f, c, m,
		f / m, c / m, runs);
	fflush(stdout);
	free(fresh);
	free(cached);
	free(copy_ms);
	free(copy);
	mosaic_buffer_drop(output);
	return true;
}

#if MOSAIC_HAS_VULKAN
static void draw(struct mosaic_renderer *renderer, struct mosaic_buffer *target, int width,
	int height, float green)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, target, NULL);
	if (pass == NULL || !mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, width, height }, .color = { 0.25f, green, 0.5f, 1.0f },
		})) {
		fprintf(stderr, "drawing into the exported image failed\n");
		exit(1);
	}
	bench_submit_and_wait(renderer, pass, bench_now_ns());
}

static void measure_export(struct mosaic_renderer *renderer, const struct bench_options *options,
	int width, int height)
{
	struct mosaic_allocator *alloc = mosaic_renderer_create_gpu_allocator(renderer);
	const struct mosaic_format *format = mosaic_format_set_get(
		mosaic_renderer_get_render_formats(renderer, MOSAIC_BUFFER_CAP_DMABUF),
		DRM_FORMAT_XRGB8888);
	struct mosaic_buffer *image = alloc == NULL || format == NULL ? NULL :
		mosaic_allocator_create_buffer(alloc, width, height, DRM_FORMAT_XRGB8888,
			format->modifiers, format->n_modifiers);
	struct mosaic_renderer *pixman = mosaic_renderer_create(
		&(struct mosaic_renderer_options){ .backend = MOSAIC_BACKEND_PIXMAN });
	if (image == NULL || pixman == NULL) {
		fprintf(stderr, "cannot make an exportable image\n");
		exit(1);
	}
	size_t size = (size_t)width * 4 * (size_t)height;
	uint32_t *pixels = malloc(size);
	int runs = options->runs;
	double *render_ms = calloc((size_t)runs, sizeof(double));
	double *trip_ms = calloc((size_t)runs, sizeof(double));
	if (pixels == NULL || render_ms == NULL || trip_ms == NULL) {
		exit(1);
	}
	for (int run = 0; run < runs; run++) {
		uint64_t t0 = bench_now_ns();
		draw(renderer, image, width, height, (float)(run % 2));
		uint64_t t1 = bench_now_ns();
		struct mosaic_dmabuf_attributes a;
		if (!mosaic_vulkan_buffer_export_dmabuf(image, &a)) {
			fprintf(stderr, "export failed\n");
			exit(1);
		}
		// The consumer: another renderer imports the dmabuf and reads it.
		struct mosaic_buffer *imported = mosaic_buffer_from_dmabuf(&a);
		struct mosaic_texture *texture = imported == NULL ? NULL :
			mosaic_texture_from_buffer(pixman, imported);
		if (texture == NULL || !mosaic_texture_read_pixels(texture,
				&(struct mosaic_read_pixels_options){
					.fourcc = DRM_FORMAT_XRGB8888, .stride = (uint32_t)width * 4,
					.data = pixels,
				})) {
			fprintf(stderr, "the exported image cannot be read back\n");
			exit(1);
		}
		uint64_t t2 = bench_now_ns();
		uint32_t want = run % 2 ? 0xff40ff80u : 0xff400080u;
		if ((pixels[(size_t)width * (size_t)height / 2] | 0xff000000u) != want) {
			fprintf(stderr, "read back 0x%08x, drawn 0x%08x\n",
				pixels[(size_t)width * (size_t)height / 2], want);
			exit(1);
		}
		mosaic_texture_destroy(texture);
		mosaic_buffer_drop(imported);
		render_ms[run] = (double)(t1 - t0) / 1e6;
		trip_ms[run] = (double)(t2 - t1) / 1e6;
	}
	double rendered = bench_median(render_ms, (size_t)runs);
	double trip = bench_median(trip_ms, (size_t)runs);
	printf("export %4dx%-4d: render %8.3f ms, export + import + read back by pixman "
		"%8.3f ms (median of %d)\n", width, height, rendered, trip, runs);
	fflush(stdout);
	free(pixels);
	free(render_ms);
	free(trip_ms);
	mosaic_renderer_destroy(pixman);
	mosaic_buffer_drop(image);
	mosaic_allocator_destroy(alloc);
}
#endif

int main(int argc, char *argv[])
{
	struct bench_options options;
	bench_parse_options(&options, argc, argv,
		"Cost of a new and a cached client dmabuf per frame, and of an exported output.");
	struct mosaic_renderer *renderer = bench_create_renderer(&options);
	uint64_t features = mosaic_renderer_get_features(renderer);
	static const int sizes[][2] = { { 256, 256 }, { 1920, 1080 } };
	if (!(features & MOSAIC_FEATURE_DMABUF_IMPORT) &&
			!mosaic_renderer_is_pixman(renderer)) {
		printf("import: not offered by this renderer\n");
	} else {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]) &&
				measure_import(renderer, &options, sizes[s][0], sizes[s][1]); s++) {
		}
	}
#if MOSAIC_HAS_VULKAN
	if (mosaic_renderer_is_vulkan(renderer) && (features & MOSAIC_FEATURE_DMABUF_EXPORT)) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			measure_export(renderer, &options, sizes[s][0], sizes[s][1]);
		}
	} else {
		printf("export: measured on Vulkan renderers that export dmabufs only\n");
	}
#endif
	mosaic_renderer_destroy(renderer);
	return 0;
}
