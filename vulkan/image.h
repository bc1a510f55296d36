#ifndef MOSAIC_VULKAN_IMAGE_H
#define MOSAIC_VULKAN_IMAGE_H

/*
 * Images and their memory: the one image constructor, small-image
 * suballocation, uploads, host-memory and dmabuf imports, Y'CbCr, exports,
 * reads and the GPU allocator.
 * Part of the backend's private interface: vulkan/vulkan_private.h includes it.
 */

#include "vulkan/vulkan_private.h"

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

#endif
