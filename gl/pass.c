#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include <mosaic/format.h>

#include "gl/pass_private.h"
#include "private/list.h"
#include "private/log.h"

static const struct mosaic_pass_impl gles_pass_impl;

struct gles_pass *gles_pass_from_base(struct mosaic_pass *base)
{
	return mosaic_container_of(base, struct gles_pass, base);
}

void gles_pass_destroy(struct gles_pass *pass)
{
	pixman_region32_fini(&pass->replaced);
	pixman_region32_fini(&pass->touched);
	free(pass->cmds);
	free(pass->verts);
	free(pass->rects);
	mosaic_touched_finish(&pass->touched_boxes);
	free(pass);
}

/*
 * The context waits for the sync_file before the commands submit issues
 * (eglWaitSyncKHR); without native fences the core waits on the CPU.
 * Software drivers get the core's bounded CPU wait too: llvmpipe's
 * eglWaitSyncKHR blocks the calling thread until the fence signals, with no
 * bound (tests/drm/test-sync.c, test_never_signaled_gles).
 */
static bool gles_pass_wait_sync_file(struct mosaic_pass *base, int fd)
{
	struct gles_pass *pass = gles_pass_from_base(base);
	struct gles_renderer *r = pass->renderer;
	if (!r->exts.native_fence || !r->exts.wait_sync || r->software) {
		return false;
	}
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0) {
		return false;
	}
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		close(dup_fd);
		return false;
	}
	const EGLint attribs[] = { EGL_SYNC_NATIVE_FENCE_FD_ANDROID, dup_fd, EGL_NONE };
	EGLSyncKHR sync = r->procs.eglCreateSyncKHR(r->display, EGL_SYNC_NATIVE_FENCE_ANDROID,
		attribs);
	bool ok = false;
	if (sync == EGL_NO_SYNC_KHR) {
		close(dup_fd);
	} else {
		// EGL owns dup_fd now.
		ok = r->procs.eglWaitSyncKHR(r->display, sync, 0) == EGL_TRUE;
		r->procs.eglDestroySyncKHR(r->display, sync);
	}
	if (!ok) {
		mosaic_log(MOSAIC_LOG_DEBUG, "gles: GPU wait for a sync_file failed");
	}
	gles_pop_context(r, &saved);
	return ok;
}

static void recycle(struct gles_pass *pass)
{
	struct gles_renderer *r = pass->renderer;
	if (r->spare_pass == NULL) {
		r->spare_pass = pass;
	} else {
		gles_pass_destroy(pass);
	}
}

/*
 * A sync_file of the target dmabuf's implicit fences, for drivers without
 * EGL_ANDROID_native_fence_sync: the kernel attached the pass's fence to the
 * buffer at flush. Software drivers attach none, so they finish first.
 */
static int implicit_sync_file(struct gles_pass *pass)
{
	struct mosaic_dmabuf_attributes attribs;
	if (!mosaic_buffer_get_dmabuf(pass->base.buffer, &attribs)) {
		return -1;
	}
	if (pass->renderer->software) {
		glFinish();
	} else {
		glFlush();
	}
	struct dma_buf_export_sync_file req = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	if (drmIoctl(attribs.fd[0], DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req) != 0) {
		mosaic_log_errno(MOSAIC_LOG_DEBUG, "gles: no sync_file from the dmabuf "
			"(DMA_BUF_IOCTL_EXPORT_SYNC_FILE)");
		return -1;
	}
	return req.fd;
}

static bool gles_pass_submit(struct mosaic_pass *base, uint64_t point, int *out_sync_file)
{
	struct gles_pass *pass = gles_pass_from_base(base);
	struct gles_renderer *r = pass->renderer;
	struct mosaic_buffer *buffer = base->buffer;
	bool ok = !pass->failed;
	struct gles_saved_context saved;
	if (!gles_push_context(r, &saved)) {
		ok = false;
		goto out;
	}
	glBindFramebuffer(GL_FRAMEBUFFER, pass->target->fbo);
	glViewport(0, 0, buffer->width, buffer->height);
	bool touched = pass->data_target && gles_cpu_target_build_touched(pass);
	if (ok && touched) {
		ok = gles_cpu_target_upload(pass);
	}
	if (ok) {
		if (pass->timer != NULL) {
			gles_timer_begin(pass->timer);
		}
		ok = gles_pass_run_commands(pass);
		if (pass->timer != NULL) {
			gles_timer_end(pass->timer);
		}
	}
	if (ok && touched) {
		ok = gles_cpu_target_read_back(pass);
		// glReadPixels returned: this pass and every one before it are done.
		if (ok) {
			gles_mark_complete(r, point);
		}
		// A dmabuf mapped as a CPU target (software drivers) still gives
		// its implicit fences, as a dmabuf target would.
		if (ok && out_sync_file != NULL && r->software) {
			*out_sync_file = implicit_sync_file(pass);
		}
	} else if (ok) {
		// dmabuf targets, and CPU-memory passes that drew nothing: a fence.
		if (out_sync_file != NULL && r->exts.native_fence) {
			EGLSyncKHR native = r->procs.eglCreateSyncKHR(r->display,
				EGL_SYNC_NATIVE_FENCE_ANDROID, NULL);
			if (native != EGL_NO_SYNC_KHR) {
				glFlush();
				*out_sync_file = r->procs.eglDupNativeFenceFDANDROID(r->display,
					native);
				r->procs.eglDestroySyncKHR(r->display, native);
			}
		} else if (out_sync_file != NULL) {
			*out_sync_file = implicit_sync_file(pass);
		}
		void *sync = gles_fence_create(r);
		glFlush();
		if (sync == NULL || !gles_add_pending(r, point, sync)) {
			if (sync != NULL) {
				gles_fence_destroy(r, sync);
			}
			// The point is complete only once the work is: without fences
			// at all, implicit dmabuf sync orders consumers after it.
			if (gles_has_fences(r)) {
				glFinish();
			}
			gles_mark_complete(r, point);
		}
	}
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	ok = gles_check_errors(r, "submit") && ok;
	if (gles_check_reset(r)) {
		ok = false;
	}
	gles_pop_context(r, &saved);
out:
	gles_cpu_target_end(pass);
	recycle(pass);
	return ok;
}

static const struct mosaic_pass_impl gles_pass_impl = {
	.add_rect = gles_pass_add_rect,
	.add_texture = gles_pass_add_texture,
	.wait_sync_file = gles_pass_wait_sync_file,
	.submit = gles_pass_submit,
};

struct mosaic_pass *gles_begin_pass(struct mosaic_renderer *base,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options)
{
	struct gles_renderer *r = gles_renderer_from_base(base);
	struct gles_pass *pass = r->spare_pass;
	if (pass != NULL) {
		r->spare_pass = NULL;
	} else {
		pass = calloc(1, sizeof(*pass));
		if (pass == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return NULL;
		}
		pixman_region32_init(&pass->replaced);
		pixman_region32_init(&pass->touched);
		mosaic_touched_init(&pass->touched_boxes);
	}
	pass->renderer = r;
	pass->seq = ++r->pass_seq;
	// setup_data_target reads it before mosaic_pass_init sets the rest.
	pass->base.buffer = buffer;
	pass->n_cmds = pass->n_verts = pass->n_rects = 0;
	mosaic_touched_reset(&pass->touched_boxes);
	pass->failed = false;
	pixman_region32_clear(&pass->touched);
	pixman_region32_clear(&pass->replaced);
	pass->timer = options->timer;
	pass->data_target = false;

	bool gpu_buffer;
	struct gles_buffer *gpu_target = gles_gpu_buffer_get(r, buffer, &gpu_buffer);
	if (gpu_buffer && gpu_target == NULL) {
		goto err_pass;
	}
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	bool use_dmabuf = false;
	// A software driver renders into no dmabuf (it faults on those of other
	// exporters): the core maps it, as a CPU-memory target (cpu_target.c).
	if (!gpu_buffer && !r->software && (caps & MOSAIC_BUFFER_CAP_DMABUF) != 0) {
		struct mosaic_dmabuf_attributes attribs;
		use_dmabuf = mosaic_buffer_get_dmabuf(buffer, &attribs) &&
			mosaic_format_set_has(&r->base.dmabuf_render_formats, attribs.fourcc,
				attribs.modifier);
		if (!use_dmabuf && (caps & MOSAIC_BUFFER_CAP_DATA_PTR) == 0) {
			char name[32];
			mosaic_log(MOSAIC_LOG_ERROR, "gles: cannot render into a %s dmabuf "
				"(modifier 0x%llx) on %s", mosaic_format_name(attribs.fourcc, name),
				(unsigned long long)attribs.modifier, r->device_name);
			goto err_pass;
		}
	}
	if (!use_dmabuf && !gpu_buffer && !gles_cpu_target_begin(pass, buffer)) {
		goto err_pass;
	}

	pass->target = gpu_buffer ? gpu_target : gles_buffer_get(r, buffer);
	if (pass->target == NULL) {
		goto err_access;
	}
	// A target used before needs no GL call: switching contexts costs more than the rest.
	struct gles_buffer *t = pass->target;
	bool ready = t->fbo != 0 && (!pass->data_target ||
		(t->rt_tex != 0 && pass->storage != NULL && t->rt_storage == pass->storage));
	if (!ready) {
		struct gles_saved_context saved;
		if (!gles_push_context(r, &saved)) {
			goto err_access;
		}
		bool ok = pass->data_target ? gles_cpu_target_setup(pass) :
			gles_buffer_get_fbo(pass->target) != 0;
		ok = gles_check_errors(r, "begin_pass") && ok;
		gles_pop_context(r, &saved);
		if (!ok) {
			goto err_access;
		}
	}
	mosaic_pass_init(&pass->base, &gles_pass_impl, base, buffer);
	return &pass->base;

err_access:
	gles_cpu_target_end(pass);
err_pass:
	recycle(pass);
	return NULL;
}
