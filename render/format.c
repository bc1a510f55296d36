#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>

#include "private/export.h"
#include "private/format.h"
#include "private/log.h"

/*
 * The one table of formats. DRM fourccs name the bits of a little-endian
 * word from the most significant end ("ARGB8888": A in bits 31:24); pixman
 * names them the same way, so the columns line up name for name. Backends
 * keep their own columns (VkFormat, GL format/type) keyed by fourcc.
 */
static const struct mosaic_format_info infos[] = {
	{ DRM_FORMAT_ARGB8888, "ARGB8888", DRM_FORMAT_XRGB8888, 4, true },
	{ DRM_FORMAT_XRGB8888, "XRGB8888", 0, 4, false },
	{ DRM_FORMAT_ABGR8888, "ABGR8888", DRM_FORMAT_XBGR8888, 4, true },
	{ DRM_FORMAT_XBGR8888, "XBGR8888", 0, 4, false },
	{ DRM_FORMAT_RGB565, "RGB565", 0, 2, false },
	{ DRM_FORMAT_ARGB2101010, "ARGB2101010", DRM_FORMAT_XRGB2101010, 4, true },
	{ DRM_FORMAT_XRGB2101010, "XRGB2101010", 0, 4, false },
	{ DRM_FORMAT_ABGR2101010, "ABGR2101010", DRM_FORMAT_XBGR2101010, 4, true },
	{ DRM_FORMAT_XBGR2101010, "XBGR2101010", 0, 4, false },
};

static const pixman_format_code_t pixman_codes[] = {
	PIXMAN_a8r8g8b8,
	PIXMAN_x8r8g8b8,
	PIXMAN_a8b8g8r8,
	PIXMAN_x8b8g8r8,
	PIXMAN_r5g6b5,
	PIXMAN_a2r10g10b10,
	PIXMAN_x2r10g10b10,
	PIXMAN_a2b10g10r10,
	PIXMAN_x2b10g10r10,
};

#define N_FORMATS (sizeof(infos) / sizeof(infos[0]))
_Static_assert(N_FORMATS == sizeof(pixman_codes) / sizeof(pixman_codes[0]),
	"one pixman code per format");

static int find_index(uint32_t fourcc)
{
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (infos[i].fourcc == fourcc) {
			return (int)i;
		}
	}
	return -1;
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
	if (width <= 0 || height <= 0 || width > MOSAIC_MAX_IMAGE_SIZE ||
			height > MOSAIC_MAX_IMAGE_SIZE) {
		mosaic_log(MOSAIC_LOG_ERROR, "invalid size %dx%d (must be 1..%d)",
			width, height, MOSAIC_MAX_IMAGE_SIZE);
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

pixman_format_code_t mosaic_format_to_pixman(uint32_t fourcc)
{
	int i = find_index(fourcc);
	return i >= 0 ? pixman_codes[i] : 0;
}

uint32_t mosaic_format_from_pixman(pixman_format_code_t code)
{
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (pixman_codes[i] == code) {
			return infos[i].fourcc;
		}
	}
	return 0;
}
