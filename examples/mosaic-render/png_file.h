#ifndef MOSAIC_RENDER_PNG_FILE_H
#define MOSAIC_RENDER_PNG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Reads a PNG file into straight 8-bit RGBA (any PNG color type is
 * converted). On success *data is malloc'ed (the caller frees it). On failure
 * returns false and writes the reason to `error`.
 */
bool png_read_rgba8(const char *path, int *width, int *height, uint8_t **data,
	char *error, size_t error_size);

/** Writes straight 8-bit RGBA as a PNG file; false with the reason in `error`. */
bool png_write_rgba8(const char *path, int width, int height, const uint8_t *data,
	char *error, size_t error_size);

#endif
