#define _GNU_SOURCE
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "screenshot.h"

bool load_png(const char *path, struct image *img)
{
	png_image png = { .version = PNG_IMAGE_VERSION };
	if (!png_image_begin_read_from_file(&png, path)) {
		return false;
	}
	png.format = PNG_FORMAT_RGBA;
	img->width = (int)png.width;
	img->height = (int)png.height;
	img->rgba = malloc(PNG_IMAGE_SIZE(png));
	if (img->rgba == NULL || !png_image_finish_read(&png, NULL, img->rgba, 0, NULL)) {
		free(img->rgba);
		png_image_free(&png);
		return false;
	}
	return true;
}

const uint8_t *px(const struct image *img, int x, int y)
{
	return &img->rgba[((size_t)y * (size_t)img->width + (size_t)x) * 4];
}

int distinct_colors(const struct image *img, int x0, int y0, int w, int h)
{
	static uint8_t seen[1 << 21];
	memset(seen, 0, sizeof(seen));
	int n = 0;
	for (int y = y0; y < y0 + h; y++) {
		for (int x = x0; x < x0 + w; x++) {
			const uint8_t *p = px(img, x, y);
			uint32_t key = ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) >> 3;
			if (!(seen[key >> 3] & (1u << (key & 7)))) {
				seen[key >> 3] |= (uint8_t)(1u << (key & 7));
				n++;
			}
		}
	}
	return n;
}

int wait_child(pid_t pid, int timeout_ms)
{
	int status;
	for (int t = 0; t < timeout_ms; t += 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

pid_t spawn_in(char *const argv[], const char *wayland_display, const char *log_path,
	const char *cwd)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (cwd != NULL && chdir(cwd) != 0) {
			_exit(126);
		}
		if (wayland_display != NULL) {
			setenv("WAYLAND_DISPLAY", wayland_display, 1);
		}
		if (log_path != NULL) {
			FILE *f = freopen(log_path, "w", stderr);
			if (f != NULL) {
				dup2(fileno(f), STDOUT_FILENO);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

const char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return NULL;
	}
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* How many times `text` occurs in the file at `path`. */
static int count_in(const char *path, const char *text)
{
	const char *s = read_text(path);
	int n = 0;
	while (s != NULL && (s = strstr(s, text)) != NULL) {
		n++;
		s += strlen(text);
	}
	return n;
}

bool screenshot_until(pid_t pid, const char *log_path, const char *shot,
	bool (*shows)(const struct image *img, void *data), void *data, int timeout_ms,
	struct image *img)
{
	const char *written = "screenshot written to ";
	int seen = 0;
	for (int t = 0; t < timeout_ms; t += 20) {
		int n = count_in(log_path, written);
		if (n > seen) {
			seen = n;
			if (load_png(shot, img)) {
				if (shows(img, data)) {
					return true;
				}
				free(img->rgba);
			}
			// Not yet: the next frame, whole.
			kill(pid, SIGUSR1);
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			return false;
		}
		usleep(20000);
	}
	return false;
}
