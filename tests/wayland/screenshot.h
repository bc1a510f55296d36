#ifndef TEST_WAYLAND_SCREENSHOT_H
#define TEST_WAYLAND_SCREENSHOT_H

/*
 * What the tests that run mosaic-nested with real clients share: starting
 * and waiting for processes, and reading the screenshots they leave.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct image {
	int width, height;
	uint8_t *rgba;
};

/* Reads a PNG as RGBA into img->rgba (the caller frees it). */
bool load_png(const char *path, struct image *img);

/* The RGBA bytes of pixel (x, y). */
const uint8_t *px(const struct image *img, int x, int y);

/* Distinct colors in a box: the gradients of weston-simple-shm have many. */
int distinct_colors(const struct image *img, int x0, int y0, int w, int h);

/* Waits for `pid` at most `timeout_ms`; kills it after that. Returns the exit status. */
int wait_child(pid_t pid, int timeout_ms);

/*
 * Starts argv[0] from PATH in `cwd` with WAYLAND_DISPLAY=`wayland_display`,
 * stdout and stderr to `log_path`; each NULL leaves that as it is.
 */
pid_t spawn_in(char *const argv[], const char *wayland_display, const char *log_path,
	const char *cwd);

/* The text of the file at `path` (a static buffer, at most 64 KiB), or NULL. */
const char *read_text(const char *path);

/*
 * Waits for mosaic-nested (`pid`, started with --screenshot `shot` and
 * stderr to `log_path`) to write screenshots until one `shows`, asking
 * for each next one with SIGUSR1: fills `img` (the caller frees img->rgba)
 * and returns true; false when `timeout_ms` passed or mosaic-nested exited.
 */
bool screenshot_until(pid_t pid, const char *log_path, const char *shot,
	bool (*shows)(const struct image *img, void *data), void *data, int timeout_ms,
	struct image *img);

#endif
