#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private/export.h"
#include "private/format.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

#define SETS_PER_POOL 256

static VkImageUsageFlags image_usage(const struct vk_format *format)
{
	VkImageUsageFlags usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
		VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
	if (format->render) {
		usage |= VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
	}
	return usage;
}

static bool create_view(struct vk_image *image, bool swizzle, VkImageView *out)
{
	struct vk_renderer *r = image->renderer;
	VkComponentSwizzle a = swizzle && image->format->opaque ?
		VK_COMPONENT_SWIZZLE_ONE : VK_COMPONENT_SWIZZLE_IDENTITY;
	VkResult res = vkCreateImageView(r->dev, &(VkImageViewCreateInfo){
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
		.image = image->image,
		.viewType = VK_IMAGE_VIEW_TYPE_2D,
		.format = image->format->format,
		.components = { .a = a },
		.subresourceRange = {
			.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
			.levelCount = 1,
			.layerCount = 1,
		},
	}, NULL, out);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateImageView");
		return false;
	}
	r->create_count++;
	return true;
}

/*
 * Creates the VkImage (with external memory when `exportable`) and binds
 * memory: new memory, or the imported `import_fd` (ownership passes to Vulkan
 * on success).
 */
static struct vk_image *image_create(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, bool exportable, int import_fd, VkDeviceSize import_size,
	const char *name)
{
	struct vk_image *image = calloc(1, sizeof(*image));
	if (image == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	*image = (struct vk_image){
		.renderer = r,
		.refs = 1,
		.format = format,
		.width = width,
		.height = height,
		.layout = VK_IMAGE_LAYOUT_UNDEFINED,
		.exportable = exportable,
	};
	VkExternalMemoryImageCreateInfo external = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkResult res = vkCreateImage(r->dev, &(VkImageCreateInfo){
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.pNext = exportable ? &external : NULL,
		.imageType = VK_IMAGE_TYPE_2D,
		.format = format->format,
		.extent = { (uint32_t)width, (uint32_t)height, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = VK_IMAGE_TILING_OPTIMAL,
		.usage = image_usage(format),
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	}, NULL, &image->image);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateImage");
		free(image);
		return NULL;
	}
	r->create_count++;

	VkMemoryRequirements req;
	vkGetImageMemoryRequirements(r->dev, image->image, &req);
	if (import_fd >= 0 && req.size > import_size) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the imported memory has %llu bytes, the "
			"image needs %llu", (unsigned long long)import_size,
			(unsigned long long)req.size);
		goto err_image;
	}
	int type = vk_find_memory_type(r, req.memoryTypeBits,
		VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
	if (type < 0) {
		type = vk_find_memory_type(r, req.memoryTypeBits, 0);
	}
	if (type < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: no memory type for a %dx%d image",
			width, height);
		goto err_image;
	}
	VkMemoryDedicatedAllocateInfo dedicated = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
		.image = image->image,
	};
	VkExportMemoryAllocateInfo export_info = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.pNext = &dedicated,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkImportMemoryFdInfoKHR import_info = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.pNext = &dedicated,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
		.fd = import_fd,
	};
	const void *next = NULL;
	image->size = req.size;
	if (import_fd >= 0) {
		next = &import_info;
		image->size = import_size;
	} else if (exportable) {
		next = &export_info;
	}
	res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = next,
		.allocationSize = image->size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &image->memory);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateMemory (image)");
		goto err_image;
	}
	r->create_count++;
	res = vkBindImageMemory(r->dev, image->image, image->memory, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindImageMemory");
		goto err_memory;
	}
	if (!create_view(image, true, &image->sample_view)) {
		goto err_memory;
	}
	vk_name(r, VK_OBJECT_TYPE_IMAGE, (uint64_t)image->image, "%s %dx%d", name, width,
		height);
	vk_name(r, VK_OBJECT_TYPE_DEVICE_MEMORY, (uint64_t)image->memory, "%s memory", name);
	vk_name(r, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)image->sample_view, "%s view", name);
	image->name = name;
	return image;

err_memory:
	vkFreeMemory(r->dev, image->memory, NULL);
err_image:
	vkDestroyImage(r->dev, image->image, NULL);
	free(image);
	return NULL;
}

bool vk_image_create_view(struct vk_image *image)
{
	if (!create_view(image, true, &image->sample_view)) {
		return false;
	}
	vk_name(image->renderer, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)image->sample_view,
		"%s view", image->name);
	return true;
}

struct vk_image *vk_image_create(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, bool exportable, const char *name)
{
	return image_create(r, format, width, height, exportable, -1, 0, name);
}

struct vk_image *vk_image_import_opaque(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, int fd, VkDeviceSize size)
{
	return image_create(r, format, width, height, true, fd, size, "mosaic imported image");
}

void vk_image_ref(struct vk_image *image)
{
	image->refs++;
}

void vk_image_destroy_now(struct vk_image *image)
{
	struct vk_renderer *r = image->renderer;
	if (image->set != VK_NULL_HANDLE) {
		vkFreeDescriptorSets(r->dev, image->set_pool->pool, 1, &image->set);
		image->set_pool->free++;
	}
	vkDestroyFramebuffer(r->dev, image->framebuffer, NULL);
	vkDestroyImageView(r->dev, image->attachment_view, NULL);
	vkDestroyImageView(r->dev, image->sample_view, NULL);
	vkDestroyImage(r->dev, image->image, NULL);
	vkFreeMemory(r->dev, image->memory, NULL);
	free(image);
}

void vk_image_unref(struct vk_image *image)
{
	if (image == NULL || --image->refs > 0) {
		return;
	}
	struct vk_renderer *r = image->renderer;
	if (image->last_seq > r->completed_seq) {
		mosaic_list_insert(r->dead_images.prev, &image->link);
		return;
	}
	vk_image_destroy_now(image);
}

void vk_layout_scope(VkImageLayout layout, VkPipelineStageFlags *stage,
	VkAccessFlags *access)
{
	switch (layout) {
	case VK_IMAGE_LAYOUT_UNDEFINED:
		*stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT;
		*access = 0;
		return;
	case VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL:
		*stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
		*access = VK_ACCESS_TRANSFER_WRITE_BIT;
		return;
	case VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL:
		*stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
		*access = VK_ACCESS_TRANSFER_READ_BIT;
		return;
	case VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL:
		*stage = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT;
		*access = VK_ACCESS_SHADER_READ_BIT;
		return;
	case VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL:
		*stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
		*access = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT |
			VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
		return;
	default:
		*stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
		*access = VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT;
		return;
	}
}

void vk_image_transition(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout)
{
	VkPipelineStageFlags src_stage, dst_stage;
	VkAccessFlags src_access, dst_access;
	vk_layout_scope(image->layout, &src_stage, &src_access);
	vk_layout_scope(layout, &dst_stage, &dst_access);
	vkCmdPipelineBarrier(cb, src_stage, dst_stage, 0, 0, NULL, 0, NULL, 1,
		&(VkImageMemoryBarrier){
			.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
			.srcAccessMask = src_access,
			.dstAccessMask = dst_access,
			.oldLayout = image->layout,
			.newLayout = layout,
			.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
			.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
			.image = image->image,
			.subresourceRange = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.levelCount = 1,
				.layerCount = 1,
			},
		});
	image->layout = layout;
}

static struct vk_descriptor_pool *get_descriptor_pool(struct vk_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->descriptor_pools) {
		struct vk_descriptor_pool *p =
			mosaic_container_of(link, struct vk_descriptor_pool, link);
		if (p->free > 0) {
			return p;
		}
	}
	struct vk_descriptor_pool *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	VkResult res = vkCreateDescriptorPool(r->dev, &(VkDescriptorPoolCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
		.maxSets = SETS_PER_POOL,
		.poolSizeCount = 1,
		.pPoolSizes = &(VkDescriptorPoolSize){
			VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, SETS_PER_POOL,
		},
	}, NULL, &p->pool);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateDescriptorPool");
		free(p);
		return NULL;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_DESCRIPTOR_POOL, (uint64_t)p->pool, "mosaic texture sets");
	p->free = SETS_PER_POOL;
	mosaic_list_insert(r->descriptor_pools.prev, &p->link);
	return p;
}

void vk_descriptor_pools_finish(struct vk_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->descriptor_pools) {
		struct vk_descriptor_pool *p =
			mosaic_container_of(link, struct vk_descriptor_pool, link);
		vkDestroyDescriptorPool(r->dev, p->pool, NULL);
		mosaic_list_remove(&p->link);
		free(p);
	}
}

bool vk_image_ensure_set(struct vk_image *image)
{
	if (image->set != VK_NULL_HANDLE) {
		return true;
	}
	struct vk_renderer *r = image->renderer;
	struct vk_descriptor_pool *pool = get_descriptor_pool(r);
	if (pool == NULL) {
		return false;
	}
	VkResult res = vkAllocateDescriptorSets(r->dev, &(VkDescriptorSetAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = pool->pool,
		.descriptorSetCount = 1,
		.pSetLayouts = &r->texture_set_layout,
	}, &image->set);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateDescriptorSets");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_DESCRIPTOR_SET, (uint64_t)image->set, "mosaic texture set");
	pool->free--;
	image->set_pool = pool;
	vkUpdateDescriptorSets(r->dev, 1, &(VkWriteDescriptorSet){
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.dstSet = image->set,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE,
		.pImageInfo = &(VkDescriptorImageInfo){
			.imageView = image->sample_view,
			.imageLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
		},
	}, 0, NULL);
	return true;
}

bool vk_image_ensure_framebuffer(struct vk_image *image, VkRenderPass render_pass)
{
	if (image->framebuffer != VK_NULL_HANDLE) {
		return true;
	}
	struct vk_renderer *r = image->renderer;
	// Without a swizzle the sampled view is a valid attachment view.
	if (image->attachment_view == VK_NULL_HANDLE && image->format->opaque) {
		if (!create_view(image, false, &image->attachment_view)) {
			return false;
		}
		vk_name(r, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)image->attachment_view,
			"%s attachment view", image->name);
	}
	VkImageView view = image->attachment_view != VK_NULL_HANDLE ?
		image->attachment_view : image->sample_view;
	VkResult res = vkCreateFramebuffer(r->dev, &(VkFramebufferCreateInfo){
		.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
		.renderPass = render_pass,
		.attachmentCount = 1,
		.pAttachments = &view,
		.width = (uint32_t)image->width,
		.height = (uint32_t)image->height,
		.layers = 1,
	}, NULL, &image->framebuffer);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateFramebuffer");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_FRAMEBUFFER, (uint64_t)image->framebuffer,
		"mosaic framebuffer %dx%d", image->width, image->height);
	return true;
}

bool vk_image_upload(struct vk_image *image, const uint8_t *data, uint32_t stride,
	const pixman_region32_t *damage)
{
	struct vk_renderer *r = image->renderer;
	uint32_t bpp = image->format->bpp;
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(damage, &n);
	VkBufferImageCopy *regions = vk_scratch(r, (size_t)n * sizeof(*regions));
	if (regions == NULL) {
		return false;
	}
	VkCommandBuffer cb = vk_frame_upload_cb(r);
	if (cb == VK_NULL_HANDLE) {
		return false;
	}
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &rects[i];
		uint32_t w = (uint32_t)(b->x2 - b->x1), h = (uint32_t)(b->y2 - b->y1);
		size_t row = (size_t)w * bpp;
		VkDeviceSize offset;
		uint8_t *dst;
		if (!vk_staging_alloc(r, (VkDeviceSize)row * h, &offset, &dst)) {
			return false;
		}
		const uint8_t *src = data + (size_t)b->y1 * stride + (size_t)b->x1 * bpp;
		if (row == stride) {
			memcpy(dst, src, row * h);
		} else {
			for (uint32_t y = 0; y < h; y++) {
				memcpy(dst + y * row, src + (size_t)y * stride, row);
			}
		}
		regions[i] = (VkBufferImageCopy){
			.bufferOffset = offset,
			.imageSubresource = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.layerCount = 1,
			},
			.imageOffset = { b->x1, b->y1, 0 },
			.imageExtent = { w, h, 1 },
		};
	}
	return vk_image_copy_regions(image, r->staging.buf.buffer, regions, (uint32_t)n);
}

bool vk_image_copy_regions(struct vk_image *image, VkBuffer src,
	const VkBufferImageCopy *regions, uint32_t n)
{
	struct vk_renderer *r = image->renderer;
	VkCommandBuffer cb = vk_frame_upload_cb(r);
	if (cb == VK_NULL_HANDLE) {
		return false;
	}
	vk_image_transition(image, cb, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	vkCmdCopyBufferToImage(cb, src, image->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, n,
		regions);
	vk_image_transition(image, cb, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
	image->last_seq = r->current->seq;
	return true;
}

static const struct mosaic_texture_impl vk_texture_impl;

MOSAIC_EXPORT bool mosaic_texture_is_vulkan(const struct mosaic_texture *texture)
{
	return texture != NULL && texture->impl == &vk_texture_impl;
}

struct vk_texture *vk_texture_from_base(struct mosaic_texture *texture)
{
	assert(mosaic_texture_is_vulkan(texture));
	return mosaic_container_of(texture, struct vk_texture, base);
}

static void vk_texture_destroy(struct mosaic_texture *base)
{
	struct vk_texture *t = vk_texture_from_base(base);
	vk_image_unref(t->image);
	mosaic_buffer_unlock(t->buffer);
	free(t);
}

static bool vk_texture_update_from_buffer(struct mosaic_texture *base,
	const struct mosaic_texture_update *update)
{
	struct vk_texture *t = vk_texture_from_base(base);
	if (t->buffer != NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: a texture of a Vulkan buffer shows the "
			"buffer itself and cannot be updated");
		return false;
	}
	return vk_host_import_upload(t->image, update->buffer, update->damage) ||
		vk_image_upload(t->image, update->data, update->stride, update->damage);
}

static const struct mosaic_texture_impl vk_texture_impl = {
	.destroy = vk_texture_destroy,
	.update_from_buffer = vk_texture_update_from_buffer,
	.read_pixels = vk_texture_read_pixels,
	.read_pixels_start = vk_texture_read_pixels_start,
};

static struct mosaic_texture *texture_of_vk_buffer(struct vk_renderer *r,
	struct mosaic_buffer *buffer)
{
	struct vk_buffer *b = vk_buffer_from_base(buffer);
	if (b->renderer != r) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer belongs to another renderer; "
			"share it with an opaque fd export");
		return NULL;
	}
	struct vk_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	t->image = b->image;
	vk_image_ref(t->image);
	t->buffer = mosaic_buffer_lock(buffer);
	mosaic_texture_init(&t->base, &vk_texture_impl, &r->base, buffer->width, buffer->height,
		b->image->format->fourcc);
	return &t->base;
}

static struct mosaic_texture *texture_of_dmabuf(struct vk_renderer *r,
	struct mosaic_buffer *buffer)
{
	struct vk_image *image = vk_dmabuf_get_image(r, buffer, false);
	if (image == NULL || !vk_image_ensure_set(image)) {
		return NULL;
	}
	struct vk_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	// The texture shows the buffer's current contents, like a Vulkan buffer's.
	t->image = image;
	vk_image_ref(image);
	t->buffer = mosaic_buffer_lock(buffer);
	mosaic_texture_init(&t->base, &vk_texture_impl, &r->base, buffer->width, buffer->height,
		image->format->fourcc);
	return &t->base;
}

struct mosaic_texture *vk_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	char name[32];
	if (mosaic_buffer_is_vulkan(buffer)) {
		return texture_of_vk_buffer(r, buffer);
	}
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	if ((caps & MOSAIC_BUFFER_CAP_DMABUF) && r->feat.dmabuf) {
		return texture_of_dmabuf(r, buffer);
	}
	if (!(caps & MOSAIC_BUFFER_CAP_DATA_PTR)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer offers no CPU access and this "
			"renderer cannot import dmabufs");
		return NULL;
	}
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data, &fourcc,
			&stride)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer offers no CPU access");
		return NULL;
	}
	struct vk_texture *t = NULL;
	const struct vk_format *format = vk_format_from_fourcc(r, fourcc);
	if (format == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: unsupported texture format %s",
			mosaic_format_name(fourcc, name));
		goto out;
	}
	if (!mosaic_format_check_layout(fourcc, buffer->width, buffer->height, stride)) {
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto out;
	}
	t->image = vk_image_create(r, format, buffer->width, buffer->height, false,
		"mosaic texture");
	if (t->image == NULL) {
		goto err;
	}
	pixman_region32_t all;
	pixman_region32_init_rect(&all, 0, 0, (unsigned)buffer->width, (unsigned)buffer->height);
	bool ok = vk_image_ensure_set(t->image) &&
		(vk_host_import_upload(t->image, buffer, &all) ||
		vk_image_upload(t->image, data, stride, &all));
	pixman_region32_fini(&all);
	if (!ok) {
		vk_image_unref(t->image);
		goto err;
	}
	mosaic_texture_init(&t->base, &vk_texture_impl, renderer, buffer->width, buffer->height,
		fourcc);
	goto out;
err:
	free(t);
	t = NULL;
out:
	mosaic_buffer_end_data_access(buffer);
	return t != NULL ? &t->base : NULL;
}
