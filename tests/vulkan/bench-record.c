/*
 * CPU cost of recording and submitting Vulkan passes into a GPU-side target
 * (mosaic_vulkan_buffer_create()): what a compositor pays per frame when it
 * scans out or hands on GPU buffers. Each frame is waited for outside the
 * timed part. The shm targets of bench/ add a GPU round trip per frame.
 *
 * Usage: bench-vulkan-record [--quick]. Prints medians of 5 runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <drm_fourcc.h>

#include <mosaic/mosaic.h>
#include <mosaic/vulkan.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median over 5 runs of the mean CPU time per frame, in microseconds. */
static double measure(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_texture *tex, int quads, int frames)
{
	double runs[5];
	const float alpha = 0.8f;
	for (int run = 0; run < 5; run++) {
		double total = 0;
		for (int f = 0; f < frames; f++) {
			double t0 = now_us();
			struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
			for (int i = 0; i < quads; i++) {
				mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = tex,
					.src_box = { (i % 4) * 64, (i / 4 % 4) * 64, 64, 64 },
					.dst_box = { (i * 61) % 1856, (i * 37) % 1016, 64, 64 },
					.alpha = &alpha,
					.filter = MOSAIC_FILTER_NEAREST,
				});
			}
			struct mosaic_pass_completion done;
			if (!mosaic_pass_submit(pass, &done)) {
				exit(1);
			}
			total += now_us() - t0;
			// Wait outside the timed part: a slow GPU (lavapipe) would otherwise
			// make begin_pass wait for a free frame slot, timing the GPU instead.
			mosaic_renderer_wait_point(r, done.point, -1);
		}
		runs[run] = total / frames;
	}
	qsort(runs, 5, sizeof(runs[0]), compare);
	return runs[2];
}

int main(int argc, char *argv[])
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	mosaic_log_init(MOSAIC_LOG_ERROR, NULL, NULL);
	struct mosaic_renderer *r = mosaic_vulkan_renderer_create(-1);
	if (r == NULL) {
		printf("no Vulkan device\n");
		return 77;
	}
	printf("renderer: %s\n", mosaic_renderer_get_device_name(r));
	uint32_t *pixels = calloc(256 * 256, 4);
	for (int i = 0; i < 256 * 256; i++) {
		pixels[i] = 0x80402010u + (uint32_t)i * 0x10101u % 0x7f;
	}
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 256, 256, DRM_FORMAT_ARGB8888,
		256 * 4, pixels);
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, 1920, 1080,
		DRM_FORMAT_XRGB8888);
	if (tex == NULL || target == NULL) {
		return 1;
	}
	int frames = quick ? 5 : 30;
	measure(r, target, tex, 10, 3);
	double empty = measure(r, target, tex, 0, frames);
	printf("empty pass: %8.1f us CPU per frame\n", empty);
	static const int counts[] = { 1, 10, 100, 1000 };
	for (int c = 0; c < 4; c++) {
		int n = counts[c];
		double us = measure(r, target, tex, n, n >= 1000 ? (frames + 2) / 3 : frames);
		printf("%4d quads: %8.1f us CPU per frame, %.3f us per quad over the empty pass\n",
			n, us, (us - empty) / n);
	}
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(target);
	mosaic_renderer_destroy(r);
	free(pixels);
	return 0;
}
