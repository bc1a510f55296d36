#ifndef MOSAIC_TESTS_WAYLAND_HEADLESS_H
#define MOSAIC_TESTS_WAYLAND_HEADLESS_H

/*
 * A headless mosaic-nested (pixman, 320x240) for the raw-client tests, in
 * an XDG_RUNTIME_DIR of its own that this process also uses.
 */

#include <stdbool.h>
#include <sys/types.h>

struct headless_nested {
	char dir[64];
	char socket[64];
	pid_t pid;
};

/*
 * Starts `nested_path` serving `socket` in a new directory named from
 * `prefix` (/tmp/PREFIX-XXXXXX), and waits for the socket (at most 10 s).
 * False, with a line, when the directory cannot be made.
 */
bool headless_nested_start(struct headless_nested *nested, const char *nested_path,
	const char *prefix, const char *socket);

/* Stops it (SIGTERM) and removes its directory; 1 with a line unless it exited cleanly. */
int headless_nested_stop(struct headless_nested *nested);

#endif
