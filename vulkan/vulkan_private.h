#ifndef MOSAIC_VULKAN_PRIVATE_H
#define MOSAIC_VULKAN_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <volk.h>

#include <mosaic/interface.h>
#include <mosaic/vulkan.h>

#include "private/list.h"

/* Command buffers in flight; a new frame waits when all of them are busy. */
#define VK_FRAMES 4
/* sync_files one pass can wait for (one binary semaphore each, made at start-up). */
#define VK_MAX_WAIT_SYNC_FILES 8

/* What the device offers beyond Vulkan 1.1 (recorded at start-up). */
struct vk_features {
	uint32_t api_version;
	bool debug_utils;
	bool validation;
	bool timeline;
	bool external_memory_fd;
	bool dmabuf;
	/* VK_EXT_external_memory_dma_buf and VK_EXT_image_drm_format_modifier, for export. */
	bool dmabuf_export;
	bool modifiers;
	bool host_pointer;
	VkDeviceSize host_pointer_alignment;
	/* The extension is there and its alignment is at most a page. */
	bool host_pointer_usable;
	bool foreign_queue;
	bool sync_file_export;
	bool sync_file_import;
	bool fence_sync_file;
	bool timestamps;
	float timestamp_period;
	uint32_t timestamp_bits;
};

/* Per VkFormat: how a DRM fourcc is stored and sampled. */
struct vk_format {
	uint32_t fourcc;
	VkFormat format;
	/* The X formats read alpha as one. */
	bool opaque;
	uint32_t bpp;
	bool texture;
	bool render;
};

enum vk_pipeline_kind {
	VK_PIPELINE_TEXTURE = 0,
	VK_PIPELINE_COLOR = 1,
};

/* A render pass and its pipelines for one attachment format. */
struct vk_render_setup {
	VkFormat format;
	VkRenderPass render_pass;
	/* [blend][kind]; created on first use. */
	VkPipeline pipelines[2][2];
};

/* A memory block of a host-visible buffer, mapped for the renderer's life. */
struct vk_host_buffer {
	VkBuffer buffer;
	VkDeviceMemory memory;
	VkDeviceSize size;
	uint8_t *map;
	bool coherent;
};

/* The upload ring: bytes handed out at `head`, freed up to `tail` as frames complete. */
struct vk_staging {
	struct vk_host_buffer buf;
	/* Monotonic byte counters; positions are taken modulo the size. */
	uint64_t head, tail;
	/* Bumped on every reallocation; frames of older generations do not move the tail. */
	uint64_t generation;
	/* The largest number of bytes in use seen since the last shrink check. */
	uint64_t peak;
	uint32_t quiet_frames;
	uint64_t grow_count;
};

/* The per-instance data of one quad (quad.vert), in the frame's quad buffer. */
struct vk_quad {
	/* Destination box in normalized device coordinates: x, y, width, height. */
	float dst[4];
	/* Rows of the affine map from the unit square to texture coordinates. */
	float uv_x[4], uv_y[4];
	/* Premultiplied color (rects) or (alpha, 0, 0, 0) for textures. */
	float color[4];
};

struct vk_timer;

struct vk_frame {
	VkCommandPool pool;
	VkCommandBuffer upload_cb, render_cb;
	bool upload_open, render_open;
	VkFence fence;
	VkQueryPool queries;
	/* Exportable as a sync_file; signaled by the submission when asked. */
	VkSemaphore signal_semaphore;
	bool signal;
	/* Imported sync_files (temporary payloads) the submission waits for. */
	VkSemaphore wait_semaphores[VK_MAX_WAIT_SYNC_FILES];
	uint32_t n_waits;
	/* Submission sequence number (0: free, never submitted). */
	uint64_t seq;
	bool submitted;
	/* The core timeline point the submission signals, or 0. */
	uint64_t point;
	uint64_t staging_head, staging_generation;
	struct vk_timer *timer;
	/* The quads of the frame's pass (vertex buffer); kept and reused, grown when full. */
	struct vk_host_buffer quads;
	/* Foreign images acquired by this frame, released at its end (referenced). */
	struct vk_image **foreign;
	size_t n_foreign, foreign_cap;
};

struct vk_image {
	struct vk_renderer *renderer;
	int refs;
	VkImage image;
	VkDeviceMemory memory;
	VkDeviceSize size;
	const struct vk_format *format;
	int width, height;
	/* Static string for object names. */
	const char *name;
	VkImageLayout layout;
	/* Sampled view (alpha swizzled to one for X formats) and attachment view. */
	VkImageView sample_view, attachment_view;
	VkFramebuffer framebuffer;
	VkDescriptorSet set;
	struct vk_descriptor_pool *set_pool;
	bool exportable;
	/* Made with a DRM format modifier and dmabuf-exportable memory (`modifier`). */
	bool dmabuf_exportable;
	uint64_t modifier;
	/* Imported dmabuf, or an exported one: owned by a foreign queue family between frames. */
	bool foreign;
	uint64_t acquired_seq;
	/* The last submission that uses the image. */
	uint64_t last_seq;
	struct mosaic_list link;
};

struct vk_descriptor_pool {
	VkDescriptorPool pool;
	uint32_t free;
	struct mosaic_list link;
};

/* The image a CPU render target is drawn in, cached on the buffer (shm_target.c). */
struct vk_shm_target {
	struct mosaic_buffer_addon addon;
	struct vk_renderer *renderer;
	struct vk_image *image;
	/* A host-visible copy of the pixels, made when the buffer cannot be imported. */
	struct vk_host_buffer host;
	/* This pass's copy source and destination: the imported buffer or the host copy. */
	bool direct;
	VkBuffer src;
	VkDeviceSize src_offset;
	uint32_t src_row_length;
	struct mosaic_list link;
};

/* Buffers made by mosaic_vulkan_buffer_create() or imported. */
struct vk_buffer {
	struct mosaic_buffer base;
	struct vk_renderer *renderer;
	struct vk_image *image;
};

struct vk_texture {
	struct mosaic_texture base;
	struct vk_image *image;
	/* Textures of Vulkan buffers keep the buffer locked. */
	struct mosaic_buffer *buffer;
};

struct vk_timer {
	struct mosaic_render_timer base;
	struct vk_renderer *renderer;
	uint64_t seq;
	bool pending;
	int64_t duration_ns;
};

struct vk_garbage {
	uint64_t seq;
	struct vk_host_buffer host;
	/* Unlocked once the submission is complete, or NULL. */
	struct mosaic_buffer *locked;
	struct mosaic_list link;
};

struct vk_pass;

struct vk_renderer {
	struct mosaic_renderer base;
	bool probing;
	char device_name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE + 32];

	VkInstance instance;
	VkDebugUtilsMessengerEXT messenger;
	VkPhysicalDevice phdev;
	VkPhysicalDeviceProperties props;
	VkPhysicalDeviceMemoryProperties mem_props;
	uint8_t device_uuid[VK_UUID_SIZE], driver_uuid[VK_UUID_SIZE];
	VkDevice dev;
	uint32_t queue_family;
	VkQueue queue;
	struct vk_features feat;
	uint64_t create_count;
	uint64_t validation_messages;
	/* Buffers of mosaic_vulkan_buffer_create() and imports still alive. */
	size_t n_buffers;

	struct vk_format formats[16];
	size_t n_formats;
	/* (fourcc, modifier) pairs of images that can be rendered into and exported. */
	struct mosaic_format_set export_formats;

	VkPipelineCache pipeline_cache;
	VkShaderModule vert_module, texture_module, color_module;
	VkSampler samplers[2];
	VkDescriptorSetLayout texture_set_layout, sampler_set_layout;
	VkDescriptorPool sampler_pool;
	VkDescriptorSet sampler_sets[2];
	VkPipelineLayout pipeline_layout;
	struct vk_render_setup setups[8];
	size_t n_setups;
	struct mosaic_list descriptor_pools;

	/* Signaled to each submission's seq; VK_NULL_HANDLE: the frames' fences instead. */
	VkSemaphore timeline;
	PFN_vkGetSemaphoreCounterValue get_counter;
	PFN_vkWaitSemaphores wait_semaphores;
	struct vk_frame frames[VK_FRAMES];
	/* The frame being recorded, or NULL. */
	struct vk_frame *current;
	uint64_t last_seq, completed_seq;
	uint64_t completed_point;
	struct vk_pass *open_pass;

	struct vk_staging staging;
	/* Readback memory kept for the next read. */
	struct vk_host_buffer spare_readback;

	struct mosaic_list garbage;
	/* Images released while the GPU may still use them. */
	struct mosaic_list dead_images;
	struct mosaic_list shm_targets;
	struct mosaic_list host_imports;
	struct mosaic_list dmabuf_imports;

	/* Scratch arrays reused between calls. */
	void *scratch;
	size_t scratch_size;
};

/* device.c */
const char *vk_result_string(VkResult res);
/* Logs a failed call; marks the renderer lost on VK_ERROR_DEVICE_LOST. */
void vk_fail(struct vk_renderer *r, VkResult res, const char *what);
bool vk_device_init(struct vk_renderer *r, int drm_fd);
void vk_device_finish(struct vk_renderer *r);
void vk_name(struct vk_renderer *r, VkObjectType type, uint64_t handle, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int vk_find_memory_type(struct vk_renderer *r, uint32_t type_bits,
	VkMemoryPropertyFlags want);
bool vk_host_buffer_init(struct vk_renderer *r, struct vk_host_buffer *buf, VkDeviceSize size,
	VkBufferUsageFlags usage, bool cached, const char *name);
void vk_host_buffer_finish(struct vk_renderer *r, struct vk_host_buffer *buf);
/* Makes CPU writes visible to the GPU / GPU writes visible to the CPU (non-coherent memory). */
void vk_host_buffer_flush(struct vk_renderer *r, struct vk_host_buffer *buf);
void vk_host_buffer_invalidate(struct vk_renderer *r, struct vk_host_buffer *buf);
void *vk_scratch(struct vk_renderer *r, size_t size);

/* renderer.c */
struct vk_renderer *vk_renderer_from_base(struct mosaic_renderer *renderer);
const struct vk_format *vk_format_from_fourcc(struct vk_renderer *r, uint32_t fourcc);

/* frame.c */
/* The frame being recorded; starts one (possibly waiting for a free slot). */
struct vk_frame *vk_frame_get(struct vk_renderer *r);
VkCommandBuffer vk_frame_upload_cb(struct vk_renderer *r);
VkCommandBuffer vk_frame_render_cb(struct vk_renderer *r);
/* Submits the frame being recorded. `point` is a core point or 0. */
bool vk_frame_submit(struct vk_renderer *r, uint64_t point);
/* Makes the frame being recorded wait for a sync_file (borrowed). */
bool vk_frame_wait_sync_file(struct vk_renderer *r, int fd);
/* After vk_frame_submit() of a frame with `signal` set: a new sync_file or -1. */
int vk_frame_export_sync_file(struct vk_renderer *r, struct vk_frame *frame);
/* Frees what completed submissions held; never blocks. */
void vk_frames_poll(struct vk_renderer *r);
bool vk_wait_seq(struct vk_renderer *r, uint64_t seq, int64_t timeout_ns);
void vk_frames_finish(struct vk_renderer *r);
bool vk_frames_init(struct vk_renderer *r);
uint64_t vk_get_completed_point(struct mosaic_renderer *renderer);
bool vk_wait_point(struct mosaic_renderer *renderer, uint64_t point, int64_t timeout_ns);
struct mosaic_render_timer *vk_timer_create(struct mosaic_renderer *renderer);
void vk_defer_host_buffer(struct vk_renderer *r, struct vk_host_buffer *buf, uint64_t seq);
/* Keeps a lock on `buffer` until submission `seq` is complete. */
void vk_hold_buffer(struct vk_renderer *r, struct mosaic_buffer *buffer, uint64_t seq);

/* staging.c */
bool vk_staging_init(struct vk_renderer *r);
void vk_staging_finish(struct vk_renderer *r);
/* Space for `size` bytes in the ring, used by the frame being recorded. */
bool vk_staging_alloc(struct vk_renderer *r, VkDeviceSize size, VkDeviceSize *offset,
	uint8_t **map);
/* Called when a frame begins: gives memory back after a quiet period. */
void vk_staging_frame_begin(struct vk_renderer *r);

/* texture.c */
struct vk_image *vk_image_create(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, bool exportable, const char *name);
struct vk_image *vk_image_import_opaque(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, int fd, VkDeviceSize size);
void vk_image_ref(struct vk_image *image);
void vk_image_unref(struct vk_image *image);
void vk_image_destroy_now(struct vk_image *image);
/* Records a barrier into `cb` that moves the image to `layout`. */
void vk_image_transition(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout);
/* The stages and accesses that touch an image in `layout`, as this backend uses them. */
void vk_layout_scope(VkImageLayout layout, VkPipelineStageFlags *stage, VkAccessFlags *access);
/* Creates the sampled view of a new image. */
bool vk_image_create_view(struct vk_image *image);
bool vk_image_ensure_set(struct vk_image *image);
bool vk_image_ensure_framebuffer(struct vk_image *image, VkRenderPass render_pass);
struct mosaic_texture *vk_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer);
struct vk_texture *vk_texture_from_base(struct mosaic_texture *texture);
/* Records a copy of `n` regions of `src` into the image (upload command buffer). */
bool vk_image_copy_regions(struct vk_image *image, VkBuffer src,
	const VkBufferImageCopy *regions, uint32_t n);
/* Records copies of the rectangles of `damage` from CPU memory into the image. */
bool vk_image_upload(struct vk_image *image, const uint8_t *data, uint32_t stride,
	const pixman_region32_t *damage);
void vk_descriptor_pools_finish(struct vk_renderer *r);

/* host_import.c */
/*
 * Records the upload of `damage` straight from the buffer's shared memory.
 * False when that path does not apply (the caller then copies through the
 * staging ring).
 */
bool vk_host_import_upload(struct vk_image *image, struct mosaic_buffer *buffer,
	const pixman_region32_t *damage);
void vk_host_imports_finish(struct vk_renderer *r);
/* Whether the driver imports a mapping of shared memory; made once at start-up. */
bool vk_host_import_probe(struct vk_renderer *r);
/*
 * The imported shared memory of a CPU render target, as a buffer and the
 * copy region of the whole image. False when that path does not apply.
 */
bool vk_host_import_target(struct vk_renderer *r, struct mosaic_buffer *buffer,
	const struct vk_format *format, VkBuffer *out_buffer, VkBufferImageCopy *out_region);

/* dmabuf.c */
/* Fills the dmabuf format sets; turns feat.dmabuf off when nothing imports. */
bool vk_dmabuf_init_formats(struct vk_renderer *r);
/* The cached import of a dmabuf buffer for sampling or rendering (borrowed), or NULL. */
struct vk_image *vk_dmabuf_get_image(struct vk_renderer *r, struct mosaic_buffer *buffer,
	bool render);
void vk_dmabuf_imports_finish(struct vk_renderer *r);
/* Fills r->export_formats; turns feat.dmabuf_export off when nothing can be exported. */
bool vk_dmabuf_init_export(struct vk_renderer *r);
/*
 * A dmabuf-exportable image with one of `modifiers` (those the device can
 * export for rendering; at least one must be), or NULL with a log line.
 */
struct vk_image *vk_image_create_dmabuf(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, const uint64_t *modifiers, size_t n_modifiers);
/*
 * Hands an exported image to the foreign queue family: from now on every
 * frame that uses it acquires it and releases it at its end. An image that
 * was used before is released at once (waits for that submission).
 */
bool vk_image_make_foreign(struct vk_image *image);
/*
 * Like vk_image_transition(), and for a foreign image not yet acquired by the
 * frame being recorded, acquires it (it is released when the frame is submitted).
 */
void vk_image_use(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout);
void vk_frame_release_foreign(struct vk_renderer *r, struct vk_frame *frame,
	VkCommandBuffer cb);

/* read.c */
bool vk_texture_read_pixels(struct mosaic_texture *base,
	const struct mosaic_read_pixels_options *options);
struct mosaic_read_request *vk_texture_read_pixels_start(struct mosaic_texture *base,
	const struct mosaic_read_pixels_options *options);

/* export.c */
struct vk_buffer *vk_buffer_from_base(struct mosaic_buffer *buffer);
struct mosaic_allocator *vk_create_gpu_allocator(struct mosaic_renderer *renderer);

/* pipeline.c */
bool vk_pipelines_init(struct vk_renderer *r);
void vk_pipelines_finish(struct vk_renderer *r);
struct vk_render_setup *vk_render_setup_get(struct vk_renderer *r, VkFormat format);
VkPipeline vk_pipeline_get(struct vk_renderer *r, struct vk_render_setup *setup,
	enum mosaic_blend blend, enum vk_pipeline_kind kind);

/* pass.c */
struct mosaic_pass *vk_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options);

/* shm_target.c */
struct vk_shm_target *vk_shm_target_get(struct vk_renderer *r, struct mosaic_buffer *buffer,
	const struct vk_format *format);
void vk_shm_targets_finish(struct vk_renderer *r);
/*
 * Records the copy of the `touched` pixels from the buffer into the image,
 * into the frame's upload command buffer, and leaves the image ready for the
 * render pass instance. False (the layout still made right) on failure.
 */
bool vk_shm_target_record_load(struct vk_shm_target *target, struct mosaic_buffer *buffer,
	const pixman_region32_t *touched);
/* Records the copy of the `touched` pixels back, into `cb` after the render pass. */
bool vk_shm_target_record_store(struct vk_shm_target *target, VkCommandBuffer cb,
	const pixman_region32_t *touched);
/* Once the frame is complete: the pixels into the buffer (when not copied directly). */
bool vk_shm_target_store(struct vk_shm_target *target, struct mosaic_buffer *buffer,
	const pixman_region32_t *touched);

#endif
