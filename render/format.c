#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>

#include "private/export.h"
#include "private/format.h"
#include "private/log.h"

/*
 * The one table of formats, one row per format (rows named in
 * include/private/format.h). DRM fourccs name the bits of a little-endian
 * word from the most significant end ("ARGB8888": A in bits 31:24); pixman
 * names them the same way, so the columns line up name for name. Backends
 * keep their own columns (VkFormat, GL format/type) keyed by the same rows.
 */
#define RGB(fmt, opaque, bpp, alpha) [MOSAIC_FORMAT_ROW_##fmt] = { \
	.fourcc = DRM_FORMAT_##fmt, .name = #fmt, .opaque_substitute = (opaque), \
	.bytes_per_pixel = (bpp), .has_alpha = (alpha), .n_planes = 1, \
	.plane_bits_per_pixel = { (bpp) * 8 }, .hsub = 1, .vsub = 1 }
#define YUV(fmt, planes, depth, h, v, bits0, ...) [MOSAIC_FORMAT_ROW_##fmt] = { \
	.fourcc = DRM_FORMAT_##fmt, .name = #fmt, .is_yuv = true, .n_planes = (planes), \
	.bytes_per_pixel = (bits0) / 8, .plane_bits_per_pixel = { (bits0), __VA_ARGS__ }, \
	.hsub = (h), .vsub = (v), \
	.yuv_depth = (depth) }
static const struct mosaic_format_info infos[MOSAIC_FORMAT_N_ROWS] = {
	RGB(ARGB8888, DRM_FORMAT_XRGB8888, 4, true),
	RGB(XRGB8888, 0, 4, false),
	RGB(ABGR8888, DRM_FORMAT_XBGR8888, 4, true),
	RGB(XBGR8888, 0, 4, false),
	RGB(RGB565, 0, 2, false),
	RGB(ARGB2101010, DRM_FORMAT_XRGB2101010, 4, true),
	RGB(XRGB2101010, 0, 4, false),
	RGB(ABGR2101010, DRM_FORMAT_XBGR2101010, 4, true),
	RGB(XBGR2101010, 0, 4, false),
	// Y plane, then one plane of Cb Cr pairs (NV21: Cr Cb) at half width and height.
	YUV(NV12, 2, 8, 2, 2, 8, 16),
	YUV(NV21, 2, 8, 2, 2, 8, 16),
	// NV12 with 16-bit little-endian samples, the 10 bits in the high bits.
	YUV(P010, 2, 10, 2, 2, 16, 32),
	// Y, Cb and Cr planes, the chroma ones at half width and height.
	YUV(YUV420, 3, 8, 2, 2, 8, 8, 8),
	// Y0 Cb Y1 Cr bytes: one 32-bit pair per two pixels.
	YUV(YUYV, 1, 8, 2, 1, 16, 0),
};
#undef RGB
#undef YUV

/* Indexed like infos; 0 marks the YUV rows, which pixman converts instead. */
static const pixman_format_code_t pixman_codes[MOSAIC_FORMAT_N_ROWS] = {
	[MOSAIC_FORMAT_ROW_ARGB8888] = PIXMAN_a8r8g8b8,
	[MOSAIC_FORMAT_ROW_XRGB8888] = PIXMAN_x8r8g8b8,
	[MOSAIC_FORMAT_ROW_ABGR8888] = PIXMAN_a8b8g8r8,
	[MOSAIC_FORMAT_ROW_XBGR8888] = PIXMAN_x8b8g8r8,
	[MOSAIC_FORMAT_ROW_RGB565] = PIXMAN_r5g6b5,
	[MOSAIC_FORMAT_ROW_ARGB2101010] = PIXMAN_a2r10g10b10,
	[MOSAIC_FORMAT_ROW_XRGB2101010] = PIXMAN_x2r10g10b10,
	[MOSAIC_FORMAT_ROW_ABGR2101010] = PIXMAN_a2b10g10r10,
	[MOSAIC_FORMAT_ROW_XBGR2101010] = PIXMAN_x2b10g10r10,
	[MOSAIC_FORMAT_ROW_NV12] = 0,
	[MOSAIC_FORMAT_ROW_NV21] = 0,
	[MOSAIC_FORMAT_ROW_P010] = 0,
	[MOSAIC_FORMAT_ROW_YUV420] = 0,
	[MOSAIC_FORMAT_ROW_YUYV] = 0,
};

#define N_FORMATS MOSAIC_FORMAT_N_ROWS

int mosaic_format_row(uint32_t fourcc)
{
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (infos[i].fourcc == fourcc) {
			return (int)i;
		}
	}
	return -1;
}

static int find_index(uint32_t fourcc)
{
	return fourcc != 0 ? mosaic_format_row(fourcc) : -1;
}

MOSAIC_EXPORT const struct mosaic_format_info *mosaic_format_get_info(uint32_t fourcc)
{
	int i = find_index(fourcc);
	return i >= 0 ? &infos[i] : NULL;
}

MOSAIC_EXPORT const struct mosaic_format_info *mosaic_format_get_all(size_t *count)
{
	if (count == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "format table: no count given");
		return NULL;
	}
	*count = N_FORMATS;
	return infos;
}

MOSAIC_EXPORT const char *mosaic_format_name(uint32_t fourcc, char buf[static 32])
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	if (info != NULL) {
		snprintf(buf, 32, "%s", info->name);
		return buf;
	}
	char code[5];
	for (int i = 0; i < 4; i++) {
		char c = (char)((fourcc >> (8 * i)) & 0xff);
		code[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	code[4] = '\0';
	snprintf(buf, 32, "%s (0x%08x)", code, fourcc);
	return buf;
}

MOSAIC_EXPORT uint32_t mosaic_format_from_name(const char *name)
{
	if (name == NULL) {
		return 0;
	}
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (strcmp(infos[i].name, name) == 0) {
			return infos[i].fourcc;
		}
	}
	return 0;
}

/* An image size of 1..MOSAIC_MAX_IMAGE_SIZE each way; else false, logged. */
static bool size_ok(int width, int height)
{
	if (width <= 0 || height <= 0 || width > MOSAIC_MAX_IMAGE_SIZE ||
			height > MOSAIC_MAX_IMAGE_SIZE) {
		mosaic_log(MOSAIC_LOG_ERROR, "invalid size %dx%d (must be 1..%d)",
			width, height, MOSAIC_MAX_IMAGE_SIZE);
		return false;
	}
	return true;
}

MOSAIC_EXPORT bool mosaic_format_check_layout(uint32_t fourcc, int width, int height,
	uint32_t stride)
{
	char name[32];
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	if (info == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "unsupported format %s",
			mosaic_format_name(fourcc, name));
		return false;
	}
	if (info->is_yuv) {
		mosaic_log(MOSAIC_LOG_ERROR, "%s is a YUV format: it comes as dmabuf planes, "
			"not as one CPU image", info->name);
		return false;
	}
	if (!size_ok(width, height)) {
		return false;
	}
	uint32_t bpp = info->bytes_per_pixel;
	if ((uint64_t)stride < (uint64_t)width * bpp) {
		mosaic_log(MOSAIC_LOG_ERROR, "stride %u too small for %d pixels of %s",
			stride, width, info->name);
		return false;
	}
	if (stride % bpp != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "stride %u is not a multiple of the %s pixel size %u",
			stride, info->name, bpp);
		return false;
	}
	if ((uint64_t)stride * (uint64_t)height > (uint64_t)INT32_MAX) {
		mosaic_log(MOSAIC_LOG_ERROR, "image of %u x %d bytes is too large", stride, height);
		return false;
	}
	return true;
}

MOSAIC_EXPORT bool mosaic_format_plane_size(const struct mosaic_format_info *info, int plane,
	int width, int height, uint64_t *min_stride, uint32_t *rows)
{
	if (info == NULL || min_stride == NULL || rows == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "plane size: no format or result given");
		return false;
	}
	if (plane < 0 || plane >= info->n_planes) {
		mosaic_log(MOSAIC_LOG_ERROR, "%s has %d plane%s, no plane %d", info->name,
			info->n_planes, info->n_planes == 1 ? "" : "s", plane);
		return false;
	}
	if (!size_ok(width, height)) {
		return false;
	}
	uint64_t w = (uint64_t)width, h = (uint64_t)height;
	if (plane > 0) {
		w = (w + info->hsub - 1) / info->hsub;
		h = (h + info->vsub - 1) / info->vsub;
	} else if (info->is_yuv && info->n_planes == 1) {
		// Packed 4:2:2 rows hold whole pixel pairs.
		w = (w + info->hsub - 1) / info->hsub * info->hsub;
	}
	*min_stride = w * info->plane_bits_per_pixel[plane] / 8;
	*rows = (uint32_t)h;
	return true;
}

pixman_format_code_t mosaic_format_pixman_yuv_code(uint32_t fourcc)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	if (info == NULL || !info->is_yuv) {
		return 0;
	}
	return info->yuv_depth > 8 ? PIXMAN_x2r10g10b10 : PIXMAN_x8r8g8b8;
}

pixman_format_code_t mosaic_format_to_pixman(uint32_t fourcc)
{
	int i = find_index(fourcc);
	return i >= 0 ? pixman_codes[i] : 0;
}

uint32_t mosaic_format_from_pixman(pixman_format_code_t code)
{
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (code != 0 && pixman_codes[i] == code) {
			return infos[i].fourcc;
		}
	}
	return 0;
}
