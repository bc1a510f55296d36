#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * dmabuf import (VK_EXT_external_memory_dma_buf with
 * VK_EXT_image_drm_format_modifier): client buffers become textures and
 * dmabuf outputs become render targets without a copy. The import is cached
 * on the buffer. Imported images belong to a foreign queue family between
 * frames: a frame that uses one acquires it first and releases it (layout
 * GENERAL) at its end. Only single-plane layouts are imported.
 */

#define FOREIGN_QUEUE(r) ((r)->feat.foreign_queue ? VK_QUEUE_FAMILY_FOREIGN_EXT : \
	VK_QUEUE_FAMILY_EXTERNAL)

static const VkImageUsageFlags texture_usage = VK_IMAGE_USAGE_SAMPLED_BIT |
	VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
static const VkImageUsageFlags render_usage = VK_IMAGE_USAGE_SAMPLED_BIT |
	VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
	VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;

static bool external_supported(struct vk_renderer *r, VkFormat format, uint64_t modifier,
	VkImageUsageFlags usage, VkExternalMemoryFeatureFlags needs)
{
	VkPhysicalDeviceImageDrmFormatModifierInfoEXT modifier_info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT,
		.drmFormatModifier = modifier,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkPhysicalDeviceExternalImageFormatInfo external_info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
		.pNext = &modifier_info,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	VkExternalImageFormatProperties external_props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES,
	};
	VkImageFormatProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2,
		.pNext = &external_props,
	};
	VkResult res = vkGetPhysicalDeviceImageFormatProperties2(r->phdev,
		&(VkPhysicalDeviceImageFormatInfo2){
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
			.pNext = &external_info,
			.format = format,
			.type = VK_IMAGE_TYPE_2D,
			.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
			.usage = usage,
		}, &props);
	return res == VK_SUCCESS &&
		(external_props.externalMemoryProperties.externalMemoryFeatures & needs) == needs;
}

static bool import_supported(struct vk_renderer *r, VkFormat format, uint64_t modifier,
	VkImageUsageFlags usage)
{
	return external_supported(r, format, modifier, usage,
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT);
}

/*
 * The DRM format modifiers the device lists for a format: *mods (NULL when it lists
 * none, else to be freed by the caller) with *n_mods entries. False only when the
 * list cannot be allocated; the caller decides whether to log.
 */
static bool query_modifiers(struct vk_renderer *r, VkFormat format,
	VkDrmFormatModifierPropertiesEXT **mods, uint32_t *n_mods)
{
	VkDrmFormatModifierPropertiesListEXT list = {
		.sType = VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT,
	};
	VkFormatProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2,
		.pNext = &list,
	};
	*mods = NULL;
	*n_mods = 0;
	vkGetPhysicalDeviceFormatProperties2(r->phdev, format, &props);
	if (list.drmFormatModifierCount == 0) {
		return true;
	}
	list.pDrmFormatModifierProperties = calloc(list.drmFormatModifierCount,
		sizeof(*list.pDrmFormatModifierProperties));
	if (list.pDrmFormatModifierProperties == NULL) {
		return false;
	}
	vkGetPhysicalDeviceFormatProperties2(r->phdev, format, &props);
	*mods = list.pDrmFormatModifierProperties;
	*n_mods = list.drmFormatModifierCount;
	return true;
}

bool vk_dmabuf_init_formats(struct vk_renderer *r)
{
	if (!r->feat.dmabuf) {
		return true;
	}
	const VkFormatFeatureFlags texture_needs = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT |
		VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT |
		VK_FORMAT_FEATURE_TRANSFER_SRC_BIT;
	const VkFormatFeatureFlags render_needs = texture_needs |
		VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT | VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT |
		VK_FORMAT_FEATURE_TRANSFER_DST_BIT;
	size_t n_texture = 0;
	for (size_t i = 0; i < r->n_formats; i++) {
		struct vk_format *f = &r->formats[i];
		VkDrmFormatModifierPropertiesEXT *mods;
		uint32_t n_mods;
		if (!query_modifiers(r, f->format, &mods, &n_mods)) {
			return false;
		}
		for (uint32_t j = 0; j < n_mods; j++) {
			const VkDrmFormatModifierPropertiesEXT *m = &mods[j];
			VkFormatFeatureFlags have = m->drmFormatModifierTilingFeatures;
			if (m->drmFormatModifierPlaneCount != 1 ||
					(have & texture_needs) != texture_needs ||
					!import_supported(r, f->format, m->drmFormatModifier,
						texture_usage)) {
				continue;
			}
			if (!mosaic_format_set_add(&r->base.dmabuf_texture_formats, f->fourcc,
					m->drmFormatModifier)) {
				free(mods);
				return false;
			}
			n_texture++;
			if (f->render && (have & render_needs) == render_needs &&
					import_supported(r, f->format, m->drmFormatModifier, render_usage) &&
					!mosaic_format_set_add(&r->base.dmabuf_render_formats, f->fourcc,
					m->drmFormatModifier)) {
				free(mods);
				return false;
			}
		}
		free(mods);
	}
	if (n_texture == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: no format can be imported from a dmabuf");
		r->feat.dmabuf = false;
	}
	return true;
}

static struct vk_image *import_image(struct vk_renderer *r, const struct vk_format *format,
	const struct mosaic_dmabuf_attributes *a, bool render)
{
	char name[32];
	if (a->n_planes != 1 || a->modifier == DRM_FORMAT_MOD_INVALID) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot import a dmabuf with %d planes and %s "
			"modifier", a->n_planes,
			a->modifier == DRM_FORMAT_MOD_INVALID ? "an implicit" : "an explicit");
		return NULL;
	}
	const struct mosaic_format_set *set = render ? &r->base.dmabuf_render_formats :
		&r->base.dmabuf_texture_formats;
	if (!mosaic_format_set_has(set, a->fourcc, a->modifier)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot %s a dmabuf of %s with modifier 0x%llx",
			render ? "render into" : "sample", mosaic_format_name(a->fourcc, name),
			(unsigned long long)a->modifier);
		return NULL;
	}
	struct vk_image *image = calloc(1, sizeof(*image));
	if (image == NULL) {
		return NULL;
	}
	*image = (struct vk_image){
		.renderer = r,
		.refs = 1,
		.format = format,
		.width = a->width,
		.height = a->height,
		.name = "mosaic dmabuf",
		// The producer's contents must survive the first acquire.
		.layout = VK_IMAGE_LAYOUT_PREINITIALIZED,
		.foreign = true,
	};
	VkSubresourceLayout plane = {
		.offset = a->offset[0],
		.rowPitch = a->stride[0],
	};
	VkImageDrmFormatModifierExplicitCreateInfoEXT explicit_info = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT,
		.drmFormatModifier = a->modifier,
		.drmFormatModifierPlaneCount = 1,
		.pPlaneLayouts = &plane,
	};
	VkExternalMemoryImageCreateInfo external = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.pNext = &explicit_info,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	VkResult res = vkCreateImage(r->dev, &(VkImageCreateInfo){
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.pNext = &external,
		.imageType = VK_IMAGE_TYPE_2D,
		.format = format->format,
		.extent = { (uint32_t)a->width, (uint32_t)a->height, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
		.usage = render ? render_usage : texture_usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_PREINITIALIZED,
	}, NULL, &image->image);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateImage (dmabuf)");
		free(image);
		return NULL;
	}
	r->create_count++;

	VkMemoryFdPropertiesKHR fd_props = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR,
	};
	res = vkGetMemoryFdPropertiesKHR(r->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		a->fd[0], &fd_props);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetMemoryFdPropertiesKHR");
		goto err_image;
	}
	VkMemoryRequirements req;
	vkGetImageMemoryRequirements(r->dev, image->image, &req);
	int type = vk_find_memory_type(r, req.memoryTypeBits & fd_props.memoryTypeBits, 0);
	if (type < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: no memory type can hold this dmabuf");
		goto err_image;
	}
	// A successful import owns the fd it is given; the buffer keeps its own.
	int fd = fcntl(a->fd[0], F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot duplicate the dmabuf fd");
		goto err_image;
	}
	res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &(VkImportMemoryFdInfoKHR){
			.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
			.pNext = &(VkMemoryDedicatedAllocateInfo){
				.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
				.image = image->image,
			},
			.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
			.fd = fd,
		},
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &image->memory);
	if (res != VK_SUCCESS) {
		close(fd);
		vk_fail(r, res, "vkAllocateMemory (dmabuf import)");
		goto err_image;
	}
	r->create_count++;
	res = vkBindImageMemory(r->dev, image->image, image->memory, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindImageMemory (dmabuf)");
		goto err_memory;
	}
	if (!vk_image_create_view(image)) {
		goto err_memory;
	}
	vk_name(r, VK_OBJECT_TYPE_IMAGE, (uint64_t)image->image, "mosaic dmabuf %dx%d",
		a->width, a->height);
	return image;

err_memory:
	vkFreeMemory(r->dev, image->memory, NULL);
err_image:
	vkDestroyImage(r->dev, image->image, NULL);
	free(image);
	return NULL;
}

/* The cached import of a dmabuf buffer (one for sampling, one for rendering). */
struct vk_dmabuf_import {
	struct mosaic_buffer_addon addon;
	struct vk_renderer *renderer;
	struct vk_image *image;
	struct mosaic_list link;
};

static void dmabuf_import_destroy(struct vk_dmabuf_import *import)
{
	mosaic_list_remove(&import->link);
	vk_image_unref(import->image);
	free(import);
}

static void dmabuf_addon_destroy(struct mosaic_buffer_addon *addon)
{
	dmabuf_import_destroy(mosaic_container_of(addon, struct vk_dmabuf_import, addon));
}

static const struct mosaic_buffer_addon_impl texture_addon_impl = {
	.name = "mosaic vulkan dmabuf texture",
	.destroy = dmabuf_addon_destroy,
};

static const struct mosaic_buffer_addon_impl render_addon_impl = {
	.name = "mosaic vulkan dmabuf target",
	.destroy = dmabuf_addon_destroy,
};

void vk_dmabuf_imports_finish(struct vk_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->dmabuf_imports) {
		struct vk_dmabuf_import *import =
			mosaic_container_of(link, struct vk_dmabuf_import, link);
		mosaic_buffer_addon_detach(&import->addon);
		dmabuf_import_destroy(import);
	}
}

struct vk_image *vk_dmabuf_get_image(struct vk_renderer *r, struct mosaic_buffer *buffer,
	bool render)
{
	const struct mosaic_buffer_addon_impl *impl = render ? &render_addon_impl :
		&texture_addon_impl;
	struct mosaic_buffer_addon *addon = mosaic_buffer_addon_find(buffer, r, impl);
	if (addon != NULL) {
		return mosaic_container_of(addon, struct vk_dmabuf_import, addon)->image;
	}
	if (!r->feat.dmabuf) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: this device cannot import dmabufs "
			"(see MOSAIC_FEATURE_DMABUF_IMPORT)");
		return NULL;
	}
	struct mosaic_dmabuf_attributes attribs;
	if (!mosaic_buffer_get_dmabuf(buffer, &attribs)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer has no dmabuf planes");
		return NULL;
	}
	const struct vk_format *format = vk_format_from_fourcc(r, attribs.fourcc);
	if (format == NULL || attribs.width != buffer->width ||
			attribs.height != buffer->height) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: unsupported dmabuf format or size");
		return NULL;
	}
	struct vk_dmabuf_import *import = calloc(1, sizeof(*import));
	if (import == NULL) {
		return NULL;
	}
	import->renderer = r;
	import->image = import_image(r, format, &attribs, render);
	if (import->image == NULL) {
		free(import);
		return NULL;
	}
	mosaic_buffer_addon_attach(buffer, &import->addon, r, impl);
	mosaic_list_insert(&r->dmabuf_imports, &import->link);
	return import->image;
}

void vk_image_use(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout)
{
	struct vk_renderer *r = image->renderer;
	struct vk_frame *frame = r->current;
	if (!image->foreign || image->acquired_seq == frame->seq) {
		vk_image_transition(image, cb, layout);
		return;
	}
	// Acquire from the foreign owner; released at the end of the frame.
	if (frame->n_foreign == frame->foreign_cap) {
		size_t cap = frame->foreign_cap == 0 ? 8 : frame->foreign_cap * 2;
		struct vk_image **bigger = realloc(frame->foreign, cap * sizeof(*bigger));
		if (bigger == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			vk_image_transition(image, cb, layout);
			return;
		}
		frame->foreign = bigger;
		frame->foreign_cap = cap;
	}
	VkPipelineStageFlags dst_stage;
	VkAccessFlags dst_access;
	vk_layout_scope(layout, &dst_stage, &dst_access);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, dst_stage, 0, 0, NULL, 0,
		NULL, 1, &(VkImageMemoryBarrier){
			.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
			.dstAccessMask = dst_access,
			.oldLayout = image->layout,
			.newLayout = layout,
			.srcQueueFamilyIndex = FOREIGN_QUEUE(r),
			.dstQueueFamilyIndex = r->queue_family,
			.image = image->image,
			.subresourceRange = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.levelCount = 1,
				.layerCount = 1,
			},
		});
	image->layout = layout;
	image->acquired_seq = frame->seq;
	vk_image_ref(image);
	frame->foreign[frame->n_foreign++] = image;
}

void vk_frame_release_foreign(struct vk_renderer *r, struct vk_frame *frame, VkCommandBuffer cb)
{
	for (size_t i = 0; i < frame->n_foreign; i++) {
		struct vk_image *image = frame->foreign[i];
		VkPipelineStageFlags src_stage;
		VkAccessFlags src_access;
		vk_layout_scope(image->layout, &src_stage, &src_access);
		vkCmdPipelineBarrier(cb, src_stage, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL,
			0, NULL, 1, &(VkImageMemoryBarrier){
				.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
				.srcAccessMask = src_access,
				.oldLayout = image->layout,
				.newLayout = VK_IMAGE_LAYOUT_GENERAL,
				.srcQueueFamilyIndex = r->queue_family,
				.dstQueueFamilyIndex = FOREIGN_QUEUE(r),
				.image = image->image,
				.subresourceRange = {
					.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
					.levelCount = 1,
					.layerCount = 1,
				},
			});
		image->layout = VK_IMAGE_LAYOUT_GENERAL;
		image->last_seq = frame->seq;
		vk_image_unref(image);
	}
	frame->n_foreign = 0;
}

/*
 * dmabuf export: images of the GPU allocator made with a DRM format modifier
 * and dmabuf memory. Once exported, an image belongs to the foreign queue
 * family between frames, like an imported one.
 */

bool vk_dmabuf_init_export(struct vk_renderer *r)
{
	if (!r->feat.dmabuf_export) {
		return true;
	}
	// What a render target of the GPU allocator is used for (texture.c, image_usage()).
	// Exported images must come back in: a compositor shows its outputs through
	// other renderers (or this one) and KMS, so only pairs that import are listed.
	const VkFormatFeatureFlags needs = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT |
		VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT |
		VK_FORMAT_FEATURE_TRANSFER_SRC_BIT | VK_FORMAT_FEATURE_TRANSFER_DST_BIT |
		VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT | VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT;
	size_t n_export = 0;
	for (size_t i = 0; i < r->n_formats; i++) {
		struct vk_format *f = &r->formats[i];
		if (!f->render) {
			continue;
		}
		VkDrmFormatModifierPropertiesEXT *mods;
		uint32_t n_mods;
		if (!query_modifiers(r, f->format, &mods, &n_mods)) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return false;
		}
		for (uint32_t j = 0; j < n_mods; j++) {
			const VkDrmFormatModifierPropertiesEXT *m = &mods[j];
			if (m->drmFormatModifierPlaneCount != 1 ||
					(m->drmFormatModifierTilingFeatures & needs) != needs ||
					!external_supported(r, f->format, m->drmFormatModifier,
						render_usage,
						VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT |
						VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)) {
				continue;
			}
			if (!mosaic_format_set_add(&r->export_formats, f->fourcc,
					m->drmFormatModifier)) {
				mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
				free(mods);
				return false;
			}
			n_export++;
		}
		free(mods);
	}
	if (n_export == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: no format can be exported as a dmabuf");
		r->feat.dmabuf_export = false;
	}
	return true;
}

struct vk_image *vk_image_create_dmabuf(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, const uint64_t *modifiers, size_t n_modifiers)
{
	char name[32];
	// Only the modifiers the device can export for this use; the driver picks among them.
	uint64_t *usable = calloc(n_modifiers + 1, sizeof(*usable));
	if (usable == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	uint32_t n_usable = 0;
	for (size_t i = 0; i < n_modifiers; i++) {
		if (mosaic_format_set_has(&r->export_formats, format->fourcc, modifiers[i])) {
			usable[n_usable++] = modifiers[i];
		}
	}
	if (n_usable == 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: none of the %zu modifiers can be exported "
			"as a dmabuf of %s", n_modifiers, mosaic_format_name(format->fourcc, name));
		free(usable);
		return NULL;
	}
	struct vk_image *image = calloc(1, sizeof(*image));
	if (image == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		free(usable);
		return NULL;
	}
	*image = (struct vk_image){
		.renderer = r,
		.refs = 1,
		.format = format,
		.width = width,
		.height = height,
		.name = "mosaic dmabuf buffer",
		.layout = VK_IMAGE_LAYOUT_UNDEFINED,
		.dmabuf_exportable = true,
	};
	VkImageDrmFormatModifierListCreateInfoEXT list_info = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT,
		.drmFormatModifierCount = n_usable,
		.pDrmFormatModifiers = usable,
	};
	VkExternalMemoryImageCreateInfo external = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.pNext = &list_info,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	VkResult res = vkCreateImage(r->dev, &(VkImageCreateInfo){
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.pNext = &external,
		.imageType = VK_IMAGE_TYPE_2D,
		.format = format->format,
		.extent = { (uint32_t)width, (uint32_t)height, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
		.usage = render_usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	}, NULL, &image->image);
	free(usable);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateImage (exportable dmabuf)");
		free(image);
		return NULL;
	}
	r->create_count++;
	VkImageDrmFormatModifierPropertiesEXT modifier_props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT,
	};
	res = vkGetImageDrmFormatModifierPropertiesEXT(r->dev, image->image, &modifier_props);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetImageDrmFormatModifierPropertiesEXT");
		goto err_image;
	}
	image->modifier = modifier_props.drmFormatModifier;

	VkMemoryRequirements req;
	vkGetImageMemoryRequirements(r->dev, image->image, &req);
	int type = vk_find_memory_type(r, req.memoryTypeBits,
		VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
	if (type < 0) {
		type = vk_find_memory_type(r, req.memoryTypeBits, 0);
	}
	if (type < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: no memory type for a %dx%d dmabuf",
			width, height);
		goto err_image;
	}
	image->size = req.size;
	res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &(VkExportMemoryAllocateInfo){
			.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
			.pNext = &(VkMemoryDedicatedAllocateInfo){
				.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
				.image = image->image,
			},
			.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		},
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &image->memory);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateMemory (exportable dmabuf)");
		goto err_image;
	}
	r->create_count++;
	res = vkBindImageMemory(r->dev, image->image, image->memory, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindImageMemory (exportable dmabuf)");
		goto err_memory;
	}
	if (!vk_image_create_view(image)) {
		goto err_memory;
	}
	vk_name(r, VK_OBJECT_TYPE_IMAGE, (uint64_t)image->image, "%s %dx%d", image->name,
		width, height);
	vk_name(r, VK_OBJECT_TYPE_DEVICE_MEMORY, (uint64_t)image->memory, "%s memory",
		image->name);
	return image;

err_memory:
	vkFreeMemory(r->dev, image->memory, NULL);
err_image:
	vkDestroyImage(r->dev, image->image, NULL);
	free(image);
	return NULL;
}

bool vk_image_make_foreign(struct vk_image *image)
{
	struct vk_renderer *r = image->renderer;
	if (image->foreign) {
		return true;
	}
	if (image->layout == VK_IMAGE_LAYOUT_UNDEFINED) {
		// Never used: the first frame that uses it acquires it (contents undefined).
		image->foreign = true;
		return true;
	}
	// The renderer owns it now: release it at the end of the frame being recorded
	// (as if that frame had acquired it) and make sure that frame is submitted.
	struct vk_frame *frame = vk_frame_get(r);
	if (frame == NULL) {
		return false;
	}
	// The release is recorded into the frame's last command buffer: one must be open.
	if (!frame->render_open && vk_frame_upload_cb(r) == VK_NULL_HANDLE) {
		return false;
	}
	if (frame->n_foreign == frame->foreign_cap) {
		size_t cap = frame->foreign_cap == 0 ? 8 : frame->foreign_cap * 2;
		struct vk_image **bigger = realloc(frame->foreign, cap * sizeof(*bigger));
		if (bigger == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return false;
		}
		frame->foreign = bigger;
		frame->foreign_cap = cap;
	}
	image->foreign = true;
	image->acquired_seq = frame->seq;
	vk_image_ref(image);
	frame->foreign[frame->n_foreign++] = image;
	if (r->open_pass != NULL) {
		// Released when the open pass is submitted.
		return true;
	}
	uint64_t seq = frame->seq;
	return vk_frame_submit(r, 0) && vk_wait_seq(r, seq, -1);
}
