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

/* Columns converted at a time: the per-column work lives in arrays of this size. */
#define CHUNK 256

struct yuv_constants {
	float y_off, y_mul, c_off, c_mul;
	float cr_r, cb_g, cr_g, cb_b;
	float out_max;
	bool ten;
	float off_x, off_y;
};

static void init_constants(struct yuv_constants *k, const struct mosaic_format_info *info,
	const struct mosaic_yuv_info *yuv)
{
	float kr = 0.299f, kb = 0.114f;
	if (yuv->matrix == MOSAIC_YUV_MATRIX_BT709) {
		kr = 0.2126f;
		kb = 0.0722f;
	}
	float kg = 1.0f - kr - kb;
	uint32_t depth = info->yuv_depth;
	float scale = (float)(1u << (depth - 8));
	float max = (float)((1u << depth) - 1);
	if (yuv->range == MOSAIC_YUV_RANGE_FULL) {
		k->y_off = 0.0f;
		k->y_mul = 1.0f / max;
		k->c_off = (float)(1u << (depth - 1));
		k->c_mul = 1.0f / max;
	} else {
		k->y_off = 16.0f * scale;
		k->y_mul = 1.0f / (219.0f * scale);
		k->c_off = 128.0f * scale;
		k->c_mul = 1.0f / (224.0f * scale);
	}
	// R = Y + 2(1-Kr) Cr, B = Y + 2(1-Kb) Cb, G = (Y - Kr R - Kb B) / Kg.
	k->cr_r = 2.0f * (1.0f - kr);
	k->cb_b = 2.0f * (1.0f - kb);
	k->cb_g = -kb * k->cb_b / kg;
	k->cr_g = -kr * k->cr_r / kg;
	k->ten = depth > 8;
	k->out_max = k->ten ? 1023.0f : 255.0f;
	// Chroma sample k sits at luma coordinate sub * k + offset.
	k->off_x = yuv->chroma_location == MOSAIC_CHROMA_LOCATION_CENTER ? 0.5f : 0.0f;
	k->off_y = yuv->chroma_location == MOSAIC_CHROMA_LOCATION_TOP_LEFT ? 0.0f : 0.5f;
}

/* Converts columns x..x+n (n <= CHUNK) of row py. */
static void convert_span(const struct yuv_reader *r, const struct yuv_constants *k, int py,
	int x, int n, uint32_t *out)
{
	const struct mosaic_format_info *info = r->info;
	int j0, j1, i0[CHUNK], i1[CHUNK];
	float wj, wi[CHUNK];
	chroma_taps(py, (int)info->vsub, k->off_y, r->chroma_height, &j0, &j1, &wj);
	if (info->n_planes == 1) {
		// Packed 4:2:2: the chroma of a row is on that row.
		j0 = j1 = py;
		wj = 0.0f;
	}
	// The chroma columns the span needs, interpolated vertically once.
	int first = r->chroma_width, last = 0;
	for (int c = 0; c < n; c++) {
		chroma_taps(x + c, (int)info->hsub, k->off_x, r->chroma_width, &i0[c], &i1[c],
			&wi[c]);
		first = i0[c] < first ? i0[c] : first;
		last = i1[c] > last ? i1[c] : last;
	}
	// A span of CHUNK pixels touches at most CHUNK + 1 chroma columns (without
	// horizontal subsampling; half as many with it).
	float cb[CHUNK + 2], cr[CHUNK + 2];
	for (int i = first; i <= last; i++) {
		float cb0, cr0, cb1, cr1;
		read_chroma(r, i, j0, &cb0, &cr0);
		read_chroma(r, i, j1, &cb1, &cr1);
		cb[i - first] = (cb0 + (cb1 - cb0) * wj - k->c_off) * k->c_mul;
		cr[i - first] = (cr0 + (cr1 - cr0) * wj - k->c_off) * k->c_mul;
	}
	// Luma, one format test per span rather than per pixel.
	uint32_t luma[CHUNK];
	const uint8_t *row = r->planes[0].data + (size_t)py * r->planes[0].stride;
	if (info->fourcc == DRM_FORMAT_P010) {
		for (int c = 0; c < n; c++) {
			luma[c] = read16(row + (size_t)(x + c) * 2) >> 6;
		}
	} else if (info->fourcc == DRM_FORMAT_YUYV) {
		for (int c = 0; c < n; c++) {
			luma[c] = row[(size_t)((x + c) / 2) * 4 + (size_t)((x + c) % 2) * 2];
		}
	} else {
		for (int c = 0; c < n; c++) {
			luma[c] = row[x + c];
		}
	}
	for (int c = 0; c < n; c++) {
		int a = i0[c] - first, b = i1[c] - first;
		float ecb = cb[a] + (cb[b] - cb[a]) * wi[c];
		float ecr = cr[a] + (cr[b] - cr[a]) * wi[c];
		float ey = ((float)luma[c] - k->y_off) * k->y_mul;
		float red = ey + k->cr_r * ecr;
		float green = ey + k->cb_g * ecb + k->cr_g * ecr;
		float blue = ey + k->cb_b * ecb;
		uint32_t rv = (uint32_t)(clamp01(red) * k->out_max + 0.5f);
		uint32_t gv = (uint32_t)(clamp01(green) * k->out_max + 0.5f);
		uint32_t bv = (uint32_t)(clamp01(blue) * k->out_max + 0.5f);
		out[c] = k->ten ? 3u << 30 | rv << 20 | gv << 10 | bv :
			0xffu << 24 | rv << 16 | gv << 8 | bv;
	}
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
	struct yuv_constants k;
	init_constants(&k, info, yuv);
	for (int py = y; py < y + height; py++) {
		uint32_t *out = (uint32_t *)((uint8_t *)dst + (size_t)py * dst_stride);
		for (int px = x; px < x + width; px += CHUNK) {
			int n = x + width - px < CHUNK ? x + width - px : CHUNK;
			convert_span(&r, &k, py, px, n, out + px);
		}
	}
}
