#ifndef MOSAIC_RENDER_PIXELS_H
#define MOSAIC_RENDER_PIXELS_H

/*
 * Packing colors into the pixel formats mosaic knows, and back. The API
 * stores premultiplied pixels; scenes and PNG files use straight alpha.
 */

#include <stdbool.h>
#include <stdint.h>

/** Where each channel sits in a little-endian pixel word; 0 bits = absent. */
struct pixels_layout {
	uint32_t fourcc;
	uint8_t bytes;
	uint8_t shift[4], bits[4]; /* r, g, b, a */
};

/**
 * The layout of `fourcc`, or NULL when it is not one of mosaic's formats.
 * The result is static.
 */
const struct pixels_layout *pixels_layout(uint32_t fourcc);

/** Bytes per pixel of `fourcc`, or 0 when it is not one of mosaic's formats. */
uint32_t pixels_bytes_per_pixel(uint32_t fourcc);

/**
 * Writes one pixel of `fourcc` at `dst` from a straight-alpha color (each
 * channel 0..1): premultiplied, then rounded to the format's precision.
 * Formats without alpha store the color as if opaque.
 */
void pixels_pack(uint32_t fourcc, const float straight[4], void *dst);

/**
 * Reads one pixel of `fourcc` at `src` into straight 8-bit RGBA (alpha 255
 * for formats without alpha).
 */
void pixels_unpack_rgba8(uint32_t fourcc, const void *src, uint8_t rgba[4]);

#endif
