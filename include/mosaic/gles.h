#ifndef MOSAIC_GLES_H
#define MOSAIC_GLES_H

/**
 * The GLES backend (EGL + OpenGL ES 2.0 or later): escape hatches for
 * compositors that mix their own GL with mosaic's.
 *
 * The renderer owns one EGL context. Every mosaic call that needs it makes it
 * current and restores whatever context (and surfaces) the caller had
 * current before, so a compositor may keep its own context current across
 * mosaic calls. Where the calling thread had no context current, the
 * renderer's stays current after the call, for the next one: making a
 * context current costs about 50 us on NVIDIA's driver, twice a call
 * otherwise. A compositor that moves the renderer to another thread calls
 * mosaic_gles_renderer_release_context() on the old one first (a context is
 * current on one thread at a time; the next call fails with a line saying
 * so otherwise). Destroying the renderer releases its context on the
 * calling thread. Objects handed out here stay owned by mosaic: never
 * destroy them, and use them only while the renderer (or texture) is alive.
 *
 * Environment: MOSAIC_EGL_PLATFORM=gbm|device|surfaceless forces one EGL
 * platform (a forced device platform also accepts software devices);
 * MOSAIC_GLES_VERSION=2 uses the context as GLES 2.0 even when the driver
 * gives a newer one (to exercise the 2.0 paths); MOSAIC_GLES_EXTERNAL=1
 * samples every dmabuf through GL_TEXTURE_EXTERNAL_OES (to exercise that
 * program where no format is external-only); MOSAIC_GLES_PBO=0|1 turns the
 * pixel-buffer paths off or on for every size (by default GLES 3 hardware
 * drivers use them for uploads of 128 KiB and more and for the readback of
 * CPU-memory targets; software drivers do not).
 *
 * mosaic_renderer_create_gpu_allocator() gives buffers that are GL textures
 * of the renderer's context, in the format of the CPU-memory render formats:
 * passes into them read nothing back, and mosaic_texture_from_buffer() of one
 * samples that same texture (mosaic_gles_texture_get_attribs() names it).
 * Their textures cannot be updated from memory or exported as dmabufs.
 *
 * Software drivers (MOSAIC_FEATURE_SOFTWARE: the display's EGL device has
 * EGL_MESA_device_software, or GL_RENDERER names llvmpipe, softpipe, swrast
 * or SwiftShader; logged once at creation) are given no dmabuf. Mesa
 * 25.0.7's llvmpipe imports a dmabuf that is not of the card its GBM
 * platform runs on (a udmabuf, a vgem buffer; on the surfaceless platform
 * also vkms buffers) without an error, then faults in its rasterizer threads
 * when a pass samples it or renders into it. Instead mosaic maps the dmabuf
 * itself (read-only for textures; waiting for its implicit fences and
 * bracketing the access with DMA_BUF_IOCTL_SYNC) and:
 * - a texture of it shows a copy in an ordinary GL_TEXTURE_2D, cached on the
 *   buffer like an import and shared by its textures, refreshed from the
 *   dmabuf once per pass that draws it and before every read of the texture
 *   (YUV dmabufs are converted to R'G'B' on the CPU, as the pixman backend
 *   does); such textures cannot be updated from memory;
 * - a pass into it renders offscreen and reads the pixels it touched back
 *   into the dmabuf at submit, as for CPU-memory targets (which needs a dmabuf
 *   exported read-write), and still gives the dmabuf's implicit fences.
 * The dmabuf formats are then every format the core table has and GL holds
 * (YUV ones for sampling only), LINEAR or the implicit modifier. A dmabuf the
 * CPU cannot map (another modifier, a read-only fd as a target) is refused
 * with one log line. Copying costs a full-buffer upload per pass that shows
 * the buffer (about 1-4 ms for 1080p in bench-dmabuf on the CI machines).
 *
 * EGL displays of the surfaceless and device platforms are shared by the
 * whole process, so mosaic terminates them only where EGL counts references
 * (EGL_KHR_display_reference); GBM displays made on mosaic's own gbm_device
 * are terminated with the renderer.
 */

#include <stdbool.h>
#include <stdint.h>

#include <EGL/egl.h>
#include <GLES2/gl2.h>

#include <mosaic/buffer.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>

/**
 * Creates a GLES renderer. With `drm_fd` > 0 it runs on that device (EGL GBM
 * platform, else the EGL device matched to the node); without one on the
 * first hardware EGL device, else the surfaceless platform (llvmpipe).
 * MOSAIC_EGL_PLATFORM=gbm|device|surfaceless forces one platform. `drm_fd`
 * is borrowed (the renderer duplicates it). NULL with log lines on failure.
 */
struct mosaic_renderer *mosaic_gles_renderer_create(int drm_fd);

/** True when `renderer` is a GLES renderer. Accepts NULL. */
bool mosaic_renderer_is_gles(const struct mosaic_renderer *renderer);

/** The renderer's EGL display. Owned by mosaic (never terminate it). */
EGLDisplay mosaic_gles_renderer_get_egl_display(struct mosaic_renderer *renderer);

/**
 * The renderer's EGL context (surfaceless). Owned by mosaic. A caller that
 * makes it current must restore its own state before the next mosaic call
 * and must not leave GL errors or changed GL state behind.
 */
EGLContext mosaic_gles_renderer_get_egl_context(struct mosaic_renderer *renderer);

/**
 * Makes no context current on the calling thread where the renderer's is
 * (see above): before another thread uses the renderer, or for a caller
 * that wants nothing current. The next mosaic call makes it current again.
 */
void mosaic_gles_renderer_release_context(struct mosaic_renderer *renderer);

/** The EGL platform in use: "gbm", "device" or "surfaceless". Static storage. */
const char *mosaic_gles_renderer_get_egl_platform(struct mosaic_renderer *renderer);

/** True when `texture` comes from a GLES renderer. Accepts NULL. */
bool mosaic_texture_is_gles(const struct mosaic_texture *texture);

/** The GL texture behind a mosaic texture. */
struct mosaic_gles_texture_attribs {
	/**
	 * GL_TEXTURE_2D, or GL_TEXTURE_EXTERNAL_OES for external-only dmabuf
	 * imports (never on software drivers, which sample copies).
	 */
	GLenum target;
	/** Owned by the texture (or by the cached import of its dmabuf): never delete it. */
	GLuint tex;
	/** False when the alpha channel must be ignored (X formats). */
	bool has_alpha;
};

/** Fills `attribs` for a GLES texture. */
void mosaic_gles_texture_get_attribs(struct mosaic_texture *texture,
	struct mosaic_gles_texture_attribs *attribs);

/**
 * Exports the texture's storage as a dmabuf (EGL_MESA_image_dma_buf_export;
 * textures of dmabufs, imported or copied, return copies of their own planes). The planes share the
 * texture's memory: later updates and draws show through them. Where the
 * driver cannot export a texture in place (kms_swrast) and the renderer has
 * a GBM device, the first export moves the texture into a linear GBM buffer
 * and every export returns that buffer. Work already submitted is finished
 * before the call returns. On success the caller owns the fds in `attribs`
 * (mosaic_dmabuf_attributes_finish() closes them). False with a log line
 * when the renderer cannot export (see MOSAIC_FEATURE_DMABUF_EXPORT).
 */
bool mosaic_gles_texture_export_dmabuf(struct mosaic_texture *texture,
	struct mosaic_dmabuf_attributes *attribs);

#endif
