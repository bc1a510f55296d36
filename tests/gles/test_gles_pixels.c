/*
 * test-gles: the random pixels of the tests and the comparison of two
 * images through pixman (see test_gles.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <pixman.h>

#include <mosaic/mosaic.h>

#include "test_gles.h"

static uint32_t rng_state = 12345;

uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random premultiplied ARGB8888 pixels (some opaque, some transparent). */
void fill_premultiplied(uint32_t *pixels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t r = rng();
		uint32_t a = (r >> 24) & 0xff;
		if ((r & 7) == 0) {
			a = 0xff;
		} else if ((r & 7) == 1) {
			a = 0;
		}
		uint32_t c[3];
		for (int k = 0; k < 3; k++) {
			c[k] = a == 0 ? 0 : (rng() & 0xff) % (a + 1);
		}
		pixels[i] = a << 24 | c[0] << 16 | c[1] << 8 | c[2];
	}
}

static pixman_format_code_t pixman_code(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_ARGB8888: return PIXMAN_a8r8g8b8;
	case DRM_FORMAT_XRGB8888: return PIXMAN_x8r8g8b8;
	case DRM_FORMAT_ABGR8888: return PIXMAN_a8b8g8r8;
	case DRM_FORMAT_XBGR8888: return PIXMAN_x8b8g8r8;
	case DRM_FORMAT_RGB565: return PIXMAN_r5g6b5;
	case DRM_FORMAT_ARGB2101010: return PIXMAN_a2r10g10b10;
	case DRM_FORMAT_XRGB2101010: return PIXMAN_x2r10g10b10;
	case DRM_FORMAT_ABGR2101010: return PIXMAN_a2b10g10r10;
	case DRM_FORMAT_XBGR2101010: return PIXMAN_x2b10g10r10;
	}
	return 0;
}

/* Converts `w` x `h` pixels of `fourcc` into ARGB8888 (tight rows). */
uint32_t *to_argb(uint32_t fourcc, const void *data, uint32_t stride, int w, int h)
{
	uint32_t *out = calloc((size_t)w * h, 4);
	pixman_image_t *src = pixman_image_create_bits(pixman_code(fourcc), w, h,
		(uint32_t *)(uintptr_t)data, (int)stride);
	pixman_image_t *dst = pixman_image_create_bits(PIXMAN_a8r8g8b8, w, h, out, w * 4);
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0, w, h);
	pixman_image_unref(src);
	pixman_image_unref(dst);
	return out;
}

/* Counts pixels whose channels differ by more than `tol` (alpha ignored for X formats). */
int compare(uint32_t fourcc, const void *a, const void *b, uint32_t stride, int w, int h,
	int tol, const char *what)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	uint32_t *pa = to_argb(fourcc, a, stride, w, h);
	uint32_t *pb = to_argb(fourcc, b, stride, w, h);
	// A 2-bit alpha channel rounds to steps of 85 in 8 bits: one step either way.
	bool alpha2 = fourcc == DRM_FORMAT_ARGB2101010 || fourcc == DRM_FORMAT_ABGR2101010;
	int bad = 0;
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			uint32_t va = pa[y * w + x], vb = pb[y * w + x];
			int worst = 0;
			for (int shift = 0; shift < 32; shift += 8) {
				if (shift == 24 && !info->has_alpha) {
					continue;
				}
				int d = abs((int)((va >> shift) & 0xff) - (int)((vb >> shift) & 0xff));
				if (shift == 24 && alpha2) {
					d = d <= 85 ? 0 : d;
				}
				worst = d > worst ? d : worst;
			}
			if (worst > tol) {
				if (bad < 5) {
					fprintf(stderr, "%s (%s): pixel %d,%d gles %08x pixman %08x\n",
						what, info->name, x, y, va, vb);
				}
				bad++;
			}
		}
	}
	free(pa);
	free(pb);
	return bad;
}
