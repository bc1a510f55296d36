/*
 * A YUV client in mosaic-nested: test-yuv-client shows a dmabuf in each YUV
 * format the renderer offers with the LINEAR modifier, mosaic-nested (GLES
 * and Vulkan on /dev/dri/card0) draws it, and the screenshot must show the
 * client's R'G'B' blocks (yuv_pattern.h): the inside of every block within
 * YUV_TOLERANCE of its color. The client converted the colors with BT.601
 * limited range; 8-bit quantization of Y'CbCr moves a channel by up to about
 * 2/255 and the renderer's own conversion rounds once more.
 *
 * Needs /dev/dri/card0 and /dev/udmabuf (the DRM test VM, tests/vm): runs
 * from the drm-vm test. Usage: test-wayland-yuv-vm [PATH/TO/mosaic-nested
 * [PATH/TO/test-yuv-client]]. Exits 77 with one line when the card, udmabuf
 * or every renderer's YUV formats are missing; formats a renderer does not
 * offer are listed, not counted as passes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include <mosaic/mosaic.h>

#include "screenshot.h"
#include "yuv_pattern.h"

#define CARD "/dev/dri/card0"
/* mosaic-nested places its first toplevel here (cascade start). */
#define WIN_X 32
#define WIN_Y 32
#define YUV_TOLERANCE 6

static const char *nested_path = MOSAIC_NESTED_PATH;
static const char *client_path = YUV_CLIENT_PATH;
static char runtime_dir[64];

static const struct {
	const char *name;
	uint32_t fourcc;
} yuv_formats[] = {
	{ "NV12", DRM_FORMAT_NV12 }, { "NV21", DRM_FORMAT_NV21 },
	{ "YUV420", DRM_FORMAT_YUV420 }, { "YUYV", DRM_FORMAT_YUYV },
	{ "P010", DRM_FORMAT_P010 },
};
#define N_FORMATS (sizeof(yuv_formats) / sizeof(yuv_formats[0]))

/* Which formats each renderer offers as LINEAR dmabuf textures on the card. */
static bool offered[2][N_FORMATS];
static const enum mosaic_backend backends[2] = { MOSAIC_BACKEND_GLES, MOSAIC_BACKEND_VULKAN };
/*
 * Where the client's buffer comes from: a udmabuf, as from a V4L2 decoder.
 * GLES on llvmpipe would fault sampling one through EGL (Mesa 25.0.7): mosaic
 * gives a software driver no dmabuf, it copies them (gl/dmabuf_cpu_copy.c).
 */
static const char *const sources[2] = { "udmabuf", "udmabuf" };

static void find_offers(void)
{
	for (int b = 0; b < 2; b++) {
		int fd = open(CARD, O_RDWR | O_CLOEXEC);
		struct mosaic_renderer *r = fd < 0 ? NULL :
			mosaic_renderer_create(&(struct mosaic_renderer_options){
				.backend = backends[b], .drm_fd = fd,
			});
		const struct mosaic_format_set *set = r == NULL ? NULL :
			mosaic_renderer_get_texture_formats(r, MOSAIC_BUFFER_CAP_DMABUF);
		for (size_t i = 0; i < N_FORMATS; i++) {
			const struct mosaic_format *f = set == NULL ? NULL :
				mosaic_format_set_get(set, yuv_formats[i].fourcc);
			for (size_t m = 0; f != NULL && m < f->n_modifiers; m++) {
				offered[b][i] |= f->modifiers[m] == DRM_FORMAT_MOD_LINEAR;
			}
			if (!offered[b][i]) {
				printf("%s on %s: %s not offered as a LINEAR dmabuf texture\n",
					mosaic_backend_name(backends[b]), CARD, yuv_formats[i].name);
			}
		}
		mosaic_renderer_destroy(r);
		if (fd >= 0) {
			close(fd);
		}
	}
}

static void check_format(int b, size_t i)
{
	const char *renderer = mosaic_backend_name(backends[b]);
	const char *format = yuv_formats[i].name;
	char name[32], shot[160], log_path[160], socket[48];
	snprintf(name, sizeof(name), "%s-%s", renderer, format);
	snprintf(shot, sizeof(shot), "%s/%s.png", runtime_dir, name);
	snprintf(log_path, sizeof(log_path), "%s/%s.log", runtime_dir, name);
	snprintf(socket, sizeof(socket), "yuv-%s", name);
	char *argv[] = {
		(char *)nested_path, "--headless", "--renderer", (char *)renderer,
		"--drm-device", CARD, "--size", "320x240", "--socket", socket,
		// The client commits its one buffer as it maps: the first frame that
		// shows the window shows the picture.
		"--screenshot", shot, "--quit-after-screenshot",
		"--", (char *)client_path, (char *)format, (char *)sources[b], NULL,
	};
	int status = wait_child(spawn_in(argv, NULL, log_path, NULL), 120000);
	const char *log = read_text(log_path);
	if (status != 0 || log == NULL || strstr(log, "showing a") == NULL) {
		print_message("%s: mosaic-nested exited %d\n%s", name, status,
			log != NULL ? log : "(no log)\n");
		fail();
	}
	assert_null(strstr(log, "the client exited"));
	struct image img;
	assert_true(load_png(shot, &img));
	int worst = 0, worst_x = 0, worst_y = 0;
	// Each block's inside: 4 pixels from its edges, beyond any chroma filter's reach.
	for (int y = 0; y < YUV_PATTERN_SIZE; y++) {
		for (int x = 0; x < YUV_PATTERN_SIZE; x++) {
			int bx = x % YUV_PATTERN_BLOCK, by = y % YUV_PATTERN_BLOCK;
			if (bx < 4 || by < 4 || bx >= YUV_PATTERN_BLOCK - 4 ||
					by >= YUV_PATTERN_BLOCK - 4) {
				continue;
			}
			const uint8_t *want = yuv_pattern_color(x, y);
			const uint8_t *got = px(&img, WIN_X + x, WIN_Y + y);
			for (int c = 0; c < 3; c++) {
				int d = abs((int)got[c] - (int)want[c]);
				if (d > worst) {
					worst = d;
					worst_x = x;
					worst_y = y;
				}
			}
		}
	}
	const uint8_t *want = yuv_pattern_color(worst_x, worst_y);
	const uint8_t *got = px(&img, WIN_X + worst_x, WIN_Y + worst_y);
	print_message("%s from %s in mosaic-nested on %s: worst channel off by %d/255 at "
		"%d,%d (%u,%u,%u for %u,%u,%u)\n", format, sources[b], renderer, worst, worst_x,
		worst_y,
		got[0], got[1], got[2], want[0], want[1], want[2]);
	free(img.rgba);
	assert_true(worst <= YUV_TOLERANCE);
}

static void test_formats(void **state)
{
	int b = (int)(intptr_t)*state;
	int run = 0;
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (offered[b][i]) {
			check_format(b, i);
			run++;
		}
	}
	if (run == 0) {
		print_message("%s offers no YUV format here\n", mosaic_backend_name(backends[b]));
		skip();
	}
}

static int setup_gles(void **state)
{
	*state = (void *)(intptr_t)0;
	return 0;
}

static int setup_vulkan(void **state)
{
	*state = (void *)(intptr_t)1;
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc > 1) {
		nested_path = argv[1];
	}
	if (argc > 2) {
		client_path = argv[2];
	}
	if (access(CARD, R_OK | W_OK) != 0 || access("/dev/udmabuf", R_OK | W_OK) != 0) {
		printf("no %s or /dev/udmabuf here (the DRM test VM has both: meson test "
			"--suite drm)\n", CARD);
		return 77;
	}
	find_offers();
	snprintf(runtime_dir, sizeof(runtime_dir), "/tmp/mosaic-yuv-vm-XXXXXX");
	if (mkdtemp(runtime_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
	unsetenv("WAYLAND_DISPLAY");

	const struct CMUnitTest tests[] = {
		{ "test_yuv_gles", test_formats, setup_gles, NULL, NULL },
		{ "test_yuv_vulkan", test_formats, setup_vulkan, NULL, NULL },
	};
	return cmocka_run_group_tests_name("wayland-yuv-vm", tests, NULL, NULL);
}
