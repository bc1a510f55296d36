#define _GNU_SOURCE /* memfd_create */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <errno.h>
#include <fcntl.h>

#include <drm_fourcc.h>

#include "scene.h"

/*
 * The YUV image source: a layer's image converted into Y'CbCr planes, as a
 * video decoder would hand them to a compositor. Chroma samples are taken
 * at the positions the chroma location names (bilinear between the image's
 * pixels, which is exact for the gradients the conformance scenes use).
 */

static float clamp01(float v)
{
	return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

/* The image color at a fractional pixel position, clamped to the image. */
static void color_at(const struct scene_layer *layer, float x, float y, float rgb[3])
{
	int w = layer->image_width, h = layer->image_height;
	x = x < 0.0f ? 0.0f : (x > (float)(w - 1) ? (float)(w - 1) : x);
	y = y < 0.0f ? 0.0f : (y > (float)(h - 1) ? (float)(h - 1) : y);
	int x0 = (int)x, y0 = (int)y;
	int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
	float fx = x - (float)x0, fy = y - (float)y0;
	float c00[4], c10[4], c01[4], c11[4];
	scene_layer_color(layer, x0, y0, c00);
	scene_layer_color(layer, x1, y0, c10);
	scene_layer_color(layer, x0, y1, c01);
	scene_layer_color(layer, x1, y1, c11);
	for (int i = 0; i < 3; i++) {
		float top = c00[i] + (c10[i] - c00[i]) * fx;
		float bottom = c01[i] + (c11[i] - c01[i]) * fx;
		rgb[i] = clamp01(top + (bottom - top) * fy);
	}
}

struct encoder {
	float kr, kb;
	bool full;
	uint32_t depth;
};

static uint32_t quantize(float v, uint32_t max)
{
	float r = floorf(v + 0.5f);
	return r < 0.0f ? 0 : (r > (float)max ? max : (uint32_t)r);
}

/* Y', Cb, Cr codes of an R'G'B' color. */
static void encode(const struct encoder *e, const float rgb[3], uint32_t *y, uint32_t *cb,
	uint32_t *cr)
{
	float ey = e->kr * rgb[0] + (1.0f - e->kr - e->kb) * rgb[1] + e->kb * rgb[2];
	float ecb = (rgb[2] - ey) / (2.0f * (1.0f - e->kb));
	float ecr = (rgb[0] - ey) / (2.0f * (1.0f - e->kr));
	uint32_t max = (1u << e->depth) - 1;
	float scale = (float)(1u << (e->depth - 8));
	if (e->full) {
		*y = quantize(ey * (float)max, max);
		*cb = quantize(ecb * (float)max + (float)(1u << (e->depth - 1)), max);
		*cr = quantize(ecr * (float)max + (float)(1u << (e->depth - 1)), max);
	} else {
		*y = quantize((219.0f * ey + 16.0f) * scale, max);
		*cb = quantize((224.0f * ecb + 128.0f) * scale, max);
		*cr = quantize((224.0f * ecr + 128.0f) * scale, max);
	}
}

static void put16(uint8_t *p, uint32_t v)
{
	// P010 keeps its 10 bits in the high bits of a little-endian word.
	v <<= 6;
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static void fill_planes(const struct scene_layer *layer, const struct mosaic_format_info *info,
	uint8_t *map, const struct mosaic_dmabuf_attributes *a)
{
	const struct mosaic_yuv_info *yuv = &layer->yuv;
	struct encoder e = {
		.kr = yuv->matrix == MOSAIC_YUV_MATRIX_BT709 ? 0.2126f : 0.299f,
		.kb = yuv->matrix == MOSAIC_YUV_MATRIX_BT709 ? 0.0722f : 0.114f,
		.full = yuv->range == MOSAIC_YUV_RANGE_FULL,
		.depth = info->yuv_depth,
	};
	int w = layer->image_width, h = layer->image_height;
	uint8_t *plane[3] = { map + a->offset[0], map + a->offset[1], map + a->offset[2] };
	uint32_t cb, cr, luma;
	// Luma.
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			float rgb[3];
			color_at(layer, (float)x, (float)y, rgb);
			encode(&e, rgb, &luma, &cb, &cr);
			uint8_t *row = plane[0] + (size_t)y * a->stride[0];
			if (info->fourcc == DRM_FORMAT_P010) {
				put16(row + (size_t)x * 2, luma);
			} else if (info->fourcc == DRM_FORMAT_YUYV) {
				row[(size_t)(x / 2) * 4 + (size_t)(x % 2) * 2] = (uint8_t)luma;
				if (x == w - 1 && x % 2 == 0) {
					row[(size_t)(x / 2) * 4 + 2] = (uint8_t)luma;
				}
			} else {
				row[x] = (uint8_t)luma;
			}
		}
	}
	// Chroma sample k sits at luma coordinate sub * k + offset.
	float off_x = yuv->chroma_location == MOSAIC_CHROMA_LOCATION_CENTER ? 0.5f : 0.0f;
	float off_y = yuv->chroma_location == MOSAIC_CHROMA_LOCATION_TOP_LEFT ? 0.0f : 0.5f;
	if (info->vsub == 1) {
		off_y = 0.0f;
	}
	int cw = (w + (int)info->hsub - 1) / (int)info->hsub;
	int ch = (h + (int)info->vsub - 1) / (int)info->vsub;
	for (int j = 0; j < ch; j++) {
		for (int k = 0; k < cw; k++) {
			float rgb[3];
			color_at(layer, (float)info->hsub * (float)k + off_x,
				(float)info->vsub * (float)j + off_y, rgb);
			encode(&e, rgb, &luma, &cb, &cr);
			uint8_t *row1 = plane[info->n_planes > 1 ? 1 : 0] +
				(size_t)j * a->stride[info->n_planes > 1 ? 1 : 0];
			switch (info->fourcc) {
			case DRM_FORMAT_NV12:
				row1[k * 2] = (uint8_t)cb;
				row1[k * 2 + 1] = (uint8_t)cr;
				break;
			case DRM_FORMAT_NV21:
				row1[k * 2] = (uint8_t)cr;
				row1[k * 2 + 1] = (uint8_t)cb;
				break;
			case DRM_FORMAT_P010:
				put16(row1 + (size_t)k * 4, cb);
				put16(row1 + (size_t)k * 4 + 2, cr);
				break;
			case DRM_FORMAT_YUV420:
				row1[k] = (uint8_t)cb;
				plane[2][(size_t)j * a->stride[2] + (size_t)k] = (uint8_t)cr;
				break;
			case DRM_FORMAT_YUYV:
				row1[(size_t)k * 4 + 1] = (uint8_t)cb;
				row1[(size_t)k * 4 + 3] = (uint8_t)cr;
				break;
			}
		}
	}
}

struct mosaic_buffer *scene_yuv_buffer_create(const struct scene_layer *layer,
	char error[static SCENE_ERROR_SIZE])
{
	const struct mosaic_format_info *info = mosaic_format_get_info(layer->format);
	struct mosaic_dmabuf_attributes a = {
		.width = layer->image_width,
		.height = layer->image_height,
		.fourcc = layer->format,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = info->n_planes,
		.fd = { -1, -1, -1, -1 },
		.yuv = layer->yuv,
	};
	uint64_t size = 0;
	for (int p = 0; p < info->n_planes; p++) {
		uint64_t row_bytes;
		uint32_t rows;
		if (!mosaic_format_plane_size(info, p, a.width, a.height, &row_bytes, &rows)) {
			snprintf(error, SCENE_ERROR_SIZE, "%s: no plane %d", layer->where, p);
			return NULL;
		}
		a.stride[p] = (uint32_t)((row_bytes + 63) & ~(uint64_t)63);
		a.offset[p] = (uint32_t)size;
		size += (uint64_t)a.stride[p] * rows;
	}
	int fd = memfd_create("mosaic-render-yuv", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		snprintf(error, SCENE_ERROR_SIZE, "%s: cannot make a memfd of %llu bytes: %s",
			layer->where, (unsigned long long)size, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return NULL;
	}
	uint8_t *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(error, SCENE_ERROR_SIZE, "%s: cannot map the memfd: %s", layer->where,
			strerror(errno));
		close(fd);
		return NULL;
	}
	fill_planes(layer, info, map, &a);
	munmap(map, (size_t)size);
	// One fd for every plane: the buffer owns it once (it closes each plane's fd).
	for (int p = 0; p < info->n_planes; p++) {
		a.fd[p] = p == 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
	}
	struct mosaic_buffer *buffer = mosaic_buffer_from_dmabuf_with_options(&a,
		&(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	if (buffer == NULL) {
		snprintf(error, SCENE_ERROR_SIZE, "%s: the %s planes were refused (see the log)",
			layer->where, info->name);
		for (int p = 0; p < info->n_planes; p++) {
			if (a.fd[p] >= 0) {
				close(a.fd[p]);
			}
		}
	}
	return buffer;
}
