#ifndef MOSAIC_PRIVATE_FORMAT_H
#define MOSAIC_PRIVATE_FORMAT_H

#include <stdint.h>

#include <pixman.h>

#include <mosaic/format.h>

/*
 * The rows of the format table, in table order, named by the DRM_FORMAT_*
 * macro without its prefix. The core table (render/format.c) and every
 * backend column (gl/format.c, vulkan/renderer.c) are built from this list:
 * a backend writes one BACKEND_COLUMN_<name> entry per row, a supported
 * format or one explicitly marked unsupported, and a row it forgets is a
 * compile error, not a format silently missing.
 */
#define MOSAIC_FORMAT_ROWS(X) \
	X(ARGB8888) X(XRGB8888) X(ABGR8888) X(XBGR8888) X(RGB565) \
	X(ARGB2101010) X(XRGB2101010) X(ABGR2101010) X(XBGR2101010) \
	X(NV12) X(NV21) X(P010) X(YUV420) X(YUYV)

enum mosaic_format_row {
#define MOSAIC_FORMAT_ROW_ENUM(name) MOSAIC_FORMAT_ROW_##name,
	MOSAIC_FORMAT_ROWS(MOSAIC_FORMAT_ROW_ENUM)
#undef MOSAIC_FORMAT_ROW_ENUM
	MOSAIC_FORMAT_N_ROWS,
};

/** The row of `fourcc` in the table, or -1. */
int mosaic_format_row(uint32_t fourcc);

/**
 * The pixman column of the format table: the code pixman reads and writes
 * the format with, 0 when the fourcc is unknown or a YUV format (pixman has
 * no code for these: see mosaic_format_pixman_yuv_code()).
 */
pixman_format_code_t mosaic_format_to_pixman(uint32_t fourcc);

/** The fourcc for a pixman format of the table, or 0. */
uint32_t mosaic_format_from_pixman(pixman_format_code_t code);

/**
 * For YUV formats, the code of the RGB image the pixman backend converts them
 * into (x8r8g8b8, or x2r10g10b10 for 10-bit formats); 0 for other formats.
 */
pixman_format_code_t mosaic_format_pixman_yuv_code(uint32_t fourcc);

/* One plane of a YUV image in CPU memory (borrowed). */
struct mosaic_yuv_plane {
	const uint8_t *data;
	uint32_t stride;
};

/*
 * Converts the rectangle (x, y, width, height) of a `image_width` x
 * `image_height` YUV image of `info` into R'G'B' at the same position of
 * `dst`, an image of mosaic_format_pixman_yuv_code() (x8r8g8b8 or
 * x2r10g10b10 words, `dst_stride` bytes per row). Chroma outside the
 * rectangle is read as needed for the reconstruction. The rectangle must be
 * inside the image (the caller clips).
 */
void mosaic_yuv_convert(const struct mosaic_format_info *info,
	const struct mosaic_yuv_info *yuv, const struct mosaic_yuv_plane planes[static 1],
	int image_width, int image_height, int x, int y, int width, int height,
	uint32_t *dst, uint32_t dst_stride);

#endif
