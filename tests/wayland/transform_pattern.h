#ifndef TEST_WAYLAND_TRANSFORM_PATTERN_H
#define TEST_WAYLAND_TRANSFORM_PATTERN_H

/*
 * What test-transform-client shows, in surface pixels: a TRANSFORM_W x
 * TRANSFORM_H picture (wider than tall, so that a swap of axes shows) of
 * four quadrants in four colors. Any of the eight transforms maps the four
 * corners to a different arrangement of colors.
 */

#include <stdint.h>

#define TRANSFORM_W 64
#define TRANSFORM_H 40

/* The XRGB8888 color of surface pixel (x, y). */
static inline uint32_t transform_pattern_xrgb(int x, int y)
{
	static const uint32_t quadrant[4] = {
		0xffff0000, // top left: red
		0xff00ff00, // top right: green
		0xff0000ff, // bottom left: blue
		0xffffff00, // bottom right: yellow
	};
	return quadrant[(y >= TRANSFORM_H / 2) * 2 + (x >= TRANSFORM_W / 2)];
}

#endif
