/*
 * End to end: Weston (Debian's package, headless backend) is the parent;
 * mosaic-nested runs inside it as a window, and real clients nobody here
 * wrote run inside mosaic-nested: weston-simple-shm, weston-simple-damage,
 * weston-simple-egl (Mesa EGL over wl_shm) and foot. For every renderer the
 * build has, the screenshot mosaic-nested reads back must show each client's
 * window, checked on pixels only that client draws.
 *
 * Usage: test-wayland-e2e PATH/TO/mosaic-nested. Exits 77 (skip) when a
 * package is missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <mosaic/mosaic.h>

#include "screenshot.h"

#define PARENT_SOCKET "mosaic-e2e-parent"
/* mosaic-nested places its first toplevel here (cascade start). */
#define WIN_X 32
#define WIN_Y 32

static const char *nested_path;
static char runtime_dir[64];
static pid_t weston_pid;

/* Counts pixels of the box for which `pred` holds. */
static int count(const struct image *img, int x0, int y0, int w, int h,
	bool (*pred)(const uint8_t *p))
{
	int n = 0;
	for (int y = y0; y < y0 + h && y < img->height; y++) {
		for (int x = x0; x < x0 + w && x < img->width; x++) {
			n += pred(px(img, x, y)) ? 1 : 0;
		}
	}
	return n;
}

static bool is_white(const uint8_t *p)
{
	return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

static bool is_red(const uint8_t *p)
{
	return p[0] > 150 && p[1] < 80 && p[2] < 80;
}

static bool is_green(const uint8_t *p)
{
	return p[1] > 150 && p[0] < 80 && p[2] < 80;
}

static bool is_blue(const uint8_t *p)
{
	return p[2] > 150 && p[0] < 80 && p[1] < 80;
}

/* foot is started with these colors: nothing else draws them. */
static bool is_foot_background(const uint8_t *p)
{
	return p[0] == 0x10 && p[1] == 0x20 && p[2] == 0x30;
}

static bool is_foot_foreground(const uint8_t *p)
{
	return p[0] > 180 && p[1] < 80 && p[2] > 180;
}

static bool wait_for_file(const char *path, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 50) {
		if (access(path, F_OK) == 0) {
			return true;
		}
		usleep(50000);
	}
	return false;
}

static pid_t spawn(char *const argv[], const char *wayland_display, const char *log_path)
{
	return spawn_in(argv, wayland_display, log_path, NULL);
}

struct e2e_case {
	const char *renderer;
	const char *client;
	char *const *argv;
	int delay_ms;
	/*
	 * NULL: the first screenshot that shows the window is checked (or the
	 * one delay_ms later). Otherwise screenshots are taken until one is
	 * ready (a client that shows its window before its content).
	 */
	bool (*ready)(const struct image *img, void *data);
	void (*check)(const struct image *img);
};

static void check_simple_shm(const struct image *img)
{
	// The 250x250 window: a white frame, then the client's gradients.
	assert_true(is_white(px(img, WIN_X + 5, WIN_Y + 5)));
	int colors = distinct_colors(img, WIN_X + 30, WIN_Y + 30, 190, 190);
	print_message("weston-simple-shm: %d distinct colors in the window\n", colors);
	assert_true(colors > 200);
	// Nothing of the client outside its window.
	assert_false(is_white(px(img, WIN_X + 260, WIN_Y + 5)));
}

static void check_simple_damage(const struct image *img)
{
	// A 300x200 window: white border, dark inside, a green ball.
	assert_true(is_white(px(img, WIN_X + 3, WIN_Y + 3)));
	assert_true(is_white(px(img, WIN_X + 296, WIN_Y + 196)));
	int green = count(img, WIN_X, WIN_Y, 300, 200, is_green);
	print_message("weston-simple-damage: %d ball pixels\n", green);
	assert_true(green > 50);
}

static void check_simple_damage_later(const struct image *img)
{
	// After 1.5 s of a moving ball, drawn with damage-limited texture
	// updates and buffer-age repaints: still one ball, no trail.
	check_simple_damage(img);
	int green = count(img, WIN_X, WIN_Y, 300, 200, is_green);
	// One ball of radius 10 is about pi * 10 * 10 = 314 pixels.
	assert_true(green < 2 * 314);
}

/*
 * The triangle turns about its vertical axis with the time since the client
 * started: edge-on, it is a line. Ready once it faces the viewer enough.
 */
static bool simple_egl_faces(const struct image *img, void *data)
{
	return count(img, WIN_X, WIN_Y, 250, 250, is_red) > 30 &&
		count(img, WIN_X, WIN_Y, 250, 250, is_green) > 30 &&
		count(img, WIN_X, WIN_Y, 250, 250, is_blue) > 30;
}

static void check_simple_egl(const struct image *img)
{
	// The triangle, drawn by Mesa through EGL: red, green and blue corners.
	int r = count(img, WIN_X, WIN_Y, 250, 250, is_red);
	int g = count(img, WIN_X, WIN_Y, 250, 250, is_green);
	int b = count(img, WIN_X, WIN_Y, 250, 250, is_blue);
	print_message("weston-simple-egl: %d red, %d green, %d blue pixels\n", r, g, b);
	assert_true(r > 30 && g > 30 && b > 30);
	// Outside the triangle, the client's dark background.
	const uint8_t *p = px(img, WIN_X + 10, WIN_Y + 240);
	assert_true(p[0] < 60 && p[1] < 60 && p[2] < 60);
}

/* foot has printed its string (the cursor alone gives about 35 pixels). */
static bool foot_printed(const struct image *img, void *data)
{
	return count(img, WIN_X, WIN_Y + 28, 300, 14, is_foot_foreground) > 150;
}

static void check_foot(const struct image *img)
{
	// foot's terminal background fills its window...
	int bg = count(img, WIN_X, WIN_Y, 400, 300, is_foot_background);
	// ... and the string it printed is in the foreground color, on the first
	// line of text, below the title bar it draws itself.
	int text = count(img, WIN_X, WIN_Y + 28, 300, 14, is_foot_foreground);
	print_message("foot: %d background pixels, %d text pixels\n", bg, text);
	assert_true(bg > 400 * 300 / 2);
	// The cursor alone gives about 35; the string about 280.
	assert_true(text > 150);
}

static void run_case(void **state)
{
	const struct e2e_case *c = *state;
	enum mosaic_backend backend;
	assert_true(mosaic_backend_from_name(c->renderer, &backend));
	// Only renderers that start on this machine: lavapipe/llvmpipe may be absent.
	struct mosaic_renderer *renderer = mosaic_renderer_create(
		&(struct mosaic_renderer_options){ .backend = backend });
	if (renderer == NULL) {
		print_message("the %s renderer cannot start here\n", c->renderer);
		skip();
	}
	mosaic_renderer_destroy(renderer);

	char shot[128], log_path[128], socket[64], delay[16];
	snprintf(shot, sizeof(shot), "%s/%s-%s.png", runtime_dir, c->renderer, c->client);
	snprintf(log_path, sizeof(log_path), "%s/%s-%s.log", runtime_dir, c->renderer,
		c->client);
	snprintf(socket, sizeof(socket), "nested-%s-%s", c->renderer, c->client);
	snprintf(delay, sizeof(delay), "%d", c->delay_ms);

	char *argv[32] = {
		(char *)nested_path, "--renderer", (char *)c->renderer, "--size", "640x480",
		"--socket", socket, "--screenshot", shot, "--screenshot-delay", delay,
	};
	int n = 11;
	if (c->ready == NULL) {
		argv[n++] = "--quit-after-screenshot";
	}
	argv[n++] = "--";
	for (int i = 0; c->argv[i] != NULL && n < 31; i++) {
		argv[n++] = c->argv[i];
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = spawn(argv, PARENT_SOCKET, log_path);
	struct image img;
	bool ready = true;
	if (c->ready != NULL) {
		ready = screenshot_until(pid, log_path, shot, c->ready, NULL, 60000, &img);
		kill(pid, SIGTERM);
	}
	int status = wait_child(pid, 60000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("%s in mosaic-nested (%s) in weston: exit %d after %.2f s (log: %s)\n",
		c->client, c->renderer, status,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		log_path);
	assert_int_equal(status, 0);
	assert_true(ready);
	if (c->ready == NULL) {
		assert_true(load_png(shot, &img));
	}
	assert_int_equal(img.width, 640);
	assert_int_equal(img.height, 480);
	c->check(&img);
	free(img.rgba);
}

/* Our background (output.c), as the parent shows it. */
static bool is_nested_background(const uint8_t *p)
{
	return abs(p[0] - 51) <= 2 && abs(p[1] - 61) <= 2 && abs(p[2] - 77) <= 2;
}

/*
 * The parent's side: Weston's own screenshot (weston-screenshooter) must
 * show mosaic-nested's window, 640x480, with the client inside. This checks
 * the presentation through wl_shm.
 */
static void run_parent_window(void **state)
{
	const char *renderer_name = *state;
	enum mosaic_backend backend;
	assert_true(mosaic_backend_from_name(renderer_name, &backend));
	struct mosaic_renderer *renderer = mosaic_renderer_create(
		&(struct mosaic_renderer_options){ .backend = backend });
	if (renderer == NULL) {
		print_message("the %s renderer cannot start here\n", renderer_name);
		skip();
	}
	mosaic_renderer_destroy(renderer);

	char own[128], log_path[128], socket[64], shots[128];
	snprintf(own, sizeof(own), "%s/%s-parent-own.png", runtime_dir, renderer_name);
	snprintf(log_path, sizeof(log_path), "%s/%s-parent.log", runtime_dir, renderer_name);
	snprintf(socket, sizeof(socket), "nested-%s-parent", renderer_name);
	snprintf(shots, sizeof(shots), "%s/%s-parent-shots", runtime_dir, renderer_name);
	assert_int_equal(mkdir(shots, 0700), 0);

	char *argv[] = {
		(char *)nested_path, "--renderer", (char *)renderer_name, "--size", "640x480",
		"--socket", socket, "--screenshot", own, "--", "weston-simple-shm", NULL,
	};
	pid_t pid = spawn(argv, PARENT_SOCKET, log_path);
	// Our own screenshot means the client is shown; the parent shows it a
	// frame later: its screenshots until one does, 30 s at most.
	assert_true(wait_for_file(own, 30000));
	struct image img = { 0 };
	int x0 = 0, y0 = 0, x1 = -1, y1 = -1;
	bool shown = false;
	for (int attempt = 0; attempt < 100 && !shown; attempt++) {
		char cmd[256], path[256] = "";
		snprintf(cmd, sizeof(cmd), "rm -f %s/wayland-screenshot-*.png", shots);
		assert_int_equal(system(cmd), 0);
		char *shooter[] = { "weston-screenshooter", NULL };
		char shooter_log[160];
		snprintf(shooter_log, sizeof(shooter_log), "%s/screenshooter.log", shots);
		assert_int_equal(wait_child(spawn_in(shooter, PARENT_SOCKET, shooter_log, shots),
			20000), 0);
		snprintf(cmd, sizeof(cmd), "ls %s/wayland-screenshot-*.png", shots);
		FILE *ls = popen(cmd, "r");
		assert_non_null(ls);
		if (fgets(path, sizeof(path), ls) != NULL) {
			path[strcspn(path, "\n")] = '\0';
		}
		pclose(ls);
		free(img.rgba);
		img.rgba = NULL;
		assert_true(load_png(path, &img));
		// Our window: the box of our background color.
		x0 = img.width, y0 = img.height, x1 = -1, y1 = -1;
		for (int y = 0; y < img.height; y++) {
			for (int x = 0; x < img.width; x++) {
				if (is_nested_background(px(&img, x, y))) {
					x0 = x < x0 ? x : x0;
					y0 = y < y0 ? y : y0;
					x1 = x > x1 ? x : x1;
					y1 = y > y1 ? y : y1;
				}
			}
		}
		shown = x1 - x0 + 1 == 640 && y1 - y0 + 1 == 480 &&
			is_white(px(&img, x0 + WIN_X + 5, y0 + WIN_Y + 5));
		if (!shown) {
			usleep(300000);
		}
		print_message("parent screenshot %s: our window at %d,%d %dx%d\n", path, x0, y0,
			x1 - x0 + 1, y1 - y0 + 1);
	}
	kill(pid, SIGTERM);
	assert_int_equal(wait_child(pid, 10000), 0);
	assert_int_equal(x1 - x0 + 1, 640);
	assert_int_equal(y1 - y0 + 1, 480);
	// And inside it, weston-simple-shm where we placed it.
	assert_true(is_white(px(&img, x0 + WIN_X + 5, y0 + WIN_Y + 5)));
	assert_true(distinct_colors(&img, x0 + WIN_X + 30, y0 + WIN_Y + 30, 190, 190) > 200);
	free(img.rgba);
}

static char *const simple_shm_argv[] = { "weston-simple-shm", NULL };
static char *const simple_damage_argv[] = { "weston-simple-damage", NULL };
static char *const simple_egl_argv[] = { "weston-simple-egl", NULL };
/*
 * foot's default window (700x500) is larger than the 640x480 output, where
 * it would be placed at 0,0: a window that fits stays where the checks look.
 */
static char *const foot_argv[] = {
	"foot", "--config=/dev/null", "-o", "colors.background=102030",
	"-o", "colors.foreground=ff00ff", "-o", "font=monospace:size=10",
	"-o", "initial-window-size-pixels=500x400",
	"sh", "-c", "echo MOSAIC-NESTED-OK; sleep 30", NULL,
};

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	if (path == NULL) {
		return false;
	}
	char *copy = strdup(path), *save = NULL;
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

static int start_weston(void **state)
{
	char *argv[] = {
		// pixman, so that weston-screenshooter can read the output;
		// --debug exposes the screenshooter protocol.
		"weston", "--backend=headless-backend.so", "--use-pixman", "--debug",
		"--socket=" PARENT_SOCKET,
		"--idle-time=0", "--width=1024", "--height=768", NULL,
	};
	char log_path[128], sock[128];
	snprintf(log_path, sizeof(log_path), "%s/weston.log", runtime_dir);
	snprintf(sock, sizeof(sock), "%s/%s", runtime_dir, PARENT_SOCKET);
	weston_pid = spawn(argv, NULL, log_path);
	if (!wait_for_file(sock, 15000)) {
		fprintf(stderr, "weston did not start; see %s\n", log_path);
		return -1;
	}
	// The socket exists before the shell is up; give it a moment.
	usleep(300000);
	return 0;
}

static int stop_weston(void **state)
{
	if (weston_pid > 0) {
		kill(weston_pid, SIGTERM);
		wait_child(weston_pid, 5000);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/TO/mosaic-nested\n", argv[0]);
		return 1;
	}
	nested_path = argv[1];
	static const char *const needed[][2] = {
		{ "weston", "weston" },
		{ "weston-simple-shm", "weston" },
		{ "weston-simple-damage", "weston" },
		{ "weston-simple-egl", "weston" },
		{ "weston-screenshooter", "weston" },
		{ "foot", "foot" },
	};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!in_path(needed[i][0])) {
			printf("%s not found (Debian package %s)\n", needed[i][0], needed[i][1]);
			return 77;
		}
	}

	snprintf(runtime_dir, sizeof(runtime_dir), "/tmp/mosaic-e2e-XXXXXX");
	if (mkdtemp(runtime_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
	// No GPU here: Mesa's EGL renders on llvmpipe and shares through wl_shm.
	setenv("LIBGL_ALWAYS_SOFTWARE", "1", 0);
	signal(SIGPIPE, SIG_IGN);

	static const char *const renderers[] = { "pixman", "vulkan", "gles" };
	struct {
		const char *client;
		char *const *argv;
		int delay_ms;
		bool (*ready)(const struct image *img, void *data);
		void (*check)(const struct image *img);
	} clients[] = {
		{ "simple-shm", simple_shm_argv, 0, NULL, check_simple_shm },
		{ "simple-damage", simple_damage_argv, 0, NULL, check_simple_damage },
		// 1.5 s of frames of a moving ball, then one frame: no trail.
		{ "simple-damage-later", simple_damage_argv, 1500, NULL,
			check_simple_damage_later },
		{ "simple-egl", simple_egl_argv, 0, simple_egl_faces, check_simple_egl },
		// foot shows its window before its shell printed.
		{ "foot", foot_argv, 0, foot_printed, check_foot },
	};
	static struct e2e_case cases[18];
	static struct CMUnitTest tests[18];
	static char names[18][64];
	size_t n = 0;
	for (size_t r = 0; r < 3; r++) {
		enum mosaic_backend backend;
		mosaic_backend_from_name(renderers[r], &backend);
		if (!mosaic_backend_is_built(backend)) {
			continue;
		}
		for (size_t c = 0; c < sizeof(clients) / sizeof(clients[0]); c++) {
			cases[n] = (struct e2e_case){
				.renderer = renderers[r],
				.client = clients[c].client,
				.argv = clients[c].argv,
				.delay_ms = clients[c].delay_ms,
				.ready = clients[c].ready,
				.check = clients[c].check,
			};
			snprintf(names[n], sizeof(names[n]), "%s/%s", renderers[r],
				clients[c].client);
			tests[n] = (struct CMUnitTest){
				.name = names[n],
				.test_func = run_case,
				.initial_state = &cases[n],
			};
			n++;
		}
		snprintf(names[n], sizeof(names[n]), "%s/parent-shows-window", renderers[r]);
		tests[n] = (struct CMUnitTest){
			.name = names[n],
			.test_func = run_parent_window,
			.initial_state = (void *)renderers[r],
		};
		n++;
	}
	int failed = _cmocka_run_group_tests("wayland-e2e", tests, n, start_weston,
		stop_weston);
	if (failed == 0) {
		// Keep the screenshots of a failed run for inspection.
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", runtime_dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "cannot remove %s\n", runtime_dir);
		}
	} else {
		fprintf(stderr, "screenshots and logs kept in %s\n", runtime_dir);
	}
	return failed;
}
