#ifndef KMS_H
#define KMS_H

/*
 * mosaic-kms: the compositor core (examples/compositor/compositor.h) shown
 * on a display, through KMS, with input from libinput. Its own files hold
 * only what is specific to that output:
 *
 *   main.c     options and start-up: the DRM device, the renderer, input
 *   display.c  KMS: one connector in its preferred mode, atomic commits,
 *              scanout buffers, page flips, writeback screenshots, restoring
 *              what was shown before on exit
 *   input.c    libinput (devices given by path, or the udev seat), the
 *              keyboard through xkbcommon, the pointer and its cursor
 */

#include "compositor.h"

struct display;
struct input;

/*
 * Opens `path`, or the first DRM device with a connected connector when it
 * is NULL, as DRM master with atomic modesetting. Returns its fd (ours) or
 * -1 with a line on stderr.
 */
int display_open_device(const char *path);
/* Picks the connector, CRTC and primary plane of fd (kept by the display). */
struct display *display_create(struct server *server, int fd);
/*
 * Shows what was on the CRTC before us again (or switches it off): call it
 * once the loop ended, before the output buffers go.
 */
void display_restore(struct display *display);
/* Restores (if not done yet), then frees everything. Accepts NULL. */
void display_destroy(struct display *display);
/* The cursor of `input` is drawn over every frame. */
void display_set_input(struct display *display, struct input *input);
/* The mode's size. */
void display_get_size(struct display *display, int *width, int *height);
/* The output hooks; their data is the struct display. */
extern const struct output_impl display_output_impl;

/* Input devices at `paths` (n of them), or the udev seat "seat0" when n is 0. */
struct input *input_create(struct server *server, char **paths, int n);
void input_destroy(struct input *input);
/* Draws the cursor over the windows (the display's overlay). */
void input_draw_cursor(struct input *input, struct mosaic_pass *pass,
	const pixman_region32_t *clip);

#endif
