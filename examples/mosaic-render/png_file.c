#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "png_file.h"

bool png_read_rgba8(const char *path, int *width, int *height, uint8_t **data,
	char *error, size_t error_size)
{
	FILE *file = fopen(path, "rb");
	if (file == NULL) {
		snprintf(error, error_size, "%s", strerror(errno));
		return false;
	}
	png_image png = { .version = PNG_IMAGE_VERSION };
	uint8_t *pixels = NULL;
	if (!png_image_begin_read_from_stdio(&png, file)) {
		goto err;
	}
	png.format = PNG_FORMAT_RGBA;
	if (png.width == 0 || png.height == 0 || png.width > 16384 || png.height > 16384) {
		snprintf(png.message, sizeof(png.message), "unsupported size %ux%u",
			png.width, png.height);
		png_image_free(&png);
		goto err;
	}
	pixels = malloc(PNG_IMAGE_SIZE(png));
	if (pixels == NULL) {
		snprintf(png.message, sizeof(png.message), "out of memory");
		png_image_free(&png);
		goto err;
	}
	if (!png_image_finish_read(&png, NULL, pixels, 0, NULL)) {
		goto err;
	}
	fclose(file);
	*width = (int)png.width;
	*height = (int)png.height;
	*data = pixels;
	return true;

err:
	snprintf(error, error_size, "not a readable PNG file (%s)", png.message);
	free(pixels);
	fclose(file);
	return false;
}

bool png_write_rgba8(const char *path, int width, int height, const uint8_t *data,
	char *error, size_t error_size)
{
	png_image png = {
		.version = PNG_IMAGE_VERSION,
		.width = (png_uint_32)width,
		.height = (png_uint_32)height,
		.format = PNG_FORMAT_RGBA,
	};
	if (!png_image_write_to_file(&png, path, 0, data, width * 4, NULL)) {
		snprintf(error, error_size, "%s", png.message);
		png_image_free(&png);
		return false;
	}
	return true;
}
