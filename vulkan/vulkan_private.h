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
	/* shaderSubgroupClock (VK_KHR_shader_clock): the compute path measures tiles. */
	bool shader_clock;
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
	/*
	 * The compute dispatch measured its tiles (compute.c, shader_clock):
	 * the grid of the last pass, and each tile's share of the dispatch.
	 */
	bool tiles_recorded, tiles_valid;
	struct mosaic_tile_grid tiles;
	int64_t *tile_ns;
	uint32_t tile_ns_cap;
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

/* renderer.c */
struct vk_renderer *vk_renderer_from_base(struct mosaic_renderer *renderer);
const struct vk_format *vk_format_from_fourcc(struct vk_renderer *r, uint32_t fourcc);

/* The rest of the private interface, by concern. */
#include "vulkan/frame.h"
#include "vulkan/image.h"
#include "vulkan/pass.h"

#endif
