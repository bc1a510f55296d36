/*
 * Real dmabufs from real clients: mosaic-nested, offscreen, with a GPU
 * renderer on /dev/dri/card0 (so that it offers zwp_linux_dmabuf_v1 v4 and its
 * feedback), and Weston's dmabuf clients inside it. They allocate with GBM on
 * the card the feedback names, render with GL and hand the buffers over
 * with Y_INVERT; mosaic imports them and draws them flipped. Every test runs
 * once per renderer: GLES (EGL import on kms_swrast) and Vulkan (lavapipe,
 * which takes GBM's implicit modifier as LINEAR and copies the read-only fds
 * gbm_bo_get_fd() gives with the CPU).
 *
 * The screenshot mosaic-nested reads back must show pixels only the client
 * draws, the right way up. weston-simple-dmabuf-egl has a handful of buffers
 * and aborts when the compositor keeps them all: running for many frames,
 * still alive at the screenshot, shows that the buffers come back
 * (wl_buffer.release once the frame that used them completed).
 *
 * Then mosaic-nested inside mosaic-nested: the inner one presents its output
 * to the outer one as linux-dmabuf buffers, with the same renderer in both,
 * and with GLES in one and Vulkan in the other.
 *
 * Needs DRM nodes where the renderers import dmabufs (the DRM test VM,
 * tests/vm): it runs there from the drm-vm test. Usage:
 * test-wayland-dmabuf-vm [PATH/TO/mosaic-nested [gles|vulkan]]. Exits 77
 * with one line when /dev/dri/card0 or the weston package is missing, or
 * when no renderer imports dmabufs on the card; a renderer that does not
 * (or was not built) has its tests skipped with the reason.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <mosaic/mosaic.h>

#include "screenshot.h"

#define CARD "/dev/dri/card0"
/* mosaic-nested places its first toplevel here (cascade start). */
#define WIN_X 32
#define WIN_Y 32
/* weston-simple-dmabuf-egl's default window size. */
#define WIN_SIZE 256

static const char *nested_path = MOSAIC_NESTED_PATH;
static char runtime_dir[64];

/* The renderer a test runs mosaic-nested with (its cmocka state). */
struct renderer_case {
	const char *name;
	enum mosaic_backend backend;
	/* The renderer starts on the card and imports dmabufs there. */
	bool imports;
};

static struct renderer_case cases[] = {
	{ "gles", MOSAIC_BACKEND_GLES, false },
	{ "vulkan", MOSAIC_BACKEND_VULKAN, false },
};

static const struct renderer_case *get_case(void **state)
{
	const struct renderer_case *c = *state;
	if (!c->imports) {
		print_message("the %s renderer does not import dmabufs on %s (or was not "
			"built)\n", c->name, CARD);
		skip();
	}
	return c;
}

static bool is_black(const uint8_t *p)
{
	return p[0] < 8 && p[1] < 8 && p[2] < 8;
}

/*
 * Runs mosaic-nested with `renderer` and `client` inside; returns its log
 * (static) and fills `img` with the screenshot taken `delay_ms` after the
 * window showed.
 */
static const char *run_nested(const char *renderer, const char *test, char *const client[],
	int delay_ms, struct image *img)
{
	char shot[256], log_path[256], socket[96], delay[16], name[64];
	snprintf(name, sizeof(name), "%s-%s", test, renderer);
	snprintf(shot, sizeof(shot), "%s/%s.png", runtime_dir, name);
	snprintf(log_path, sizeof(log_path), "%s/%s.log", runtime_dir, name);
	snprintf(socket, sizeof(socket), "nested-%s", name);
	snprintf(delay, sizeof(delay), "%d", delay_ms);
	char *argv[32] = {
		(char *)nested_path, "--headless", "--renderer", (char *)renderer,
		"--drm-device", CARD,
		"--size", "640x480", "--socket", socket, "--screenshot", shot,
		"--screenshot-delay", delay, "--quit-after-screenshot", "--",
	};
	int n = 16;
	for (int i = 0; client[i] != NULL && n < 31; i++) {
		argv[n++] = client[i];
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = wait_child(spawn_in(argv, NULL, log_path, NULL), 120000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	const char *log = read_text(log_path);
	print_message("%s in mosaic-nested (%s on %s): exit %d after %.2f s\n", client[0],
		renderer, CARD, status,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (status != 0 && log != NULL) {
		print_message("%s", log);
	}
	assert_int_equal(status, 0);
	assert_non_null(log);
	assert_true(load_png(shot, img));
	assert_int_equal(img->width, 640);
	assert_int_equal(img->height, 480);
	return log;
}

/* The frame number of the screenshot ("screenshot written to X (frame N)"). */
static int screenshot_frame(const char *log)
{
	const char *s = strstr(log, "(frame ");
	return s != NULL ? atoi(s + strlen("(frame ")) : -1;
}

/* The box of non-black pixels inside the client's window. */
static void content_box(const struct image *img, int *x0, int *y0, int *x1, int *y1)
{
	*x0 = *y0 = 1 << 20;
	*x1 = *y1 = -1;
	for (int y = WIN_Y; y < WIN_Y + WIN_SIZE; y++) {
		for (int x = WIN_X; x < WIN_X + WIN_SIZE; x++) {
			if (!is_black(px(img, x, y))) {
				*x0 = x < *x0 ? x : *x0;
				*y0 = y < *y0 ? y : *y0;
				*x1 = x > *x1 ? x : *x1;
				*y1 = y > *y1 ? y : *y1;
			}
		}
	}
}

static void test_simple_dmabuf_egl(void **state)
{
	const struct renderer_case *c = get_case(state);
	char *const client[] = { "weston-simple-dmabuf-egl", "-d", CARD, NULL };
	struct image img;
	// 3 s of frames: the client has few buffers and aborts ("Both buffers
	// busy") when they are not released.
	const char *log = run_nested(c->name, "simple-dmabuf-egl", client, 3000, &img);
	int frame = screenshot_frame(log);
	print_message("weston-simple-dmabuf-egl: screenshot at output frame %d\n", frame);
	assert_null(strstr(log, "the client exited"));
	assert_null(strstr(log, "Server bug"));
	// Every frame after the first comes from a new client buffer; the client
	// keeps 3 or 4, so more than 12 frames means they came back, repeatedly.
	assert_true(frame > 12);

	// The window: the client's black clear color, with its square of four
	// colored corners, somewhere along its horizontal path.
	// The square covers a quarter of the window; the rest is black.
	int black = 0;
	for (int y = WIN_Y; y < WIN_Y + WIN_SIZE; y++) {
		for (int x = WIN_X; x < WIN_X + WIN_SIZE; x++) {
			black += is_black(px(&img, x, y)) ? 1 : 0;
		}
	}
	print_message("%d black pixels in the window\n", black);
	assert_true(black > WIN_SIZE * WIN_SIZE * 7 / 10);
	int x0, y0, x1, y1;
	content_box(&img, &x0, &y0, &x1, &y1);
	print_message("square at %d,%d %dx%d\n", x0 - WIN_X, y0 - WIN_Y, x1 - x0 + 1,
		y1 - y0 + 1);
	// Half the window's size (the client draws from -0.5 to 0.5).
	assert_in_range(x1 - x0 + 1, WIN_SIZE / 2 - 4, WIN_SIZE / 2 + 4);
	assert_in_range(y1 - y0 + 1, WIN_SIZE / 2 - 4, WIN_SIZE / 2 + 4);
	// The right way up: GL's (-0.5, 0.5), green, is the top-left corner;
	// red bottom-left, blue bottom-right, yellow top-right. Drawn without the
	// Y_INVERT flip, red and green would swap.
	const uint8_t *tl = px(&img, x0 + 1, y0 + 1), *bl = px(&img, x0 + 1, y1 - 1);
	const uint8_t *br = px(&img, x1 - 1, y1 - 1), *tr = px(&img, x1 - 1, y0 + 1);
	print_message("corners: tl %u,%u,%u bl %u,%u,%u br %u,%u,%u tr %u,%u,%u\n",
		tl[0], tl[1], tl[2], bl[0], bl[1], bl[2], br[0], br[1], br[2], tr[0], tr[1], tr[2]);
	assert_true(tl[1] > 200 && tl[0] < 60 && tl[2] < 60);
	assert_true(bl[0] > 200 && bl[1] < 60 && bl[2] < 60);
	assert_true(br[2] > 200 && br[0] < 60 && br[1] < 60);
	assert_true(tr[0] > 200 && tr[1] > 200 && tr[2] < 60);
	// Outside the window: our background (output.c), untouched.
	const uint8_t *bg = px(&img, WIN_X + WIN_SIZE + 20, WIN_Y + 20);
	print_message("background %u,%u,%u\n", bg[0], bg[1], bg[2]);
	assert_true(abs(bg[0] - 51) <= 2 && abs(bg[1] - 61) <= 2 && abs(bg[2] - 77) <= 2);
	free(img.rgba);
}

/*
 * The outer screenshot shows weston-simple-shm from the inner mosaic-nested:
 * the inner output is a window of the outer one at WIN_X, WIN_Y, and the
 * client's 250x250 window is at WIN_X, WIN_Y inside it: a white frame, then
 * the client's gradients.
 */
static bool shows_simple_shm(const struct image *img, void *data)
{
	int x = 2 * WIN_X, y = 2 * WIN_Y;
	const uint8_t *frame = px(img, x + 5, y + 5);
	return frame[0] == 255 && frame[1] == 255 && frame[2] == 255 &&
		distinct_colors(img, x + 30, y + 30, 190, 190) > 200;
}

/* The renderers of the outer and the inner mosaic-nested. */
struct nested_case {
	struct renderer_case *outer, *inner;
};

static struct nested_case nested_cases[] = {
	{ &cases[0], &cases[0] },
	{ &cases[1], &cases[1] },
	{ &cases[0], &cases[1] },
	{ &cases[1], &cases[0] },
};

/*
 * mosaic-nested as the parent of another mosaic-nested: the inner one sees
 * linux-dmabuf there, renders into GBM buffers of the card and presents
 * them as linux-dmabuf wl_buffers; the outer one imports them. The outer
 * screenshot must show weston-simple-shm, which runs in the inner one.
 * The state is a struct nested_case: the same renderer in both, or GLES in
 * one and Vulkan in the other.
 */
static void test_nested_dmabuf_parent(void **state)
{
	const struct nested_case *n = *state;
	const struct renderer_case *c = get_case((void **)&n->outer);
	const struct renderer_case *inner = get_case((void **)&n->inner);
	char inner_shot[128], inner_socket[64];
	snprintf(inner_shot, sizeof(inner_shot), "%s/inner-%s-in-%s.png", runtime_dir,
		inner->name, c->name);
	snprintf(inner_socket, sizeof(inner_socket), "inner-%s-in-%s", inner->name, c->name);
	print_message("mosaic-nested with %s inside mosaic-nested with %s\n", inner->name,
		c->name);
	// The inner one's own screenshot (its log says when) marks the frame
	// that first shows the client.
	char *const client[] = {
		(char *)nested_path, "--renderer", (char *)inner->name, "--drm-device", CARD,
		"--size", "400x300", "--socket", inner_socket, "--screenshot", inner_shot,
		"--", "weston-simple-shm", NULL,
	};
	char shot[256], log_path[256], socket[96];
	snprintf(shot, sizeof(shot), "%s/outer-%s.png", runtime_dir, c->name);
	snprintf(log_path, sizeof(log_path), "%s/outer-%s-with-%s.log", runtime_dir, c->name,
		inner->name);
	snprintf(socket, sizeof(socket), "outer-%s-with-%s", c->name, inner->name);
	char *argv[32] = {
		(char *)nested_path, "--headless", "--renderer", (char *)c->name,
		"--drm-device", CARD, "--size", "640x480", "--socket", socket,
		"--screenshot", shot, "--",
	};
	int argc = 0;
	while (argv[argc] != NULL) {
		argc++;
	}
	for (int i = 0; client[i] != NULL && argc < 31; i++) {
		argv[argc++] = client[i];
	}
	// The outer output shows the inner one's window before the inner one
	// shows its client (its renderer starts in 2 to 7 s under the VM's
	// emulation): screenshots until one shows the client, 120 s at most.
	pid_t pid = spawn_in(argv, NULL, log_path, NULL);
	struct image img;
	bool shown = screenshot_until(pid, log_path, shot, shows_simple_shm, NULL, 120000, &img);
	kill(pid, SIGTERM);
	int status = wait_child(pid, 30000);
	const char *log = read_text(log_path);
	if (!shown || status != 0) {
		print_message("the outer mosaic-nested %s (exit %d):\n%s",
			shown ? "showed the client" : "never showed the client", status,
			log != NULL ? log : "(no log)\n");
	}
	assert_true(shown);
	assert_int_equal(status, 0);
	assert_non_null(strstr(log, "presenting to the parent through linux-dmabuf"));
	assert_non_null(strstr(log, inner_shot));
	assert_null(strstr(log, "falling back to wl_shm"));
	int x = 2 * WIN_X, y = 2 * WIN_Y;
	print_message("weston-simple-shm through linux-dmabuf: %d distinct colors\n",
		distinct_colors(&img, x + 30, y + 30, 190, 190));
	free(img.rgba);
}

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = strdup(path != NULL ? path : "/usr/bin:/bin"), *save = NULL;
	bool found = false;
	for (char *dir = strtok_r(copy, ":", &save); dir != NULL && !found;
			dir = strtok_r(NULL, ":", &save)) {
		char full[512];
		snprintf(full, sizeof(full), "%s/%s", dir, name);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* Whether `backend` starts on the card and imports dmabufs there. */
static bool imports_on_card(enum mosaic_backend backend)
{
	if (!mosaic_backend_is_built(backend)) {
		return false;
	}
	int fd = open(CARD, O_RDWR | O_CLOEXEC);
	struct mosaic_renderer *renderer = fd < 0 ? NULL :
		mosaic_renderer_create(&(struct mosaic_renderer_options){
			.backend = backend,
			.drm_fd = fd,
		});
	bool imports = renderer != NULL &&
		(mosaic_renderer_get_features(renderer) & MOSAIC_FEATURE_DMABUF_IMPORT);
	mosaic_renderer_destroy(renderer);
	if (fd >= 0) {
		close(fd);
	}
	return imports;
}

int main(int argc, char *argv[])
{
	if (argc > 1) {
		nested_path = argv[1];
	}
	const char *only = argc > 2 ? argv[2] : NULL;
	if (access(CARD, R_OK | W_OK) != 0) {
		printf("no %s here (the DRM test VM has one: meson test --suite drm)\n", CARD);
		return 77;
	}
	if (!in_path("weston-simple-dmabuf-egl") || !in_path("weston-simple-shm")) {
		printf("weston-simple-dmabuf-egl or weston-simple-shm is missing "
			"(Debian package weston)\n");
		return 77;
	}
	bool any = false;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cases[i].imports = (only == NULL || strcmp(only, cases[i].name) == 0) &&
			imports_on_card(cases[i].backend);
		any = any || cases[i].imports;
	}
	if (!any) {
		printf("no renderer%s%s imports dmabufs on %s\n", only != NULL ? " named " : "",
			only != NULL ? only : "", CARD);
		return 77;
	}

	snprintf(runtime_dir, sizeof(runtime_dir), "/tmp/mosaic-dmabuf-vm-XXXXXX");
	if (mkdtemp(runtime_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
	unsetenv("WAYLAND_DISPLAY");

	const struct CMUnitTest tests[] = {
		{ "simple_dmabuf_egl_gles", test_simple_dmabuf_egl, NULL, NULL, &cases[0] },
		{ "nested_dmabuf_parent_gles", test_nested_dmabuf_parent, NULL, NULL,
			&nested_cases[0] },
		{ "simple_dmabuf_egl_vulkan", test_simple_dmabuf_egl, NULL, NULL, &cases[1] },
		{ "nested_dmabuf_parent_vulkan", test_nested_dmabuf_parent, NULL, NULL,
			&nested_cases[1] },
		{ "nested_dmabuf_vulkan_in_gles", test_nested_dmabuf_parent, NULL, NULL,
			&nested_cases[2] },
		{ "nested_dmabuf_gles_in_vulkan", test_nested_dmabuf_parent, NULL, NULL,
			&nested_cases[3] },
	};
	return cmocka_run_group_tests_name("wayland-dmabuf-vm", tests, NULL, NULL);
}
