#ifndef PARENT_H
#define PARENT_H

/*
 * mosaic-nested: what is specific to its output, a window of a parent
 * compositor (parent.c). Everything else is the compositor core
 * (examples/compositor/compositor.h).
 *
 *   main.c    options and start-up: the parent, or --headless
 *   parent.c  being a client of the parent compositor: our window, its
 *             buffers, frame pacing, the parent's input
 */

#include "compositor.h"

struct parent;

/* Connects to the parent (display_name: NULL for WAYLAND_DISPLAY) and maps our window. */
struct parent *parent_connect(struct server *server, const char *display_name);
void parent_destroy(struct parent *parent);
/* The XRGB8888 modifiers the parent takes as linux-dmabuf; *n = 0 without it. */
const uint64_t *parent_dmabuf_modifiers(struct parent *parent, int *n);
/* The output hooks; their data is the struct parent. */
extern const struct output_impl parent_output_impl;

#endif
