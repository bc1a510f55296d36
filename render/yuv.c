#include <math.h>
#include <string.h>

#include <drm_fourcc.h>

#include "private/format.h"

/*
 * The CPU conversion of Y'CbCr into R'G'B' (pixman textures). Chroma is
 * reconstructed bilinearly at the location the content states, then every
 * pixel goes through the matrix in float and is rounded once: the same
 * arithmetic a GPU sampler does, so that the backends agree.
 */

struct yuv_reader {
	const struct mosaic_format_info *info;
	const struct mosaic_yuv_plane *planes;
	int chroma_width, chroma_height;
};

static uint32_t read16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t read_luma(const struct yuv_reader *r, int x, int y)
{
	const uint8_t *row = r->planes[0].data + (size_t)y * r->planes[0].stride;
	switch (r->info->fourcc) {
	case DRM_FORMAT_P010:
		return read16(row + (size_t)x * 2) >> 6;
	case DRM_FORMAT_YUYV:
		return row[(size_t)(x / 2) * 4 + (size_t)(x % 2) * 2];
	default:
		return row[x];
	}
}

/* Chroma sample (i, j) of the chroma grid; for YUYV, j is the image row. */
static void read_chroma(const struct yuv_reader *r, int i, int j, float *cb, float *cr)
{
	const struct mosaic_yuv_plane *p = r->planes;
	const uint8_t *row1 = p[r->info->n_planes > 1 ? 1 : 0].data +
		(size_t)j * p[r->info->n_planes > 1 ? 1 : 0].stride;
	switch (r->info->fourcc) {
	case DRM_FORMAT_NV12:
		*cb = row1[(size_t)i * 2];
		*cr = row1[(size_t)i * 2 + 1];
		break;
	case DRM_FORMAT_NV21:
		*cr = row1[(size_t)i * 2];
		*cb = row1[(size_t)i * 2 + 1];
		break;
	case DRM_FORMAT_P010:
		*cb = (float)(read16(row1 + (size_t)i * 4) >> 6);
		*cr = (float)(read16(row1 + (size_t)i * 4 + 2) >> 6);
		break;
	case DRM_FORMAT_YUV420:
		*cb = row1[i];
		*cr = p[2].data[(size_t)j * p[2].stride + (size_t)i];
		break;
	case DRM_FORMAT_YUYV:
		*cb = row1[(size_t)i * 4 + 1];
		*cr = row1[(size_t)i * 4 + 3];
		break;
	default:
		*cb = *cr = 0.0f;
		break;
	}
}

/*
 * Position of luma coordinate `x` on the chroma grid of an axis subsampled
 * by `sub`, when chroma sample k sits at luma coordinate sub * k + offset.
 */
static void chroma_taps(int x, int sub, float offset, int size, int *k0, int *k1, float *w1)
{
	if (sub == 1) {
		*k0 = *k1 = x;
		*w1 = 0.0f;
		return;
	}
	float c = ((float)x - offset) / (float)sub;
	float f = floorf(c);
	int k = (int)f;
	*w1 = c - f;
	*k0 = k < 0 ? 0 : (k >= size ? size - 1 : k);
	*k1 = k + 1 < 0 ? 0 : (k + 1 >= size ? size - 1 : k + 1);
}

static float clamp01(float v)
{
	return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

void mosaic_yuv_convert(const struct mosaic_format_info *info,
	const struct mosaic_yuv_info *yuv, const struct mosaic_yuv_plane planes[static 1],
	int image_width, int image_height, int x, int y, int width, int height,
	uint32_t *dst, uint32_t dst_stride)
{
	struct yuv_reader r = {
		.info = info,
		.planes = planes,
		.chroma_width = (image_width + (int)info->hsub - 1) / (int)info->hsub,
		.chroma_height = (image_height + (int)info->vsub - 1) / (int)info->vsub,
	};
	float kr = 0.299f, kb = 0.114f;
	if (yuv->matrix == MOSAIC_YUV_MATRIX_BT709) {
		kr = 0.2126f;
		kb = 0.0722f;
	}
	float kg = 1.0f - kr - kb;
	uint32_t depth = info->yuv_depth;
	float scale = (float)(1u << (depth - 8));
	float max = (float)((1u << depth) - 1);
	float y_off, y_mul, c_off, c_mul;
	if (yuv->range == MOSAIC_YUV_RANGE_FULL) {
		y_off = 0.0f;
		y_mul = 1.0f / max;
		c_off = (float)(1u << (depth - 1));
		c_mul = 1.0f / max;
	} else {
		y_off = 16.0f * scale;
		y_mul = 1.0f / (219.0f * scale);
		c_off = 128.0f * scale;
		c_mul = 1.0f / (224.0f * scale);
	}
	// Chroma sample k sits at luma coordinate sub * k + offset.
	float off_x = yuv->chroma_location == MOSAIC_CHROMA_LOCATION_CENTER ? 0.5f : 0.0f;
	float off_y = yuv->chroma_location == MOSAIC_CHROMA_LOCATION_TOP_LEFT ? 0.0f : 0.5f;
	bool ten = depth > 8;
	float out_max = ten ? 1023.0f : 255.0f;

	for (int py = y; py < y + height; py++) {
		int j0, j1;
		float wj;
		chroma_taps(py, (int)info->vsub, off_y, r.chroma_height, &j0, &j1, &wj);
		if (info->n_planes == 1) {
			// Packed 4:2:2: the chroma of a row is on that row.
			j0 = j1 = py;
			wj = 0.0f;
		}
		uint32_t *out = (uint32_t *)((uint8_t *)dst + (size_t)py * dst_stride);
		for (int px = x; px < x + width; px++) {
			int i0, i1;
			float wi;
			chroma_taps(px, (int)info->hsub, off_x, r.chroma_width, &i0, &i1, &wi);
			float cb00, cr00, cb10, cr10, cb01, cr01, cb11, cr11;
			read_chroma(&r, i0, j0, &cb00, &cr00);
			read_chroma(&r, i1, j0, &cb10, &cr10);
			read_chroma(&r, i0, j1, &cb01, &cr01);
			read_chroma(&r, i1, j1, &cb11, &cr11);
			float cb = (cb00 * (1.0f - wi) + cb10 * wi) * (1.0f - wj) +
				(cb01 * (1.0f - wi) + cb11 * wi) * wj;
			float cr = (cr00 * (1.0f - wi) + cr10 * wi) * (1.0f - wj) +
				(cr01 * (1.0f - wi) + cr11 * wi) * wj;
			float ey = ((float)read_luma(&r, px, py) - y_off) * y_mul;
			float ecb = (cb - c_off) * c_mul;
			float ecr = (cr - c_off) * c_mul;
			float red = ey + 2.0f * (1.0f - kr) * ecr;
			float blue = ey + 2.0f * (1.0f - kb) * ecb;
			float green = (ey - kr * red - kb * blue) / kg;
			uint32_t rv = (uint32_t)(clamp01(red) * out_max + 0.5f);
			uint32_t gv = (uint32_t)(clamp01(green) * out_max + 0.5f);
			uint32_t bv = (uint32_t)(clamp01(blue) * out_max + 0.5f);
			out[px] = ten ? 3u << 30 | rv << 20 | gv << 10 | bv :
				0xffu << 24 | rv << 16 | gv << 8 | bv;
		}
	}
}
