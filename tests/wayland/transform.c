/*
 * test-wayland-transform: wl_surface.set_buffer_transform and set_buffer_scale
 * in mosaic-nested. test-transform-client stores its four-quadrant picture
 * (transform_pattern.h) already transformed, as the protocol says; the
 * window in mosaic-nested's screenshot must show the picture upright, at its
 * surface size, pixel for pixel, with every renderer that was built. With
 * a wp_viewport, the window shows the client's crop of it, scaled.
 *
 * Usage: test-wayland-transform PATH/TO/mosaic-nested PATH/TO/test-transform-client
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mosaic/mosaic.h>

#include "screenshot.h"
#include "transform_pattern.h"

/* mosaic-nested places its first toplevel here (cascade start). */
#define WIN_X 32
#define WIN_Y 32

static const char *nested_path, *client_path;
static char runtime_dir[64];

static const char *const transform_names[8] = {
	"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270",
};

/*
 * Runs the client with `transform` and `scale` (and a wp_viewport when
 * `viewport`) in mosaic-nested with `backend`.
 */
static void check_mode(enum mosaic_backend backend, int transform, int scale, bool viewport)
{
	const char *renderer = mosaic_backend_name(backend);
	char name[64], shot[160], log_path[160], t[16], s[16];
	snprintf(name, sizeof(name), "%s-%s-x%d%s", renderer, transform_names[transform], scale,
		viewport ? "-viewport" : "");
	snprintf(shot, sizeof(shot), "%s/%s.png", runtime_dir, name);
	snprintf(log_path, sizeof(log_path), "%s/%s.log", runtime_dir, name);
	snprintf(t, sizeof(t), "%d", transform);
	snprintf(s, sizeof(s), "%d", scale);
	char *argv[] = {
		(char *)nested_path, "--headless", "--renderer", (char *)renderer,
		"--size", "160x120", "--socket", name,
		// The client commits its one buffer as it maps: the first frame
		// that shows the window shows the picture.
		"--screenshot", shot, "--quit-after-screenshot",
		"--", (char *)client_path, t, s, viewport ? "viewport" : NULL, NULL,
	};
	int status = wait_child(spawn_in(argv, NULL, log_path, NULL), 120000);
	struct image img;
	if (status != 0 || !load_png(shot, &img)) {
		print_message("%s: mosaic-nested exited %d, see %s\n", name, status, log_path);
		fail();
	}
	int wrong = 0, first_x = -1, first_y = -1;
	// The window and a one-pixel ring around it: the ring is not the picture.
	for (int y = -1; y <= TRANSFORM_H; y++) {
		for (int x = -1; x <= TRANSFORM_W; x++) {
			const uint8_t *p = px(&img, WIN_X + x, WIN_Y + y);
			uint32_t got = 0xff000000u | (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
			bool inside = x >= 0 && y >= 0 && x < TRANSFORM_W && y < TRANSFORM_H;
			uint32_t want = !inside ? 0 : viewport ? viewport_pattern_xrgb(x, y) :
				transform_pattern_xrgb(x, y);
			bool ok = inside ? got == want :
				got != 0xffff0000 && got != 0xff00ff00 && got != 0xff0000ff &&
				got != 0xffffff00;
			if (!ok && wrong++ == 0) {
				first_x = x;
				first_y = y;
			}
		}
	}
	if (wrong > 0) {
		const uint8_t *p = px(&img, WIN_X + first_x, WIN_Y + first_y);
		print_message("%s: %d pixels wrong, the first at %d,%d of the window "
			"(%u,%u,%u); screenshot %s\n", name, wrong, first_x, first_y, p[0], p[1],
			p[2], shot);
	}
	free(img.rgba);
	assert_int_equal(wrong, 0);
}

static void check(enum mosaic_backend backend, int transform, int scale)
{
	check_mode(backend, transform, scale, false);
}

static void test_transforms(void **state)
{
	enum mosaic_backend backend = (enum mosaic_backend)(intptr_t)*state;
	for (int transform = 0; transform < 8; transform++) {
		check(backend, transform, 1);
	}
	// A buffer scale with a transform that swaps axes, and one that does not.
	check(backend, 1, 2);
	check(backend, 6, 2);
	// wp_viewport: a fractional crop, scaled, through the same transforms
	// and scales (the source is in surface coordinates).
	check_mode(backend, 0, 1, true);
	check_mode(backend, 3, 1, true);
	check_mode(backend, 1, 2, true);
	check_mode(backend, 6, 2, true);
}

static int setup(void **state, enum mosaic_backend backend)
{
	*state = (void *)(intptr_t)backend;
	return 0;
}

static int setup_pixman(void **state)
{
	return setup(state, MOSAIC_BACKEND_PIXMAN);
}

static int setup_gles(void **state)
{
	return setup(state, MOSAIC_BACKEND_GLES);
}

static int setup_vulkan(void **state)
{
	return setup(state, MOSAIC_BACKEND_VULKAN);
}

int main(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "usage: test-wayland-transform MOSAIC_NESTED TRANSFORM_CLIENT\n");
		return 1;
	}
	nested_path = argv[1];
	client_path = argv[2];
	snprintf(runtime_dir, sizeof(runtime_dir), "/tmp/mosaic-transform-XXXXXX");
	if (mkdtemp(runtime_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
	unsetenv("WAYLAND_DISPLAY");

	// One case per renderer the build has: the others are not there to test.
	struct CMUnitTest tests[3];
	size_t n = 0;
	tests[n++] = (struct CMUnitTest){ "test_transforms_pixman", test_transforms,
		setup_pixman, NULL, NULL };
	if (mosaic_backend_is_built(MOSAIC_BACKEND_GLES)) {
		tests[n++] = (struct CMUnitTest){ "test_transforms_gles", test_transforms,
			setup_gles, NULL, NULL };
	}
	if (mosaic_backend_is_built(MOSAIC_BACKEND_VULKAN)) {
		tests[n++] = (struct CMUnitTest){ "test_transforms_vulkan", test_transforms,
			setup_vulkan, NULL, NULL };
	}
	return _cmocka_run_group_tests("wayland-transform", tests, n, NULL, NULL);
}
