/*
 * test-kms-compositor: mosaic-kms on vkms, inside the DRM test VM.
 *
 * - Clients are shown: weston-simple-shm (and foot where installed) with the
 *   pixman renderer, with GLES on card0 and with Vulkan (lavapipe); the screenshot comes from vkms'
 *   writeback connector (the log says so) and must hold the client's pixels
 *   where mosaic-kms placed its window.
 * - Input: a uinput keyboard and a uinput absolute pointer, given with
 *   --input, reach the focused client (test-kms-input-client prints what it
 *   gets): the keymap, keyboard focus, a key, the pointer at the surface
 *   coordinates we moved it to, a click.
 * - Exit: SIGTERM ends mosaic-kms with status 0, and the CRTC shows again
 *   what it showed before (checked through KMS).
 *
 * Usage: test-kms-compositor (paths of mosaic-kms and the client built in).
 * Needs root, vkms and /dev/uinput: exits 77 with the reason without them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <linux/uinput.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <mosaic/mosaic.h>

#include "screenshot.h"

/* mosaic-kms places its first toplevel here (the core's cascade start). */
#define WIN_X 32
#define WIN_Y 32
/* Generous: the VM is TCG-slow, and llvmpipe slower still. */
#define TIMEOUT_MS 120000

static char runtime_dir[64];
static char card[64];

static bool is_white(const uint8_t *p)
{
	return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

/* The mosaic-kms log holds `text`, or `pid` exited first; bounded. */
static bool wait_log(pid_t pid, const char *log_path, const char *text, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 20) {
		const char *log = read_text(log_path);
		if (log != NULL && strstr(log, text) != NULL) {
			return true;
		}
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid) {
			return false;
		}
		usleep(20000);
	}
	return false;
}

static bool renderer_starts(const char *name)
{
	enum mosaic_backend backend;
	if (!mosaic_backend_from_name(name, &backend) || !mosaic_backend_is_built(backend)) {
		return false;
	}
	int fd = open(card, O_RDWR | O_CLOEXEC);
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = backend,
		.drm_fd = fd,
	});
	close(fd);
	bool ok = r != NULL;
	mosaic_renderer_destroy(r);
	return ok;
}

/* What the CRTC of the vkms connector shows (its legacy state). */
struct crtc_state {
	uint32_t crtc_id, buffer_id;
	int mode_valid;
};

static struct crtc_state read_crtc(void)
{
	int fd = open(card, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	drmModeRes *res = drmModeGetResources(fd);
	assert_non_null(res);
	assert_true(res->count_crtcs > 0);
	drmModeCrtc *c = drmModeGetCrtc(fd, res->crtcs[0]);
	assert_non_null(c);
	struct crtc_state s = { c->crtc_id, c->buffer_id, c->mode_valid };
	drmModeFreeCrtc(c);
	drmModeFreeResources(res);
	close(fd);
	return s;
}

struct show_case {
	const char *renderer;
	char *const *client;
	bool (*ready)(const struct image *img, void *data);
	void (*check)(const struct image *img);
};

static bool always(const struct image *img, void *data)
{
	return true;
}

static void check_simple_shm(const struct image *img)
{
	assert_int_equal(img->width, 1024);
	assert_int_equal(img->height, 768);
	// The 250x250 window: a white frame, then the client's gradients.
	assert_true(is_white(px(img, WIN_X + 5, WIN_Y + 5)));
	int colors = distinct_colors(img, WIN_X + 30, WIN_Y + 30, 190, 190);
	print_message("weston-simple-shm: %d distinct colors in the window\n", colors);
	assert_true(colors > 200);
	// The background around it, none of the client's pixels.
	assert_false(is_white(px(img, WIN_X + 260, WIN_Y + 5)));
	assert_int_equal(distinct_colors(img, 600, 500, 100, 100), 1);
}

static bool is_foot_background(const uint8_t *p)
{
	return p[0] == 0x10 && p[1] == 0x20 && p[2] == 0x30;
}

static bool is_foot_foreground(const uint8_t *p)
{
	return p[0] > 180 && p[1] < 80 && p[2] > 180;
}

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

/* foot has printed its line (it maps its window before the text). */
static bool foot_printed(const struct image *img, void *data)
{
	return count(img, WIN_X, WIN_Y + 28, 300, 14, is_foot_foreground) > 150;
}

static void check_foot(const struct image *img)
{
	int bg = count(img, WIN_X, WIN_Y, 400, 300, is_foot_background);
	int text = count(img, WIN_X, WIN_Y + 28, 300, 14, is_foot_foreground);
	print_message("foot: %d background pixels, %d text pixels\n", bg, text);
	assert_true(bg > 400 * 300 / 2);
	assert_true(text > 150);
}

static char *const simple_shm_argv[] = { "weston-simple-shm", NULL };
static char *const foot_argv[] = {
	"foot", "--config=/dev/null", "-o", "colors.background=102030",
	"-o", "colors.foreground=ff00ff", "-o", "font=monospace:size=10",
	"sh", "-c", "echo MOSAIC-KMS-OK; sleep 60", NULL,
};

static bool in_path(const char *name)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static void show_client(void **state)
{
	const struct show_case *c = *state;
	if (!renderer_starts(c->renderer)) {
		print_message("the %s renderer cannot start on %s\n", c->renderer, card);
		skip();
	}
	if (!in_path(c->client[0])) {
		print_message("%s is not installed\n", c->client[0]);
		skip();
	}
	struct crtc_state before = read_crtc();
	char shot[128], log_path[128];
	snprintf(shot, sizeof(shot), "%s/kms-%s-%s.png", runtime_dir, c->renderer, c->client[0]);
	snprintf(log_path, sizeof(log_path), "%s/kms-%s-%s.log", runtime_dir, c->renderer,
		c->client[0]);
	char *argv[32] = {
		MOSAIC_KMS_PATH, "--drm-device", card, "--renderer", (char *)c->renderer,
		"--socket", "mosaic-kms-test", "--screenshot", shot, "--",
	};
	size_t n = 10;
	for (size_t i = 0; c->client[i] != NULL && n < 31; i++) {
		argv[n++] = c->client[i];
	}
	pid_t pid = spawn_in(argv, NULL, log_path, NULL);
	assert_true(pid > 0);
	struct image img = { 0 };
	bool shown = screenshot_until(pid, log_path, shot, c->ready != NULL ? c->ready : always,
		NULL, TIMEOUT_MS, &img);
	kill(pid, SIGTERM);
	int status = wait_child(pid, 30000);
	const char *log = read_text(log_path);
	print_message("%s", log != NULL ? log : "(no log)\n");
	assert_true(shown);
	assert_int_equal(status, 0);
	log = read_text(log_path);
	assert_non_null(strstr(log, "captured through the writeback connector"));
	assert_non_null(strstr(log, "display restored"));
	c->check(&img);
	free(img.rgba);
	struct crtc_state after = read_crtc();
	print_message("CRTC %u before: mode %s, fb %u; after: mode %s, fb %u\n", before.crtc_id,
		before.mode_valid ? "set" : "none", before.buffer_id,
		after.mode_valid ? "set" : "none", after.buffer_id);
	assert_int_equal(after.mode_valid, before.mode_valid);
	assert_int_equal(after.buffer_id, before.buffer_id);
}

/* A uinput device: its /dev/input/eventN in `node`, and udev's tags for it. */
static int make_uinput(const char *name, bool pointer, char *node, size_t size)
{
	int fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, UI_SET_EVBIT, EV_KEY), 0);
	assert_int_equal(ioctl(fd, UI_SET_EVBIT, EV_SYN), 0);
	if (pointer) {
		assert_int_equal(ioctl(fd, UI_SET_KEYBIT, BTN_LEFT), 0);
		assert_int_equal(ioctl(fd, UI_SET_KEYBIT, BTN_RIGHT), 0);
		assert_int_equal(ioctl(fd, UI_SET_KEYBIT, BTN_MIDDLE), 0);
		assert_int_equal(ioctl(fd, UI_SET_EVBIT, EV_ABS), 0);
		// The output's size: one unit, one pixel.
		struct uinput_abs_setup x = { .code = ABS_X,
			.absinfo = { .minimum = 0, .maximum = 1023, .resolution = 10 } };
		struct uinput_abs_setup y = { .code = ABS_Y,
			.absinfo = { .minimum = 0, .maximum = 767, .resolution = 10 } };
		assert_int_equal(ioctl(fd, UI_ABS_SETUP, &x), 0);
		assert_int_equal(ioctl(fd, UI_ABS_SETUP, &y), 0);
	} else {
		for (int key = KEY_ESC; key <= KEY_SLASH; key++) {
			assert_int_equal(ioctl(fd, UI_SET_KEYBIT, key), 0);
		}
	}
	struct uinput_setup setup = { .id = { .bustype = BUS_VIRTUAL, .vendor = 0x1234,
		.product = pointer ? 1 : 2 } };
	snprintf(setup.name, sizeof(setup.name), "%s", name);
	assert_int_equal(ioctl(fd, UI_DEV_SETUP, &setup), 0);
	assert_int_equal(ioctl(fd, UI_DEV_CREATE), 0);

	char sysname[64], dir[160];
	assert_true(ioctl(fd, UI_GET_SYSNAME(sizeof(sysname)), sysname) >= 0);
	snprintf(dir, sizeof(dir), "/sys/devices/virtual/input/%s", sysname);
	node[0] = '\0';
	// devtmpfs makes the node as the kernel registers the event device.
	for (int t = 0; t < 10000 && node[0] == '\0'; t += 20) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d != NULL && (e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, "event", 5) == 0 && strlen(e->d_name) < 16) {
				snprintf(node, size, "/dev/input/%.16s", e->d_name);
			}
		}
		if (d != NULL) {
			closedir(d);
		}
		struct stat st;
		if (node[0] != '\0' && stat(node, &st) != 0) {
			node[0] = '\0';
		}
		if (node[0] == '\0') {
			usleep(20000);
		}
	}
	assert_true(node[0] != '\0');
	// No udevd in the VM: write the properties its input_id builtin would
	// set, where libudev (and so libinput) reads them.
	struct stat st;
	assert_int_equal(stat(node, &st), 0);
	char db[128];
	mkdir("/run/udev", 0755);
	mkdir("/run/udev/data", 0755);
	snprintf(db, sizeof(db), "/run/udev/data/c%u:%u", major(st.st_rdev), minor(st.st_rdev));
	FILE *f = fopen(db, "w");
	assert_non_null(f);
	fprintf(f, "I:1\nE:ID_INPUT=1\n%s", pointer ? "E:ID_INPUT_MOUSE=1\n" :
		"E:ID_INPUT_KEY=1\nE:ID_INPUT_KEYBOARD=1\n");
	fclose(f);
	return fd;
}

static void emit(int fd, uint16_t type, uint16_t code, int32_t value)
{
	struct input_event ev = { .type = type, .code = code, .value = value };
	assert_int_equal(write(fd, &ev, sizeof(ev)), (ssize_t)sizeof(ev));
}

static void input_reaches_client(void **state)
{
	if (access("/dev/uinput", W_OK) != 0) {
		print_message("no /dev/uinput: %s\n", strerror(errno));
		skip();
	}
	struct crtc_state before = read_crtc();
	char keyboard[64], pointer[64], log_path[128];
	int kbd = make_uinput("mosaic test keyboard", false, keyboard, sizeof(keyboard));
	int ptr = make_uinput("mosaic test pointer", true, pointer, sizeof(pointer));
	snprintf(log_path, sizeof(log_path), "%s/kms-input.log", runtime_dir);
	char *argv[] = {
		MOSAIC_KMS_PATH, "--drm-device", card, "--renderer", "pixman",
		"--socket", "mosaic-kms-input", "--input", keyboard, "--input", pointer,
		"--", KMS_INPUT_CLIENT_PATH, NULL,
	};
	pid_t pid = spawn_in(argv, NULL, log_path, NULL);
	assert_true(pid > 0);
	// Both devices, the client's keymap and its keyboard focus (a new window
	// takes it).
	bool ready = wait_log(pid, log_path, "(pointer )", TIMEOUT_MS) &&
		wait_log(pid, log_path, "(keyboard)", TIMEOUT_MS) &&
		wait_log(pid, log_path, "keymap 1 ", TIMEOUT_MS) &&
		wait_log(pid, log_path, "keyboard-enter", TIMEOUT_MS);
	// The pointer to output (100, 60): (68, 28) in the window at (32, 32).
	emit(ptr, EV_ABS, ABS_X, 100);
	emit(ptr, EV_ABS, ABS_Y, 60);
	emit(ptr, EV_SYN, SYN_REPORT, 0);
	bool entered = ready && wait_log(pid, log_path, "pointer-enter 68 28", TIMEOUT_MS);
	emit(ptr, EV_KEY, BTN_LEFT, 1);
	emit(ptr, EV_SYN, SYN_REPORT, 0);
	emit(ptr, EV_KEY, BTN_LEFT, 0);
	emit(ptr, EV_SYN, SYN_REPORT, 0);
	bool clicked = entered && wait_log(pid, log_path, "button 272 1", TIMEOUT_MS) &&
		wait_log(pid, log_path, "button 272 0", TIMEOUT_MS);
	// Shift+A: the key, and the modifier xkbcommon computed with it.
	emit(kbd, EV_KEY, KEY_LEFTSHIFT, 1);
	emit(kbd, EV_SYN, SYN_REPORT, 0);
	emit(kbd, EV_KEY, KEY_A, 1);
	emit(kbd, EV_SYN, SYN_REPORT, 0);
	emit(kbd, EV_KEY, KEY_A, 0);
	emit(kbd, EV_SYN, SYN_REPORT, 0);
	emit(kbd, EV_KEY, KEY_LEFTSHIFT, 0);
	emit(kbd, EV_SYN, SYN_REPORT, 0);
	bool typed = clicked && wait_log(pid, log_path, "key 30 1", TIMEOUT_MS) &&
		wait_log(pid, log_path, "key 30 0", TIMEOUT_MS) &&
		wait_log(pid, log_path, "modifiers 1 0 0 0", TIMEOUT_MS);
	kill(pid, SIGTERM);
	int status = wait_child(pid, 30000);
	const char *log = read_text(log_path);
	print_message("%s", log != NULL ? log : "(no log)\n");
	assert_true(ready);
	assert_true(entered);
	assert_true(clicked);
	assert_true(typed);
	assert_int_equal(status, 0);
	log = read_text(log_path);
	// The keymap is XKB text, as xkbcommon wrote it.
	assert_non_null(strstr(log, "keymap 1 "));
	assert_non_null(strstr(log, "xkb_keymap"));
	assert_non_null(strstr(log, "display restored"));
	struct crtc_state after = read_crtc();
	assert_int_equal(after.mode_valid, before.mode_valid);
	assert_int_equal(after.buffer_id, before.buffer_id);
	ioctl(kbd, UI_DEV_DESTROY);
	ioctl(ptr, UI_DEV_DESTROY);
	close(kbd);
	close(ptr);
}

static bool find_vkms(void)
{
	struct mosaic_drm_device *devices;
	int n = mosaic_drm_list_devices(MOSAIC_DRM_LIST_KMS_ONLY | MOSAIC_DRM_LIST_IGNORE_ENV,
		&devices);
	for (int i = 0; i < n && card[0] == '\0'; i++) {
		if (strcmp(devices[i].driver, "vkms") == 0) {
			snprintf(card, sizeof(card), "%s", devices[i].primary_node);
		}
	}
	mosaic_drm_devices_free(devices);
	return card[0] != '\0';
}

int main(void)
{
	if (getuid() != 0) {
		printf("not root: mosaic-kms needs DRM master and the input devices\n");
		return 77;
	}
	if (!find_vkms()) {
		printf("no vkms device (run inside tests/vm/run.sh)\n");
		return 77;
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "/tmp/test-kms-compositor-XXXXXX");
	if (mkdtemp(runtime_dir) == NULL) {
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
	static const struct show_case cases[] = {
		{ "pixman", simple_shm_argv, NULL, check_simple_shm },
		{ "gles", simple_shm_argv, NULL, check_simple_shm },
		{ "pixman", foot_argv, foot_printed, check_foot },
		{ "gles", foot_argv, foot_printed, check_foot },
		{ "vulkan", simple_shm_argv, NULL, check_simple_shm },
	};
	const struct CMUnitTest tests[] = {
		{ "pixman-weston-simple-shm", show_client, NULL, NULL, (void *)&cases[0] },
		{ "gles-weston-simple-shm", show_client, NULL, NULL, (void *)&cases[1] },
		{ "pixman-foot", show_client, NULL, NULL, (void *)&cases[2] },
		{ "gles-foot", show_client, NULL, NULL, (void *)&cases[3] },
		{ "vulkan-weston-simple-shm", show_client, NULL, NULL, (void *)&cases[4] },
		cmocka_unit_test(input_reaches_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
