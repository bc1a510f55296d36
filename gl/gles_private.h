#ifndef MOSAIC_GLES_PRIVATE_H
#define MOSAIC_GLES_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>

#include <mosaic/interface.h>
#include <mosaic/log.h>

struct gbm_device;

/* How a DRM fourcc is laid out for GL. */
struct gles_format {
	uint32_t fourcc;
	GLint internal_format;
	GLenum format, type;
	/* False: alpha is ignored (the RGBX program samples it). */
	bool has_alpha;
	/* Red and blue are swapped with the GLES 3 texture swizzle. */
	bool swap_rb;
	bool needs_gles3;
	bool needs_bgra;
	/*
	 * The fourcc of the bytes glReadPixels gives back with format/type: the
	 * upload's own (a swizzle only changes sampling).
	 */
	uint32_t memory_fourcc;
	size_t bpp;
	/* No GL upload equivalent: only imported as a dmabuf (YUV formats). */
	bool dmabuf_only;
};

/* The table entry, or NULL when GL has no upload equivalent. */
const struct gles_format *gles_format_get(uint32_t fourcc);

/* Fragment programs (gl/shaders/quad.frag variants). */
enum gles_source {
	GLES_SOURCE_SOLID,
	GLES_SOURCE_RGBA,
	GLES_SOURCE_RGBX,
	GLES_SOURCE_EXTERNAL,
	GLES_SOURCE_COUNT,
};

struct gles_program {
	GLuint program;
	GLint tex;
	/* Nearest filtering's map (quad.frag); -1 in the solid program. */
	GLint texel_u, texel_v, texel_size;
};

/* Entry points of extensions, resolved once at creation (NULL when absent). */
struct gles_procs {
	PFNEGLGETPLATFORMDISPLAYEXTPROC eglGetPlatformDisplayEXT;
	PFNEGLGETPLATFORMDISPLAYPROC eglGetPlatformDisplay;
	PFNEGLQUERYDEVICESEXTPROC eglQueryDevicesEXT;
	PFNEGLQUERYDEVICESTRINGEXTPROC eglQueryDeviceStringEXT;
	PFNEGLQUERYDISPLAYATTRIBEXTPROC eglQueryDisplayAttribEXT;
	PFNEGLCREATEIMAGEKHRPROC eglCreateImageKHR;
	PFNEGLDESTROYIMAGEKHRPROC eglDestroyImageKHR;
	PFNEGLQUERYDMABUFFORMATSEXTPROC eglQueryDmaBufFormatsEXT;
	PFNEGLQUERYDMABUFMODIFIERSEXTPROC eglQueryDmaBufModifiersEXT;
	PFNEGLEXPORTDMABUFIMAGEQUERYMESAPROC eglExportDMABUFImageQueryMESA;
	PFNEGLEXPORTDMABUFIMAGEMESAPROC eglExportDMABUFImageMESA;
	PFNEGLCREATESYNCKHRPROC eglCreateSyncKHR;
	PFNEGLDESTROYSYNCKHRPROC eglDestroySyncKHR;
	PFNEGLCLIENTWAITSYNCKHRPROC eglClientWaitSyncKHR;
	PFNEGLGETSYNCATTRIBKHRPROC eglGetSyncAttribKHR;
	PFNEGLWAITSYNCKHRPROC eglWaitSyncKHR;
	PFNEGLDUPNATIVEFENCEFDANDROIDPROC eglDupNativeFenceFDANDROID;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC glEGLImageTargetTexture2DOES;
	PFNGLEGLIMAGETARGETRENDERBUFFERSTORAGEOESPROC glEGLImageTargetRenderbufferStorageOES;
	PFNGLDEBUGMESSAGECALLBACKKHRPROC glDebugMessageCallbackKHR;
	PFNGLDEBUGMESSAGECONTROLKHRPROC glDebugMessageControlKHR;
	PFNGLGETGRAPHICSRESETSTATUSKHRPROC glGetGraphicsResetStatusKHR;
	PFNGLGENQUERIESEXTPROC glGenQueriesEXT;
	PFNGLDELETEQUERIESEXTPROC glDeleteQueriesEXT;
	PFNGLBEGINQUERYEXTPROC glBeginQueryEXT;
	PFNGLENDQUERYEXTPROC glEndQueryEXT;
	PFNGLGETQUERYOBJECTUIVEXTPROC glGetQueryObjectuivEXT;
	PFNGLGETQUERYOBJECTUI64VEXTPROC glGetQueryObjectui64vEXT;
};

struct gles_exts {
	bool bgra;              /* GL_EXT_texture_format_BGRA8888 */
	bool read_bgra;         /* GL_EXT_read_format_bgra */
	bool unpack_subimage;   /* GL_EXT_unpack_subimage or GLES 3 */
	bool pack_subimage;     /* GL_NV_pack_subimage or GLES 3 */
	bool egl_image;         /* GL_OES_EGL_image */
	bool egl_image_external; /* GL_OES_EGL_image_external */
	bool dmabuf_import;     /* EGL_EXT_image_dma_buf_import */
	bool dmabuf_modifiers;  /* EGL_EXT_image_dma_buf_import_modifiers */
	bool dmabuf_export;     /* EGL_MESA_image_dma_buf_export */
	bool gl_texture_image;  /* EGL_KHR_gl_texture_2D_image */
	bool fence_sync;        /* EGL_KHR_fence_sync */
	bool wait_sync;         /* EGL_KHR_wait_sync */
	bool native_fence;      /* EGL_ANDROID_native_fence_sync */
	bool timer_query;       /* GL_EXT_disjoint_timer_query */
	bool robustness;        /* context created with reset notification */
	bool gbm_export;        /* textures exported by moving them into GBM buffers */
};

/*
 * A completion point waiting for its fence: a GL sync object on GLES 3
 * (glFenceSync: a fraction of an EGL fence's cost per pass, measured on
 * NVIDIA), an EGL fence on GLES 2 (see gles_fence_create()).
 */
struct gles_pending {
	uint64_t point;
	void *sync;
};

struct gles_pass;
struct gles_texture;

struct gles_renderer {
	struct mosaic_renderer base;

	EGLDisplay display;
	EGLContext context;
	/* "gbm", "device" or "surfaceless". */
	const char *platform;
	struct gbm_device *gbm;
	int gbm_fd;
	/* Created with EGL_TRACK_REFERENCES_KHR: eglTerminate is counted. */
	bool display_tracked;
	int gl_major, gl_minor;
	/*
	 * A CPU rasterizer (gles_detect_software()): dmabufs are never handed
	 * to it, the core maps them (dmabuf_cpu_copy.c, CPU render targets).
	 */
	bool software;
	/* The first dmabuf shown through a CPU copy was logged. */
	bool cpu_copy_logged;
	/* Advanced by every pass begun: CPU copies load once per pass that draws them. */
	uint64_t pass_seq;
	/* MOSAIC_GLES_EXTERNAL=1: sample every dmabuf as GL_TEXTURE_EXTERNAL_OES. */
	bool force_external;
	/* Set while probing what the driver supports: GL errors are expected. */
	bool quiet_gl_errors;
	char device_name[192];

	struct gles_exts exts;
	struct gles_procs procs;

	struct gles_program programs[GLES_SOURCE_COUNT];
	GLuint vbo;
	/* Indices of GLES_MAX_QUADS_PER_DRAW quads (2 triangles of 4 vertices each). */
	GLuint ibo;
	GLuint read_fbo;
	/*
	 * Pixel buffers for large uploads and for the readback of CPU-memory
	 * targets (GLES 3 hardware drivers; MOSAIC_GLES_PBO=0/1 overrides):
	 * the driver copies through its own staging memory otherwise, and
	 * waits once per glReadPixels.
	 */
	bool use_pbo;
	/* Smaller uploads go directly (MOSAIC_GLES_PBO=1: none, so tests cover it). */
	size_t pbo_min_bytes;
	GLuint upload_pbo, pack_pbo;

	/* Storage format of offscreen render targets, per fourcc of the core table. */
	struct {
		uint32_t fourcc;
		const struct gles_format *storage;
	} render_storage[16];
	size_t n_render_storage;

	struct gles_pending *pending;
	size_t n_pending, cap_pending;
	uint64_t completed_point;

	/* gles_buffer.link: every cached import, dropped at destroy. */
	struct mosaic_list buffers;
	/* A finished pass kept for its arrays (no allocation per frame). */
	struct gles_pass *spare_pass;
};

/* The current EGL state of the caller, restored after each backend call. */
struct gles_saved_context {
	EGLDisplay display;
	EGLContext context;
	EGLSurface draw, read;
};

/* egl.c */
struct gles_renderer *gles_renderer_from_base(struct mosaic_renderer *renderer);
bool gles_egl_init(struct gles_renderer *renderer, int drm_fd, bool probing);
void gles_egl_finish(struct gles_renderer *renderer);
bool gles_push_context(struct gles_renderer *renderer, struct gles_saved_context *saved);
void gles_pop_context(struct gles_renderer *renderer, const struct gles_saved_context *saved);
/* Makes no context current where the renderer's is current on this thread. */
void gles_release_context(struct gles_renderer *renderer);
/* True (and the renderer marked lost) when the context was reset. */
bool gles_check_reset(struct gles_renderer *renderer);
bool gles_has_extension(const char *list, const char *name);
/* The name of an EGL error code, for log lines. */
const char *gles_egl_error_string(EGLint error);
/*
 * The EGL device for `drm_fd` (matched by node path), or, without one, the
 * first hardware device (software ones only when `allow_software`); failures
 * are logged at `level`.
 */
EGLDeviceEXT gles_find_egl_device(struct gles_renderer *renderer, int drm_fd,
	bool allow_software, enum mosaic_log level);
/* Sets the renderer's drm_dev: the node of `drm_fd`, the GBM device or the display's device. */
void gles_find_drm_node(struct gles_renderer *renderer, int drm_fd);
/*
 * Whether the driver rasterizes on the CPU: the EGL device says
 * EGL_MESA_device_software, or GL_RENDERER names a software rasterizer
 * (kms_swrast on a GBM display reports the card as its device). Sets
 * renderer->software and logs the answer once (the context is current).
 */
void gles_detect_software(struct gles_renderer *renderer, const char *gl_renderer);
/*
 * Logs the pending GL errors in one line; true when there was none. A
 * GL_CONTEXT_LOST among them marks the renderer lost instead (that line).
 */
bool gles_check_errors(struct gles_renderer *renderer, const char *where);
/*
 * Takes the pending GL errors without logging them and returns the first
 * (GL_NO_ERROR when none). GL_CONTEXT_LOST wins and marks the renderer lost,
 * which logs its own line: callers log their failure only when
 * !renderer->base.lost.
 */
GLenum gles_take_error(struct gles_renderer *renderer);

/* shaders.c */
/* Position (NDC), texture coordinate (normalized), premultiplied color. */
#define GLES_FLOATS_PER_VERTEX 8
/* 16-bit indices address 65536 vertices. */
#define GLES_MAX_QUADS_PER_DRAW 16384
bool gles_shaders_init(struct gles_renderer *renderer, bool probing);
/* Points the vertex attributes at `first_vertex` of the bound array buffer. */
void gles_set_vertex_offset(size_t first_vertex);
void gles_shaders_finish(struct gles_renderer *renderer);

/* format.c */
bool gles_formats_init(struct gles_renderer *renderer);
bool gles_format_supported(const struct gles_renderer *renderer, const struct gles_format *fmt);
const struct gles_format *gles_render_storage(const struct gles_renderer *renderer,
	uint32_t fourcc);

/* A cached per-buffer import or render target (a mosaic_buffer addon). */
struct gles_buffer {
	struct mosaic_buffer_addon addon;
	struct gles_renderer *renderer;
	struct mosaic_list link;
	struct mosaic_buffer *buffer;
	uint32_t fourcc;

	/* dmabuf */
	EGLImageKHR image;
	bool external_only;
	GLuint tex;
	GLenum tex_target;
	GLuint rbo;
	/*
	 * Software drivers (dmabuf_cpu_copy.c): `tex` is a copy of the dmabuf
	 * in this GL format (the R'G'B' of YUV ones, converted into
	 * cpu_scratch first), loaded once per pass that draws it (pass
	 * sequence number in cpu_loaded_seq) and before every read. NULL
	 * otherwise.
	 */
	const struct gles_format *cpu_format;
	uint64_t cpu_loaded_seq;
	void *cpu_scratch;
	uint32_t cpu_scratch_stride;

	/*
	 * shm render target: offscreen storage read back at submit. GPU
	 * buffers (allocator.c): their own texture, nothing read back.
	 */
	GLuint rt_tex;
	const struct gles_format *rt_storage;

	GLuint fbo;
};

/* dmabuf.c (the context is current) */
struct gles_buffer *gles_buffer_get(struct gles_renderer *renderer,
	struct mosaic_buffer *buffer);
bool gles_buffer_import_dmabuf(struct gles_buffer *buffer, bool for_render);
GLuint gles_buffer_get_fbo(struct gles_buffer *buffer);
void gles_buffers_finish(struct gles_renderer *renderer);
bool gles_dmabuf_formats_init(struct gles_renderer *renderer);
bool gles_probe_export(struct gles_renderer *renderer);
/* `probing`: a failure is expected and logged at DEBUG. */
EGLImageKHR gles_create_dmabuf_image(struct gles_renderer *renderer,
	const struct mosaic_dmabuf_attributes *attribs, bool probing);

/* allocator.c (the context is current) */
struct mosaic_allocator *gles_create_gpu_allocator(struct mosaic_renderer *renderer);
/*
 * Sets *is_gpu_buffer when `buffer` comes from a GPU allocator; returns its
 * cached import (rt_tex, rt_storage and fourcc set), or NULL with a log line
 * when it is not usable by `renderer`.
 */
struct gles_buffer *gles_gpu_buffer_get(struct gles_renderer *renderer,
	struct mosaic_buffer *buffer, bool *is_gpu_buffer);

/* export.c */
void gles_texture_finish_export(struct gles_texture *texture);

struct gles_texture {
	struct mosaic_texture base;
	GLuint tex;
	GLenum target;
	enum gles_source source;
	/* NULL for dmabuf imports (the GL format is the driver's). */
	const struct gles_format *format;
	/* dmabuf imports: the cached import, kept alive by a buffer lock. */
	struct gles_buffer *buffer;
	GLint filter;
	GLuint fbo;
	/*
	 * Storage moved into a GBM buffer for export (drivers whose textures
	 * cannot be exported in place): the buffer, its EGLImage and planes.
	 */
	struct gbm_bo *bo;
	EGLImageKHR image;
	struct mosaic_dmabuf_attributes planes;
};

/* A texture that shows its buffer's CPU copy (dmabuf_cpu_copy.c). */
static inline bool gles_texture_is_cpu_copy(const struct gles_texture *texture)
{
	return texture->buffer != NULL && texture->buffer->cpu_format != NULL;
}

/* texture.c */
struct gles_texture *gles_texture_from_base(struct mosaic_texture *texture);
struct mosaic_texture *gles_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer);
/* Uploads rows of `fmt` at `data` into the bound 2D texture (x, y, w, h). */
void gles_upload_rect(struct gles_renderer *renderer, const struct gles_format *fmt,
	const void *data, uint32_t stride, int x, int y, int width, int height);
/* The same for every box (`data` holds the whole image). */
void gles_upload_boxes(struct gles_renderer *renderer, const struct gles_format *fmt,
	const void *data, uint32_t stride, const pixman_box32_t *boxes, int n_boxes);

/* dmabuf_cpu_copy.c (the context is current) */
/*
 * Makes (once) the buffer's CPU copy in buffer->tex (software drivers),
 * after checking that the core can map it. False with one log line.
 */
bool gles_dmabuf_cpu_copy_init(struct gles_buffer *buffer);
/*
 * Copies the buffer into its texture and notes `seq` as the pass it was
 * loaded for (0: a read). False with log lines: the texture shows what it
 * showed before.
 */
bool gles_dmabuf_cpu_copy_load(struct gles_buffer *buffer, uint64_t seq);
/*
 * The dmabuf sets of a software driver: LINEAR and implicit layouts of the
 * formats GL holds (YUV ones converted), rendered into where GL renders them.
 */
bool gles_dmabuf_cpu_copy_formats_init(struct gles_renderer *renderer);

/* read.c (the context is current, the framebuffer bound for reading) */
bool gles_read_framebuffer(struct gles_renderer *renderer, uint32_t src_fourcc,
	const struct gles_format *storage, const struct mosaic_box *box,
	uint32_t dst_fourcc, uint32_t dst_stride, void *dst);
/*
 * Reads every box of the bound framebuffer into `dst` (the top-left pixel of
 * a `dst_fourcc` image with `dst_stride`), waiting once.
 */
bool gles_read_framebuffer_boxes(struct gles_renderer *renderer, uint32_t src_fourcc,
	const struct gles_format *storage, const pixman_box32_t *boxes, int n_boxes,
	uint32_t dst_fourcc, uint32_t dst_stride, void *dst);
uint32_t gles_preferred_read_format(struct gles_renderer *renderer, uint32_t src_fourcc,
	const struct gles_format *storage);
/* Converts rows between formats of the core table with pixman. */
bool gles_convert(uint32_t src_fourcc, const void *src, uint32_t src_stride,
	uint32_t dst_fourcc, void *dst, uint32_t dst_stride, int width, int height);
struct mosaic_read_request *gles_read_pixels_start(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options);
bool gles_texture_bind_read_fbo(struct gles_texture *texture);
/* The fourcc of what the texture holds for readback (R'G'B' for YUV CPU copies). */
uint32_t gles_texture_read_fourcc(struct gles_texture *texture);
/* The GL storage readback sees: the texture's format, a GPU buffer's or the dmabuf's. */
const struct gles_format *gles_texture_read_storage(struct gles_texture *texture);

/* pass.c (with draw.c and cpu_target.c: pass_private.h) */
struct mosaic_pass *gles_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options);
void gles_pass_destroy(struct gles_pass *pass);

/* renderer.c */
/* True when passes get fences: GLES 3 (GL sync objects) or EGL_KHR_fence_sync. */
bool gles_has_fences(const struct gles_renderer *renderer);
/*
 * A fence after the work submitted so far (the context is current): a GL
 * sync object on GLES 3, an EGL fence otherwise. NULL, with a WARN line,
 * when none could be made: then the caller waits for the work instead.
 */
void *gles_fence_create(struct gles_renderer *renderer);
void gles_fence_destroy(struct gles_renderer *renderer, void *fence);
/* False (a WARN line) when the list cannot grow: then wait for `point`'s work. */
bool gles_add_pending(struct gles_renderer *renderer, uint64_t point, void *fence);
void gles_mark_complete(struct gles_renderer *renderer, uint64_t point);
struct mosaic_render_timer;
void gles_timer_begin(struct mosaic_render_timer *timer);
void gles_timer_end(struct mosaic_render_timer *timer);

#endif
