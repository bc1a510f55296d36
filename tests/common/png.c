#include <stdio.h>
#include <string.h>

#include <png.h>

#include "test_common.h"

bool test_png_write(const char *path, const struct test_image *image)
{
	png_image png = {
		.version = PNG_IMAGE_VERSION,
		.width = (png_uint_32)image->width,
		.height = (png_uint_32)image->height,
		.format = PNG_FORMAT_RGBA,
	};
	if (!png_image_write_to_file(&png, path, 0, image->data, image->width * 4, NULL)) {
		fprintf(stderr, "cannot write %s: %s\n", path, png.message);
		png_image_free(&png);
		return false;
	}
	return true;
}
