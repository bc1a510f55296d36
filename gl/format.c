#include <assert.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>

#include "gl/gles_private.h"
#include "private/format.h"
#include "private/log.h"

#ifndef GL_RGB10_A2
#define GL_RGB10_A2 0x8059
#endif

/*
 * The GL column of the format table (one GLES_COLUMN_<row> per row of
 * MOSAIC_FORMAT_ROWS; a missing one does not compile). DRM fourccs name a
 * little-endian word from its most significant end; GL names bytes in memory
 * order: ABGR8888 is GL_RGBA bytes, ARGB8888 GL_BGRA. The 2101010 layouts are
 * GL_UNSIGNED_INT_2_10_10_10_REV words with red in the low bits (ABGR);
 * ARGB2101010 is sampled through a red/blue swizzle.
 */
#define GLES_COLUMN_ABGR8888 { \
		.fourcc = DRM_FORMAT_ABGR8888, .internal_format = GL_RGBA, \
		.format = GL_RGBA, .type = GL_UNSIGNED_BYTE, .has_alpha = true, \
		.memory_fourcc = DRM_FORMAT_ABGR8888, .bpp = 4, \
	}
#define GLES_COLUMN_XBGR8888 { \
		.fourcc = DRM_FORMAT_XBGR8888, .internal_format = GL_RGBA, \
		.format = GL_RGBA, .type = GL_UNSIGNED_BYTE, \
		.memory_fourcc = DRM_FORMAT_XBGR8888, .bpp = 4, \
	}
#define GLES_COLUMN_ARGB8888 { \
		.fourcc = DRM_FORMAT_ARGB8888, .internal_format = GL_BGRA_EXT, \
		.format = GL_BGRA_EXT, .type = GL_UNSIGNED_BYTE, .has_alpha = true, \
		.needs_bgra = true, .memory_fourcc = DRM_FORMAT_ARGB8888, .bpp = 4, \
	}
#define GLES_COLUMN_XRGB8888 { \
		.fourcc = DRM_FORMAT_XRGB8888, .internal_format = GL_BGRA_EXT, \
		.format = GL_BGRA_EXT, .type = GL_UNSIGNED_BYTE, \
		.needs_bgra = true, .memory_fourcc = DRM_FORMAT_XRGB8888, .bpp = 4, \
	}
#define GLES_COLUMN_RGB565 { \
		.fourcc = DRM_FORMAT_RGB565, .internal_format = GL_RGB, \
		.format = GL_RGB, .type = GL_UNSIGNED_SHORT_5_6_5, \
		.memory_fourcc = DRM_FORMAT_RGB565, .bpp = 2, \
	}
#define GLES_COLUMN_ABGR2101010 { \
		.fourcc = DRM_FORMAT_ABGR2101010, .internal_format = GL_RGB10_A2, \
		.format = GL_RGBA, .type = GL_UNSIGNED_INT_2_10_10_10_REV, .has_alpha = true, \
		.needs_gles3 = true, .memory_fourcc = DRM_FORMAT_ABGR2101010, .bpp = 4, \
	}
#define GLES_COLUMN_XBGR2101010 { \
		.fourcc = DRM_FORMAT_XBGR2101010, .internal_format = GL_RGB10_A2, \
		.format = GL_RGBA, .type = GL_UNSIGNED_INT_2_10_10_10_REV, \
		.needs_gles3 = true, .memory_fourcc = DRM_FORMAT_XBGR2101010, .bpp = 4, \
	}
#define GLES_COLUMN_ARGB2101010 { \
		.fourcc = DRM_FORMAT_ARGB2101010, .internal_format = GL_RGB10_A2, \
		.format = GL_RGBA, .type = GL_UNSIGNED_INT_2_10_10_10_REV, .has_alpha = true, \
		.swap_rb = true, .needs_gles3 = true, .memory_fourcc = DRM_FORMAT_ARGB2101010, \
		.bpp = 4, \
	}
#define GLES_COLUMN_XRGB2101010 { \
		.fourcc = DRM_FORMAT_XRGB2101010, .internal_format = GL_RGB10_A2, \
		.format = GL_RGBA, .type = GL_UNSIGNED_INT_2_10_10_10_REV, \
		.swap_rb = true, .needs_gles3 = true, .memory_fourcc = DRM_FORMAT_XRGB2101010, \
		.bpp = 4, \
	}
/*
 * YUV formats have no GL upload equivalent: they come only as dmabufs,
 * imported with EGL_EXT_image_dma_buf_import where the driver lists them and
 * sampled as GL_TEXTURE_EXTERNAL_OES (gl/dmabuf.c).
 */
#define GLES_COLUMN_YUV(fmt) { .fourcc = DRM_FORMAT_##fmt, .dmabuf_only = true }
#define GLES_COLUMN_NV12 GLES_COLUMN_YUV(NV12)
#define GLES_COLUMN_NV21 GLES_COLUMN_YUV(NV21)
#define GLES_COLUMN_P010 GLES_COLUMN_YUV(P010)
#define GLES_COLUMN_YUV420 GLES_COLUMN_YUV(YUV420)
#define GLES_COLUMN_YUYV GLES_COLUMN_YUV(YUYV)

static const struct gles_format formats[MOSAIC_FORMAT_N_ROWS] = {
#define GLES_ROW(name) [MOSAIC_FORMAT_ROW_##name] = GLES_COLUMN_##name,
	MOSAIC_FORMAT_ROWS(GLES_ROW)
#undef GLES_ROW
};

const struct gles_format *gles_format_get(uint32_t fourcc)
{
	int row = mosaic_format_row(fourcc);
	if (row < 0 || formats[row].dmabuf_only) {
		return NULL;
	}
	return &formats[row];
}

bool gles_format_supported(const struct gles_renderer *r, const struct gles_format *fmt)
{
	return fmt != NULL && (!fmt->needs_gles3 || r->gl_major >= 3) &&
		(!fmt->needs_bgra || r->exts.bgra);
}

const struct gles_format *gles_render_storage(const struct gles_renderer *r, uint32_t fourcc)
{
	for (size_t i = 0; i < r->n_render_storage; i++) {
		if (r->render_storage[i].fourcc == fourcc) {
			return r->render_storage[i].storage;
		}
	}
	return NULL;
}

/* Whether a texture of `fmt` can be a color attachment (drivers differ for BGRA). */
static bool probe_renderable(const struct gles_format *fmt)
{
	GLuint tex, fbo;
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexImage2D(GL_TEXTURE_2D, 0, fmt->internal_format, 4, 4, 0, fmt->format, fmt->type,
		NULL);
	bool ok = glGetError() == GL_NO_ERROR;
	glGenFramebuffers(1, &fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
	ok = ok && glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glDeleteFramebuffers(1, &fbo);
	glBindTexture(GL_TEXTURE_2D, 0);
	glDeleteTextures(1, &tex);
	return ok;
}

/*
 * Fills the CPU-memory format sets. Every texture format with a GL
 * equivalent can be sampled; a render format needs a renderable storage, its
 * own or the RGBA one of the same depth (converted on upload and readback).
 */
bool gles_formats_init(struct gles_renderer *r)
{
	const struct gles_format *rgba8 = gles_format_get(DRM_FORMAT_ABGR8888);
	const struct gles_format *rgb10 = gles_format_get(DRM_FORMAT_ABGR2101010);
	bool rgba8_ok = probe_renderable(rgba8);
	bool rgb10_ok = r->gl_major >= 3 && probe_renderable(rgb10);

	size_t n;
	const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
	for (size_t i = 0; i < n; i++) {
		// Each column entry describes its own row (a wrong macro would not).
		assert(formats[i].fourcc == infos[i].fourcc);
		const struct gles_format *fmt = gles_format_get(infos[i].fourcc);
		if (!gles_format_supported(r, fmt)) {
			continue;
		}
		if (!mosaic_format_set_add(&r->base.data_ptr_texture_formats, fmt->fourcc,
				DRM_FORMAT_MOD_LINEAR)) {
			return false;
		}
		const struct gles_format *storage = NULL;
		if (fmt->type == GL_UNSIGNED_INT_2_10_10_10_REV) {
			storage = rgb10_ok ? rgb10 : NULL;
		} else if (!fmt->swap_rb && probe_renderable(fmt)) {
			storage = fmt;
		} else if (rgba8_ok) {
			storage = rgba8;
		}
		if (storage == NULL ||
				r->n_render_storage == sizeof(r->render_storage) /
				sizeof(r->render_storage[0])) {
			continue;
		}
		r->render_storage[r->n_render_storage].fourcc = fmt->fourcc;
		r->render_storage[r->n_render_storage].storage = storage;
		r->n_render_storage++;
		if (!mosaic_format_set_add(&r->base.data_ptr_render_formats, fmt->fourcc,
				DRM_FORMAT_MOD_LINEAR)) {
			return false;
		}
	}
	return true;
}
