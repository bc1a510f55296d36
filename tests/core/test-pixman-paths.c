/*
 * The pixman backend's fast paths (draws without a transform, with the
 * nearest filter where it equals bilinear) against its general path, which
 * MOSAIC_PIXMAN_GENERAL_PATH=1 forces: the same random frames drawn by both
 * renderers must give the same bytes, for every output format kind, both
 * blends, both filters, clips, alpha, odd positions, all transforms, source
 * boxes a hair off whole texels, and scaled draws mixed in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "common.h"

static struct log_capture cap;
static struct mosaic_renderer *general, *fast;

static int group_setup(void **state)
{
	log_capture_start(&cap);
	setenv("MOSAIC_PIXMAN_GENERAL_PATH", "1", 1);
	general = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	unsetenv("MOSAIC_PIXMAN_GENERAL_PATH");
	fast = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	return general != NULL && fast != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	mosaic_renderer_destroy(general);
	mosaic_renderer_destroy(fast);
	return 0;
}

static int setup(void **state)
{
	log_capture_reset(&cap);
	return 0;
}

static int teardown(void **state)
{
	assert_no_error(&cap);
	return 0;
}

static uint32_t rng_state;

static uint32_t rnd(void)
{
	// xorshift32: the same frames on every run.
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static int rnd_range(int lo, int hi)
{
	return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

/* A random premultiplied pixel: no channel above alpha. */
static uint32_t rnd_premultiplied(void)
{
	uint32_t a = rnd() % 4 == 0 ? 255 : rnd() % 256;
	uint32_t r = rnd() % (a + 1), g = rnd() % (a + 1), b = rnd() % (a + 1);
	return a << 24 | r << 16 | g << 8 | b;
}

/* The same texture in both renderers. */
struct texture_pair {
	struct mosaic_texture *general, *fast;
	int width, height;
};

/* Premultiplied 8888 pixels; other formats (bpp 2, or 4 with wider channels) random bytes. */
static struct texture_pair texture_pair_create(int width, int height, uint32_t fourcc, int bpp,
	bool premultiplied)
{
	uint32_t stride = ((uint32_t)(width * bpp) + 3u) & ~3u;
	uint32_t *px = malloc((size_t)stride * height);
	assert_non_null(px);
	for (size_t i = 0; i < (size_t)stride * height / 4; i++) {
		px[i] = premultiplied ? rnd_premultiplied() : rnd();
	}
	struct texture_pair t = { .width = width, .height = height };
	t.general = mosaic_texture_from_pixels(general, width, height, fourcc, stride, px);
	t.fast = mosaic_texture_from_pixels(fast, width, height, fourcc, stride, px);
	assert_non_null(t.general);
	assert_non_null(t.fast);
	free(px);
	return t;
}

static void texture_pair_destroy(struct texture_pair *t)
{
	mosaic_texture_destroy(t->general);
	mosaic_texture_destroy(t->fast);
}

/* Two outputs of one format over test memory, filled with the same bytes. */
struct output_pair {
	int width, height;
	uint32_t stride;
	size_t size;
	uint8_t *general_px, *fast_px;
	struct mosaic_buffer *general, *fast;
};

static struct output_pair output_pair_create(int width, int height, uint32_t fourcc, int bpp)
{
	struct output_pair o = { .width = width, .height = height };
	o.stride = ((uint32_t)(width * bpp) + 3u) & ~3u;
	o.size = (size_t)o.stride * height;
	o.general_px = malloc(o.size);
	o.fast_px = malloc(o.size);
	assert_non_null(o.general_px);
	assert_non_null(o.fast_px);
	for (size_t i = 0; i < o.size; i++) {
		o.general_px[i] = (uint8_t)rnd();
	}
	memcpy(o.fast_px, o.general_px, o.size);
	o.general = mosaic_buffer_from_data(width, height, fourcc, o.stride, o.general_px);
	o.fast = mosaic_buffer_from_data(width, height, fourcc, o.stride, o.fast_px);
	assert_non_null(o.general);
	assert_non_null(o.fast);
	return o;
}

static void output_pair_destroy(struct output_pair *o)
{
	mosaic_buffer_drop(o->general);
	mosaic_buffer_drop(o->fast);
	free(o->general_px);
	free(o->fast_px);
}

struct draw {
	int texture;
	struct mosaic_fbox src;
	struct mosaic_box dst;
	enum mosaic_transform transform;
	enum mosaic_filter filter;
	enum mosaic_blend blend;
	float alpha;
	bool clipped;
	pixman_region32_t clip;
};

static void describe(const struct draw *d, int i)
{
	fprintf(stderr, "draw %d: texture %d src %.9g,%.9g %gx%g dst %d,%d %dx%d %s %s %s "
		"alpha %g%s\n", i, d->texture, d->src.x, d->src.y, d->src.width,
		d->src.height, d->dst.x, d->dst.y, d->dst.width, d->dst.height,
		mosaic_transform_name(d->transform),
		d->filter == MOSAIC_FILTER_NEAREST ? "nearest" : "linear",
		d->blend == MOSAIC_BLEND_NONE ? "none" : "premultiplied", d->alpha,
		d->clipped ? " clipped" : "");
}

/* Offsets off whole texels: some below a bilinear weight step, some not. */
static double rnd_hair(void)
{
	static const double hairs[] = {
		0.0, 1.0 / 65536, 100.0 / 65536, 1.0 / 256, 511.0 / 65536, 512.0 / 65536,
		1000.0 / 65536, 0.5, 0.5 - 1.0 / 65536, 0.25, 1.0 - 1.0 / 65536,
	};
	return rnd() % 2 == 0 ? 0.0 : hairs[rnd() % (sizeof(hairs) / sizeof(hairs[0]))];
}

static void random_draw(struct draw *d, const struct texture_pair *textures, int n_textures,
	const struct output_pair *o)
{
	*d = (struct draw){ .texture = rnd_range(0, n_textures - 1) };
	const struct texture_pair *t = &textures[d->texture];
	d->transform = rnd() % 2 == 0 ? MOSAIC_TRANSFORM_NORMAL :
		(enum mosaic_transform)rnd_range(0, 7);
	d->filter = rnd() % 2 == 0 ? MOSAIC_FILTER_LINEAR : MOSAIC_FILTER_NEAREST;
	d->blend = rnd() % 3 == 0 ? MOSAIC_BLEND_NONE : MOSAIC_BLEND_PREMULTIPLIED;
	// A few alphas recur, so that draws of a pass share the mask, and some do not.
	static const float alphas[] = { 1.0f, 1.0f, 0.5f, 0.85f };
	d->alpha = rnd() % 5 == 0 ? (float)(rnd() % 1001) / 1000.0f : alphas[rnd() % 4];

	int w = rnd_range(1, t->width), h = rnd_range(1, t->height);
	// Odd downscales now and then: the nearest filter equals bilinear there too.
	int down = rnd() % 5 == 0 ? (rnd() % 2 == 0 ? 3 : 5) : 1;
	if (t->width < down || t->height < down) {
		down = 1;
	}
	w -= w % down;
	h -= h % down;
	w = w == 0 ? down : w;
	h = h == 0 ? down : h;
	double sx = rnd_range(0, t->width - w), sy = rnd_range(0, t->height - h);
	// A hair only where it stays inside the texture.
	double hx = rnd_hair(), hy = rnd_hair();
	if (sx + hx + w <= t->width) {
		sx += hx;
	}
	if (sy + hy + h <= t->height) {
		sy += hy;
	}
	d->src = (struct mosaic_fbox){ sx, sy, w, h };
	bool swap = mosaic_transform_swaps_axes(d->transform);
	int dw = (swap ? h : w) / down, dh = (swap ? w : h) / down;
	if (down == 1 && rnd() % 6 == 0) {
		// A scaled draw now and then: the general path in both.
		dw = rnd() % 2 == 0 ? dw * 2 : (dw + 1) / 2;
		dh = rnd() % 2 == 0 ? dh * 2 : (dh + 1) / 2;
	}
	d->dst = (struct mosaic_box){ rnd_range(-dw / 2 - 3, o->width - 2),
		rnd_range(-dh / 2 - 3, o->height - 2), dw, dh };

	pixman_region32_init(&d->clip);
	d->clipped = rnd() % 2 == 0;
	if (d->clipped) {
		int n = rnd_range(1, 3);
		for (int i = 0; i < n; i++) {
			int cx = rnd_range(-5, o->width), cy = rnd_range(-5, o->height);
			int cw = rnd_range(1, o->width), ch = rnd_range(1, o->height);
			pixman_region32_union_rect(&d->clip, &d->clip, cx, cy, (unsigned)cw,
				(unsigned)ch);
		}
	}
}

static void draw_frame(struct mosaic_renderer *renderer, struct mosaic_buffer *buffer,
	struct draw *draws, int n, const struct texture_pair *textures)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, buffer, NULL);
	assert_non_null(pass);
	for (int i = 0; i < n; i++) {
		struct draw *d = &draws[i];
		const struct texture_pair *t = &textures[d->texture];
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = renderer == general ? t->general : t->fast,
			.src_box = d->src,
			.dst_box = d->dst,
			.clip = d->clipped ? &d->clip : NULL,
			.transform = d->transform,
			.alpha = &d->alpha,
			.filter = d->filter,
			.blend = d->blend,
		}));
	}
	assert_true(mosaic_pass_submit(pass, NULL));
}

/*
 * The bits of a pixel that the format defines (little-endian 32-bit words):
 * the padding of X formats is left out. pixman's fast paths carry the
 * source's alpha into it where its general path writes ones; the format
 * gives those bits no meaning and every reader ignores them.
 */
static uint32_t defined_bits(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_XBGR8888:
		return 0x00ffffffu;
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_XBGR2101010:
		return 0x3fffffffu;
	default:
		return 0xffffffffu;
	}
}

static void assert_same_bytes(const struct output_pair *o, const struct draw *draws,
	int n_draws, uint32_t fourcc, int frame)
{
	uint32_t defined = defined_bits(fourcc);
	bool same = true;
	for (size_t i = 0; i + 4 <= o->size && same; i += 4) {
		uint32_t g, f;
		memcpy(&g, o->general_px + i, 4);
		memcpy(&f, o->fast_px + i, 4);
		if (((g ^ f) & defined) != 0) {
			char name[32];
			fprintf(stderr, "%s frame %d: first difference at byte %zu of row %zu: "
				"%08x (general) vs %08x (fast)\n", mosaic_format_name(fourcc, name),
				frame, i % o->stride, i / o->stride, g, f);
			same = false;
		}
	}
	if (same) {
		return;
	}
	for (int i = 0; i < n_draws; i++) {
		describe(&draws[i], i);
	}
	fail_msg("the fast path and the general path disagree");
}

static void run_random_frames(uint32_t fourcc, int bpp, uint32_t seed, int frames)
{
	rng_state = seed;
	struct texture_pair textures[] = {
		texture_pair_create(37, 23, DRM_FORMAT_ARGB8888, 4, true),
		texture_pair_create(64, 64, DRM_FORMAT_ARGB8888, 4, true),
		texture_pair_create(19, 41, DRM_FORMAT_XRGB8888, 4, true),
		texture_pair_create(50, 30, DRM_FORMAT_ABGR8888, 4, true),
		texture_pair_create(33, 17, DRM_FORMAT_RGB565, 2, false),
		texture_pair_create(21, 26, DRM_FORMAT_ARGB2101010, 4, false),
	};
	const int n_textures = sizeof(textures) / sizeof(textures[0]);
	struct output_pair o = output_pair_create(97, 61, fourcc, bpp);
	for (int f = 0; f < frames; f++) {
		struct draw draws[6];
		int n = rnd_range(1, 6);
		for (int i = 0; i < n; i++) {
			random_draw(&draws[i], textures, n_textures, &o);
		}
		draw_frame(general, o.general, draws, n, textures);
		draw_frame(fast, o.fast, draws, n, textures);
		assert_same_bytes(&o, draws, n, fourcc, f);
		for (int i = 0; i < n; i++) {
			pixman_region32_fini(&draws[i].clip);
		}
	}
	output_pair_destroy(&o);
	for (int i = 0; i < n_textures; i++) {
		texture_pair_destroy(&textures[i]);
	}
}

static void test_random_xrgb8888(void **state)
{
	run_random_frames(DRM_FORMAT_XRGB8888, 4, 0x1234567u, 400);
}

static void test_random_argb8888(void **state)
{
	run_random_frames(DRM_FORMAT_ARGB8888, 4, 0x89abcdeu, 400);
}

static void test_random_abgr8888(void **state)
{
	run_random_frames(DRM_FORMAT_ABGR8888, 4, 0x2468aceu, 200);
}

static void test_random_xbgr8888(void **state)
{
	run_random_frames(DRM_FORMAT_XBGR8888, 4, 0x3692581u, 200);
}

static void test_random_xrgb2101010(void **state)
{
	run_random_frames(DRM_FORMAT_XRGB2101010, 4, 0x7531bdfu, 200);
}

static void test_random_rgb565(void **state)
{
	run_random_frames(DRM_FORMAT_RGB565, 2, 0x13579bdu, 200);
}

static void test_random_argb2101010(void **state)
{
	run_random_frames(DRM_FORMAT_ARGB2101010, 4, 0xfdb9753u, 200);
}

/*
 * Every transform over a texture, whole and a hair off whole texels, 1:1
 * and downscaled, both filters: the draws the fast paths take, one by one.
 */
static void test_unit_maps(void **state)
{
	rng_state = 0x5eed;
	struct texture_pair t = texture_pair_create(13, 17, DRM_FORMAT_ARGB8888, 4, true);
	struct output_pair o = output_pair_create(31, 29, DRM_FORMAT_XRGB8888, 4);
	static const double hairs[] = { 0.0, 1.0 / 65536, 300.0 / 65536, 1.0 / 128, 0.5 };
	// Downscales in x and y: odd ones take the fast path, 2 does not.
	static const int scales[][2] = { { 1, 1 }, { 3, 1 }, { 1, 3 }, { 5, 3 }, { 2, 1 } };
	const size_t n_hairs = sizeof(hairs) / sizeof(hairs[0]);
	const size_t n_scales = sizeof(scales) / sizeof(scales[0]);
	int frame = 0;
	for (int tr = 0; tr <= MOSAIC_TRANSFORM_FLIPPED_270; tr++) {
		bool swap = mosaic_transform_swaps_axes((enum mosaic_transform)tr);
		for (size_t h = 0; h < n_hairs; h++) {
			for (size_t s = 0; s < n_scales; s++) {
				// The unrotated destination size; the source is k times it.
				int dw = 11 / scales[s][0], dh = 15 / scales[s][1];
				for (int filter = 0; filter < 2; filter++) {
					struct draw d = {
						.src = { 1 + hairs[h], 1 + hairs[h],
							dw * scales[s][0], dh * scales[s][1] },
						.dst = { 3 + tr, 2 + (int)h, swap ? dh : dw,
							swap ? dw : dh },
						.transform = (enum mosaic_transform)tr,
						.filter = (enum mosaic_filter)filter,
						.alpha = 0.6f,
					};
					pixman_region32_init(&d.clip);
					draw_frame(general, o.general, &d, 1, &t);
					draw_frame(fast, o.fast, &d, 1, &t);
					assert_same_bytes(&o, &d, 1, DRM_FORMAT_XRGB8888, frame++);
					pixman_region32_fini(&d.clip);
				}
			}
		}
	}
	output_pair_destroy(&o);
	texture_pair_destroy(&t);
}

/*
 * Draws of one pass with changing alphas each get their own: the pass keeps
 * one mask and must remake it when the value changes, and back.
 */
static void test_alpha_changes_within_pass(void **state)
{
	static const uint32_t white = 0xffffffffu;
	static const float alphas[] = { 0.5f, 0.25f, 0.5f, 1.0f, 0.25f, 0.25f, 0.75f };
	const int n = sizeof(alphas) / sizeof(alphas[0]);
	struct mosaic_renderer *renderers[] = { general, fast };
	for (int r = 0; r < 2; r++) {
		struct mosaic_texture *t = mosaic_texture_from_pixels(renderers[r], 1, 1,
			DRM_FORMAT_ARGB8888, 4, &white);
		assert_non_null(t);
		uint32_t px[8] = {0};
		struct mosaic_buffer *b = mosaic_buffer_from_data(8, 1, DRM_FORMAT_ARGB8888,
			8 * 4, px);
		assert_non_null(b);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderers[r], b, NULL);
		assert_non_null(pass);
		for (int i = 0; i < n; i++) {
			assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
				.texture = t, .dst_box = { i, 0, 1, 1 }, .alpha = &alphas[i],
			}));
		}
		assert_true(mosaic_pass_submit(pass, NULL));
		for (int i = 0; i < n; i++) {
			// White over transparent black at alpha a: every channel a.
			uint8_t v = (uint8_t)(alphas[i] * 255.0f + 0.5f);
			assert_pixel_near(px[i], argb(v, v, v, v), 1, i, 0);
		}
		assert_int_equal(px[n], 0);
		mosaic_buffer_drop(b);
		mosaic_texture_destroy(t);
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alpha_changes_within_pass),
		T(test_unit_maps),
		T(test_random_xrgb8888),
		T(test_random_argb8888),
		T(test_random_abgr8888),
		T(test_random_xbgr8888),
		T(test_random_xrgb2101010),
		T(test_random_rgb565),
		T(test_random_argb2101010),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
