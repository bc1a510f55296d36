/*
 * gles-perf: a small timing tool for the GLES backend (not a test, not run by
 * meson test). It renders bench-quads' frame (N translucent 64x64 quads of a
 * 256x256 texture on 1920x1080 XRGB8888) into a GPU-allocator buffer or a
 * shm-like memory buffer, or times full and partial texture uploads, and
 * prints the mean CPU time per frame. Under callgrind, collect only the
 * recording and submission:
 *   valgrind --tool=callgrind --toggle-collect='mosaic_pass_*' \
 *     --toggle-collect='mosaic_renderer_begin_pass' gles-perf quads gpu 100 20
 *
 * Usage: gles-perf quads gpu|mem N_QUADS FRAMES
 *        gles-perf upload WIDTH HEIGHT FRAMES
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <drm_fourcc.h>

#include <mosaic/mosaic.h>

#define OUT_W 1920
#define OUT_H 1080

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "gles-perf: %s\n", what);
	exit(1);
}

static struct mosaic_texture *make_texture(struct mosaic_renderer *r, int w, int h,
	uint32_t **pixels_out)
{
	uint32_t *pixels = malloc((size_t)w * h * 4);
	for (int i = 0; i < w * h; i++) {
		uint32_t a = (uint32_t)(i * 7) & 0xff;
		uint32_t c = a / 2;
		pixels[i] = a << 24 | c << 16 | (c / 2) << 8 | c / 3;
	}
	struct mosaic_texture *t = mosaic_texture_from_pixels(r, w, h, DRM_FORMAT_ARGB8888,
		(uint32_t)w * 4, pixels);
	if (t == NULL) {
		die("no texture");
	}
	if (pixels_out != NULL) {
		*pixels_out = pixels;
	} else {
		free(pixels);
	}
	return t;
}

static double frame(struct mosaic_renderer *r, struct mosaic_buffer *out,
	struct mosaic_texture *tex, int n)
{
	const float alpha = 0.8f;
	uint64_t t0 = now_ns();
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, out, NULL);
	if (pass == NULL) {
		die("no pass");
	}
	for (int i = 0; i < n; i++) {
		int x = (i * 61) % (OUT_W - 64), y = (i * 37) % (OUT_H - 64);
		mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex,
			.src_box = { (i % 4) * 64, (i / 4 % 4) * 64, 64, 64 },
			.dst_box = { x, y, 64, 64 },
			.alpha = &alpha,
			.filter = MOSAIC_FILTER_NEAREST,
		});
	}
	struct mosaic_pass_completion done;
	if (!mosaic_pass_submit(pass, &done)) {
		die("submit failed");
	}
	uint64_t t1 = now_ns();
	mosaic_renderer_wait_point(r, done.point, -1);
	return (double)(t1 - t0);
}

static int quads(struct mosaic_renderer *r, const char *target, int n, int frames)
{
	struct mosaic_allocator *alloc = NULL;
	struct mosaic_buffer *out;
	void *mem = NULL;
	if (strcmp(target, "gpu") == 0) {
		alloc = mosaic_renderer_create_gpu_allocator(r);
		if (alloc == NULL) {
			die("no GPU allocator");
		}
		out = mosaic_allocator_create_buffer(alloc, OUT_W, OUT_H, DRM_FORMAT_XRGB8888,
			NULL, 0);
	} else {
		mem = calloc(OUT_H, OUT_W * 4);
		out = mosaic_buffer_from_data(OUT_W, OUT_H, DRM_FORMAT_XRGB8888, OUT_W * 4, mem);
	}
	if (out == NULL) {
		die("no output buffer");
	}
	struct mosaic_texture *tex = make_texture(r, 256, 256, NULL);
	frame(r, out, tex, 10);
	double total = 0;
	for (int f = 0; f < frames; f++) {
		total += frame(r, out, tex, n);
	}
	printf("%s target, %4d quads: %9.1f us CPU per frame\n", target, n,
		total / frames / 1e3);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(out);
	mosaic_allocator_destroy(alloc);
	free(mem);
	return 0;
}

static int upload(struct mosaic_renderer *r, int w, int h, int frames)
{
	uint32_t *pixels;
	struct mosaic_texture *tex = make_texture(r, w, h, &pixels);
	struct mosaic_buffer *src = mosaic_buffer_from_data(w, h, DRM_FORMAT_ARGB8888,
		(uint32_t)w * 4, pixels);
	uint32_t *copy = malloc((size_t)w * h * 4);
	const struct {
		const char *name;
		int x, y, w, h;
	} cases[] = {
		{ "full", 0, 0, w, h },
		{ "quarter", w / 4, h / 4, w / 2, h / 2 },
		{ "256x256", 10, 10, 256, 256 },
		{ "64x64", 10, 10, 64, 64 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		pixman_region32_t damage;
		pixman_region32_init_rect(&damage, cases[c].x, cases[c].y,
			(unsigned)cases[c].w, (unsigned)cases[c].h);
		size_t bytes = (size_t)cases[c].w * cases[c].h * 4;
		double up = 0, cp = 0;
		for (int f = 0; f < frames; f++) {
			pixels[f % (w * h)] ^= 1;
			uint64_t t0 = now_ns();
			if (!mosaic_texture_update_from_buffer(tex, src, &damage)) {
				die("update failed");
			}
			uint64_t t1 = now_ns();
			for (int y = 0; y < cases[c].h; y++) {
				size_t off = (size_t)(cases[c].y + y) * w + cases[c].x;
				memcpy(copy + off, pixels + off, (size_t)cases[c].w * 4);
			}
			uint64_t t2 = now_ns();
			up += (double)(t1 - t0);
			cp += (double)(t2 - t1);
		}
		printf("upload %dx%d %-8s: %8.1f us, %7.0f MB/s (%.2fx memcpy)\n", w, h,
			cases[c].name, up / frames / 1e3, bytes * frames / up * 1e3, cp / up);
		pixman_region32_fini(&damage);
	}
	mosaic_buffer_drop(src);
	mosaic_texture_destroy(tex);
	free(copy);
	free(pixels);
	return 0;
}

int main(int argc, char *argv[])
{
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
	});
	if (r == NULL) {
		die("no GLES renderer");
	}
	printf("%s\n", mosaic_renderer_get_device_name(r));
	int ret = 2;
	if (argc == 5 && strcmp(argv[1], "quads") == 0) {
		ret = quads(r, argv[2], atoi(argv[3]), atoi(argv[4]));
	} else if (argc == 5 && strcmp(argv[1], "upload") == 0) {
		ret = upload(r, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	} else {
		fprintf(stderr, "usage: %s quads gpu|mem N_QUADS FRAMES\n"
			"       %s upload WIDTH HEIGHT FRAMES\n", argv[0], argv[0]);
	}
	mosaic_renderer_destroy(r);
	return ret;
}
