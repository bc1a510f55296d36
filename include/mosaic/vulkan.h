#ifndef MOSAIC_VULKAN_H
#define MOSAIC_VULKAN_H

/**
 * The Vulkan backend: escape hatches for compositors that share the device
 * with their own Vulkan code, and images that can travel between renderers
 * (and processes) as file descriptors.
 *
 * Only installed when mosaic was built with the Vulkan renderer
 * (MOSAIC_HAS_VULKAN in <mosaic/config.h>). This header includes the Vulkan
 * types only; define VK_NO_PROTOTYPES before including it when you load
 * Vulkan through a meta-loader.
 *
 * Environment variables read when a Vulkan renderer is created:
 * - MOSAIC_VK_DEVICE=<index or name substring>: the physical device to use
 *   (index into the list of devices that can render, as logged at INFO).
 * - MOSAIC_VK_VALIDATION=1: enable the Khronos validation layer with
 *   synchronization validation; every message goes to the mosaic log.
 * - MOSAIC_VK_NO_DMABUF=1: do not import dmabufs even where the device can.
 * - MOSAIC_VK_NO_TIMELINE=1: track completion with fences even where the
 *   device has timeline semaphores.
 * - MOSAIC_VK_NO_HOST_IMPORT=1: never copy from shared memory directly
 *   (VK_EXT_external_memory_host); every upload goes through the staging
 *   ring. For measurements and for drivers that mishandle imports.
 * - MOSAIC_VK_DEBUG_NONCOHERENT=1 (builds without NDEBUG): host-visible
 *   buffers (staging ring, quads, readback) behave as non-coherent memory, a
 *   type without HOST_COHERENT or, where the device has none, an emulation
 *   in which CPU writes reach the GPU only through flushes. For tests.
 * - MOSAIC_VK_PATH=graphics|compute|auto: how passes are drawn (see
 *   "Frame paths" below). auto (the default) is compute on every device
 *   that is not a CPU device, graphics on CPU devices (lavapipe), where the
 *   graphics pipeline is as fast and the compute path gains nothing.
 * - MOSAIC_VK_COPY=0: turns the copy fast path off (see
 *   mosaic_vulkan_renderer_get_copy_count()): every draw is shaded. For
 *   tests comparing both, and measurements.
 * - MOSAIC_VK_COMPUTE_TILE=WxH: the compute path's tile (and workgroup)
 *   size in pixels, 16x16 by default; for measurements.
 * - MOSAIC_VK_DEBUG_NO_BGRA_STORAGE=1 (builds without NDEBUG; for tests):
 *   B8G8R8A8 is taken as a format without storage images (see "Frame
 *   paths").
 * - MOSAIC_VK_FAIL_SUBMIT=<n> (builds without NDEBUG only; for tests): the
 *   n-th submission of the renderer fails as if vkQueueSubmit had returned
 *   VK_ERROR_OUT_OF_DEVICE_MEMORY.
 *
 * Uploads: updates of textures from buffers that offer MOSAIC_BUFFER_CAP_SHM
 * are copied by the GPU straight from the shared memory where the device
 * supports it (MOSAIC_FEATURE_HOST_POINTER_IMPORT; wl_shm clients' buffers
 * offer it through mosaic_wl_shm_create()'s global); the renderer then keeps a
 * lock on the buffer until the copy is complete, so its release is delayed
 * until then. Other uploads are copied into a staging ring at once and the
 * buffer is not needed after the call. Uploads are recorded ahead of the next
 * pass's draws: updating a texture while a pass that already drew it is open
 * changes what that pass shows.
 *
 * CPU buffers as render targets: the pass draws into a device image; at
 * submit the pixels the draws touch are copied in, drawn and copied back,
 * and mosaic_pass_submit() waits for the GPU (when anything was drawn) so
 * that the buffer holds the result when it returns.
 *
 * dmabufs: where the device has VK_EXT_external_memory_dma_buf, dmabufs
 * are imported (MOSAIC_FEATURE_DMABUF_IMPORT) as textures and as render
 * targets; the import is cached on the buffer, so importing the same buffer
 * every frame costs nothing after the first time. Two paths:
 * - with VK_EXT_image_drm_format_modifier (MOSAIC_FEATURE_DRM_MODIFIERS),
 *   single-plane dmabufs with a modifier listed in the renderer's dmabuf
 *   format sets become images bound to the dmabuf's memory, without a copy;
 * - otherwise (lavapipe without /dev/udmabuf, for one) LINEAR single-plane
 *   dmabufs are imported as a VkBuffer and copied into a device image once
 *   per frame that uses them; a render target is copied back after the pass.
 *   The format sets list (fourcc, DRM_FORMAT_MOD_LINEAR) for these. The
 *   plane offset and stride must be multiples of the pixel size.
 * On a CPU device (VK_PHYSICAL_DEVICE_TYPE_CPU: lavapipe) every dmabuf is
 * laid out linearly, so the implicit modifier (DRM_FORMAT_MOD_INVALID, what
 * GBM reports for buffers allocated without modifiers) is listed beside
 * DRM_FORMAT_MOD_LINEAR in both dmabuf format sets and imported as LINEAR.
 * Other devices list explicit modifiers only and refuse the implicit one.
 * Render targets must be open read-write (O_RDWR; DRM_RDWR for PRIME
 * exports); a read-only one is refused with a log line. Textures may be
 * read-only (gbm_bo_get_fd() exports them so on Mesa's kms_swrast): where
 * the driver maps the fd read-write to import it (CPU devices, and the
 * VkBuffer path), such a dmabuf is mapped read-only by mosaic instead and
 * copied by the CPU, whole, once per frame that uses it, after waiting (at
 * most 100 ms) for its writers and inside DMA_BUF_IOCTL_SYNC; the first
 * such copy is logged at INFO. A texture of a dmabuf shows the buffer's
 * current contents and keeps a lock on it. Synchronization is
 * explicit: pass the producer's fences as wait_sync_files and wait for the
 * pass's completion before handing the buffer on. Where the device can also
 * export (MOSAIC_FEATURE_DMABUF_EXPORT), the GPU allocator's images made with
 * explicit modifiers are exported as dmabufs (mosaic_vulkan_buffer_export_dmabuf()).
 *
 * Frame paths: with the compute path a pass keeps its draws and, at
 * submit, composites them with one compute dispatch (one invocation per
 * output pixel, in tiles binned on the CPU; each pixel is read and
 * written once) instead of one draw per quad through the graphics
 * pipeline; the output matches the graphics path within the conformance
 * tolerances. A pass takes the graphics path instead:
 * - when its target is not a storage image: dmabufs imported as render
 *   targets, exported dmabuf images, and formats without
 *   VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT in optimal tiling, each such format
 *   named in one INFO line at start-up (lavapipe 25.0: RGB565, ARGB2101010
 *   and XRGB2101010). B8G8R8A8, which XRGB8888 and ARGB8888 use, has no
 *   storage images on some drivers: its images are then made with
 *   VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT | VK_IMAGE_CREATE_EXTENDED_USAGE_BIT
 *   and written through a R8G8B8A8_UNORM view, red and blue swapped in the
 *   shader (graphics path only where R8G8B8A8 has no storage images either);
 * - when it samples a Y'CbCr texture;
 * - when it samples more textures than the shader's descriptor array holds:
 *   256, fewer where the device's descriptor limits are lower (logged once;
 *   no descriptor indexing is needed: the texture index of a draw is the
 *   same in a whole workgroup).
 * The compute path needs shaderStorageImageReadWithoutFormat and
 * shaderStorageImageWriteWithoutFormat (one WARN line otherwise). Images of
 * render formats made by the renderer (mosaic_vulkan_buffer_create(), the
 * GPU allocator, CPU buffers' images, textures) get
 * VK_IMAGE_USAGE_STORAGE_BIT where the format allows it, whichever path is
 * chosen, so that renderers on different paths share opaque-fd images made
 * alike.
 *
 * Copy fast path (both paths): a pass's leading draws that only move
 * pixels are done as transfers before the render pass or the dispatch
 * (mosaic_vulkan_renderer_get_copy_count()); into a CPU buffer, the pixels
 * they replace are not copied in first. Per-draw GPU times
 * (mosaic_render_timer_options.per_draw) are timestamps after each draw on
 * the graphics path, and on the compute path the dispatch's time shared
 * out by the pixels of each draw (MOSAIC_DRAW_TIMES_GPU_ESTIMATE). On
 * devices with VK_KHR_shader_clock the compute path also measures each tile
 * (mosaic_render_timer_get_tile_times()): per-draw timers then use a second
 * pipeline, made at start-up, whose dispatch reads the shader clock at each
 * tile's start and end.
 *
 * A failed submission (mosaic_pass_submit() returns false with a log line)
 * runs none of its commands: uploads recorded for it (texture updates since
 * the previous submission) are lost, and a texture updated then shows what
 * it showed before (undefined contents for a texture made then) until it is
 * updated again. Everything else stays usable: the next pass renders as if
 * the failed one had not been recorded.
 */

#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan_core.h>

#include <mosaic/buffer.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>

/**
 * Creates a Vulkan renderer. `drm_fd` (borrowed; <= 0 for none) selects the
 * physical device through VK_EXT_physical_device_drm. Same as
 * mosaic_renderer_create() with MOSAIC_BACKEND_VULKAN. NULL with log lines
 * on failure.
 */
struct mosaic_renderer *mosaic_vulkan_renderer_create(int drm_fd);

/** True when `renderer` is a Vulkan renderer. Accepts NULL. */
bool mosaic_renderer_is_vulkan(const struct mosaic_renderer *renderer);

/** True when `texture` comes from a Vulkan renderer. Accepts NULL. */
bool mosaic_texture_is_vulkan(const struct mosaic_texture *texture);

/*
 * Accessors. `renderer` must be a Vulkan renderer. The handles are owned by
 * the renderer and valid until it is destroyed; do not destroy them.
 */
VkInstance mosaic_vulkan_renderer_get_instance(struct mosaic_renderer *renderer);
VkPhysicalDevice mosaic_vulkan_renderer_get_physical_device(struct mosaic_renderer *renderer);
VkDevice mosaic_vulkan_renderer_get_device(struct mosaic_renderer *renderer);
/** The queue family the renderer submits to (a graphics queue, index 0 of it). */
uint32_t mosaic_vulkan_renderer_get_queue_family(struct mosaic_renderer *renderer);

/**
 * The number of Vulkan objects and memory allocations the renderer has
 * created since it started (every vkCreate*, vkAllocate*). For tests and
 * diagnostics: it stays constant while a compositor renders the same kind of
 * frames over and over.
 */
uint64_t mosaic_vulkan_renderer_get_create_count(struct mosaic_renderer *renderer);

/**
 * The path the last submitted pass was drawn with: "graphics" or
 * "compute"; before the first pass, the path passes would take into a
 * storage-capable target ("compute" when MOSAIC_VK_PATH and the device allow
 * it). A static string.
 */
const char *mosaic_vulkan_renderer_get_path(struct mosaic_renderer *renderer);

/**
 * How many draws of the last submitted pass were done as transfers by the
 * copy fast path rather than shaded: leading draws (before any other) that
 * are unscaled, untransformed copies of a texture region (opaque, or with
 * MOSAIC_BLEND_NONE, alpha 1) or opaque clears of the whole target: on the
 * graphics path, and on the compute path into CPU targets (where the pixels
 * they write need not be loaded; into the renderer's own images the single
 * dispatch writes each pixel once, which is faster). vkCmdCopyImage where the formats are the same, vkCmdBlitImage at
 * the same size where they differ and the device can blit them. A draw that
 * covers the whole target replaces those before it, which then cost
 * nothing. An X source (XRGB8888...) into a target with alpha stays shaded:
 * its X byte is read as opaque, as pixman does; into a target of its own
 * format its bytes are copied as they are, X byte included. Draws after the
 * first shaded one are always shaded (the order of the draws is kept
 * without splitting the render pass). MOSAIC_VK_COPY=0 turns it off.
 */
uint32_t mosaic_vulkan_renderer_get_copy_count(struct mosaic_renderer *renderer);

/**
 * Merges the pipeline cache stored at `path` (written by
 * mosaic_vulkan_renderer_save_pipeline_cache(), possibly by another run)
 * into the renderer's cache. Call it right after creation, before the first
 * pass. A missing file, or one made by another device or driver version, is
 * not an error: it is ignored with an INFO line and true is returned. False
 * only on an I/O error other than a missing file.
 */
bool mosaic_vulkan_renderer_load_pipeline_cache(struct mosaic_renderer *renderer,
	const char *path);

/**
 * Writes the renderer's pipeline cache to `path` (through a temporary file
 * and rename, so a reader never sees half a file). False with a log line on
 * failure.
 */
bool mosaic_vulkan_renderer_save_pipeline_cache(struct mosaic_renderer *renderer,
	const char *path);

/**
 * Allocates a device-local image of `width` x `height` pixels of `fourcc`
 * (any of the renderer's render formats for MOSAIC_BUFFER_CAP_DATA_PTR) as a
 * buffer: it can be rendered into, made into a texture of the same renderer
 * (without a copy) and exported. It offers no CPU access; read it with
 * mosaic_texture_read_pixels() on a texture made from it. The contents start
 * undefined. The caller is the producer (mosaic_buffer_drop()); the buffer
 * and every texture made from it must be gone before the renderer is
 * destroyed. NULL with a log line on failure.
 */
struct mosaic_buffer *mosaic_vulkan_buffer_create(struct mosaic_renderer *renderer,
	int width, int height, uint32_t fourcc);

/*
 * mosaic_renderer_create_gpu_allocator() of a Vulkan renderer makes these
 * buffers. Without a modifier list they are those of
 * mosaic_vulkan_buffer_create() (optimal tiling, exported as opaque fds).
 * Where the renderer has MOSAIC_FEATURE_DMABUF_EXPORT and the list holds
 * explicit modifiers the device can render into, export and import for the
 * format (they are among mosaic_renderer_get_render_formats(renderer,
 * MOSAIC_BUFFER_CAP_DMABUF) unless MOSAIC_VK_NO_DMABUF is set), the image is
 * made with one of those (the driver picks) and can also be exported as a
 * dmabuf (mosaic_vulkan_buffer_export_dmabuf()). Otherwise a list must hold
 * DRM_FORMAT_MOD_INVALID, which stands for the optimally tiled image; NULL
 * with a log line if it does not.
 */

/** True when `buffer` was made by mosaic_vulkan_buffer_create() or imported. */
bool mosaic_buffer_is_vulkan(const struct mosaic_buffer *buffer);

/**
 * An image shared as an opaque fd (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT).
 * It can only be imported on the same physical device and driver (the UUIDs
 * must match), by a renderer of the same mosaic version.
 */
struct mosaic_vulkan_opaque_image {
	/** The memory fd. See the export and import functions for ownership. */
	int fd;
	/** Size of the memory allocation in bytes. */
	uint64_t size;
	int width, height;
	uint32_t fourcc;
	/** VkPhysicalDeviceIDProperties of the exporting device. */
	uint8_t device_uuid[VK_UUID_SIZE];
	uint8_t driver_uuid[VK_UUID_SIZE];
};

/**
 * Exports a buffer from mosaic_vulkan_buffer_create() as an opaque fd. On
 * success, `out->fd` is a new fd owned by the caller (each call returns a
 * new one; close it when done); the buffer stays usable. Before using the
 * exported image elsewhere, wait until every pass that drew into it is
 * complete (mosaic_renderer_wait_point()). False with a log line when the
 * device has no VK_KHR_external_memory_fd, the buffer is not a Vulkan buffer
 * or it has a DRM format modifier (export those as dmabufs); `out->fd` is
 * then -1.
 */
bool mosaic_vulkan_buffer_export_opaque_fd(struct mosaic_buffer *buffer,
	struct mosaic_vulkan_opaque_image *out);

/**
 * Imports an image exported by mosaic_vulkan_buffer_export_opaque_fd(),
 * possibly by another renderer or process on the same device. On success
 * the renderer owns `image->fd` (do not close it) and returns a buffer that
 * behaves like one from mosaic_vulkan_buffer_create() and shares its
 * contents with the exporter. On failure (NULL, log line: another device,
 * mismatched size) the caller keeps ownership of `image->fd`.
 */
struct mosaic_buffer *mosaic_vulkan_buffer_import_opaque_fd(struct mosaic_renderer *renderer,
	const struct mosaic_vulkan_opaque_image *image);

/**
 * Exports a buffer of the GPU allocator made with a DRM format modifier (see
 * above) as a dmabuf: one plane, with the modifier, offset and stride the
 * driver chose. On success `out` holds a new fd owned by the caller (each
 * call returns a new one; release it with mosaic_dmabuf_attributes_finish()
 * or hand it to mosaic_buffer_from_dmabuf()); the buffer stays usable.
 *
 * From the first export on, the image belongs to the foreign queue family
 * (VK_QUEUE_FAMILY_FOREIGN_EXT) between frames: every pass that uses it
 * acquires it and releases it (layout GENERAL) at its end, so other devices,
 * APIs and KMS may read it once that pass is complete (wait for its point or
 * its sync_file). Contents drawn before the first export are released by
 * this call, which then waits for the GPU to finish that release.
 *
 * False with a log line, `out` untouched, when the renderer cannot export
 * dmabufs (no MOSAIC_FEATURE_DMABUF_EXPORT: share images with
 * mosaic_vulkan_buffer_export_opaque_fd() instead), when the buffer has no
 * modifier (mosaic_vulkan_buffer_create(), opaque-fd imports, or the GPU
 * allocator without explicit modifiers) or on a driver failure.
 */
bool mosaic_vulkan_buffer_export_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *out);

#endif
