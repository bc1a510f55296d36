/*
 * A one-pixel red and blue checker of 842x674 drawn at 421x337 with nearest
 * filtering, what a buffer_scale 2 surface gets: every pixel centre falls on
 * a texel corner, and pixman, Vulkan and GLES used to show 141877, 77145 and
 * 7077 red pixels (Vulkan with a seam between the quad's two triangles).
 * Every backend must show the texels the rule of enum mosaic_filter picks:
 * the count of red pixels, and every pixel, are computed here from the
 * core's map and compared with each backend's image.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mosaic/interface.h>

#include "scene.h"
#include "test_common.h"

struct checker_case {
	const char *name;
	int out_width, out_height;
	struct mosaic_box dst;
	const char *transform;
};

static const int checker_width = 842, checker_height = 674;

/* Whether checker texel (x, y) is red: colors[0] of the scene's checker. */
static bool texel_is_red(int x, int y)
{
	return (x + y) % 2 == 0;
}

static int clamp_texel(double t, int size)
{
	double k = floor(t);
	return k < 0 ? 0 : (k > size - 1 ? size - 1 : (int)k);
}

/*
 * The red pixels the rule gives: pixel centres through the core's map,
 * texel floor(u), floor(v), clamped. `red` gets one flag per output pixel.
 */
static size_t expected_red(const struct checker_case *c, enum mosaic_transform transform,
	bool *red)
{
	struct mosaic_affine map;
	const struct mosaic_fbox src = { 0, 0, checker_width, checker_height };
	mosaic_texture_coords_map(&map, &src, &c->dst, transform, 0, 0);
	const double *m = map.m;
	size_t n = 0;
	for (int y = 0; y < c->out_height; y++) {
		for (int x = 0; x < c->out_width; x++) {
			bool inside = x >= c->dst.x && x < c->dst.x + c->dst.width &&
				y >= c->dst.y && y < c->dst.y + c->dst.height;
			double px = x + 0.5, py = y + 0.5;
			int tx = clamp_texel(m[0] * px + m[1] * py + m[2], checker_width);
			int ty = clamp_texel(m[3] * px + m[4] * py + m[5], checker_height);
			red[(size_t)y * c->out_width + x] = inside && texel_is_red(tx, ty);
			n += red[(size_t)y * c->out_width + x];
		}
	}
	return n;
}

static bool pixel_is_red(const uint8_t *p)
{
	return p[0] == 255 && p[1] == 0 && p[2] == 0;
}

static void run_case(const struct checker_case *c)
{
	char json[1024], error[SCENE_ERROR_SIZE];
	snprintf(json, sizeof(json),
		"{\"output\": {\"width\": %d, \"height\": %d, \"format\": \"XRGB8888\"},"
		" \"clear\": [0, 0, 0, 1],"
		" \"layers\": [{\"image\": {\"checker\": {\"width\": %d, \"height\": %d,"
		" \"cell\": 1, \"colors\": [[1, 0, 0, 1], [0, 0, 1, 1]]}},"
		" \"dst\": [%d, %d, %d, %d], \"transform\": \"%s\", \"filter\": \"nearest\"}]}",
		c->out_width, c->out_height, checker_width, checker_height, c->dst.x, c->dst.y,
		c->dst.width, c->dst.height, c->transform);
	struct scene scene;
	if (!scene_load_string(&scene, json, c->name, ".", error)) {
		fail_msg("%s: %s", c->name, error);
	}
	bool *red = calloc((size_t)c->out_width * c->out_height, sizeof(*red));
	assert_non_null(red);
	size_t want = expected_red(c, scene.layers[0].transform, red);
	printf("%s: the rule gives %zu red pixels of %d\n", c->name, want,
		c->out_width * c->out_height);

	struct test_backend backends[TEST_MAX_BACKENDS];
	test_backends_probe(backends, true);
	assert_non_null(backends[0].renderer);
	size_t failures = 0;
	for (size_t b = 0; b < TEST_MAX_BACKENDS; b++) {
		if (backends[b].renderer == NULL) {
			continue;
		}
		struct scene_renderer *sr = scene_renderer_create(&scene, backends[b].renderer,
			error);
		if (sr == NULL) {
			fail_msg("%s: %s: %s", c->name, backends[b].name, error);
		}
		assert_true(scene_renderer_draw(sr, NULL, NULL, error));
		struct test_image image;
		assert_true(test_image_read_buffer(&image, scene_renderer_get_output(sr),
			backends[b].renderer));
		size_t n_red = 0, wrong = 0;
		int first_x = -1, first_y = -1;
		for (int y = 0; y < image.height; y++) {
			for (int x = 0; x < image.width; x++) {
				bool is_red = pixel_is_red(test_image_pixel(&image, x, y));
				n_red += is_red;
				if (is_red != red[(size_t)y * c->out_width + x] && wrong++ == 0) {
					first_x = x;
					first_y = y;
				}
			}
		}
		printf("%s: %s: %zu red pixels, %zu pixels unlike the rule", c->name,
			backends[b].name, n_red, wrong);
		if (wrong > 0) {
			printf(" (the first at %d, %d)", first_x, first_y);
			failures++;
		}
		printf("\n");
		test_image_finish(&image);
		scene_renderer_destroy(sr);
	}
	test_backends_finish(backends);
	free(red);
	scene_finish(&scene);
	assert_int_equal(failures, 0);
}

/* The case of the report: the whole checker at half its size. */
static void test_half_size(void **state)
{
	(void)state;
	run_case(&(struct checker_case){ "842x674 at 421x337", 421, 337,
		{ 0, 0, 421, 337 }, "normal" });
}

/* The same at an odd position, through a transform that swaps the axes. */
static void test_half_size_rotated(void **state)
{
	(void)state;
	run_case(&(struct checker_case){ "842x674 at 337x421, flipped-90, at 3, 1", 341, 423,
		{ 3, 1, 337, 421 }, "flipped-90" });
}

/*
 * Halved across only: whether a tie goes to the texel before or after the
 * edge now decides the color (both axes halved, both choices give red).
 */
static void test_half_width(void **state)
{
	(void)state;
	run_case(&(struct checker_case){ "842x674 at 421x674", 421, 674,
		{ 0, 0, 421, 674 }, "normal" });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_half_size),
		cmocka_unit_test(test_half_size_rotated),
		cmocka_unit_test(test_half_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
