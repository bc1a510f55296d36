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

/*
 * The viewport mode (wp_viewport): the client crops its picture to this
 * source rectangle (surface coordinates, fractional) and scales it to the
 * TRANSFORM_W x TRANSFORM_H destination. The crop is half the picture in
 * each direction, so the view is scaled twice; the half-pixel origin puts
 * every sample point a quarter pixel from any edge of the picture's
 * quadrants, whatever rounding a renderer does, and moves the quadrants'
 * boundary a pixel from where an integer (rounded) origin would put it.
 */
#define VIEWPORT_SRC_X 16.5
#define VIEWPORT_SRC_Y 10.5
#define VIEWPORT_SRC_W 32.0
#define VIEWPORT_SRC_H 20.0

/* The XRGB8888 color of surface pixel (x, y) in the viewport mode (nearest filter). */
static inline uint32_t viewport_pattern_xrgb(int x, int y)
{
	double sx = VIEWPORT_SRC_X + (x + 0.5) * VIEWPORT_SRC_W / TRANSFORM_W;
	double sy = VIEWPORT_SRC_Y + (y + 0.5) * VIEWPORT_SRC_H / TRANSFORM_H;
	return transform_pattern_xrgb((int)sx, (int)sy);
}

#endif
