/*
 * bench-windows: 4K XRGB frames, each figure the median of --runs runs of one
 * frame, into a GPU buffer where the renderer has them (--target shm: shared
 * memory): CPU time from begin_pass until submit returns, time until the
 * frame is complete, and GPU time where the backend has timers. Scenes:
 *
 * - clear: the 4K output cleared, the baseline of the others;
 * - 16 windows: 16 overlapping translucent 1080p windows over a clear;
 * - fullscreen: one opaque 4K window covering the output (a fullscreen
 *   client), with Vulkan's copy fast path and without (MOSAIC_VK_COPY=0);
 * - 100 small windows: translucent 200x150 windows over a clear, for the
 *   CPU cost per draw (the compute path bins them on the CPU).
 *
 * With the Vulkan renderer (and MOSAIC_VK_PATH unset) everything is measured
 * on the graphics path, then the compute path, and compared with the
 * bandwidth floor: the bytes the frame must move (each visible source pixel
 * read once, each output pixel written once) at the device's own copy
 * bandwidth, measured here with vkCmdCopyBuffer. The 16 windows are also
 * drawn with a per-draw timer (mosaic_render_timer_options.per_draw).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include <mosaic/config.h>
#if MOSAIC_HAS_VULKAN
#include <mosaic/vulkan.h>
#include "bench_vulkan.h"
#endif

#include "bench_common.h"

#define OUT_W 3840
#define OUT_H 2160
#define N_WINDOWS 16
#define N_SMALL 100

enum scene_kind { SCENE_CLEAR, SCENE_WINDOWS, SCENE_FULLSCREEN, SCENE_SMALL, SCENE_COUNT };

static const char *const scene_names[SCENE_COUNT] = {
	"clear only", "16 translucent windows", "fullscreen opaque window",
	"100 small windows",
};

struct textures {
	struct mosaic_texture *windows[N_WINDOWS], *fullscreen, *small[N_SMALL];
};

struct timings {
	double cpu_ms, complete_ms, gpu_ms;
};

static struct mosaic_box window_box(int i)
{
	// A cascade that spans the output, every window overlapping others.
	return (struct mosaic_box){ (i % 4) * 600 + (i / 4) * 120, (i / 4) * 300 + (i % 4) * 60,
		1920, 1080 };
}

static struct mosaic_box small_box(int i)
{
	return (struct mosaic_box){ (i % 10) * 380 + 7, (i / 10) * 210 + 5, 200, 150 };
}

/* Pixels of `box` inside the output. */
static double visible(struct mosaic_box b)
{
	int x2 = b.x + b.width < OUT_W ? b.x + b.width : OUT_W;
	int y2 = b.y + b.height < OUT_H ? b.y + b.height : OUT_H;
	return x2 > b.x && y2 > b.y ? (double)(x2 - b.x) * (y2 - b.y) : 0.0;
}

/* Bytes a frame must move at least: every output pixel written, every visible texel read. */
static double floor_bytes(enum scene_kind scene)
{
	double bytes = 4.0 * OUT_W * OUT_H;
	for (int i = 0; scene == SCENE_WINDOWS && i < N_WINDOWS; i++) {
		bytes += 4.0 * visible(window_box(i));
	}
	for (int i = 0; scene == SCENE_SMALL && i < N_SMALL; i++) {
		bytes += 4.0 * visible(small_box(i));
	}
	return scene == SCENE_FULLSCREEN ? 2.0 * bytes : bytes;
}

static size_t scene_draws(enum scene_kind scene)
{
	return scene == SCENE_WINDOWS ? N_WINDOWS + 1 : scene == SCENE_SMALL ? N_SMALL + 1 : 1;
}

static void record(struct mosaic_pass *pass, enum scene_kind scene, const struct textures *t)
{
	const float alpha = 0.85f;
	if (scene != SCENE_FULLSCREEN) {
		mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, OUT_W, OUT_H },
			.color = { 0.1f, 0.12f, 0.2f, 1.0f },
			.blend = MOSAIC_BLEND_NONE,
		});
	}
	if (scene == SCENE_FULLSCREEN) {
		mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = t->fullscreen,
			.dst_box = { 0, 0, OUT_W, OUT_H },
		});
	}
	for (int i = 0; scene == SCENE_WINDOWS && i < N_WINDOWS; i++) {
		mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = t->windows[i],
			.dst_box = window_box(i),
			.alpha = &alpha,
		});
	}
	for (int i = 0; scene == SCENE_SMALL && i < N_SMALL; i++) {
		mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = t->small[i],
			.dst_box = small_box(i),
			.alpha = &alpha,
		});
	}
}

/*
 * Medians over `runs` frames. With a per-draw timer, draw_ms (scene_draws()
 * entries) gets each draw's median.
 */
static struct timings draw(struct mosaic_renderer *renderer, struct mosaic_buffer *output,
	enum scene_kind scene, const struct textures *t, struct mosaic_render_timer *timer,
	int runs, double *draw_ms, enum mosaic_draw_times *kind)
{
	size_t n_draws = scene_draws(scene);
	double *cpu = calloc((size_t)runs, sizeof(double));
	double *complete = calloc((size_t)runs, sizeof(double));
	double *gpu = calloc((size_t)runs, sizeof(double));
	double *per_draw = calloc((size_t)runs * n_draws, sizeof(double));
	int64_t *ns = calloc(n_draws, sizeof(*ns));
	if (cpu == NULL || complete == NULL || gpu == NULL || per_draw == NULL || ns == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	size_t n_gpu = 0, n_per_draw = 0;
	for (int run = 0; run < runs; run++) {
		uint64_t t0 = bench_now_ns();
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, output,
			&(struct mosaic_pass_options){ .timer = timer });
		if (pass == NULL) {
			exit(1);
		}
		record(pass, scene, t);
		cpu[run] = (double)bench_submit_and_wait(renderer, pass, t0) / 1e6;
		complete[run] = (double)(bench_now_ns() - t0) / 1e6;
		int64_t pass_ns = timer != NULL ? mosaic_render_timer_get_duration_ns(timer) : -1;
		if (pass_ns >= 0) {
			gpu[n_gpu++] = (double)pass_ns / 1e6;
		}
		if (draw_ms != NULL && timer != NULL && mosaic_render_timer_get_draw_times(timer,
				ns, n_draws, kind) == n_draws) {
			for (size_t i = 0; i < n_draws; i++) {
				per_draw[i * (size_t)runs + n_per_draw] = (double)ns[i] / 1e6;
			}
			n_per_draw++;
		}
	}
	for (size_t i = 0; draw_ms != NULL && i < n_draws; i++) {
		draw_ms[i] = n_per_draw > 0 ? bench_median(&per_draw[i * (size_t)runs], n_per_draw) :
			-1.0;
	}
	struct timings result = {
		.cpu_ms = bench_median(cpu, (size_t)runs),
		.complete_ms = bench_median(complete, (size_t)runs),
		.gpu_ms = n_gpu > 0 ? bench_median(gpu, n_gpu) : -1.0,
	};
	free(cpu);
	free(complete);
	free(gpu);
	free(per_draw);
	free(ns);
	return result;
}

/* GPU time where measured, else the time until complete. */
static double best_ms(const struct timings *t)
{
	return t->gpu_ms >= 0.0 ? t->gpu_ms : t->complete_ms;
}

static void print_timings(const char *what, const struct timings *t,
	const struct timings *base, double floor_ms)
{
	printf("%-34s %8.2f ms CPU, %8.2f ms until complete", what, t->cpu_ms, t->complete_ms);
	if (t->gpu_ms >= 0.0) {
		printf(", %8.3f ms GPU", t->gpu_ms);
	} else {
		printf(", GPU time not measurable");
	}
	if (base != NULL) {
		printf("; %.1fx the clear", best_ms(t) / best_ms(base));
	}
	if (floor_ms > 0.0) {
		printf("; %.1fx the floor (%.3f ms)", best_ms(t) / floor_ms, floor_ms);
	}
	printf("\n");
	fflush(stdout);
}

struct results {
	struct timings scene[SCENE_COUNT];
	struct timings fullscreen_no_copy;
	const char *vulkan_path;
};

static void make_textures(struct mosaic_renderer *renderer, struct textures *t)
{
	struct mosaic_buffer *source = bench_create_buffer(1920, 1080, DRM_FORMAT_ARGB8888);
	for (int i = 0; i < N_WINDOWS; i++) {
		bench_fill_buffer(source, (uint32_t)i * 1000u);
		t->windows[i] = mosaic_texture_from_buffer(renderer, source);
	}
	mosaic_buffer_drop(source);
	source = bench_create_buffer(OUT_W, OUT_H, DRM_FORMAT_XRGB8888);
	bench_fill_buffer(source, 77);
	t->fullscreen = mosaic_texture_from_buffer(renderer, source);
	mosaic_buffer_drop(source);
	source = bench_create_buffer(200, 150, DRM_FORMAT_ARGB8888);
	for (int i = 0; i < N_SMALL; i++) {
		bench_fill_buffer(source, (uint32_t)i * 31u);
		t->small[i] = mosaic_texture_from_buffer(renderer, source);
	}
	mosaic_buffer_drop(source);
	bool ok = t->fullscreen != NULL;
	for (int i = 0; i < N_WINDOWS; i++) {
		ok = ok && t->windows[i] != NULL;
	}
	for (int i = 0; i < N_SMALL; i++) {
		ok = ok && t->small[i] != NULL;
	}
	if (!ok) {
		fprintf(stderr, "cannot make window textures\n");
		exit(1);
	}
}

static void destroy_textures(struct textures *t)
{
	for (int i = 0; i < N_WINDOWS; i++) {
		mosaic_texture_destroy(t->windows[i]);
	}
	for (int i = 0; i < N_SMALL; i++) {
		mosaic_texture_destroy(t->small[i]);
	}
	mosaic_texture_destroy(t->fullscreen);
}

static void print_per_draw(struct mosaic_renderer *renderer, struct mosaic_buffer *output,
	const struct textures *t, const struct bench_options *options, const struct timings *plain)
{
	struct mosaic_render_timer *timer = mosaic_render_timer_create_with_options(renderer,
		&(struct mosaic_render_timer_options){ .per_draw = true });
	double draw_ms[N_WINDOWS + 1];
	enum mosaic_draw_times kind = MOSAIC_DRAW_TIMES_UNSUPPORTED;
	struct timings timed = draw(renderer, output, SCENE_WINDOWS, t, timer, options->runs,
		draw_ms, &kind);
	mosaic_render_timer_destroy(timer);
	if (kind == MOSAIC_DRAW_TIMES_UNSUPPORTED) {
		printf("per-draw GPU times: not measurable with this renderer\n");
		return;
	}
	printf("per-draw GPU times (%s), 16 windows, median ms:",
		kind == MOSAIC_DRAW_TIMES_GPU ? "timestamps" : "estimate from the dispatch");
	for (int i = 0; i <= N_WINDOWS; i++) {
		printf(" %s%.3f", i == 0 ? "clear " : "", draw_ms[i]);
	}
	printf("\n");
	if (timed.gpu_ms >= 0.0 && plain->gpu_ms >= 0.0) {
		printf("per-draw timer cost: %.3f ms GPU vs %.3f ms without, %.2fx\n", timed.gpu_ms,
			plain->gpu_ms, timed.gpu_ms / plain->gpu_ms);
	}
}

/* One measurement of every scene with a new renderer. */
static struct results measure(const struct bench_options *options, double bandwidth_gb_s)
{
	struct results res = {0};
	struct mosaic_renderer *renderer = bench_create_renderer(options);
	struct mosaic_render_timer *timer = mosaic_render_timer_create(renderer);
	struct mosaic_buffer *output = bench_create_target(renderer, options, OUT_W, OUT_H,
		DRM_FORMAT_XRGB8888);
	struct textures t;
	make_textures(renderer, &t);
	int runs = options->runs;
	bool vulkan = false;
#if MOSAIC_HAS_VULKAN
	vulkan = mosaic_renderer_is_vulkan(renderer);
#endif
	for (int s = 0; s < SCENE_COUNT; s++) {
		draw(renderer, output, (enum scene_kind)s, &t, timer, 1, NULL, NULL); // warm-up
	}
	for (int s = 0; s < SCENE_COUNT; s++) {
		double floor_ms = bandwidth_gb_s > 0.0 ?
			floor_bytes((enum scene_kind)s) / (bandwidth_gb_s * 1e9) * 1e3 : -1.0;
		res.scene[s] = draw(renderer, output, (enum scene_kind)s, &t, timer, runs, NULL,
			NULL);
		print_timings(scene_names[s], &res.scene[s], s == SCENE_CLEAR ? NULL :
			&res.scene[SCENE_CLEAR], floor_ms);
		if (s == SCENE_FULLSCREEN && vulkan) {
			// The same frame drawn as a shaded quad (Vulkan's copy fast path off).
			setenv("MOSAIC_VK_COPY", "0", 1);
			res.fullscreen_no_copy = draw(renderer, output, SCENE_FULLSCREEN, &t, timer,
				runs, NULL, NULL);
			unsetenv("MOSAIC_VK_COPY");
			print_timings("  same, MOSAIC_VK_COPY=0", &res.fullscreen_no_copy,
				&res.scene[SCENE_CLEAR], floor_ms);
		}
		if (s == SCENE_SMALL) {
			const struct timings *clear = &res.scene[SCENE_CLEAR];
			printf("  CPU per draw: %.2f us (%.2f us more than the clear-only frame's "
				"draw)%s\n", res.scene[s].cpu_ms * 1e3 / (N_SMALL + 1),
				(res.scene[s].cpu_ms - clear->cpu_ms) * 1e3 / N_SMALL,
				options->shm_target ? "; a CPU target's submit waits for the GPU: "
				"this includes the GPU time" : "");
		}
	}
	print_per_draw(renderer, output, &t, options, &res.scene[SCENE_WINDOWS]);
#if MOSAIC_HAS_VULKAN
	if (mosaic_renderer_is_vulkan(renderer)) {
		res.vulkan_path = mosaic_vulkan_renderer_get_path(renderer);
		printf("vulkan path: %s\n", res.vulkan_path);
	}
#endif
	destroy_textures(&t);
	mosaic_render_timer_destroy(timer);
	mosaic_buffer_drop(output);
	mosaic_renderer_destroy(renderer);
	return res;
}

/* The device copy bandwidth in GB/s, or < 0 (not Vulkan). */
static double measure_bandwidth(const struct bench_options *options)
{
	double gb_s = -1.0;
#if MOSAIC_HAS_VULKAN
	struct mosaic_renderer *renderer = bench_create_renderer(options);
	if (mosaic_renderer_is_vulkan(renderer)) {
		size_t bytes = (size_t)(options->quick ? 64 : 256) << 20;
		gb_s = bench_vulkan_copy_bandwidth(renderer, bytes, options->runs);
		if (gb_s > 0.0) {
			printf("device copy bandwidth (vkCmdCopyBuffer of %zu MiB, read + write): "
				"%.1f GB/s\n", bytes >> 20, gb_s);
		}
	}
	mosaic_renderer_destroy(renderer);
#else
	(void)options;
#endif
	return gb_s;
}

static void compare(const char *what, const struct timings *g, const struct timings *c)
{
	printf("graphics vs compute, %-26s %.3f ms vs %.3f ms (%s), %.2fx\n", what, best_ms(g),
		best_ms(c), g->gpu_ms >= 0.0 && c->gpu_ms >= 0.0 ? "GPU" : "until complete",
		best_ms(g) / best_ms(c));
}

int main(int argc, char *argv[])
{
	struct bench_options options;
	bench_parse_options(&options, argc, argv,
		"4K frames: a clear, 16 translucent 1080p windows, a fullscreen opaque window "
		"(with and without the copy fast path), 100 small windows. With the Vulkan "
		"renderer and MOSAIC_VK_PATH unset, the graphics path, then the compute path, "
		"against the bandwidth floor.");
	double bandwidth = measure_bandwidth(&options);
	if (getenv("MOSAIC_VK_PATH") != NULL) {
		measure(&options, bandwidth);
		return 0;
	}
	// The Vulkan renderer reads MOSAIC_VK_PATH when it is created; other backends ignore it.
	setenv("MOSAIC_VK_PATH", "graphics", 1);
	struct results graphics = measure(&options, bandwidth);
	if (graphics.vulkan_path == NULL) {
		return 0;
	}
	printf("\n");
	setenv("MOSAIC_VK_PATH", "compute", 1);
	struct results compute = measure(&options, bandwidth);
	if (compute.vulkan_path == NULL || strcmp(compute.vulkan_path, "compute") != 0) {
		printf("the compute path is not available on this device (see the log)\n");
		return 0;
	}
	printf("\n");
	for (int s = 0; s < SCENE_COUNT; s++) {
		compare(scene_names[s], &graphics.scene[s], &compute.scene[s]);
	}
	compare("fullscreen, no copy path", &graphics.fullscreen_no_copy,
		&compute.fullscreen_no_copy);
	const struct results *r[2] = { &graphics, &compute };
	for (int i = 0; i < 2; i++) {
		printf("%s path, fullscreen window: copy %.3f ms vs quad %.3f ms, %.2fx\n",
			i == 0 ? "graphics" : "compute", best_ms(&r[i]->scene[SCENE_FULLSCREEN]),
			best_ms(&r[i]->fullscreen_no_copy),
			best_ms(&r[i]->fullscreen_no_copy) / best_ms(&r[i]->scene[SCENE_FULLSCREEN]));
	}
	return 0;
}
