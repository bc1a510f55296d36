/* Screenshots: RGBA rows to a PNG file with libpng. */
#include <png.h>
#include <stdio.h>

#include "compositor.h"

bool png_write_rgba(const char *path, int width, int height, const uint8_t *rgba,
	uint32_t stride)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return false;
	}
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
	if (info == NULL || setjmp(png_jmpbuf(png))) {
		// libpng reports errors by jumping back here.
		fprintf(stderr, "%s: cannot write the PNG\n", path);
		png_destroy_write_struct(&png, &info);
		fclose(f);
		return false;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
		PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < height; y++) {
		png_write_row(png, rgba + (size_t)y * stride);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return fclose(f) == 0;
}
