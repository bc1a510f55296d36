/*
 * bench-pixman: the pixman backend against bare pixman. Each scene is drawn
 * through mosaic (begin_pass until submit returns) and, in the same run, as
 * the bare pixman calls the frame needs on the same images: one
 * pixman_image_composite32 per visible draw (per clip rectangle), with no
 * transform when the draw is 1:1, a plain transform and the requested
 * filter otherwise, one pixman_image_fill_boxes per rectangle. Solid alpha
 * masks are made once, outside the timed frames. Prints per-frame ms,
 * per-draw us and the ratio mosaic/baseline. Always the pixman renderer.
 * Times are the calling thread's CPU time, where pixman does all the work:
 * on a busy machine they do not count the time others had the core.
 * BENCH_PIXMAN_SCENE=word runs only the scenes whose name holds it (for
 * valgrind --tool=callgrind --toggle-collect=draw_mosaic, say).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <drm_fourcc.h>
#include <pixman.h>

#include <mosaic/interface.h>
#include <mosaic/pixman.h>

#include "bench_common.h"

#define MAX_DRAWS 128
#define MAX_TEXTURES 32
#define MAX_CLIP 4

struct draw {
	/** A rectangle fill when texture < 0, else an index into scene.textures. */
	int texture;
	struct mosaic_fbox src;
	struct mosaic_box dst;
	float alpha;
	enum mosaic_blend blend;
	enum mosaic_filter filter;
	enum mosaic_transform transform;
	struct mosaic_color color;
	/** Clip rectangles; none means unclipped. */
	struct mosaic_box clip[MAX_CLIP];
	int n_clip;

	/* Set up before timing. */
	pixman_region32_t region;
	pixman_image_t *mask;
	bool one_to_one;
	pixman_transform_t pixman_transform;
};

struct scene {
	const char *name;
	int width, height;
	int frames;
	struct mosaic_texture *textures[MAX_TEXTURES];
	int n_textures;
	struct draw draws[MAX_DRAWS];
	int n_draws;
};

static int add_texture(struct scene *s, struct mosaic_renderer *renderer, int width,
	int height, uint32_t fourcc)
{
	struct mosaic_buffer *buffer = bench_create_buffer(width, height, fourcc);
	bench_fill_buffer(buffer, (uint32_t)s->n_textures * 977u);
	struct mosaic_texture *t = mosaic_texture_from_buffer(renderer, buffer);
	mosaic_buffer_drop(buffer);
	if (t == NULL || s->n_textures == MAX_TEXTURES) {
		fprintf(stderr, "cannot make a %dx%d texture\n", width, height);
		exit(1);
	}
	s->textures[s->n_textures] = t;
	return s->n_textures++;
}

static struct draw *add_draw(struct scene *s)
{
	if (s->n_draws == MAX_DRAWS) {
		fprintf(stderr, "too many draws in scene %s\n", s->name);
		exit(1);
	}
	struct draw *d = &s->draws[s->n_draws++];
	*d = (struct draw){ .texture = -1, .alpha = 1.0f };
	return d;
}

static void rect(struct scene *s, int x, int y, int w, int h, float r, float g, float b,
	float a)
{
	struct draw *d = add_draw(s);
	d->dst = (struct mosaic_box){ x, y, w, h };
	d->color = (struct mosaic_color){ r * a, g * a, b * a, a };
}

static struct draw *image(struct scene *s, int texture, int x, int y, int w, int h)
{
	struct draw *d = add_draw(s);
	d->texture = texture;
	d->dst = (struct mosaic_box){ x, y, w, h };
	return d;
}

/* examples/scenes/desktop.json with synthetic images of the same sizes. */
static void scene_desktop_720p(struct scene *s, struct mosaic_renderer *r)
{
	*s = (struct scene){ .name = "desktop 1280x720", .width = 1280, .height = 720,
		.frames = 40 };
	int gradient = add_texture(s, r, 32, 18, DRM_FORMAT_XRGB8888);
	int icon = add_texture(s, r, 48, 48, DRM_FORMAT_ARGB8888);
	int solid = add_texture(s, r, 560, 330, DRM_FORMAT_XRGB8888);
	int checker = add_texture(s, r, 105, 70, DRM_FORMAT_XRGB8888);
	int panel = add_texture(s, r, 380, 240, DRM_FORMAT_XRGB8888);
	int window = add_texture(s, r, 160, 120, DRM_FORMAT_ARGB8888);

	image(s, gradient, 0, 0, 1280, 720)->blend = MOSAIC_BLEND_NONE;
	image(s, icon, 24, 24, 48, 48);
	image(s, icon, 24, 96, 48, 48)->transform = MOSAIC_TRANSFORM_90;
	image(s, icon, 24, 168, 48, 48)->transform = MOSAIC_TRANSFORM_FLIPPED;
	rect(s, 120, 70, 560, 26, 0.20f, 0.22f, 0.26f, 1.0f);
	rect(s, 132, 79, 8, 8, 0.93f, 0.37f, 0.34f, 1.0f);
	rect(s, 146, 79, 8, 8, 0.96f, 0.75f, 0.31f, 1.0f);
	rect(s, 160, 79, 8, 8, 0.38f, 0.77f, 0.33f, 1.0f);
	image(s, solid, 120, 96, 560, 330);
	rect(s, 136, 110, 320, 10, 0.45f, 0.85f, 0.45f, 1.0f);
	rect(s, 136, 130, 420, 10, 0.75f, 0.75f, 0.78f, 1.0f);
	rect(s, 136, 150, 260, 10, 0.75f, 0.75f, 0.78f, 1.0f);
	rect(s, 136, 170, 380, 10, 0.45f, 0.85f, 0.45f, 1.0f);
	rect(s, 136, 190, 12, 14, 0.90f, 0.90f, 0.90f, 1.0f);
	rect(s, 520, 200, 420, 26, 0.23f, 0.34f, 0.55f, 1.0f);
	image(s, checker, 520, 226, 420, 280)->filter = MOSAIC_FILTER_NEAREST;
	image(s, icon, 650, 286, 160, 160);
	rect(s, 780, 90, 380, 26, 0.85f, 0.87f, 0.90f, 0.85f);
	image(s, panel, 780, 116, 380, 240)->alpha = 0.75f;
	rect(s, 800, 140, 200, 12, 0.1f, 0.1f, 0.2f, 0.6f);
	rect(s, 800, 164, 300, 12, 0.1f, 0.1f, 0.2f, 0.6f);
	image(s, window, 980, 380, 120, 160)->transform = MOSAIC_TRANSFORM_90;
	struct draw *clipped = image(s, window, 240, 470, 240, 180);
	clipped->clip[0] = (struct mosaic_box){ 240, 470, 240, 120 };
	clipped->clip[1] = (struct mosaic_box){ 240, 590, 120, 60 };
	clipped->n_clip = 2;
	rect(s, 0, 688, 1280, 32, 0.06f, 0.06f, 0.08f, 0.88f);
	image(s, icon, 8, 692, 24, 24);
	rect(s, 44, 694, 140, 20, 1.0f, 1.0f, 1.0f, 0.15f);
	rect(s, 192, 694, 140, 20, 1.0f, 1.0f, 1.0f, 0.08f);
}

static void scene_windows_1080p(struct scene *s, struct mosaic_renderer *r)
{
	*s = (struct scene){ .name = "16 translucent 512x512 windows, 1920x1080",
		.width = 1920, .height = 1080, .frames = 10 };
	rect(s, 0, 0, 1920, 1080, 0.1f, 0.12f, 0.2f, 1.0f);
	s->draws[0].blend = MOSAIC_BLEND_NONE;
	for (int i = 0; i < 16; i++) {
		int t = add_texture(s, r, 512, 512, DRM_FORMAT_ARGB8888);
		// A cascade over the output, every window overlapping others.
		struct draw *d = image(s, t, (i % 4) * 420 + (i / 4) * 37,
			(i / 4) * 170 + (i % 4) * 23, 512, 512);
		d->alpha = 0.85f;
	}
}

static void scene_desktop_4k(struct scene *s, struct mosaic_renderer *r)
{
	*s = (struct scene){ .name = "desktop 3840x2160", .width = 3840, .height = 2160,
		.frames = 4 };
	int wallpaper = add_texture(s, r, 3840, 2160, DRM_FORMAT_XRGB8888);
	image(s, wallpaper, 0, 0, 3840, 2160)->blend = MOSAIC_BLEND_NONE;
	rect(s, 0, 0, 3840, 48, 0.06f, 0.06f, 0.08f, 0.9f);
	int icon = add_texture(s, r, 96, 96, DRM_FORMAT_ARGB8888);
	for (int i = 0; i < 8; i++) {
		image(s, icon, 48, 120 + i * 140, 96, 96);
	}
	static const struct mosaic_box windows[] = {
		{ 200, 100, 1600, 1000 }, { 1100, 400, 1800, 1200 }, { 2400, 150, 1300, 900 },
		{ 400, 1200, 1400, 880 }, { 2000, 1300, 1600, 800 },
	};
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		const struct mosaic_box *w = &windows[i];
		int t = add_texture(s, r, w->width, w->height, DRM_FORMAT_ARGB8888);
		rect(s, w->x, w->y - 40, w->width, 40, 0.2f, 0.22f, 0.26f, 1.0f);
		image(s, t, w->x, w->y, w->width, w->height);
	}
	int menu = add_texture(s, r, 600, 800, DRM_FORMAT_ARGB8888);
	image(s, menu, 1200, 300, 600, 800)->alpha = 0.9f;
	rect(s, 0, 2100, 3840, 60, 0.06f, 0.06f, 0.08f, 0.88f);
}

static void scene_quads(struct scene *s, struct mosaic_renderer *r)
{
	*s = (struct scene){ .name = "100 quads 64x64, 1920x1080", .width = 1920,
		.height = 1080, .frames = 100 };
	int atlas = add_texture(s, r, 256, 256, DRM_FORMAT_ARGB8888);
	for (int i = 0; i < 100; i++) {
		struct draw *d = image(s, atlas, (i * 61) % (1920 - 64), (i * 37) % (1080 - 64),
			64, 64);
		d->src = (struct mosaic_fbox){ (i % 4) * 64, (i / 4 % 4) * 64, 64, 64 };
		d->alpha = 0.8f;
		d->filter = MOSAIC_FILTER_NEAREST;
	}
}

static void prepare(struct scene *s)
{
	for (int i = 0; i < s->n_draws; i++) {
		struct draw *d = &s->draws[i];
		pixman_region32_init_rect(&d->region, d->dst.x, d->dst.y,
			(unsigned)d->dst.width, (unsigned)d->dst.height);
		if (d->n_clip > 0) {
			pixman_region32_t clip;
			pixman_region32_init(&clip);
			for (int c = 0; c < d->n_clip; c++) {
				const struct mosaic_box *b = &d->clip[c];
				pixman_region32_union_rect(&clip, &clip, b->x, b->y,
					(unsigned)b->width, (unsigned)b->height);
			}
			pixman_region32_intersect(&d->region, &d->region, &clip);
			pixman_region32_fini(&clip);
		}
		pixman_region32_intersect_rect(&d->region, &d->region, 0, 0,
			(unsigned)s->width, (unsigned)s->height);
		if (d->texture < 0) {
			continue;
		}
		struct mosaic_texture *t = s->textures[d->texture];
		if (d->src.width == 0) {
			d->src = (struct mosaic_fbox){ 0, 0, t->width, t->height };
		}
		if (d->alpha < 1.0f) {
			pixman_color_t c = { 0, 0, 0, (uint16_t)(d->alpha * 65535.0f + 0.5f) };
			d->mask = pixman_image_create_solid_fill(&c);
		}
		d->one_to_one = d->transform == MOSAIC_TRANSFORM_NORMAL &&
			d->src.width == d->dst.width && d->src.height == d->dst.height &&
			d->src.x == floor(d->src.x) && d->src.y == floor(d->src.y);
		// Output pixels relative to the destination box to texels.
		struct mosaic_affine map;
		mosaic_texture_coords_map(&map, &d->src, &d->dst, d->transform, d->dst.x,
			d->dst.y);
		struct pixman_f_transform f = { .m = {
			{ map.m[0], map.m[1], map.m[2] },
			{ map.m[3], map.m[4], map.m[5] },
			{ 0, 0, 1 },
		} };
		pixman_transform_from_pixman_f_transform(&d->pixman_transform, &f);
	}
}

static void draw_mosaic(struct mosaic_renderer *renderer, struct mosaic_buffer *output,
	struct scene *s)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, output, NULL);
	if (pass == NULL) {
		exit(1);
	}
	for (int i = 0; i < s->n_draws; i++) {
		struct draw *d = &s->draws[i];
		pixman_region32_t *clip = d->n_clip > 0 ? &d->region : NULL;
		if (d->texture < 0) {
			mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = d->dst, .color = d->color, .clip = clip, .blend = d->blend,
			});
			continue;
		}
		mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = s->textures[d->texture],
			.src_box = d->src,
			.dst_box = d->dst,
			.clip = clip,
			.transform = d->transform,
			.alpha = &d->alpha,
			.filter = d->filter,
			.blend = d->blend,
		});
	}
	bench_submit_and_wait(renderer, pass, 0);
}

static void draw_bare(struct mosaic_buffer *output, struct scene *s)
{
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(output, MOSAIC_BUFFER_DATA_ACCESS_READ |
			MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data, &fourcc, &stride)) {
		fprintf(stderr, "cannot open the output\n");
		exit(1);
	}
	pixman_image_t *target = pixman_image_create_bits(PIXMAN_x8r8g8b8, s->width, s->height,
		data, (int)stride);
	for (int i = 0; i < s->n_draws; i++) {
		struct draw *d = &s->draws[i];
		pixman_op_t op = d->blend == MOSAIC_BLEND_NONE ? PIXMAN_OP_SRC : PIXMAN_OP_OVER;
		int n;
		const pixman_box32_t *boxes = pixman_region32_rectangles(&d->region, &n);
		if (d->texture < 0) {
			pixman_color_t c = {
				(uint16_t)(d->color.r * 65535.0f + 0.5f),
				(uint16_t)(d->color.g * 65535.0f + 0.5f),
				(uint16_t)(d->color.b * 65535.0f + 0.5f),
				(uint16_t)(d->color.a * 65535.0f + 0.5f),
			};
			pixman_image_fill_boxes(op, target, &c, n, boxes);
			continue;
		}
		pixman_image_t *src = mosaic_pixman_texture_get_image(s->textures[d->texture]);
		int sx = 0, sy = 0;
		if (d->one_to_one) {
			pixman_image_set_transform(src, NULL);
			sx = (int)d->src.x;
			sy = (int)d->src.y;
		} else {
			pixman_image_set_transform(src, &d->pixman_transform);
			pixman_image_set_filter(src, d->filter == MOSAIC_FILTER_NEAREST ?
				PIXMAN_FILTER_NEAREST : PIXMAN_FILTER_BILINEAR, NULL, 0);
		}
		for (int b = 0; b < n; b++) {
			const pixman_box32_t *r = &boxes[b];
			pixman_image_composite32(op, src, d->mask, target,
				sx + r->x1 - d->dst.x, sy + r->y1 - d->dst.y, 0, 0, r->x1, r->y1,
				r->x2 - r->x1, r->y2 - r->y1);
		}
		if (!d->one_to_one) {
			pixman_image_set_transform(src, NULL);
		}
	}
	pixman_image_unref(target);
	mosaic_buffer_end_data_access(output);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Median over runs of the mean frame time in ns (thread CPU time). */
static double time_frames(struct mosaic_renderer *renderer, struct mosaic_buffer *output,
	struct scene *s, bool bare, int frames, int runs)
{
	double *per_run = calloc((size_t)runs, sizeof(double));
	for (int run = 0; run < runs; run++) {
		uint64_t t0 = thread_cpu_ns();
		for (int f = 0; f < frames; f++) {
			if (bare) {
				draw_bare(output, s);
			} else {
				draw_mosaic(renderer, output, s);
			}
		}
		per_run[run] = (double)(thread_cpu_ns() - t0) / frames;
	}
	double median = bench_median(per_run, (size_t)runs);
	free(per_run);
	return median;
}

static void reset_images(struct scene *s)
{
	// mosaic leaves its filter and repeat on the images: the baseline starts clean.
	for (int i = 0; i < s->n_textures; i++) {
		pixman_image_t *img = mosaic_pixman_texture_get_image(s->textures[i]);
		pixman_image_set_repeat(img, PIXMAN_REPEAT_NONE);
		pixman_image_set_filter(img, PIXMAN_FILTER_NEAREST, NULL, 0);
		pixman_image_set_transform(img, NULL);
	}
}

static void run_scene(struct mosaic_renderer *renderer, const struct bench_options *options,
	void (*build)(struct scene *, struct mosaic_renderer *))
{
	struct scene *s = calloc(1, sizeof(*s));
	build(s, renderer);
	const char *only = getenv("BENCH_PIXMAN_SCENE");
	if (only != NULL && strstr(s->name, only) == NULL) {
		for (int i = 0; i < s->n_textures; i++) {
			mosaic_texture_destroy(s->textures[i]);
		}
		free(s);
		return;
	}
	prepare(s);
	struct mosaic_buffer *output = bench_create_buffer(s->width, s->height,
		DRM_FORMAT_XRGB8888);
	int frames = options->quick ? (s->frames + 9) / 10 : s->frames;

	// Warm-up of both, then interleaved so that both see the same machine.
	draw_mosaic(renderer, output, s);
	reset_images(s);
	draw_bare(output, s);
	double *m = calloc((size_t)options->runs, sizeof(double));
	double *b = calloc((size_t)options->runs, sizeof(double));
	for (int run = 0; run < options->runs; run++) {
		m[run] = time_frames(renderer, output, s, false, frames, 1);
		reset_images(s);
		b[run] = time_frames(renderer, output, s, true, frames, 1);
	}
	double mosaic_ns = bench_median(m, (size_t)options->runs);
	double bare_ns = bench_median(b, (size_t)options->runs);
	printf("%-42s %3d draws: mosaic %8.3f ms/frame %7.2f us/draw | bare pixman %8.3f "
		"ms/frame %7.2f us/draw | ratio %.2fx\n", s->name, s->n_draws, mosaic_ns / 1e6,
		mosaic_ns / 1e3 / s->n_draws, bare_ns / 1e6, bare_ns / 1e3 / s->n_draws,
		mosaic_ns / bare_ns);
	fflush(stdout);

	free(m);
	free(b);
	mosaic_buffer_drop(output);
	for (int i = 0; i < s->n_draws; i++) {
		pixman_region32_fini(&s->draws[i].region);
		if (s->draws[i].mask != NULL) {
			pixman_image_unref(s->draws[i].mask);
		}
	}
	for (int i = 0; i < s->n_textures; i++) {
		mosaic_texture_destroy(s->textures[i]);
	}
	free(s);
}

int main(int argc, char *argv[])
{
	struct bench_options options;
	bench_parse_options(&options, argc, argv,
		"The pixman backend against the bare pixman calls of the same frames.");
	if (options.backend != MOSAIC_BACKEND_AUTO && options.backend != MOSAIC_BACKEND_PIXMAN) {
		fprintf(stderr, "bench-pixman measures the pixman renderer only\n");
		return 2;
	}
	options.backend = MOSAIC_BACKEND_PIXMAN;
	struct mosaic_renderer *renderer = bench_create_renderer(&options);
	if (options.runs < 3 && !options.quick) {
		options.runs = 3;
	}
	run_scene(renderer, &options, scene_desktop_720p);
	run_scene(renderer, &options, scene_windows_1080p);
	run_scene(renderer, &options, scene_desktop_4k);
	run_scene(renderer, &options, scene_quads);
	mosaic_renderer_destroy(renderer);
	return 0;
}
