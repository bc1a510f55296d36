#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include <mosaic/gles.h>

#include <gbm.h>

#include "gl/gles_private.h"
#include "private/export.h"
#include "private/log.h"

void gles_texture_finish_export(struct gles_texture *t)
{
	struct gles_renderer *r = gles_renderer_from_base(t->base.renderer);
	if (t->image != NULL && t->image != EGL_NO_IMAGE_KHR) {
		r->procs.eglDestroyImageKHR(r->display, t->image);
	}
	mosaic_dmabuf_attributes_finish(&t->planes);
	if (t->bo != NULL) {
		gbm_bo_destroy(t->bo);
	}
}

/* EGL_MESA_image_dma_buf_export of the texture's own storage. */
static bool export_in_place(struct gles_renderer *r, struct gles_texture *t,
	struct mosaic_dmabuf_attributes *attribs)
{
	EGLImageKHR image = r->procs.eglCreateImageKHR(r->display, r->context,
		EGL_GL_TEXTURE_2D_KHR, (EGLClientBuffer)(uintptr_t)t->tex, NULL);
	if (image == EGL_NO_IMAGE_KHR) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot make an EGLImage of the texture (0x%x)",
			eglGetError());
		return false;
	}
	bool ok = false;
	int fourcc = 0, n_planes = 0;
	EGLuint64KHR modifier = DRM_FORMAT_MOD_INVALID;
	if (!r->procs.eglExportDMABUFImageQueryMESA(r->display, image, &fourcc, &n_planes,
			&modifier) || n_planes < 1 || n_planes > MOSAIC_DMABUF_MAX_PLANES) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: eglExportDMABUFImageQueryMESA failed (0x%x)",
			eglGetError());
		goto out;
	}
	int fds[MOSAIC_DMABUF_MAX_PLANES] = { -1, -1, -1, -1 };
	EGLint strides[MOSAIC_DMABUF_MAX_PLANES] = {0}, offsets[MOSAIC_DMABUF_MAX_PLANES] = {0};
	// The content must be in memory before someone else reads it.
	glFinish();
	if (!r->procs.eglExportDMABUFImageMESA(r->display, image, fds, strides, offsets)) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: eglExportDMABUFImageMESA failed (0x%x)",
			eglGetError());
		goto out;
	}
	*attribs = (struct mosaic_dmabuf_attributes){
		.width = t->base.width,
		.height = t->base.height,
		.fourcc = (uint32_t)fourcc,
		.modifier = modifier,
		.n_planes = n_planes,
	};
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		attribs->fd[i] = i < n_planes ? fds[i] : -1;
		attribs->offset[i] = i < n_planes ? (uint32_t)offsets[i] : 0;
		attribs->stride[i] = i < n_planes ? (uint32_t)strides[i] : 0;
	}
	ok = true;
	for (int i = 0; i < n_planes; i++) {
		if (fds[i] < 0) {
			mosaic_log(MOSAIC_LOG_ERROR, "gles: the driver exported no fd for plane %d", i);
			mosaic_dmabuf_attributes_finish(attribs);
			ok = false;
			break;
		}
	}
out:
	r->procs.eglDestroyImageKHR(r->display, image);
	return ok;
}

/*
 * Moves the texture's storage into a linear GBM buffer of the renderer's
 * device (imported back as an EGLImage), so that its planes can be handed
 * out. Later updates and draws use the new storage.
 */
static bool move_to_gbm(struct gles_renderer *r, struct gles_texture *t)
{
	char name[32];
	const struct gles_format *fmt = t->format;
	if (fmt == NULL || fmt->swap_rb || fmt->needs_gles3) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: %s textures cannot be exported on %s",
			mosaic_format_name(t->base.fourcc, name), r->device_name);
		return false;
	}
	int w = t->base.width, h = t->base.height;
	struct gbm_bo *bo = gbm_bo_create(r->gbm, (uint32_t)w, (uint32_t)h, t->base.fourcc,
		GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING);
	if (bo == NULL) {
		bo = gbm_bo_create(r->gbm, (uint32_t)w, (uint32_t)h, t->base.fourcc,
			GBM_BO_USE_LINEAR);
	}
	if (bo == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "gles: cannot allocate a %dx%d %s GBM buffer",
			w, h, mosaic_format_name(t->base.fourcc, name));
		return false;
	}
	// Writable: gbm_bo_get_fd gives read-only dmabufs of dumb buffers.
	int fd = -1;
	if (drmPrimeHandleToFD(r->gbm_fd, gbm_bo_get_handle(bo).u32, DRM_CLOEXEC | DRM_RDWR,
			&fd) != 0) {
		fd = gbm_bo_get_fd(bo);
	}
	if (fd < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot export the GBM buffer");
		gbm_bo_destroy(bo);
		return false;
	}
	struct mosaic_dmabuf_attributes planes = {
		.width = w,
		.height = h,
		.fourcc = t->base.fourcc,
		.modifier = gbm_bo_get_modifier(bo),
		.n_planes = 1,
		.offset = { gbm_bo_get_offset(bo, 0) },
		.stride = { gbm_bo_get_stride(bo) },
		.fd = { fd, -1, -1, -1 },
	};
	EGLImageKHR image = gles_create_dmabuf_image(r, &planes, false);
	if (image == EGL_NO_IMAGE_KHR) {
		mosaic_dmabuf_attributes_finish(&planes);
		gbm_bo_destroy(bo);
		return false;
	}
	GLuint tex;
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	r->procs.glEGLImageTargetTexture2DOES(GL_TEXTURE_2D, image);
	bool ok = gles_texture_bind_read_fbo(t);
	if (ok) {
		// The old storage is the read framebuffer: copy it across.
		glCopyTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 0, 0, w, h);
		glBindFramebuffer(GL_FRAMEBUFFER, 0);
	}
	glBindTexture(GL_TEXTURE_2D, 0);
	ok = gles_check_errors(r, "moving a texture into a GBM buffer") && ok;
	if (!ok) {
		glDeleteTextures(1, &tex);
		r->procs.eglDestroyImageKHR(r->display, image);
		mosaic_dmabuf_attributes_finish(&planes);
		gbm_bo_destroy(bo);
		return false;
	}
	glDeleteFramebuffers(1, &t->fbo);
	t->fbo = 0;
	glDeleteTextures(1, &t->tex);
	t->tex = tex;
	t->bo = bo;
	t->image = image;
	t->planes = planes;
	return true;
}

MOSAIC_EXPORT bool mosaic_gles_texture_export_dmabuf(struct mosaic_texture *texture,
	struct mosaic_dmabuf_attributes *attribs)
{
	struct gles_texture *t = gles_texture_from_base(texture);
	struct gles_renderer *r = gles_renderer_from_base(texture->renderer);
	// GPU buffers' textures sample the buffer's own storage.
	if (t->buffer != NULL && t->buffer->rt_tex != 0 && t->tex == t->buffer->rt_tex) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: textures of GPU buffers cannot be exported");
		return false;
	}
	// dmabuf imports and CPU copies of dmabufs: the buffer's own planes.
	if (t->buffer != NULL) {
		struct mosaic_dmabuf_attributes planes;
		return mosaic_buffer_get_dmabuf(t->buffer->buffer, &planes) &&
			mosaic_dmabuf_attributes_copy(attribs, &planes);
	}
	if ((r->base.features & MOSAIC_FEATURE_DMABUF_EXPORT) == 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "gles: %s cannot export dmabufs "
			"(EGL_MESA_image_dma_buf_export)", r->device_name);
		return false;
	}
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		return false;
	}
	bool ok = false;
	if (r->exts.dmabuf_export) {
		ok = export_in_place(r, t, attribs);
	} else {
		ok = t->bo != NULL || move_to_gbm(r, t);
		if (ok) {
			// Readers of the planes see what was drawn so far.
			glFinish();
			ok = mosaic_dmabuf_attributes_copy(attribs, &t->planes);
		}
	}
	gles_pop_context(r, &saved);
	return ok;
}
