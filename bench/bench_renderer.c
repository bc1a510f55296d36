/*
 * mosaic-bench: the numbers every backend reports side by side.
 *
 *   mosaic-bench [--renderer auto|pixman|vulkan|gles] [--quick]
 *
 * 1. shm upload: full-frame (1920x1080 ARGB8888) texture updates in MB/s,
 *    with a memcpy of the same bytes in the same run for scale. The last
 *    update is followed by a 1x1 read so queued uploads are counted.
 * 2. CPU cost per quad at 1, 10, 100 and 1000 textured quads: the time spent
 *    recording (add_texture) and the whole frame (begin, adds, submit, wait)
 *    minus the empty frame, divided by the quads. 256x256 target.
 * 3. The 4K scene: a 3840x2160 XRGB8888 target, a background and 16
 *    960x540 windows (half of them translucent): GPU time from
 *    mosaic_render_timer where the backend has it, and CPU wall time per frame.
 * Uses the public API only.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <drm_fourcc.h>

#include <mosaic/mosaic.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fill(uint32_t *px, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		px[i] = seed | 0xff000000u;
	}
}

static void bench_upload(struct mosaic_renderer *r, int iterations)
{
	const int w = 1920, h = 1080;
	size_t bytes = (size_t)w * h * 4;
	uint32_t *src = malloc(bytes), *copy = malloc(bytes);
	fill(src, (size_t)w * h, 1);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, DRM_FORMAT_ARGB8888, w * 4, w,
		h, src);
	struct mosaic_buffer *buffer = mosaic_buffer_from_data(w, h, DRM_FORMAT_ARGB8888, w * 4,
		src);
	if (tex == NULL || buffer == NULL) {
		printf("upload: cannot create a %dx%d texture\n", w, h);
		goto out;
	}
	uint32_t px;
	struct mosaic_read_pixels_options one = {
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 4, .data = &px, .src_box = { 0, 0, 1, 1 },
	};
	// Warm-up: first-use allocations are not what is measured.
	mosaic_texture_update_from_buffer(tex, buffer, NULL);
	mosaic_texture_read_pixels(tex, &one);

	double t0 = now_s();
	for (int i = 0; i < iterations; i++) {
		src[i] ^= 1;
		mosaic_texture_update_from_buffer(tex, buffer, NULL);
	}
	mosaic_texture_read_pixels(tex, &one);
	double upload = now_s() - t0;

	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 100, 100, 256, 256);
	t0 = now_s();
	for (int i = 0; i < iterations * 10; i++) {
		mosaic_texture_update_from_buffer(tex, buffer, &damage);
	}
	mosaic_texture_read_pixels(tex, &one);
	double damaged = now_s() - t0;
	pixman_region32_fini(&damage);

	t0 = now_s();
	for (int i = 0; i < iterations; i++) {
		src[i] ^= 1;
		memcpy(copy, src, bytes);
	}
	double mc = now_s() - t0;
	printf("upload 1920x1080 ARGB8888: %.0f MB/s full frame (%.2f ms each), "
		"%.0f MB/s 256x256 damage, memcpy %.0f MB/s\n",
		bytes * iterations / upload / 1e6, upload / iterations * 1e3,
		256.0 * 256 * 4 * iterations * 10 / damaged / 1e6, bytes * iterations / mc / 1e6);
out:
	mosaic_buffer_drop(buffer);
	mosaic_texture_destroy(tex);
	free(src);
	free(copy);
}

/* One frame of `n` quads; returns its wall time, adds the recording time to *record. */
static double quad_frame(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_texture *tex, int n, double *record)
{
	double t0 = now_s();
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	if (pass == NULL) {
		return -1;
	}
	double t1 = now_s();
	float alpha = 0.5f;
	for (int i = 0; i < n; i++) {
		mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex,
			.dst_box = { (i * 7) % 240, (i * 13) % 240, 16, 16 },
			.alpha = (i & 1) ? &alpha : NULL,
		});
	}
	*record += now_s() - t1;
	struct mosaic_pass_completion done;
	if (!mosaic_pass_submit(pass, &done)) {
		return -1;
	}
	mosaic_renderer_wait_point(r, done.point, -1);
	return now_s() - t0;
}

static void bench_quads(struct mosaic_renderer *r, int frames)
{
	uint32_t *pixels = calloc(256 * 256, 4);
	uint32_t texels[16 * 16];
	fill(texels, 16 * 16, 2);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, DRM_FORMAT_ARGB8888, 64, 16,
		16, texels);
	struct mosaic_buffer *target = mosaic_buffer_from_data(256, 256, DRM_FORMAT_XRGB8888,
		1024, pixels);
	double rec = 0, empty = 0;
	// Warm-up: shaders are compiled lazily by some drivers on first use.
	quad_frame(r, target, tex, 1000, &rec);
	quad_frame(r, target, tex, 1, &rec);
	for (int f = 0; f < frames; f++) {
		empty += quad_frame(r, target, tex, 0, &rec);
	}
	empty /= frames;
	static const int counts[] = { 1, 10, 100, 1000 };
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		double total = 0;
		rec = 0;
		for (int f = 0; f < frames; f++) {
			total += quad_frame(r, target, tex, counts[c], &rec);
		}
		total /= frames;
		rec /= frames;
		printf("quads %4d: record %.3f us/quad, frame %.1f us (%.3f us/quad over the "
			"%.1f us empty frame)\n", counts[c], rec / counts[c] * 1e6, total * 1e6,
			(total - empty) / counts[c] * 1e6, empty * 1e6);
	}
	mosaic_buffer_drop(target);
	mosaic_texture_destroy(tex);
	free(pixels);
}

static void bench_4k(struct mosaic_renderer *r, int frames)
{
	const int w = 3840, h = 2160, ww = 960, wh = 540;
	uint32_t *pixels = calloc((size_t)w * h, 4);
	struct mosaic_buffer *target = mosaic_buffer_from_data(w, h, DRM_FORMAT_XRGB8888, w * 4,
		pixels);
	uint32_t *win = malloc((size_t)ww * wh * 4);
	struct mosaic_texture *windows[16];
	for (int i = 0; i < 16; i++) {
		fill(win, (size_t)ww * wh, (uint32_t)i + 10);
		windows[i] = mosaic_texture_from_pixels(r, DRM_FORMAT_ARGB8888, ww * 4, ww, wh, win);
	}
	struct mosaic_render_timer *timer = mosaic_render_timer_create(r);
	double wall = 0, gpu = 0;
	int gpu_frames = 0;
	for (int f = 0; f < frames + 1; f++) {
		double t0 = now_s();
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target,
			&(struct mosaic_pass_options){ .timer = timer });
		if (pass == NULL) {
			printf("4k: cannot begin a pass\n");
			break;
		}
		mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, w, h }, .color = { 0.1f, 0.1f, 0.15f, 1 },
		});
		float alpha = 0.8f;
		for (int i = 0; i < 16; i++) {
			// A 4x4 grid, every window shifted so neighbours overlap.
			mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
				.texture = windows[i],
				.dst_box = { (i % 4) * 900 + 40 + f % 7, (i / 4) * 500 + 40, ww, wh },
				.alpha = (i & 1) ? &alpha : NULL,
			});
		}
		struct mosaic_pass_completion done;
		mosaic_pass_submit(pass, &done);
		mosaic_renderer_wait_point(r, done.point, -1);
		double t = now_s() - t0;
		int64_t ns = timer != NULL ? mosaic_render_timer_get_duration_ns(timer) : -1;
		if (f == 0) {
			continue; // warm-up
		}
		wall += t;
		if (ns >= 0) {
			gpu += (double)ns * 1e-9;
			gpu_frames++;
		}
	}
	printf("4k scene (16 windows, XRGB8888 CPU-memory target): %.2f ms wall per frame",
		wall / frames * 1e3);
	if (gpu_frames > 0) {
		printf(", GPU %.2f ms per frame\n", gpu / gpu_frames * 1e3);
	} else {
		printf(", no GPU timer on this renderer\n");
	}
	mosaic_render_timer_destroy(timer);
	for (int i = 0; i < 16; i++) {
		mosaic_texture_destroy(windows[i]);
	}
	mosaic_buffer_drop(target);
	free(win);
	free(pixels);
}

int main(int argc, char **argv)
{
	enum mosaic_backend backend = MOSAIC_BACKEND_AUTO;
	bool quick = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--renderer") == 0 && i + 1 < argc) {
			if (!mosaic_backend_from_name(argv[++i], &backend)) {
				fprintf(stderr, "unknown renderer %s\n", argv[i]);
				return 1;
			}
		} else if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
		} else {
			fprintf(stderr, "usage: %s [--renderer auto|pixman|vulkan|gles] [--quick]\n",
				argv[0]);
			return 1;
		}
	}
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = backend,
	});
	if (r == NULL) {
		return 77;
	}
	printf("renderer %s on %s (features 0x%llx)\n",
		mosaic_backend_name(mosaic_renderer_get_backend(r)),
		mosaic_renderer_get_device_name(r),
		(unsigned long long)mosaic_renderer_get_features(r));
	bench_upload(r, quick ? 5 : 30);
	bench_quads(r, quick ? 5 : 50);
	bench_4k(r, quick ? 2 : 10);
	mosaic_renderer_destroy(r);
	return 0;
}
