/*
 * bench-upload: how fast shm client buffers reach a texture through
 * mosaic_texture_update_from_buffer(), for a whole frame and for partial
 * damage, at 1080p and 4K. The baseline is memcpy of the same bytes in the
 * same run: the ratio says how close an upload comes to a plain copy.
 *
 * Two rates are given: "update" counts only the time inside
 * mosaic_texture_update_from_buffer() (what the compositor's commit path
 * pays on the CPU); "drawn" also counts a small pass that samples the
 * texture and the wait for it, so uploads that backends defer to the next
 * submit are paid for too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "bench_common.h"

/* A partial frame: a video-sized rectangle and a dozen small ones (text, cursors). */
static void partial_damage(pixman_region32_t *region, int width, int height)
{
	int s = width / 1920;
	pixman_region32_init_rect(region, 200 * s, 150 * s, 480u * (unsigned)s,
		270u * (unsigned)s);
	for (int i = 0; i < 12; i++) {
		int x = (i * 397 * s) % (width - 200 * s);
		int y = (i * 211 * s + 600 * s) % (height - 100 * s);
		pixman_region32_union_rect(region, region, x, y, 200u * (unsigned)s,
			100u * (unsigned)s);
	}
}

static uint64_t region_bytes(const pixman_region32_t *region)
{
	int n;
	const pixman_box32_t *r = pixman_region32_rectangles(region, &n);
	uint64_t bytes = 0;
	for (int i = 0; i < n; i++) {
		bytes += (uint64_t)(r[i].x2 - r[i].x1) * (uint64_t)(r[i].y2 - r[i].y1) * 4;
	}
	return bytes;
}

static void copy_region(uint8_t *dst, const uint8_t *src, uint32_t stride,
	const pixman_region32_t *region)
{
	int n;
	const pixman_box32_t *r = pixman_region32_rectangles(region, &n);
	for (int i = 0; i < n; i++) {
		size_t len = (size_t)(r[i].x2 - r[i].x1) * 4;
		for (int y = r[i].y1; y < r[i].y2; y++) {
			size_t offset = (size_t)y * stride + (size_t)r[i].x1 * 4;
			memcpy(dst + offset, src + offset, len);
		}
	}
}

static void measure(struct mosaic_renderer *renderer, const struct bench_options *options,
	int width, int height, bool full)
{
	struct mosaic_buffer *source = bench_create_buffer(width, height, DRM_FORMAT_ARGB8888);
	bench_fill_buffer(source, 1);
	struct mosaic_texture *texture = mosaic_texture_from_buffer(renderer, source);
	struct mosaic_buffer *output = bench_create_buffer(64, 64, DRM_FORMAT_XRGB8888);
	if (texture == NULL) {
		fprintf(stderr, "cannot make a %dx%d texture\n", width, height);
		exit(1);
	}

	pixman_region32_t damage;
	if (full) {
		pixman_region32_init_rect(&damage, 0, 0, (unsigned)width, (unsigned)height);
	} else {
		partial_damage(&damage, width, height);
	}
	uint64_t bytes = region_bytes(&damage);

	void *src_data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(source, MOSAIC_BUFFER_DATA_ACCESS_READ, &src_data,
			&fourcc, &stride)) {
		exit(1);
	}
	mosaic_buffer_end_data_access(source);
	size_t size = (size_t)stride * (size_t)height;
	uint8_t *copy = malloc(size);
	if (copy == NULL) {
		exit(1);
	}
	memset(copy, 0, size);

	int iterations = (int)((options->quick ? 100e6 : 400e6) / (double)bytes);
	iterations = iterations < 2 ? 2 : (iterations > 200 ? 200 : iterations);
	double *update_rate = calloc((size_t)options->runs, sizeof(double));
	double *drawn_rate = calloc((size_t)options->runs, sizeof(double));
	double *copy_rate = calloc((size_t)options->runs, sizeof(double));
	// Baseline and upload alternate within each run, so that load from other
	// processes during the run affects both alike.
	for (int run = 0; run < options->runs; run++) {
		// Access does not nest with the update's own: take it around the copies only.
		if (!mosaic_buffer_begin_data_access(source, MOSAIC_BUFFER_DATA_ACCESS_READ, &src_data,
				&fourcc, &stride)) {
			exit(1);
		}
		uint64_t t0 = bench_now_ns();
		for (int i = 0; i < iterations; i++) {
			if (full) {
				memcpy(copy, src_data, size);
			} else {
				copy_region(copy, src_data, stride, &damage);
			}
		}
		uint64_t copy_ns = bench_now_ns() - t0;
		mosaic_buffer_end_data_access(source);
		copy_rate[run] = (double)bytes * iterations / 1e6 / ((double)copy_ns / 1e9);

		uint64_t update_ns = 0;
		t0 = bench_now_ns();
		for (int i = 0; i < iterations; i++) {
			uint64_t u0 = bench_now_ns();
			if (!mosaic_texture_update_from_buffer(texture, source, &damage)) {
				fprintf(stderr, "update failed\n");
				exit(1);
			}
			update_ns += bench_now_ns() - u0;
			struct mosaic_pass *pass =
				mosaic_renderer_begin_pass(renderer, output, NULL);
			if (pass == NULL || !mosaic_pass_add_texture(pass,
					&(struct mosaic_texture_options){
						.texture = texture,
						.dst_box = { 0, 0, 64, 64 },
						.filter = MOSAIC_FILTER_NEAREST,
						.blend = MOSAIC_BLEND_NONE,
					})) {
				fprintf(stderr, "drawing the texture failed\n");
				exit(1);
			}
			bench_submit_and_wait(renderer, pass, bench_now_ns());
		}
		uint64_t drawn_ns = bench_now_ns() - t0;
		update_rate[run] = (double)bytes * iterations / 1e6 / ((double)update_ns / 1e9);
		drawn_rate[run] = (double)bytes * iterations / 1e6 / ((double)drawn_ns / 1e9);
	}
	// Keep the copies from being optimized away.
	if (copy[size / 2] == 0x5a && copy[size / 3] == 0xa5) {
		printf(" ");
	}

	double update = bench_median(update_rate, (size_t)options->runs);
	double drawn = bench_median(drawn_rate, (size_t)options->runs);
	double memcpy_rate = bench_median(copy_rate, (size_t)options->runs);
	printf("%4dx%-4d %-7s %6.2f MB/frame x %3d: update %8.1f MB/s, drawn %8.1f MB/s, "
		"memcpy %8.1f MB/s; ratio to memcpy %.2f (update) %.2f (drawn)\n",
		width, height, full ? "full" : "partial", (double)bytes / 1e6, iterations,
		update, drawn, memcpy_rate, update / memcpy_rate, drawn / memcpy_rate);
	fflush(stdout);

	free(update_rate);
	free(drawn_rate);
	free(copy_rate);
	free(copy);
	pixman_region32_fini(&damage);
	mosaic_texture_destroy(texture);
	mosaic_buffer_drop(output);
	mosaic_buffer_drop(source);
}

int main(int argc, char *argv[])
{
	struct bench_options options;
	bench_parse_options(&options, argc, argv,
		"Upload rate of shm buffers into textures, against memcpy of the same bytes.");
	struct mosaic_renderer *renderer = bench_create_renderer(&options);
	static const int sizes[][2] = { { 1920, 1080 }, { 3840, 2160 } };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		measure(renderer, &options, sizes[s][0], sizes[s][1], true);
		measure(renderer, &options, sizes[s][0], sizes[s][1], false);
	}
	mosaic_renderer_destroy(renderer);
	return 0;
}
