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
	/* dmabufs are imported (either path below). */
	bool dmabuf;
	/* VK_EXT_external_memory_dma_buf and VK_EXT_image_drm_format_modifier, for export. */
	bool dmabuf_export;
	/* VK_EXT_image_drm_format_modifier: dmabufs become images with their modifier. */
	bool modifiers;
	/*
	 * VK_PHYSICAL_DEVICE_TYPE_CPU (lavapipe): dmabufs are laid out linearly
	 * whatever their modifier says (the implicit one is LINEAR), and the
	 * driver maps an fd read-write to import it (a read-only one is copied
	 * by the CPU instead: dmabuf_cpu_copy.c).
	 */
	bool cpu_device;
	bool host_pointer;
	VkDeviceSize host_pointer_alignment;
	/* The extension is there and its alignment is at most a page. */
	bool host_pointer_usable;
	bool foreign_queue;
	bool sync_file_export;
	bool sync_file_import;
	bool fence_sync_file;
	bool timestamps;
	/* samplerYcbcrConversion, enabled at device creation (off: MOSAIC_VK_NO_YCBCR=1). */
	bool ycbcr;
	float timestamp_period;
	uint32_t timestamp_bits;
	/* MOSAIC_VK_PATH (or its default) asks for the compute path. */
	bool compute_wanted;
	/* shaderStorageImageRead/WriteWithoutFormat, enabled for the compute path. */
	bool storage_without_format;
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
	/* Render formats with storage images: the compute path writes them (compute.c). */
	bool storage;
	/*
	 * The format of the storage view: `format`, or R8G8B8A8_UNORM for
	 * B8G8R8A8_UNORM without storage support (images then are made
	 * MUTABLE_FORMAT | EXTENDED_USAGE, and the shader swaps red and blue).
	 */
	VkFormat storage_format;
	/* Y'CbCr formats, sampled through a sampler Y'CbCr conversion (ycbcr.c). */
	bool yuv;
	/* NV21: Cr before Cb in memory; the conversion swaps them back. */
	bool swap_cbcr;
	/* What the format's features allow (set at start-up for YUV formats). */
	bool chroma_linear, separate_filter, midpoint, cosited;
};

enum vk_pipeline_kind {
	VK_PIPELINE_TEXTURE = 0,
	VK_PIPELINE_COLOR = 1,
};

/* A render pass and its pipelines for one attachment format. */
struct vk_render_setup {
	VkFormat format;
	VkRenderPass render_pass;
	/* [blend][kind]; all made with the setup, when a pass first renders into the format. */
	VkPipeline pipelines[2][2];
};

/* A memory block of a host-visible buffer, mapped for the renderer's life. */
struct vk_host_buffer {
	VkBuffer buffer;
	VkDeviceMemory memory;
	VkDeviceSize size;
	uint8_t *map;
	bool coherent;
	/* The size of the memory (a whole number of nonCoherentAtomSize). */
	VkDeviceSize alloc_size;
	/*
	 * Set where non-coherent memory is emulated (MOSAIC_VK_DEBUG_NONCOHERENT):
	 * the real mapping; `map` is then a copy that flushes write back.
	 */
	uint8_t *device_map;
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
	/*
	 * Nearest filtering (texture.frag): rows of the core's map from
	 * framebuffer pixels relative to an origin to texels, (m0, m1, m2,
	 * origin x) and (m3, m4, m5, origin y); then the texture's width and
	 * height (0, 0 for linear filtering: uv is sampled as it is) and the
	 * reciprocal of the image's width and height.
	 */
	float texel_u[4], texel_v[4], texel_size[4];
};

struct vk_timer;

struct vk_frame {
	VkCommandPool pool;
	VkCommandBuffer upload_cb, render_cb;
	bool upload_open, render_open;
	VkFence fence;
	VkQueryPool queries;
	/* Per-draw timestamps (draw_timer.c), made when a pass first asks. */
	VkQueryPool draw_queries;
	uint32_t draw_queries_cap;
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
	/* Damage bytes the frame copies into textures, and when it was submitted. */
	uint64_t upload_bytes;
	int64_t submit_ns;
	struct vk_timer *timer;
	/* The quads of the frame's pass (vertex buffer); kept and reused, grown when full. */
	struct vk_host_buffer quads;
	/*
	 * Every image the frame records a use of (referenced): their layouts are
	 * committed when the submission succeeds, rolled back when it fails, and
	 * foreign ones are released at its end (frame_images.c).
	 */
	struct vk_image **used;
	size_t n_used, used_cap;
	/* A use could not be tracked: the frame is not submitted. */
	bool broken;
};

/* Memory planes of an image (VK_EXT_image_drm_format_modifier allows four). */
#define VK_MAX_PLANES 4

/* Where a memory plane starts and how far apart its rows are, in bytes. */
struct vk_plane_layout {
	VkDeviceSize offset;
	VkDeviceSize row_pitch;
};

/*
 * What vk_image_create_desc() makes. A zeroed description with format, size,
 * usage and name is a renderer-owned optimal image with memory of its own.
 */
struct vk_image_desc {
	const struct vk_format *format;
	int width, height;
	VkImageUsageFlags usage;
	/* OPTIMAL (the zero value) or DRM_FORMAT_MODIFIER_EXT. */
	VkImageTiling tiling;
	/*
	 * With DRM_FORMAT_MODIFIER_EXT: either an explicit modifier and the
	 * layout of each of its n_planes memory planes (imports), or a list the
	 * driver picks from (n_modifiers > 0; images made for export).
	 */
	uint64_t modifier;
	uint32_t n_planes;
	struct vk_plane_layout planes[VK_MAX_PLANES];
	const uint64_t *modifiers;
	uint32_t n_modifiers;
	/* Each memory plane bound to memory of its own (VK_IMAGE_CREATE_DISJOINT_BIT). */
	bool disjoint;
	/* The external handle type of the memory, or 0 for memory that stays inside. */
	VkExternalMemoryHandleTypeFlagBits handle_type;
	/*
	 * Import: the fd of each memory (one, or one per plane when disjoint);
	 * borrowed, the image imports duplicates. n_fds 0: new memory.
	 */
	int fds[VK_MAX_PLANES];
	uint32_t n_fds;
	/* Opaque fds: the size of the exported allocation (dmabufs: what the image needs). */
	VkDeviceSize import_size;
	/* New memory that can be exported with handle_type. */
	bool exportable;
	/* Static string for object names. */
	const char *name;
	/* The sampler Y'CbCr conversion the sampled view reads through, or VK_NULL_HANDLE. */
	VkSamplerYcbcrConversion conversion;
};

/*
 * A LINEAR dmabuf imported as VkBuffers (for devices without
 * VK_EXT_image_drm_format_modifier): frames copy its pixels into the image
 * that holds it, and back after drawing into it. Owned by that image.
 */
struct vk_dmabuf_buffer {
	/* One buffer per distinct fd of the planes (the planes of YUV often share one). */
	VkBuffer buffers[VK_MAX_PLANES];
	VkDeviceMemory memory[VK_MAX_PLANES];
	uint32_t n_buffers;
	/* Per memory plane: the buffer it lies in, its offset and its stride in texels. */
	uint32_t n_planes;
	uint32_t plane_buffer[VK_MAX_PLANES];
	VkDeviceSize offset[VK_MAX_PLANES];
	uint32_t row_length[VK_MAX_PLANES];
	/* The frame that acquired the buffer from the foreign owner (and copied it in). */
	uint64_t acquired_seq;
	/* The frame that copies the image back into the buffer. */
	uint64_t stored_seq;
};

/* Images this small share larger memory blocks (memory.c). */
#define VK_BLOCK_SIZE ((VkDeviceSize)4 << 20)
#define VK_BLOCK_MAX_ALLOCATION ((VkDeviceSize)256 << 10)

/* A free range of a memory block. */
struct vk_block_range {
	VkDeviceSize offset, size;
};

/* One VkDeviceMemory of VK_BLOCK_SIZE bytes that small images are bound into. */
struct vk_memory_block {
	VkDeviceMemory memory;
	uint32_t type;
	VkDeviceSize used;
	/* Free ranges, sorted by offset, never adjacent. */
	struct vk_block_range *free;
	size_t n_free, free_cap;
	struct mosaic_list link;
};

/* A range handed out by vk_block_alloc(). */
struct vk_block_allocation {
	struct vk_memory_block *block;
	VkDeviceSize offset, size;
};

struct vk_ycbcr;

/* How a YUV image is sampled with one filter: the view and set of that conversion. */
struct vk_ycbcr_binding {
	struct vk_ycbcr *ycbcr;
	/* The image's sample_view, or a view of its own (destroyed with the image). */
	VkImageView view;
	VkDescriptorSet set;
	struct vk_descriptor_pool *pool;
};

struct vk_image {
	struct vk_renderer *renderer;
	int refs;
	VkImage image;
	/* One memory object, or one per plane of a disjoint image. */
	VkDeviceMemory memory[VK_MAX_PLANES];
	uint32_t n_memory;
	/* Where memory[0] is a shared block: the range of it the image is bound to. */
	struct vk_block_allocation block;
	VkDeviceSize size;
	const struct vk_format *format;
	int width, height;
	VkImageUsageFlags usage;
	/* Static string for object names. */
	const char *name;
	/*
	 * The layout the commands recorded so far leave the image in, and the
	 * layout the submitted (or completed) work leaves it in. They differ only
	 * while a frame that uses the image is being recorded.
	 */
	VkImageLayout layout, committed_layout;
	/* The frame that last recorded a use (it is in that frame's used list). */
	uint64_t use_seq;
	/* Sampled view (alpha swizzled to one for X formats) and attachment view. */
	VkImageView sample_view, attachment_view;
	/* The compute path's view where its format differs (vk_format.storage_format), or null. */
	VkImageView storage_view;
	VkFramebuffer framebuffer;
	VkDescriptorSet set;
	struct vk_descriptor_pool *set_pool;
	bool exportable;
	/* Made with a DRM format modifier and dmabuf-exportable memory (`modifier`). */
	bool dmabuf_exportable;
	uint64_t modifier;
	/* Imported dmabuf, or an exported one: owned by a foreign queue family between frames. */
	bool foreign;
	/* The frame that acquired it; the frame that made it foreign (make_foreign). */
	uint64_t acquired_seq, foreign_seq;
	/* Set for dmabufs imported as a buffer: the image is a copy of it. */
	struct vk_dmabuf_buffer *linear;
	/*
	 * The VkImage's size: width and height rounded up to the chroma
	 * subsampling of YUV formats (their edge texels repeated), else the same.
	 */
	uint32_t extent_width, extent_height;
	/* YUV images: the facts they are sampled with, and one binding per filter. */
	struct mosaic_yuv_info yuv;
	struct vk_ycbcr_binding ycbcr[2];
	/*
	 * Set for dmabufs the device cannot import (dmabuf_cpu_copy.c): the
	 * buffer (borrowed: the import, cached on it, clears this before it
	 * goes), whose pixels the CPU copies into the image once per frame
	 * that uses it, in the frame cpu_loaded_seq.
	 */
	struct mosaic_buffer *cpu_source;
	uint64_t cpu_loaded_seq;
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
	/* Per-draw times (base.per_draw; draw_timer.c). */
	/* The draw each timestamp after the first ends, or VK_DRAW_TIMER_DISPATCH. */
	uint32_t *marks;
	uint32_t n_marks, marks_cap;
	/* The compute dispatch's share of each draw (pixels), where it drew any. */
	uint64_t *weights;
	uint32_t n_weights, weights_cap;
	uint32_t n_draws;
	/* The pool was too small: nothing measured, the next pass asks for want_queries. */
	bool overflow, estimate;
	uint32_t want_queries;
	int64_t *draw_ns;
	uint32_t draw_ns_cap;
	bool draws_valid;
};

struct vk_garbage {
	uint64_t seq;
	struct vk_host_buffer host;
	/* Unlocked once the submission is complete, or NULL. */
	struct mosaic_buffer *locked;
	struct mosaic_list link;
};

struct vk_pass;
struct vk_compute;

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
	/* vkQueueSubmit calls so far; the one numbered fail_submit fails (a test switch). */
	uint64_t submit_count, fail_submit;
	/* Buffers of mosaic_vulkan_buffer_create() and imports still alive. */
	size_t n_buffers;
	struct mosaic_upload_stats upload_stats;

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
	VkShaderModule ycbcr_module;
	/* Conversions with their samplers, layouts and pipelines (struct vk_ycbcr). */
	struct mosaic_list ycbcr_conversions;
	/* Pools of combined image samplers for YUV textures. */
	struct mosaic_list ycbcr_pools;

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
	/* The INFO line about dmabufs copied by the CPU was logged. */
	bool cpu_copy_logged;
	/* Memory blocks small images are bound into (struct vk_memory_block). */
	struct mosaic_list memory_blocks;

	/* The compute path (compute.c); NULL: every pass takes the graphics path. */
	struct vk_compute *compute;
	/* The path the last submitted pass took ("graphics" or "compute"), or NULL. */
	const char *last_path;
	/* Draws the last submitted pass did as transfers (copy.c). */
	uint32_t last_copies;

	/* Scratch arrays reused between calls. */
	void *scratch;
	size_t scratch_size;
};

/* `v` rounded up to a multiple of `alignment` (0 and 1: unchanged). */
static inline VkDeviceSize vk_align_up(VkDeviceSize v, VkDeviceSize alignment)
{
	return alignment > 1 ? (v + alignment - 1) / alignment * alignment : v;
}

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
/* The same for bytes [offset, offset + size) only (rounded out to nonCoherentAtomSize). */
void vk_host_buffer_flush_range(struct vk_renderer *r, const struct vk_host_buffer *buf,
	VkDeviceSize offset, VkDeviceSize size);
void vk_host_buffer_invalidate_range(struct vk_renderer *r, const struct vk_host_buffer *buf,
	VkDeviceSize offset, VkDeviceSize size);
void *vk_scratch(struct vk_renderer *r, size_t size);

/* memory.c: suballocation of small images */
/*
 * A range of `req` in a shared block of memory type `type` (a new block
 * when none has room). False with a log line when no block can be made.
 */
bool vk_block_alloc(struct vk_renderer *r, const VkMemoryRequirements *req, uint32_t type,
	struct vk_block_allocation *out);
/* Gives the range back (its image is gone); an empty block is freed unless it is the only one. */
void vk_block_free(struct vk_renderer *r, struct vk_block_allocation *allocation);
void vk_memory_blocks_finish(struct vk_renderer *r);

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

/* draw_timer.c: per-draw GPU times */
/* A timestamp that ends the compute dispatch: its time is shared by weight. */
#define VK_DRAW_TIMER_DISPATCH UINT32_MAX
/* Resets the frame's draw timestamps and writes the first into `cb` (outside a render pass). */
bool vk_draw_timer_begin(struct vk_renderer *r, struct vk_timer *t, VkCommandBuffer cb);
/* Writes a timestamp that ends `draw`'s work (t may be NULL: nothing). */
void vk_draw_timer_mark(struct vk_timer *t, VkCommandBuffer cb, uint32_t draw);
/* The pixels `draw` covers in the compute dispatch. */
bool vk_draw_timer_weigh(struct vk_timer *t, uint32_t draw, uint64_t pixels);
/* At submit: the pass had `n_draws` draws. */
void vk_draw_timer_end(struct vk_timer *t, uint32_t n_draws);
/* At completion of the frame: turns its timestamps into draw times. */
void vk_draw_timer_read(struct vk_renderer *r, struct vk_frame *f, struct vk_timer *t);
size_t vk_draw_timer_get(struct vk_timer *t, int64_t *out_ns, size_t cap,
	enum mosaic_draw_times *kind);
void vk_draw_timer_finish(struct vk_timer *t);
void vk_defer_host_buffer(struct vk_renderer *r, struct vk_host_buffer *buf, uint64_t seq);
/* Keeps a lock on `buffer` until submission `seq` is complete. */
void vk_hold_buffer(struct vk_renderer *r, struct mosaic_buffer *buffer, uint64_t seq);

/* staging.c */
bool vk_staging_init(struct vk_renderer *r);
void vk_staging_finish(struct vk_renderer *r);
/* Offsets in the ring are multiples of this (a multiple of every texel size). */
#define VK_STAGING_ALIGN 16
/* Bytes of the ring taken by one upload. */
struct vk_staging_span {
	/* The ring the span lies in, as it was when the span was taken. */
	struct vk_host_buffer host;
	/* What the copies read from: the same ring's buffer. */
	VkBuffer buffer;
	VkDeviceSize offset, size;
	/* Where the CPU writes the span's bytes. */
	uint8_t *map;
};
/*
 * Space for `size` bytes in the ring, used by the frame being recorded. May
 * replace the ring by a larger one: take one span per upload, and record the
 * copies from span->buffer.
 */
bool vk_staging_alloc(struct vk_renderer *r, VkDeviceSize size, struct vk_staging_span *span);
/* Makes the first `written` bytes of the span visible to the GPU (non-coherent memory). */
void vk_staging_flush(struct vk_renderer *r, const struct vk_staging_span *span,
	VkDeviceSize written);
/* Called when a frame begins: gives memory back after a quiet period. */
void vk_staging_frame_begin(struct vk_renderer *r);

/* image.c */
/* A new image (one reference) as `desc` describes it, with its sampled view; NULL, logged. */
struct vk_image *vk_image_create_desc(struct vk_renderer *r, const struct vk_image_desc *desc);
/* A renderer-owned optimal image for sampling, uploads and (render formats) drawing. */
struct vk_image *vk_image_create(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, bool exportable, const char *name);
/* The usage vk_image_create() gives images of `format`. */
VkImageUsageFlags vk_image_usage(const struct vk_format *format);
/*
 * Creates the image's sampled view (alpha read as one for X formats), through
 * `conversion` where the format needs a sampler Y'CbCr conversion.
 */
bool vk_image_create_sampled_view(struct vk_image *image, VkSamplerYcbcrConversion conversion);
/*
 * A 2D view of the image's colour aspect through `conversion` (or none);
 * `swizzle` reads alpha as one for opaque formats (without a conversion).
 */
bool vk_image_create_view(struct vk_image *image, bool swizzle,
	VkSamplerYcbcrConversion conversion, VkImageView *out);
/* The view the image is drawn into through (the sampled one where they are alike). */
VkImageView vk_image_attachment_view(struct vk_image *image);
void vk_image_ref(struct vk_image *image);
void vk_image_unref(struct vk_image *image);
void vk_image_destroy_now(struct vk_image *image);

/* texture.c */
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
/*
 * A pool of the list `pools` with a free set, or a new one of `sets` sets of
 * `descriptors_per_set` descriptors of `type`, debug-named `name`; NULL, logged.
 */
struct vk_descriptor_pool *vk_descriptor_pool_get(struct vk_renderer *r,
	struct mosaic_list *pools, VkDescriptorType type, uint32_t sets,
	uint32_t descriptors_per_set, const char *name);
void vk_descriptor_pools_destroy(struct vk_renderer *r, struct mosaic_list *pools);

/* frame_images.c: every image use of a frame, its layouts and ownership transfers */
/* The stages and accesses that touch an image in `layout`, as this backend uses them. */
void vk_layout_scope(VkImageLayout layout, VkPipelineStageFlags *stage, VkAccessFlags *access);
/*
 * Records a barrier into `cb` (a command buffer of the frame being recorded)
 * that moves a renderer-owned image, or one this frame acquired, to `layout`.
 */
void vk_image_transition(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout);
/* True when using the image in `layout` in this frame needs nothing recorded first. */
bool vk_image_ready(struct vk_image *image, VkImageLayout layout);
/*
 * Like vk_image_transition(), and first, once per frame: acquires a foreign
 * image (released when the frame is submitted), or copies the current
 * contents of a dmabuf imported as a buffer into its image.
 */
void vk_image_use(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout);
/* After drawing into a dmabuf imported as a buffer: records the copy back into `cb`. */
void vk_image_store_linear(struct vk_image *image, VkCommandBuffer cb);
/*
 * Hands an exported image to the foreign queue family: from now on every
 * frame that uses it acquires it and releases it at its end. An image that
 * was used before is released at once (waits for that submission).
 */
bool vk_image_make_foreign(struct vk_image *image);
/* Records the release of the frame's foreign images and buffers into `cb`. */
void vk_frame_release_foreign(struct vk_renderer *r, struct vk_frame *frame,
	VkCommandBuffer cb);
/* After the frame's submission: commits its layouts (`submitted`) or rolls them back. */
void vk_frame_images_end(struct vk_renderer *r, struct vk_frame *frame, bool submitted);

/* Counts `bytes` of damage copied into a texture by the frame being recorded. */
void vk_frame_count_upload(struct vk_renderer *r, uint64_t bytes, bool host_import);

/* host_import.c */
enum vk_host_upload {
	/** The path does not apply: the caller copies through the staging ring. */
	VK_HOST_UPLOAD_UNUSED,
	VK_HOST_UPLOAD_DONE,
	/** The upload failed, with a log line: the caller fails too. */
	VK_HOST_UPLOAD_FAILED,
};

/* Records the upload of `damage` straight from the buffer's shared memory. */
enum vk_host_upload vk_host_import_upload(struct vk_image *image,
	struct mosaic_buffer *buffer, const pixman_region32_t *damage);
void vk_host_imports_finish(struct vk_renderer *r);
/* Whether the driver imports a mapping of shared memory; made once at start-up. */
bool vk_host_import_probe(struct vk_renderer *r);
/*
 * The imported shared memory of a CPU render target, as a buffer and the
 * copy region of the whole image. False when that path does not apply.
 */
bool vk_host_import_target(struct vk_renderer *r, struct mosaic_buffer *buffer,
	const struct vk_format *format, VkBuffer *out_buffer, VkBufferImageCopy *out_region);

/* dmabuf_import.c */
/* Fills the dmabuf format sets; turns feat.dmabuf off when nothing imports. */
bool vk_dmabuf_init_formats(struct vk_renderer *r);
/* The cached import of a dmabuf buffer for sampling or rendering (borrowed), or NULL. */
struct vk_image *vk_dmabuf_get_image(struct vk_renderer *r, struct mosaic_buffer *buffer,
	bool render);
void vk_dmabuf_imports_finish(struct vk_renderer *r);
void vk_dmabuf_buffer_destroy(struct vk_renderer *r, struct vk_dmabuf_buffer *linear);
/* Whether the device imports dmabufs of `format` with `modifier` for `usage` as images. */
bool vk_dmabuf_external_supported(struct vk_renderer *r, VkFormat format, uint64_t modifier,
	VkImageUsageFlags usage, VkExternalMemoryFeatureFlags needs);
/*
 * The DRM format modifiers the device lists for a format: *mods (NULL when it lists
 * none, else to be freed by the caller) with *n_mods entries. False only when the
 * list cannot be allocated; the caller decides whether to log.
 */
bool vk_dmabuf_query_modifiers(struct vk_renderer *r, VkFormat format,
	VkDrmFormatModifierPropertiesEXT **mods, uint32_t *n_mods);
extern const VkImageUsageFlags vk_dmabuf_render_usage;

/* A set layout of one fragment-stage binding of `type` (with its immutable sampler, or NULL). */
bool vk_create_set_layout(struct vk_renderer *r, VkDescriptorType type,
	const VkSampler *immutable_sampler, VkDescriptorSetLayout *out);

/* ycbcr.c: sampler Y'CbCr conversions, their samplers, layouts and pipelines */
/* Checks the format features of a YUV format and records them in `f`; logs why not. */
bool vk_ycbcr_check_format(struct vk_renderer *r, struct vk_format *f);
/* The cached conversion of (format, facts, filter); NULL, logged. */
struct vk_ycbcr *vk_ycbcr_get(struct vk_renderer *r, const struct vk_format *format,
	const struct mosaic_yuv_info *yuv, enum mosaic_filter filter);
VkSamplerYcbcrConversion vk_ycbcr_conversion(const struct vk_ycbcr *ycbcr);
VkPipelineLayout vk_ycbcr_pipeline_layout(const struct vk_ycbcr *ycbcr);
/* The pipeline that draws through `ycbcr` into `setup`'s format, made on first use. */
VkPipeline vk_ycbcr_pipeline(struct vk_renderer *r, struct vk_ycbcr *ycbcr,
	const struct vk_render_setup *setup, enum mosaic_blend blend);
/* The image's binding for `filter` (view and descriptor set), made on first use. */
const struct vk_ycbcr_binding *vk_ycbcr_image_binding(struct vk_image *image,
	enum mosaic_filter filter);
void vk_ycbcr_image_finish(struct vk_image *image);
void vk_ycbcr_finish(struct vk_renderer *r);

/* ycbcr_copy.c: YUV images and the copies that fill them */
/* An optimal image of a YUV format sampled with `yuv`; NULL, logged. */
struct vk_image *vk_ycbcr_image_create(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, const struct mosaic_yuv_info *yuv, const char *name);
/* Most copy regions one plane of a YUV image takes (the plane and its repeated edges). */
#define VK_YCBCR_PLANE_REGIONS 4
/*
 * The regions that copy memory plane `plane` (at `offset`, rows `row_length`
 * texels apart) into the whole of the image, its padding included.
 */
uint32_t vk_ycbcr_plane_regions(const struct vk_image *image, uint32_t plane,
	VkDeviceSize offset, uint32_t row_length, VkBufferImageCopy out[VK_YCBCR_PLANE_REGIONS]);
/*
 * The bytes of one copy texel block of memory plane `plane` of the format and
 * the pixels it spans across (YUYV: 4 bytes, 2 pixels; others: 1 pixel).
 */
void vk_plane_block(const struct vk_format *format, uint32_t plane, uint32_t *bytes,
	uint32_t *pixels);
/* A YUV image filled from the planes of a dmabuf mapped by the CPU (no import); NULL, logged. */
struct vk_image *vk_ycbcr_image_from_planes(struct vk_renderer *r, struct mosaic_buffer *buffer);
/* Records the copy of the buffer's planes (mapped by the CPU) into the image. */
bool vk_ycbcr_upload(struct vk_image *image, struct mosaic_buffer *buffer);
/* dmabuf_cpu_copy.c: dmabufs the device cannot import, copied by the CPU */
/*
 * An optimal image that shows `buffer` (borrowed; a single-plane linear
 * dmabuf of `format`, `width` x `height`), or NULL with a log line. Logs
 * once per renderer, at INFO, that such copies are made.
 */
struct vk_image *vk_dmabuf_cpu_copy_create(struct vk_renderer *r,
	const struct vk_format *format, struct mosaic_buffer *buffer, int width, int height);
/*
 * Copies the buffer's current pixels into the image (through the staging
 * ring, recorded in the upload command buffer of the frame being recorded).
 * False with a log line when the buffer cannot be read: the image keeps what
 * it showed before.
 */
bool vk_dmabuf_cpu_copy_load(struct vk_image *image);

/* dmabuf_export.c */
/* Fills r->export_formats; turns feat.dmabuf_export off when nothing can be exported. */
bool vk_dmabuf_init_export(struct vk_renderer *r);
/*
 * A dmabuf-exportable image with one of `modifiers` (those the device can
 * export for rendering; at least one must be), or NULL with a log line.
 */
struct vk_image *vk_image_create_dmabuf(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, const uint64_t *modifiers, size_t n_modifiers);

/* read.c */
bool vk_texture_read_pixels(struct mosaic_texture *base,
	const struct mosaic_read_pixels_options *options);
struct mosaic_read_request *vk_texture_read_pixels_start(struct mosaic_texture *base,
	const struct mosaic_read_pixels_options *options);

/* gpu_allocator.c */
struct vk_buffer *vk_buffer_from_base(struct mosaic_buffer *buffer);
struct mosaic_allocator *vk_create_gpu_allocator(struct mosaic_renderer *renderer);

/* pipeline.c */
bool vk_pipelines_init(struct vk_renderer *r);
/* A quad pipeline with `module` as fragment shader and `layout`, into `render_pass`. */
bool vk_create_quad_pipeline(struct vk_renderer *r, VkRenderPass render_pass,
	VkShaderModule module, VkPipelineLayout layout, enum mosaic_blend blend, VkPipeline *out);
void vk_pipelines_finish(struct vk_renderer *r);
/* The render pass and every pipeline for `format`, made on the first call for it. */
struct vk_render_setup *vk_render_setup_get(struct vk_renderer *r, VkFormat format);

/* compute.c: passes composited by one compute dispatch */
/* The most textures one pass may sample (composite.comp's descriptor array, as limits allow). */
#define VK_COMPUTE_TEXTURES 256

/* A draw kept for the compute path (or replayed by the graphics path). */
struct vk_compute_draw {
	bool texture;
	/* The options; vk_compute_pass_draws() points their clip and alpha at the copies below. */
	struct mosaic_rect_options rect;
	struct mosaic_texture_options tex;
	float alpha;
	pixman_region32_t clip;
	/* The texture's slot in the descriptor array. */
	uint32_t index;
};

struct vk_compute_pass;

/* Whether MOSAIC_VK_PATH (graphics|compute|auto) asks for the compute path. */
bool vk_compute_wanted(struct vk_renderer *r);
/* Makes the pipeline and sets; leaves r->compute NULL (logged) where the device cannot. */
bool vk_compute_init(struct vk_renderer *r);
void vk_compute_finish(struct vk_renderer *r);
/* Whether passes into `target` can take the compute path. */
bool vk_compute_target_ok(struct vk_renderer *r, const struct vk_image *target);
struct vk_compute_pass *vk_compute_pass_create(void);
void vk_compute_pass_destroy(struct vk_compute_pass *cp);
/* Keep a copy of the draw (false, logged, on allocation failure). */
bool vk_compute_add_rect(struct vk_compute_pass *cp, const struct mosaic_rect_options *opts);
bool vk_compute_add_texture(struct vk_compute_pass *cp,
	const struct mosaic_texture_options *opts);
/* The kept draws, in order, their options' clip and alpha pointing at their copies. */
size_t vk_compute_pass_draws(struct vk_compute_pass *cp, const struct vk_compute_draw **draws);
/* Whether the compute path covers every draw (else the graphics path replays them). */
bool vk_compute_pass_supported(struct vk_renderer *r, struct vk_compute_pass *cp);
/*
 * Records the pass into `cb`: texture layouts into the upload command buffer,
 * the target moved to GENERAL (after its load for a CPU target, `shm`), one dispatch.
 */
bool vk_compute_record(struct vk_renderer *r, struct vk_compute_pass *cp, VkCommandBuffer cb,
	struct vk_image *target, bool shm);

/* Drops the first `n` kept draws (done otherwise, by the copy fast path). */
void vk_compute_pass_drop_front(struct vk_compute_pass *cp, size_t n);

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
