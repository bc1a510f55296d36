#include <stddef.h>
#include <string.h>

#include <drm_fourcc.h>

#include "pixels.h"

static const struct pixels_layout layouts[] = {
	{ DRM_FORMAT_ARGB8888, 4, { 16, 8, 0, 24 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XRGB8888, 4, { 16, 8, 0, 24 }, { 8, 8, 8, 0 } },
	{ DRM_FORMAT_ABGR8888, 4, { 0, 8, 16, 24 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XBGR8888, 4, { 0, 8, 16, 24 }, { 8, 8, 8, 0 } },
	{ DRM_FORMAT_RGB565, 2, { 11, 5, 0, 0 }, { 5, 6, 5, 0 } },
	{ DRM_FORMAT_ARGB2101010, 4, { 20, 10, 0, 30 }, { 10, 10, 10, 2 } },
	{ DRM_FORMAT_XRGB2101010, 4, { 20, 10, 0, 30 }, { 10, 10, 10, 0 } },
	{ DRM_FORMAT_ABGR2101010, 4, { 0, 10, 20, 30 }, { 10, 10, 10, 2 } },
	{ DRM_FORMAT_XBGR2101010, 4, { 0, 10, 20, 30 }, { 10, 10, 10, 0 } },
};

const struct pixels_layout *pixels_layout(uint32_t fourcc)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (layouts[i].fourcc == fourcc) {
			return &layouts[i];
		}
	}
	return NULL;
}

uint32_t pixels_bytes_per_pixel(uint32_t fourcc)
{
	const struct pixels_layout *l = pixels_layout(fourcc);
	return l != NULL ? l->bytes : 0;
}

static float clamp01(float v)
{
	return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

void pixels_pack(uint32_t fourcc, const float straight[4], void *dst)
{
	const struct pixels_layout *l = pixels_layout(fourcc);
	if (l == NULL) {
		return;
	}
	uint32_t a_max = l->bits[3] != 0 ? (1u << l->bits[3]) - 1 : 0;
	// Premultiply by the alpha the format can store, so that color never exceeds it.
	float a = 1.0f;
	if (a_max != 0) {
		a = (float)(uint32_t)(clamp01(straight[3]) * (float)a_max + 0.5f) / (float)a_max;
	}
	float c[4] = {
		clamp01(straight[0]) * a, clamp01(straight[1]) * a, clamp01(straight[2]) * a, a,
	};
	uint32_t word = 0;
	for (int i = 0; i < 4; i++) {
		if (l->bits[i] != 0) {
			uint32_t max = (1u << l->bits[i]) - 1;
			word |= (uint32_t)(c[i] * (float)max + 0.5f) << l->shift[i];
		}
	}
	if (l->bytes == 2) {
		uint16_t w16 = (uint16_t)word;
		memcpy(dst, &w16, 2);
	} else {
		memcpy(dst, &word, 4);
	}
}

void pixels_unpack_rgba8(uint32_t fourcc, const void *src, uint8_t rgba[4])
{
	const struct pixels_layout *l = pixels_layout(fourcc);
	if (l == NULL) {
		memset(rgba, 0, 4);
		return;
	}
	uint32_t word;
	if (l->bytes == 2) {
		uint16_t w16;
		memcpy(&w16, src, 2);
		word = w16;
	} else {
		memcpy(&word, src, 4);
	}
	float c[4];
	for (int i = 0; i < 4; i++) {
		if (l->bits[i] == 0) {
			c[i] = 1.0f;
			continue;
		}
		uint32_t max = (1u << l->bits[i]) - 1;
		c[i] = (float)((word >> l->shift[i]) & max) / (float)max;
	}
	for (int i = 0; i < 3; i++) {
		float s = c[3] > 0.0f ? clamp01(c[i] / c[3]) : 0.0f;
		rgba[i] = (uint8_t)(s * 255.0f + 0.5f);
	}
	rgba[3] = (uint8_t)(c[3] * 255.0f + 0.5f);
}
