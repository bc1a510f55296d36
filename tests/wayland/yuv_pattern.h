#ifndef TEST_WAYLAND_YUV_PATTERN_H
#define TEST_WAYLAND_YUV_PATTERN_H

/*
 * The picture test-yuv-client shows and test-wayland-yuv-vm expects: a
 * YUV_PATTERN_SIZE square of 32x32 blocks, one R'G'B' color each.
 */

#include <stdint.h>

#define YUV_PATTERN_SIZE 128
#define YUV_PATTERN_BLOCK 32

/* The color of pixel (x, y), as 8-bit R'G'B'. */
static inline const uint8_t *yuv_pattern_color(int x, int y)
{
	static const uint8_t colors[16][3] = {
		{ 255, 255, 255 }, { 235, 20, 20 }, { 20, 200, 40 }, { 30, 40, 220 },
		{ 240, 230, 30 }, { 30, 220, 230 }, { 220, 40, 210 }, { 128, 128, 128 },
		{ 16, 16, 16 }, { 200, 120, 60 }, { 90, 160, 200 }, { 160, 80, 140 },
		{ 60, 100, 40 }, { 250, 180, 190 }, { 40, 40, 100 }, { 180, 200, 120 },
	};
	int n = YUV_PATTERN_SIZE / YUV_PATTERN_BLOCK;
	return colors[(y / YUV_PATTERN_BLOCK) * n + x / YUV_PATTERN_BLOCK];
}

#endif
