/*
 * The conformance runner: every scene of tests/scenes is drawn by pixman (the
 * reference) and by every other backend that is built and starts here; each
 * image must match pixman's within a per-channel tolerance.
 *
 * Tolerances, in 1/255 steps per channel, color compared premultiplied (see
 * test_image_compare()):
 * - 2 when every texture is sampled with nearest filtering or 1:1: the
 *   texels picked are the same (scenes avoid sampling ties, checked below),
 *   so only blending rounds differently: pixman rounds every 8-bit
 *   product (at most 1/2 each), GPUs blend in float and round once, and
 *   each later OVER shrinks earlier errors by (1 - alpha); the scenes stack
 *   at most four translucent layers, which keeps the sum below 2.
 * - 7 when a scene filters linearly at a scale other than 1:1: pixman
 *   truncates the bilinear weights to 7 bits, GPUs round them to their
 *   sub-texel precision (8 bits on lavapipe, llvmpipe and NVIDIA), so each
 *   axis's weight may differ by 1/128 + 1/256; over both axes that is 6/256
 *   of the contrast between neighbouring texels, at most 6 for a black/white
 *   edge, plus 1 for blending. lavapipe reaches 4 on the 0.05/0.95 checker
 *   of filters.json.
 * - 0 for scenes named exact-*.json: opaque textures (alpha 1) drawn with
 *   nearest filtering at scales whose sample points are exact in binary
 *   floating point, so that every backend must pick the very texel pixman
 *   picks, ties on texel edges included (the rule of enum mosaic_filter),
 *   and nothing is blended or rounded.
 * - One step of the output format when it is coarser than 8 bits (RGB565:
 *   255/31 -> 9): the small errors above may fall on either side of a
 *   rounding boundary and flip the stored value by one step.
 *
 * Scenes with YUV layers (yuv-*.json) are compared with a reference the
 * runner computes itself instead of with pixman: every backend, pixman
 * included, must match it. The reference takes each layer's source color,
 * converts it to Y'CbCr in double precision with the layer's matrix and
 * range, rounds the codes to the format's depth (at full resolution: no
 * subsampling) and converts back. Tolerance TOLERANCE_YUV = 4 per channel:
 * - rounding Y' and Cb/Cr to 8-bit codes moves R', G', B' by up to
 *   0.5 * 255/219 (Y') + 0.5 * 1.8556 * 255/224 (Cb into B') = 1.6 steps in
 *   the reference and as much again in the image the renderer reads, which
 *   an encoder rounded independently (mosaic-render's, from the same colors);
 * - the chroma planes are subsampled: the scenes use bilinear gradients,
 *   which chroma reconstructed bilinearly at the right location reproduces
 *   exactly except next to the right and bottom edges, where the last
 *   chroma sample is held (at most half a chroma sample of the gradient's
 *   slope: under 1 step for the slopes of the scenes);
 * - the output rounds once more (0.5).
 * GPU backends get TOLERANCE_YUV_GPU = 8: EGL_EXT_image_dma_buf_import leaves
 * chroma filtering and siting hints to the driver, and llvmpipe replicates
 * the chroma of a YUYV pair over both pixels instead of interpolating it
 * (measured 7 here); the scenes' gradients change by at most 0.35 / 44 per
 * pixel, so a chroma sample displaced by up to 2 pixels moves R', G', B' by
 * about 4 steps more than the reconstruction pixman does.
 * A backend that advertises a YUV format but refuses the memfd that stands
 * in for a dmabuf on this machine (no /dev/udmabuf) is reported and skipped:
 * such a driver imports real dmabufs only. (llvmpipe maps memfds; the GLES
 * renderer leaves out the YUV formats it cannot import at all.)
 *
 * Exit status: 0 when every backend matched, 1 on a mismatch or a scene that
 * pixman cannot draw, 77 when pixman is the only backend (after still
 * drawing every scene with it): nothing was compared, so nothing passed.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "scene.h"
#include "test_common.h"

#define TOLERANCE_EXACT 0
#define TOLERANCE_NEAREST 2
#define TOLERANCE_LINEAR 7
#define TOLERANCE_RGB565 9
#define TOLERANCE_YUV 4
#define TOLERANCE_YUV_GPU 8
/* Nearest sampling closer than this to a texel edge is a tie GPUs may break either way. */
#define TIE_MARGIN (1.0 / 64.0)

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .json files of `dir`, sorted; NULL-terminated, malloc'ed. */
static char **list_scenes(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		return NULL;
	}
	size_t n = 0, cap = 16;
	char **names = calloc(cap + 1, sizeof(*names));
	struct dirent *entry;
	while (names != NULL && (entry = readdir(d)) != NULL) {
		size_t len = strlen(entry->d_name);
		if (len < 6 || strcmp(entry->d_name + len - 5, ".json") != 0) {
			continue;
		}
		if (n == cap) {
			cap *= 2;
			char **bigger = realloc(names, (cap + 1) * sizeof(*names));
			if (bigger == NULL) {
				break;
			}
			names = bigger;
		}
		names[n++] = strdup(entry->d_name);
		names[n] = NULL;
	}
	closedir(d);
	if (names != NULL) {
		qsort(names, n, sizeof(*names), compare_names);
	}
	*count = n;
	return names;
}

static void free_list(char **names)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		free(names[i]);
	}
	free(names);
}

/* Scenes whose nearest samples are exact, ties on texel edges included (see the top). */
static bool is_exact_scene(const char *name)
{
	return strncmp(name, "exact-", strlen("exact-")) == 0;
}

static int scene_tolerance(const char *name, const struct scene *scene)
{
	if (is_exact_scene(name)) {
		return TOLERANCE_EXACT;
	}
	int tolerance = scene_uses_linear_scaling(scene) ? TOLERANCE_LINEAR : TOLERANCE_NEAREST;
	if (scene->format == DRM_FORMAT_RGB565 && tolerance < TOLERANCE_RGB565) {
		tolerance = TOLERANCE_RGB565;
	}
	return tolerance;
}

/*
 * Maps the center of destination pixel (dx, dy) of a layer, relative to its
 * destination box, to texture coordinates with the map every backend draws
 * with.
 */
static void sample_point(const struct scene_layer *l, double dx, double dy, double *u,
	double *v)
{
	struct mosaic_affine map;
	mosaic_texture_coords_map(&map, &l->src, &l->dst, l->transform, l->dst.x, l->dst.y);
	const double *m = map.m;
	*u = m[0] * dx + m[1] * dy + m[2];
	*v = m[3] * dx + m[4] * dy + m[5];
}

/*
 * How far a sample is from the nearest texel edge; with `exact_ties`, a
 * sample exactly on an edge counts as far: the rule of enum mosaic_filter
 * decides it, and every backend must follow it.
 */
static double edge_distance(double coord, int size, bool exact_ties)
{
	if (coord <= 0.0 || coord >= size) {
		return 1.0; // clamped to the edge texel either way
	}
	double d = fabs(coord - floor(coord + 0.5));
	return exact_ties && d == 0.0 ? 1.0 : d;
}

/* Whether a nearest-filtered layer samples too close to a texel edge somewhere. */
static bool has_sampling_tie(const struct scene_layer *l, bool exact_ties, double *where_u,
	double *where_v)
{
	// Transforms keep the axes aligned: one row and one column see every coordinate.
	for (int pass = 0; pass < 2; pass++) {
		int n = pass == 0 ? l->dst.width : l->dst.height;
		for (int i = 0; i < n; i++) {
			double u, v;
			if (pass == 0) {
				sample_point(l, i + 0.5, 0.5, &u, &v);
			} else {
				sample_point(l, 0.5, i + 0.5, &u, &v);
			}
			double du = edge_distance(u, l->image_width, exact_ties);
			double dv = edge_distance(v, l->image_height, exact_ties);
			if (du < TIE_MARGIN || dv < TIE_MARGIN) {
				*where_u = u;
				*where_v = v;
				return true;
			}
		}
	}
	return false;
}

static bool check_scene_design(const char *name, const struct scene *scene)
{
	bool ok = true;
	bool exact = is_exact_scene(name);
	for (size_t i = 0; i < scene->n_layers; i++) {
		const struct scene_layer *l = &scene->layers[i];
		double u, v;
		bool exact_layer = l->kind == SCENE_LAYER_TEXTURE &&
			l->filter == MOSAIC_FILTER_NEAREST && l->alpha == 1.0f &&
			!mosaic_format_get_info(l->format)->is_yuv;
		if (exact && !exact_layer) {
			printf("FAIL %s: %s: exact scenes hold only opaque RGB textures drawn with "
				"nearest filtering\n", name, l->where);
			ok = false;
		}
		if (l->kind == SCENE_LAYER_TEXTURE && l->filter == MOSAIC_FILTER_NEAREST &&
				has_sampling_tie(l, exact, &u, &v)) {
			printf("FAIL %s: %s samples texel coordinate (%g, %g), within 1/64 of a "
				"texel edge: backends may pick either texel; change the scale "
				"or the source box\n", name, l->where, u, v);
			ok = false;
		}
	}
	return ok;
}

/*
 * Draws `scene` with `renderer` into `image`. Returns 1 on success, 0 on
 * failure, -1 when the renderer does not support the scene's formats.
 */
static int draw(const struct scene *scene, struct mosaic_renderer *renderer,
	struct test_image *image, char error[static SCENE_ERROR_SIZE])
{
	struct scene_renderer *sr = scene_renderer_create(scene, renderer, error);
	if (sr == NULL) {
		// The renderer refused the formats: a limitation, not a wrong pixel.
		return strstr(error, "cannot render into") != NULL ||
			strstr(error, "cannot texture from") != NULL ? -1 : 0;
	}
	int result = 0;
	if (scene_renderer_draw(sr, NULL, NULL, error)) {
		if (test_image_read_buffer(image, scene_renderer_get_output(sr), renderer)) {
			result = 1;
		} else {
			snprintf(error, SCENE_ERROR_SIZE, "cannot read the output back");
		}
	}
	scene_renderer_destroy(sr);
	return result;
}

static bool is_uniform(const struct test_image *image)
{
	size_t n = (size_t)image->width * (size_t)image->height;
	for (size_t i = 1; i < n; i++) {
		if (memcmp(image->data, image->data + i * 4, 4) != 0) {
			return false;
		}
	}
	return true;
}

struct totals {
	size_t failed, compared;
};

static bool scene_has_yuv(const struct scene *scene)
{
	for (size_t i = 0; i < scene->n_layers; i++) {
		if (scene->layers[i].kind == SCENE_LAYER_TEXTURE &&
				mosaic_format_get_info(scene->layers[i].format)->is_yuv) {
			return true;
		}
	}
	return false;
}

static double ref_round(double v, double max)
{
	v = floor(v + 0.5);
	return v < 0.0 ? 0.0 : (v > max ? max : v);
}

static double ref_clamp(double v)
{
	return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
}

/* The runner's own R'G'B' -> Y'CbCr codes -> R'G'B' round trip (see the top). */
static void ref_yuv_round_trip(const struct mosaic_yuv_info *yuv, unsigned depth,
	const float in[3], uint8_t out[3])
{
	double kr = yuv->matrix == MOSAIC_YUV_MATRIX_BT709 ? 0.2126 : 0.299;
	double kb = yuv->matrix == MOSAIC_YUV_MATRIX_BT709 ? 0.0722 : 0.114;
	double kg = 1.0 - kr - kb;
	double r = ref_clamp(in[0]), g = ref_clamp(in[1]), b = ref_clamp(in[2]);
	double y = kr * r + kg * g + kb * b;
	double pb = (b - y) / (2.0 * (1.0 - kb)), pr = (r - y) / (2.0 * (1.0 - kr));
	double max = (double)((1u << depth) - 1), step = (double)(1u << (depth - 8));
	double half = (double)(1u << (depth - 1));
	if (yuv->range == MOSAIC_YUV_RANGE_FULL) {
		y = ref_round(y * max, max) / max;
		pb = (ref_round(pb * max + half, max) - half) / max;
		pr = (ref_round(pr * max + half, max) - half) / max;
	} else {
		y = (ref_round((219.0 * y + 16.0) * step, max) / step - 16.0) / 219.0;
		pb = (ref_round((224.0 * pb + 128.0) * step, max) / step - 128.0) / 224.0;
		pr = (ref_round((224.0 * pr + 128.0) * step, max) / step - 128.0) / 224.0;
	}
	r = y + 2.0 * (1.0 - kr) * pr;
	b = y + 2.0 * (1.0 - kb) * pb;
	g = (y - kr * r - kb * b) / kg;
	out[0] = (uint8_t)ref_round(ref_clamp(r) * 255.0, 255.0);
	out[1] = (uint8_t)ref_round(ref_clamp(g) * 255.0, 255.0);
	out[2] = (uint8_t)ref_round(ref_clamp(b) * 255.0, 255.0);
}

/*
 * The reference image of a YUV scene: an opaque clear color and opaque YUV
 * layers drawn 1:1, untransformed. False (with a FAIL line) for a scene
 * outside that shape.
 */
static bool yuv_reference(const char *name, const struct scene *scene,
	struct test_image *image)
{
	if (!scene->has_clear || scene->clear.a != 1.0f) {
		printf("FAIL %s: YUV scenes need an opaque clear color\n", name);
		return false;
	}
	for (size_t i = 0; i < scene->n_layers; i++) {
		const struct scene_layer *l = &scene->layers[i];
		if (l->kind != SCENE_LAYER_TEXTURE || !mosaic_format_get_info(l->format)->is_yuv ||
				l->transform != MOSAIC_TRANSFORM_NORMAL || l->alpha != 1.0f ||
				l->has_clip || l->src.x != 0 || l->src.y != 0 ||
				l->src.width != l->image_width ||
				l->src.height != l->image_height ||
				l->dst.width != l->image_width ||
				l->dst.height != l->image_height) {
			printf("FAIL %s: %s: YUV scenes hold only YUV layers drawn 1:1, "
				"untransformed, opaque, unclipped\n", name, l->where);
			return false;
		}
	}
	if (!test_image_init(image, scene->width, scene->height)) {
		printf("FAIL %s: out of memory\n", name);
		return false;
	}
	for (int y = 0; y < scene->height; y++) {
		for (int x = 0; x < scene->width; x++) {
			uint8_t *p = test_image_pixel(image, x, y);
			p[0] = (uint8_t)ref_round(scene->clear.r * 255.0, 255.0);
			p[1] = (uint8_t)ref_round(scene->clear.g * 255.0, 255.0);
			p[2] = (uint8_t)ref_round(scene->clear.b * 255.0, 255.0);
			p[3] = 255;
		}
	}
	for (size_t i = 0; i < scene->n_layers; i++) {
		const struct scene_layer *l = &scene->layers[i];
		unsigned depth = mosaic_format_get_info(l->format)->yuv_depth;
		for (int y = 0; y < l->image_height; y++) {
			for (int x = 0; x < l->image_width; x++) {
				int ox = l->dst.x + x, oy = l->dst.y + y;
				if (ox < 0 || oy < 0 || ox >= scene->width || oy >= scene->height) {
					continue;
				}
				float c[4];
				scene_layer_color(l, x, y, c);
				uint8_t *p = test_image_pixel(image, ox, oy);
				ref_yuv_round_trip(&l->yuv, depth, c, p);
				p[3] = 255;
			}
		}
	}
	return true;
}

/* Draws a YUV scene with every backend, pixman included, and compares with the reference. */
static void run_yuv_scene(const char *name, const struct scene *scene,
	const struct test_backend backends[static TEST_MAX_BACKENDS], struct totals *totals)
{
	struct test_image expected;
	if (!yuv_reference(name, scene, &expected)) {
		totals->failed++;
		return;
	}
	for (size_t b = 0; b < TEST_MAX_BACKENDS; b++) {
		if (backends[b].renderer == NULL) {
			continue;
		}
		char error[SCENE_ERROR_SIZE];
		struct test_image actual;
		int drawn = draw(scene, backends[b].renderer, &actual, error);
		if (drawn < 0 || (drawn == 0 && b > 0 &&
				strstr(error, "cannot import the memfd-backed dmabuf") != NULL)) {
			printf("skip %s: %s: %s\n", name, backends[b].name, error);
			continue;
		}
		if (drawn == 0) {
			printf("FAIL %s: %s: %s\n", name, backends[b].name, error);
			totals->failed++;
			continue;
		}
		// pixman counts too: here it is compared, not the reference.
		totals->compared++;
		int tolerance = b == 0 ? TOLERANCE_YUV : TOLERANCE_YUV_GPU;
		struct test_image_diff diff;
		bool match = test_image_compare(&expected, &actual, tolerance, &diff);
		printf("%s %s: %s vs reference: max difference %d/255 (tolerance %d), %zu pixels "
			"differ, %zu over the tolerance", match ? "ok  " : "FAIL", name,
			backends[b].name, diff.max_diff, tolerance, diff.n_different, diff.n_bad);
		if (match) {
			printf("\n");
		} else {
			printf(", first at %d,%d\n", diff.first_x, diff.first_y);
			char label[512];
			snprintf(label, sizeof(label), "%.*s-%s", (int)(strlen(name) - 5), name,
				backends[b].name);
			test_save_mismatch("conformance", label, &expected, &actual, tolerance);
			totals->failed++;
		}
		test_image_finish(&actual);
	}
	test_image_finish(&expected);
}

/* Draws the scene with one more backend and compares with pixman's image. */
static void compare_backend(const char *name, const struct scene *scene,
	const struct test_backend *backend, const struct test_image *expected, int tolerance,
	struct totals *totals)
{
	char error[SCENE_ERROR_SIZE];
	struct test_image actual;
	int drawn = draw(scene, backend->renderer, &actual, error);
	if (drawn < 0) {
		printf("skip %s: %s: %s\n", name, backend->name, error);
		return;
	}
	if (drawn == 0) {
		printf("FAIL %s: %s: %s\n", name, backend->name, error);
		totals->failed++;
		return;
	}
	totals->compared++;
	struct test_image_diff diff;
	bool match = test_image_compare(expected, &actual, tolerance, &diff);
	printf("%s %s: %s vs pixman: max difference %d/255 (tolerance %d), %zu pixels differ, "
		"%zu over the tolerance", match ? "ok  " : "FAIL", name, backend->name,
		diff.max_diff, tolerance, diff.n_different, diff.n_bad);
	if (match) {
		printf("\n");
	} else {
		printf(", first at %d,%d\n", diff.first_x, diff.first_y);
		char label[512];
		snprintf(label, sizeof(label), "%.*s-%s", (int)(strlen(name) - 5), name,
			backend->name);
		test_save_mismatch("conformance", label, expected, &actual, tolerance);
		totals->failed++;
	}
	test_image_finish(&actual);
}

static void run_scene(const char *dir, const char *name,
	const struct test_backend backends[static TEST_MAX_BACKENDS], struct totals *totals)
{
	char path[4096], error[SCENE_ERROR_SIZE];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct scene scene;
	if (!scene_load(&scene, path, error)) {
		printf("FAIL %s: %s\n", name, error);
		totals->failed++;
		return;
	}
	if (!check_scene_design(name, &scene)) {
		totals->failed++;
		scene_finish(&scene);
		return;
	}
	if (scene_has_yuv(&scene)) {
		run_yuv_scene(name, &scene, backends, totals);
		scene_finish(&scene);
		return;
	}
	struct test_image expected;
	if (draw(&scene, backends[0].renderer, &expected, error) != 1) {
		printf("FAIL %s: pixman: %s\n", name, error);
		totals->failed++;
		scene_finish(&scene);
		return;
	}
	if (is_uniform(&expected)) {
		printf("FAIL %s: pixman drew a single color: the scene tests nothing\n", name);
		totals->failed++;
	} else {
		printf("ok   %s: pixman drew %dx%d\n", name, expected.width, expected.height);
	}
	int tolerance = scene_tolerance(name, &scene);
	for (size_t b = 1; b < TEST_MAX_BACKENDS; b++) {
		if (backends[b].renderer != NULL) {
			compare_backend(name, &scene, &backends[b], &expected, tolerance, totals);
		}
	}
	test_image_finish(&expected);
	scene_finish(&scene);
}

int main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SCENE_DIR\n", argv[0]);
		return 1;
	}
	const char *dir = argv[1];
	size_t n_scenes;
	char **names = list_scenes(dir, &n_scenes);
	if (names == NULL || n_scenes == 0) {
		printf("FAIL: no scenes found in %s\n", dir);
		free_list(names);
		return 1;
	}

	printf("tolerance per channel (1/255 steps): %d exact-* scenes, %d nearest or 1:1, "
		"%d linear scaling, %d RGB565 output\n", TOLERANCE_EXACT, TOLERANCE_NEAREST,
		TOLERANCE_LINEAR, TOLERANCE_RGB565);
	struct test_backend backends[TEST_MAX_BACKENDS];
	size_t n_available = test_backends_probe(backends, true);
	if (backends[0].renderer == NULL) {
		printf("FAIL: the pixman renderer did not start: %s\n", backends[0].reason);
		test_backends_finish(backends);
		free_list(names);
		return 1;
	}

	struct totals totals = {0};
	for (size_t s = 0; s < n_scenes; s++) {
		run_scene(dir, names[s], backends, &totals);
	}
	test_backends_finish(backends);
	free_list(names);

	if (totals.failed > 0) {
		printf("%zu failures\n", totals.failed);
		return 1;
	}
	if (n_available < 2) {
		printf("SKIP: only pixman available: nothing to compare (%zu scenes drawn with "
			"pixman)\n", n_scenes);
		return TEST_EXIT_SKIP;
	}
	if (totals.compared == 0) {
		printf("SKIP: no other backend could draw any scene: nothing to compare\n");
		return TEST_EXIT_SKIP;
	}
	printf("%zu comparisons (with pixman; for YUV scenes with the computed reference), "
		"all within tolerance\n", totals.compared);
	return 0;
}
