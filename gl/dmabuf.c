#include <stdlib.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>

#include "gl/gles_private.h"
#include "private/backend.h"
#include "private/list.h"
#include "private/log.h"

static void buffer_release(struct gles_buffer *b)
{
	struct gles_renderer *r = b->renderer;
	if (b->fbo != 0) {
		glDeleteFramebuffers(1, &b->fbo);
	}
	if (b->rbo != 0) {
		glDeleteRenderbuffers(1, &b->rbo);
	}
	if (b->tex != 0) {
		glDeleteTextures(1, &b->tex);
	}
	if (b->rt_tex != 0) {
		glDeleteTextures(1, &b->rt_tex);
	}
	if (b->image != EGL_NO_IMAGE_KHR) {
		r->procs.eglDestroyImageKHR(r->display, b->image);
	}
	mosaic_list_remove(&b->link);
	free(b->cpu_scratch);
	free(b);
}

/* The buffer is being destroyed: drop what was cached for it. */
static void addon_destroy(struct mosaic_buffer_addon *addon)
{
	struct gles_buffer *b = mosaic_container_of(addon, struct gles_buffer, addon);
	struct gles_renderer *r = b->renderer;
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		// Without the context the GL names leak, but the memory must not.
		mosaic_list_remove(&b->link);
		free(b->cpu_scratch);
		free(b);
		return;
	}
	buffer_release(b);
	gles_pop_context(r, &saved);
}

static const struct mosaic_buffer_addon_impl addon_impl = {
	.name = "gles",
	.destroy = addon_destroy,
};

struct gles_buffer *gles_buffer_get(struct gles_renderer *r, struct mosaic_buffer *buffer)
{
	struct mosaic_buffer_addon *addon = mosaic_buffer_addon_find(buffer, r, &addon_impl);
	if (addon != NULL) {
		return mosaic_container_of(addon, struct gles_buffer, addon);
	}
	struct gles_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	b->renderer = r;
	b->buffer = buffer;
	b->image = EGL_NO_IMAGE_KHR;
	mosaic_buffer_addon_attach(buffer, &b->addon, r, &addon_impl);
	mosaic_list_insert(&r->buffers, &b->link);
	return b;
}

void gles_buffers_finish(struct gles_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->buffers) {
		struct gles_buffer *b = mosaic_container_of(link, struct gles_buffer, link);
		mosaic_buffer_addon_detach(&b->addon);
		buffer_release(b);
	}
}

EGLImageKHR gles_create_dmabuf_image(struct gles_renderer *r,
	const struct mosaic_dmabuf_attributes *a, bool probing)
{
	static const EGLint plane_attribs[MOSAIC_DMABUF_MAX_PLANES][5] = {
		{ EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE0_OFFSET_EXT,
			EGL_DMA_BUF_PLANE0_PITCH_EXT, EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT,
			EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT },
		{ EGL_DMA_BUF_PLANE1_FD_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT,
			EGL_DMA_BUF_PLANE1_PITCH_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT,
			EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT },
		{ EGL_DMA_BUF_PLANE2_FD_EXT, EGL_DMA_BUF_PLANE2_OFFSET_EXT,
			EGL_DMA_BUF_PLANE2_PITCH_EXT, EGL_DMA_BUF_PLANE2_MODIFIER_LO_EXT,
			EGL_DMA_BUF_PLANE2_MODIFIER_HI_EXT },
		{ EGL_DMA_BUF_PLANE3_FD_EXT, EGL_DMA_BUF_PLANE3_OFFSET_EXT,
			EGL_DMA_BUF_PLANE3_PITCH_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_LO_EXT,
			EGL_DMA_BUF_PLANE3_MODIFIER_HI_EXT },
	};
	bool modifier = a->modifier != DRM_FORMAT_MOD_INVALID;
	if (modifier && !r->exts.dmabuf_modifiers) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: explicit modifiers need "
			"EGL_EXT_image_dma_buf_import_modifiers");
		return EGL_NO_IMAGE_KHR;
	}
	EGLint attribs[8 + MOSAIC_DMABUF_MAX_PLANES * 10 + 8 + 1];
	size_t i = 0;
	attribs[i++] = EGL_WIDTH;
	attribs[i++] = a->width;
	attribs[i++] = EGL_HEIGHT;
	attribs[i++] = a->height;
	attribs[i++] = EGL_LINUX_DRM_FOURCC_EXT;
	attribs[i++] = (EGLint)a->fourcc;
	attribs[i++] = EGL_IMAGE_PRESERVED_KHR;
	attribs[i++] = EGL_TRUE;
	for (int p = 0; p < a->n_planes && p < MOSAIC_DMABUF_MAX_PLANES; p++) {
		attribs[i++] = plane_attribs[p][0];
		attribs[i++] = a->fd[p];
		attribs[i++] = plane_attribs[p][1];
		attribs[i++] = (EGLint)a->offset[p];
		attribs[i++] = plane_attribs[p][2];
		attribs[i++] = (EGLint)a->stride[p];
		if (modifier) {
			attribs[i++] = plane_attribs[p][3];
			attribs[i++] = (EGLint)(a->modifier & 0xffffffff);
			attribs[i++] = plane_attribs[p][4];
			attribs[i++] = (EGLint)(a->modifier >> 32);
		}
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(a->fourcc);
	if (info != NULL && info->is_yuv) {
		// Chroma sample k sits at luma coordinate 2k (siting 0) or 2k + 0.5 (0.5).
		bool center = a->yuv.chroma_location == MOSAIC_CHROMA_LOCATION_CENTER;
		bool top_left = a->yuv.chroma_location == MOSAIC_CHROMA_LOCATION_TOP_LEFT;
		attribs[i++] = EGL_YUV_COLOR_SPACE_HINT_EXT;
		attribs[i++] = a->yuv.matrix == MOSAIC_YUV_MATRIX_BT709 ? EGL_ITU_REC709_EXT :
			EGL_ITU_REC601_EXT;
		attribs[i++] = EGL_SAMPLE_RANGE_HINT_EXT;
		attribs[i++] = a->yuv.range == MOSAIC_YUV_RANGE_FULL ? EGL_YUV_FULL_RANGE_EXT :
			EGL_YUV_NARROW_RANGE_EXT;
		attribs[i++] = EGL_YUV_CHROMA_HORIZONTAL_SITING_HINT_EXT;
		attribs[i++] = center ? EGL_YUV_CHROMA_SITING_0_5_EXT : EGL_YUV_CHROMA_SITING_0_EXT;
		attribs[i++] = EGL_YUV_CHROMA_VERTICAL_SITING_HINT_EXT;
		attribs[i++] = top_left ? EGL_YUV_CHROMA_SITING_0_EXT :
			EGL_YUV_CHROMA_SITING_0_5_EXT;
	}
	attribs[i++] = EGL_NONE;
	EGLImageKHR image = r->procs.eglCreateImageKHR(r->display, EGL_NO_CONTEXT,
		EGL_LINUX_DMA_BUF_EXT, NULL, attribs);
	if (image == EGL_NO_IMAGE_KHR) {
		char name[32];
		mosaic_log(mosaic_probe_level(probing), "gles: cannot import a %dx%d %s dmabuf "
			"(modifier 0x%llx): EGL error 0x%x", a->width, a->height,
			mosaic_format_name(a->fourcc, name), (unsigned long long)a->modifier,
			eglGetError());
	}
	return image;
}

/* Imports the buffer's dmabuf once; for sampling, also makes its texture. */
bool gles_buffer_import_dmabuf(struct gles_buffer *b, bool for_render)
{
	struct gles_renderer *r = b->renderer;
	if (!r->exts.dmabuf_import || !r->exts.egl_image) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: %s cannot import dmabufs "
			"(EGL_EXT_image_dma_buf_import, GL_OES_EGL_image)", r->device_name);
		return false;
	}
	if (b->image == EGL_NO_IMAGE_KHR) {
		struct mosaic_dmabuf_attributes attribs;
		if (!mosaic_buffer_get_dmabuf(b->buffer, &attribs)) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: the buffer is no dmabuf");
			return false;
		}
		const struct mosaic_format *fmt = mosaic_format_set_get(
			for_render ? &r->base.dmabuf_render_formats :
			&r->base.dmabuf_texture_formats, attribs.fourcc);
		if (fmt == NULL) {
			char name[32];
			mosaic_log(MOSAIC_LOG_ERROR, "gles: format %s cannot be %s as a dmabuf on %s",
				mosaic_format_name(attribs.fourcc, name),
				for_render ? "rendered to" : "sampled", r->device_name);
			return false;
		}
		// External-only pairs were left out of the render set.
		b->external_only = r->force_external ||
			!mosaic_format_set_has(&r->base.dmabuf_render_formats, attribs.fourcc,
				attribs.modifier);
		b->image = gles_create_dmabuf_image(r, &attribs, false);
		if (b->image == EGL_NO_IMAGE_KHR) {
			return false;
		}
		b->fourcc = attribs.fourcc;
	}
	if (for_render || b->tex != 0) {
		return true;
	}
	if (b->external_only && !r->exts.egl_image_external) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: external-only dmabuf and no "
			"GL_OES_EGL_image_external");
		return false;
	}
	b->tex_target = b->external_only ? GL_TEXTURE_EXTERNAL_OES : GL_TEXTURE_2D;
	while (glGetError() != GL_NO_ERROR) {
	}
	glGenTextures(1, &b->tex);
	glBindTexture(b->tex_target, b->tex);
	glTexParameteri(b->tex_target, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(b->tex_target, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	glTexParameteri(b->tex_target, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
	glTexParameteri(b->tex_target, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
	r->procs.glEGLImageTargetTexture2DOES(b->tex_target, b->image);
	glBindTexture(b->tex_target, 0);
	GLenum error = glGetError();
	if (error != GL_NO_ERROR) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot bind the dmabuf to a texture "
			"(GL error 0x%x)", error);
		glDeleteTextures(1, &b->tex);
		b->tex = 0;
		return false;
	}
	return true;
}

/* The framebuffer rendering into (or reading from) the buffer, made once. */
GLuint gles_buffer_get_fbo(struct gles_buffer *b)
{
	struct gles_renderer *r = b->renderer;
	if (b->fbo != 0) {
		return b->fbo;
	}
	if (b->rt_tex == 0 && b->rbo == 0) {
		if (b->image == EGL_NO_IMAGE_KHR && !gles_buffer_import_dmabuf(b, true)) {
			return 0;
		}
		glGenRenderbuffers(1, &b->rbo);
		glBindRenderbuffer(GL_RENDERBUFFER, b->rbo);
		r->procs.glEGLImageTargetRenderbufferStorageOES(GL_RENDERBUFFER, b->image);
		glBindRenderbuffer(GL_RENDERBUFFER, 0);
	}
	glGenFramebuffers(1, &b->fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, b->fbo);
	if (b->rt_tex != 0) {
		glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
			b->rt_tex, 0);
	} else {
		glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER,
			b->rbo);
	}
	GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	if (status != GL_FRAMEBUFFER_COMPLETE) {
		char name[32];
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot render into a %s buffer "
			"(framebuffer status 0x%x)", mosaic_format_name(b->fourcc, name), status);
		glDeleteFramebuffers(1, &b->fbo);
		b->fbo = 0;
		return 0;
	}
	return b->fbo;
}

/* Adds the (format, modifier) pairs EGL imports for formats of the core table. */
bool gles_dmabuf_formats_init(struct gles_renderer *r)
{
	if (r->software) {
		// Nothing is imported: what the core maps and GL holds (dmabuf_cpu_copy.c).
		return gles_dmabuf_cpu_copy_formats_init(r);
	}
	if (!r->exts.dmabuf_import || !r->exts.egl_image) {
		return true;
	}
	size_t n;
	const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
	EGLint n_formats = 0;
	EGLint *formats = NULL;
	if (r->exts.dmabuf_modifiers &&
			r->procs.eglQueryDmaBufFormatsEXT(r->display, 0, NULL, &n_formats) &&
			n_formats > 0) {
		formats = calloc((size_t)n_formats, sizeof(*formats));
		if (formats == NULL || !r->procs.eglQueryDmaBufFormatsEXT(r->display, n_formats,
				formats, &n_formats)) {
			free(formats);
			formats = NULL;
			n_formats = 0;
		}
	}
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		uint32_t fourcc = infos[i].fourcc;
		// Without the query, which YUV formats import is the driver's secret.
		bool listed = formats == NULL && !infos[i].is_yuv;
		for (EGLint j = 0; formats != NULL && j < n_formats; j++) {
			listed = listed || (uint32_t)formats[j] == fourcc;
		}
		if (!listed) {
			continue;
		}
		// An implicit modifier is always worth a try: the driver picks the layout.
		// YUV formats are sampled (external-only), never rendered to.
		ok = mosaic_format_set_add(&r->base.dmabuf_texture_formats, fourcc,
				DRM_FORMAT_MOD_INVALID) && (infos[i].is_yuv ||
			mosaic_format_set_add(&r->base.dmabuf_render_formats, fourcc,
				DRM_FORMAT_MOD_INVALID));
		if (!ok || formats == NULL) {
			continue;
		}
		EGLint n_mods = 0;
		if (!r->procs.eglQueryDmaBufModifiersEXT(r->display, (EGLint)fourcc, 0, NULL, NULL,
				&n_mods) || n_mods <= 0) {
			continue;
		}
		EGLuint64KHR *mods = calloc((size_t)n_mods, sizeof(*mods));
		EGLBoolean *external = calloc((size_t)n_mods, sizeof(*external));
		if (mods != NULL && external != NULL &&
				r->procs.eglQueryDmaBufModifiersEXT(r->display, (EGLint)fourcc, n_mods,
				mods, external, &n_mods)) {
			for (EGLint j = 0; j < n_mods && ok; j++) {
				ok = mosaic_format_set_add(&r->base.dmabuf_texture_formats, fourcc,
					mods[j]);
				if (ok && !external[j] && !infos[i].is_yuv) {
					ok = mosaic_format_set_add(&r->base.dmabuf_render_formats,
						fourcc, mods[j]);
				}
			}
		}
		free(mods);
		free(external);
	}
	free(formats);
	return ok;
}

/*
 * Whether EGL_MESA_image_dma_buf_export gives real fds for GL textures:
 * kms_swrast lists the extension but keeps ordinary textures in malloc
 * memory, and exports them with fd -1.
 */
bool gles_probe_export(struct gles_renderer *r)
{
	if (!r->exts.dmabuf_export || !r->exts.gl_texture_image) {
		return false;
	}
	GLuint tex;
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, 4, 4, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
	glBindTexture(GL_TEXTURE_2D, 0);
	bool ok = false;
	EGLImageKHR image = r->procs.eglCreateImageKHR(r->display, r->context,
		EGL_GL_TEXTURE_2D_KHR, (EGLClientBuffer)(uintptr_t)tex, NULL);
	int fourcc = 0, n_planes = 0;
	EGLuint64KHR modifier;
	if (image != EGL_NO_IMAGE_KHR && r->procs.eglExportDMABUFImageQueryMESA(r->display,
			image, &fourcc, &n_planes, &modifier) && n_planes >= 1 &&
			n_planes <= MOSAIC_DMABUF_MAX_PLANES) {
		int fds[MOSAIC_DMABUF_MAX_PLANES] = { -1, -1, -1, -1 };
		EGLint strides[MOSAIC_DMABUF_MAX_PLANES], offsets[MOSAIC_DMABUF_MAX_PLANES];
		if (r->procs.eglExportDMABUFImageMESA(r->display, image, fds, strides, offsets)) {
			ok = true;
			for (int i = 0; i < n_planes; i++) {
				ok = ok && fds[i] >= 0;
			}
		}
		for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
			if (fds[i] >= 0 && (i == 0 || fds[i] != fds[0])) {
				close(fds[i]);
			}
		}
	}
	if (image != EGL_NO_IMAGE_KHR) {
		r->procs.eglDestroyImageKHR(r->display, image);
	}
	glDeleteTextures(1, &tex);
	while (glGetError() != GL_NO_ERROR) {
	}
	if (!ok) {
		mosaic_log(MOSAIC_LOG_INFO, "gles: %s lists EGL_MESA_image_dma_buf_export but "
			"exports no fd for textures: exports go through GBM buffers where there is a "
			"GBM device, else are off", r->device_name);
	}
	return ok;
}
