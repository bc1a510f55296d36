/*
 * bench-windows: a 4K frame of 16 overlapping translucent 1080p windows
 * over an opaque background, into a GPU buffer where the renderer has them
 * (--target shm: shared memory): CPU time from begin_pass until submit
 * returns, time until the frame is complete, and GPU time where the
 * backend has timers (mosaic_render_timer). The baseline, measured in the same run, is a
 * frame that only clears the 4K output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include <mosaic/config.h>
#if MOSAIC_HAS_VULKAN
#include <mosaic/vulkan.h>
#endif

#include "bench_common.h"

#define OUT_W 3840
#define OUT_H 2160
#define N_WINDOWS 16

struct timings {
	double cpu_ms, complete_ms, gpu_ms;
};

static struct timings draw(struct mosaic_renderer *renderer, struct mosaic_buffer *output,
	struct mosaic_texture **windows, int n_windows, struct mosaic_render_timer *timer,
	int frames, int runs)
{
	double *cpu = calloc((size_t)runs, sizeof(double));
	double *complete = calloc((size_t)runs, sizeof(double));
	double *gpu = calloc((size_t)runs * (size_t)frames, sizeof(double));
	size_t n_gpu = 0;
	const float alpha = 0.85f;
	for (int run = 0; run < runs; run++) {
		uint64_t cpu_total = 0, complete_total = 0;
		for (int f = 0; f < frames; f++) {
			uint64_t t0 = bench_now_ns();
			struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, output,
				&(struct mosaic_pass_options){ .timer = timer });
			if (pass == NULL) {
				exit(1);
			}
			mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { 0, 0, OUT_W, OUT_H },
				.color = { 0.1f, 0.12f, 0.2f, 1.0f },
				.blend = MOSAIC_BLEND_NONE,
			});
			for (int i = 0; i < n_windows; i++) {
				// A cascade that spans the output, every window overlapping others.
				int x = (i % 4) * 600 + (i / 4) * 120;
				int y = (i / 4) * 300 + (i % 4) * 60;
				mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = windows[i],
					.dst_box = { x, y, 1920, 1080 },
					.alpha = &alpha,
					.filter = MOSAIC_FILTER_LINEAR,
				});
			}
			cpu_total += bench_submit_and_wait(renderer, pass, t0);
			complete_total += bench_now_ns() - t0;
			if (timer != NULL) {
				int64_t ns = mosaic_render_timer_get_duration_ns(timer);
				if (ns >= 0) {
					gpu[n_gpu++] = (double)ns / 1e6;
				}
			}
		}
		cpu[run] = (double)cpu_total / frames / 1e6;
		complete[run] = (double)complete_total / frames / 1e6;
	}
	struct timings t = {
		.cpu_ms = bench_median(cpu, (size_t)runs),
		.complete_ms = bench_median(complete, (size_t)runs),
		.gpu_ms = n_gpu > 0 ? bench_median(gpu, n_gpu) : -1.0,
	};
	free(cpu);
	free(complete);
	free(gpu);
	return t;
}

static void print_timings(const char *what, const struct timings *t,
	const struct timings *base)
{
	printf("%-28s %8.2f ms CPU, %8.2f ms until complete", what, t->cpu_ms, t->complete_ms);
	if (t->gpu_ms >= 0.0) {
		printf(", %8.3f ms GPU", t->gpu_ms);
	} else {
		printf(", GPU time not measurable");
	}
	if (base != NULL) {
		printf("; %.1fx the clear-only frame (until complete)",
			t->complete_ms / base->complete_ms);
	}
	printf("\n");
	fflush(stdout);
}

/* One measurement with a new renderer; *vulkan_path: the Vulkan path used, or NULL. */
static struct timings measure(const struct bench_options *options, const char **vulkan_path)
{
	struct mosaic_renderer *renderer = bench_create_renderer(options);
	struct mosaic_render_timer *timer = mosaic_render_timer_create(renderer);

	struct mosaic_buffer *output = bench_create_target(renderer, options, OUT_W, OUT_H,
		DRM_FORMAT_XRGB8888);
	struct mosaic_texture *windows[N_WINDOWS];
	for (int i = 0; i < N_WINDOWS; i++) {
		struct mosaic_buffer *source = bench_create_buffer(1920, 1080,
			DRM_FORMAT_ARGB8888);
		bench_fill_buffer(source, (uint32_t)i * 1000u);
		windows[i] = mosaic_texture_from_buffer(renderer, source);
		mosaic_buffer_drop(source);
		if (windows[i] == NULL) {
			fprintf(stderr, "cannot make window textures\n");
			exit(1);
		}
	}

	// One frame per run: a software renderer takes a good part of a second for one.
	int frames = 1;
	draw(renderer, output, windows, N_WINDOWS, timer, 1, 1); // warm-up
	struct timings clear = draw(renderer, output, windows, 0, timer, frames, options->runs);
	print_timings("clear only (baseline):", &clear, NULL);
	struct timings full = draw(renderer, output, windows, N_WINDOWS, timer, frames,
		options->runs);
	print_timings("16 translucent windows:", &full, &clear);
	double mpix = (double)N_WINDOWS * 1920.0 * 1080.0 / 1e6;
	printf("composited %.1f Mpixel per frame: %.0f Mpixel/s until complete\n", mpix,
		mpix / (full.complete_ms / 1e3));
	*vulkan_path = NULL;
#if MOSAIC_HAS_VULKAN
	if (mosaic_renderer_is_vulkan(renderer)) {
		*vulkan_path = mosaic_vulkan_renderer_get_path(renderer);
		printf("vulkan path: %s\n", *vulkan_path);
	}
#endif

	for (int i = 0; i < N_WINDOWS; i++) {
		mosaic_texture_destroy(windows[i]);
	}
	mosaic_render_timer_destroy(timer);
	mosaic_buffer_drop(output);
	mosaic_renderer_destroy(renderer);
	return full;
}

int main(int argc, char *argv[])
{
	struct bench_options options;
	bench_parse_options(&options, argc, argv,
		"A 4K frame of 16 overlapping translucent 1080p windows. With the Vulkan renderer "
		"and MOSAIC_VK_PATH unset, measured through the graphics path and then the "
		"compute path.");
	const char *path;
	if (getenv("MOSAIC_VK_PATH") != NULL) {
		measure(&options, &path);
		return 0;
	}
	// The Vulkan renderer reads MOSAIC_VK_PATH when it is created; other backends ignore it.
	setenv("MOSAIC_VK_PATH", "graphics", 1);
	struct timings graphics = measure(&options, &path);
	if (path == NULL) {
		return 0;
	}
	printf("\n");
	setenv("MOSAIC_VK_PATH", "compute", 1);
	struct timings compute = measure(&options, &path);
	if (path == NULL || strcmp(path, "compute") != 0) {
		printf("the compute path is not available on this device (see the log)\n");
		return 0;
	}
	if (graphics.gpu_ms >= 0.0 && compute.gpu_ms >= 0.0) {
		printf("vulkan graphics vs compute (16 windows, median GPU time): %.3f ms vs "
			"%.3f ms, %.1fx\n", graphics.gpu_ms, compute.gpu_ms,
			graphics.gpu_ms / compute.gpu_ms);
	}
	printf("vulkan graphics vs compute (16 windows, median until complete): %.2f ms vs "
		"%.2f ms\n", graphics.complete_ms, compute.complete_ms);
	return 0;
}
