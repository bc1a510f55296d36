/*
 * bench-upload: how fast real wl_shm client buffers reach a texture. A client
 * in the same process (over a socketpair) makes its buffer in a memfd pool of
 * mosaic's wl_shm global (mosaic_wl_shm_create()); the compositor side
 * updates a texture from it with mosaic_texture_update_from_buffer() and
 * draws the texture in a small pass, waiting for it: a whole frame and a
 * partial one, at 1080p and 4K. The baseline is memcpy of the same bytes out
 * of the same pool, in the same run: the ratio says how close an upload
 * comes to a plain copy.
 *
 * Per figure:
 * - MB/s: damage bytes over the time until the frame that carries them is
 *   complete (update, pass, wait);
 * - CPU ms/frame: the compositor thread's CPU time per frame, and the whole
 *   process's (on a software Vulkan or GLES device, the driver threads that
 *   do the "GPU" copy count there);
 * - GPU MB/s: the renderer's own count of bytes over submission-to-completion
 *   time (mosaic_renderer_get_upload_stats()), where it keeps one.
 *
 * The Vulkan renderer runs twice where it can import host memory: with the
 * import and without it (MOSAIC_VK_NO_HOST_IMPORT=1, a second renderer made
 * in the same run), so that the two are measured under the same load.
 * --no-host-import measures only the latter.
 *
 * On the GPU machine bench/gpu-machine.sh runs it for each renderer (the
 * build tree and the loader packages carried there; see that script).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "bench_common.h"
#include "wl_pair.h"

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

static uint64_t cpu_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The client's buffer: a memfd pool of one buffer, and the compositor's mosaic buffer of it. */
struct client_buffer {
	struct wl_pair pair;
	int fd;
	uint8_t *pixels;
	size_t size;
	struct mosaic_buffer *buffer;
};

static void client_buffer_init(struct client_buffer *cb, struct mosaic_renderer *renderer,
	int width, int height)
{
	uint32_t stride = (uint32_t)width * 4;
	cb->size = (size_t)stride * (size_t)height;
	if (!wl_pair_init(&cb->pair, renderer)) {
		fprintf(stderr, "cannot set up the wl_shm client and server\n");
		exit(1);
	}
	cb->fd = memfd_create("bench-upload", MFD_CLOEXEC);
	if (cb->fd < 0 || ftruncate(cb->fd, (off_t)cb->size) != 0) {
		perror("memfd");
		exit(1);
	}
	cb->pixels = mmap(NULL, cb->size, PROT_READ | PROT_WRITE, MAP_SHARED, cb->fd, 0);
	if (cb->pixels == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (size_t i = 0; i < cb->size / 4; i++) {
		((uint32_t *)cb->pixels)[i] = 0xff000000u | (uint32_t)(i * 2654435761u >> 8);
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(cb->pair.shm, cb->fd, (int32_t)cb->size);
	struct wl_buffer *proxy = wl_shm_pool_create_buffer(pool, 0, width, height,
		(int32_t)stride, WL_SHM_FORMAT_ARGB8888);
	wl_shm_pool_destroy(pool);
	if (!wl_pair_roundtrip(&cb->pair)) {
		fprintf(stderr, "the wl_shm buffer was refused\n");
		exit(1);
	}
	cb->buffer = mosaic_wl_buffer_from_resource(wl_pair_resource(&cb->pair, proxy));
	if (cb->buffer == NULL) {
		exit(1);
	}
	mosaic_buffer_lock(cb->buffer);
}

static void client_buffer_finish(struct client_buffer *cb)
{
	mosaic_buffer_unlock(cb->buffer);
	wl_pair_finish(&cb->pair);
	munmap(cb->pixels, cb->size);
	close(cb->fd);
}

struct figures {
	double *drawn, *update, *thread_ms, *process_ms, *gpu, *copy;
};

static void measure(struct mosaic_renderer *renderer, const char *mode,
	const struct bench_options *options, int width, int height, bool full)
{
	struct client_buffer cb;
	client_buffer_init(&cb, renderer, width, height);
	struct mosaic_texture *texture = mosaic_texture_from_buffer(renderer, cb.buffer);
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
	uint8_t *copy = malloc(cb.size);
	if (copy == NULL) {
		exit(1);
	}
	// Untimed: every page of both sides is resident before the first run.
	memcpy(copy, cb.pixels, cb.size);

	int iterations = (int)((options->quick ? 100e6 : 400e6) / (double)bytes);
	iterations = iterations < 2 ? 2 : (iterations > 200 ? 200 : iterations);
	size_t runs = (size_t)options->runs;
	struct figures f = {
		calloc(runs, sizeof(double)), calloc(runs, sizeof(double)),
		calloc(runs, sizeof(double)), calloc(runs, sizeof(double)),
		calloc(runs, sizeof(double)), calloc(runs, sizeof(double)),
	};
	size_t n_gpu = 0;
	// Baseline and upload alternate within each run, so that load from other
	// processes during the run affects both alike.
	for (size_t run = 0; run < runs; run++) {
		uint64_t t0 = bench_now_ns();
		for (int i = 0; i < iterations; i++) {
			if (full) {
				memcpy(copy, cb.pixels, cb.size);
			} else {
				copy_region(copy, cb.pixels, (uint32_t)width * 4, &damage);
			}
		}
		uint64_t copy_ns = bench_now_ns() - t0;
		f.copy[run] = (double)bytes * iterations / 1e6 / ((double)copy_ns / 1e9);

		struct mosaic_upload_stats s0, s1;
		bool counted = mosaic_renderer_get_upload_stats(renderer, &s0);
		uint64_t update_ns = 0;
		uint64_t thread0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
		uint64_t process0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
		t0 = bench_now_ns();
		for (int i = 0; i < iterations; i++) {
			uint64_t u0 = bench_now_ns();
			if (!mosaic_texture_update_from_buffer(texture, cb.buffer, &damage)) {
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
		f.thread_ms[run] = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - thread0) / 1e6 /
			iterations;
		f.process_ms[run] = (double)(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - process0) / 1e6 /
			iterations;
		f.update[run] = (double)bytes * iterations / 1e6 / ((double)update_ns / 1e9);
		f.drawn[run] = (double)bytes * iterations / 1e6 / ((double)drawn_ns / 1e9);
		if (counted && mosaic_renderer_get_upload_stats(renderer, &s1) &&
				s1.gpu_completed_ns > s0.gpu_completed_ns) {
			f.gpu[n_gpu++] = (double)(s1.gpu_completed_bytes - s0.gpu_completed_bytes) /
				1e6 / ((double)(s1.gpu_completed_ns - s0.gpu_completed_ns) / 1e9);
		}
	}
	// Keep the copies from being optimized away.
	if (copy[cb.size / 2] == 0x5a && copy[cb.size / 3] == 0xa5) {
		printf(" ");
	}

	double drawn = bench_median(f.drawn, runs);
	double memcpy_rate = bench_median(f.copy, runs);
	char gpu[32] = "n/a";
	if (n_gpu > 0) {
		snprintf(gpu, sizeof(gpu), "%.1f", bench_median(f.gpu, n_gpu));
	}
	printf("%4dx%-4d %-7s %6.2f MB/frame x %3d, %-11s: %8.1f MB/s (%.2f of memcpy), "
		"CPU %7.3f ms/frame (thread) %7.3f (process), update call %8.1f MB/s, "
		"GPU %s MB/s; memcpy %8.1f MB/s\n",
		width, height, full ? "full" : "partial", (double)bytes / 1e6, iterations, mode,
		drawn, drawn / memcpy_rate, bench_median(f.thread_ms, runs),
		bench_median(f.process_ms, runs), bench_median(f.update, runs), gpu, memcpy_rate);
	fflush(stdout);

	free(f.drawn);
	free(f.update);
	free(f.thread_ms);
	free(f.process_ms);
	free(f.gpu);
	free(f.copy);
	free(copy);
	pixman_region32_fini(&damage);
	mosaic_texture_destroy(texture);
	mosaic_buffer_drop(output);
	client_buffer_finish(&cb);
}

static const char *mode_name(struct mosaic_renderer *renderer)
{
	if (mosaic_renderer_get_features(renderer) & MOSAIC_FEATURE_HOST_POINTER_IMPORT) {
		return "host-import";
	}
	return mosaic_renderer_get_backend(renderer) == MOSAIC_BACKEND_VULKAN ? "staging" : "copy";
}

int main(int argc, char *argv[])
{
	// Our own option first: bench_parse_options() knows only the common ones.
	bool no_host_import = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-host-import") == 0) {
			no_host_import = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--;
			break;
		}
	}
	struct bench_options options;
	bench_parse_options(&options, argc, argv,
		"Upload rate of wl_shm client buffers into textures, against memcpy of the same "
		"bytes (--no-host-import: Vulkan without host-memory import).");
	if (no_host_import) {
		setenv("MOSAIC_VK_NO_HOST_IMPORT", "1", 1);
	}
	struct mosaic_renderer *renderers[2] = { bench_create_renderer(&options), NULL };
	if (!no_host_import && (mosaic_renderer_get_features(renderers[0]) &
			MOSAIC_FEATURE_HOST_POINTER_IMPORT)) {
		// The same device without the import, for the comparison.
		setenv("MOSAIC_VK_NO_HOST_IMPORT", "1", 1);
		printf("and the same without host-memory import (MOSAIC_VK_NO_HOST_IMPORT=1):\n");
		renderers[1] = bench_create_renderer(&options);
		unsetenv("MOSAIC_VK_NO_HOST_IMPORT");
	}
	static const int sizes[][2] = { { 1920, 1080 }, { 3840, 2160 } };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int full = 1; full >= 0; full--) {
			for (int i = 0; i < 2 && renderers[i] != NULL; i++) {
				measure(renderers[i], mode_name(renderers[i]), &options, sizes[s][0],
					sizes[s][1], full);
			}
		}
	}
	mosaic_renderer_destroy(renderers[1]);
	mosaic_renderer_destroy(renderers[0]);
	return 0;
}
