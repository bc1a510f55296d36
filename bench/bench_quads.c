/*
 * bench-quads: CPU cost of recording and submitting a frame of 1, 10, 100
 * and 1000 textured quads (64x64, translucent, spread over a 1080p output).
 * The baseline is an empty pass (begin + submit) in the same run: "per
 * quad" is what each quad adds to it. The output is a GPU buffer of the
 * renderer's allocator where it has one (--target shm: a shm buffer). The
 * CPU time runs from begin_pass until submit returns: for pixman the whole
 * drawing; for GPU backends with a GPU target command recording and
 * submission (with a shm target it includes the wait and the copy-back).
 * "complete" adds the wait for the GPU.
 */
#include <stdio.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include "bench_common.h"

#define OUT_W 1920
#define OUT_H 1080

/* Returns the median CPU ns until submit returned; *complete_ns the median until done. */
static double frame_ns(struct mosaic_renderer *renderer, struct mosaic_buffer *output,
	struct mosaic_texture *texture, int n_quads, int frames, int runs, double *complete_ns)
{
	double *cpu = calloc((size_t)runs, sizeof(double));
	double *complete = calloc((size_t)runs, sizeof(double));
	const float alpha = 0.8f;
	for (int run = 0; run < runs; run++) {
		uint64_t cpu_total = 0, complete_total = 0;
		for (int f = 0; f < frames; f++) {
			uint64_t t0 = bench_now_ns();
			struct mosaic_pass *pass =
				mosaic_renderer_begin_pass(renderer, output, NULL);
			if (pass == NULL) {
				exit(1);
			}
			for (int i = 0; i < n_quads; i++) {
				int x = (i * 61) % (OUT_W - 64), y = (i * 37) % (OUT_H - 64);
				mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = texture,
					.src_box = { (i % 4) * 64, (i / 4 % 4) * 64, 64, 64 },
					.dst_box = { x, y, 64, 64 },
					.alpha = &alpha,
					.filter = MOSAIC_FILTER_NEAREST,
				});
			}
			cpu_total += bench_submit_and_wait(renderer, pass, t0);
			complete_total += bench_now_ns() - t0;
		}
		cpu[run] = (double)cpu_total / frames;
		complete[run] = (double)complete_total / frames;
	}
	double result = bench_median(cpu, (size_t)runs);
	*complete_ns = bench_median(complete, (size_t)runs);
	free(cpu);
	free(complete);
	return result;
}

int main(int argc, char *argv[])
{
	struct bench_options options;
	bench_parse_options(&options, argc, argv,
		"CPU time to record and submit frames of 1 to 1000 textured quads.");
	struct mosaic_renderer *renderer = bench_create_renderer(&options);

	struct mosaic_buffer *source = bench_create_buffer(256, 256, DRM_FORMAT_ARGB8888);
	bench_fill_buffer(source, 7);
	struct mosaic_texture *texture = mosaic_texture_from_buffer(renderer, source);
	struct mosaic_buffer *output = bench_create_target(renderer, &options, OUT_W, OUT_H,
		DRM_FORMAT_XRGB8888);
	if (texture == NULL) {
		exit(1);
	}

	int frames = options.quick ? 3 : 10;
	// Warm up: first frames create pipelines and caches.
	double ignored;
	frame_ns(renderer, output, texture, 10, 2, 1, &ignored);

	double empty_complete;
	double empty = frame_ns(renderer, output, texture, 0, frames * 4, options.runs,
		&empty_complete);
	printf("empty pass (baseline): %9.1f us CPU, %9.1f us until complete\n",
		empty / 1e3, empty_complete / 1e3);
	static const int counts[] = { 1, 10, 100, 1000 };
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		int n = counts[c];
		// Fewer frames for the big ones keep the run short on slow renderers.
		int f = n >= 1000 ? (frames + 2) / 3 : frames;
		double complete;
		double cpu = frame_ns(renderer, output, texture, n, f, options.runs, &complete);
		printf("%4d quads: %9.1f us CPU (%.2f us per quad, %5.1fx the empty pass), "
			"%9.1f us until complete (%.2f us per quad)\n", n, cpu / 1e3,
			(cpu - empty) / 1e3 / n, cpu / empty, complete / 1e3,
			(complete - empty_complete) / 1e3 / n);
		fflush(stdout);
	}

	mosaic_texture_destroy(texture);
	mosaic_buffer_drop(output);
	mosaic_buffer_drop(source);
	mosaic_renderer_destroy(renderer);
	return 0;
}
