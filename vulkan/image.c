#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * The one constructor of images: creates the VkImage a description asks for
 * (optimal or with a DRM format modifier, single- or multi-planar, disjoint
 * or not, with external memory or not), allocates, imports or exports its
 * memory (dedicated where the driver asks for it, a range of a shared block
 * for small private images), binds it plane by plane and creates the
 * sampled view.
 */

VkImageUsageFlags vk_image_usage(const struct vk_format *format)
{
	VkImageUsageFlags usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
		VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
	if (format->render) {
		usage |= VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
	}
	if (format->storage) {
		// The compute path writes the target as a storage image (compute.c).
		usage |= VK_IMAGE_USAGE_STORAGE_BIT;
	}
	return usage;
}

bool vk_image_create_view(struct vk_image *image, bool swizzle,
	VkSamplerYcbcrConversion conversion, VkImageView *out)
{
	struct vk_renderer *r = image->renderer;
	// A view with a conversion keeps the identity swizzle (the conversion has its own).
	VkComponentSwizzle a = swizzle && image->format->opaque &&
		conversion == VK_NULL_HANDLE ? VK_COMPONENT_SWIZZLE_ONE :
		VK_COMPONENT_SWIZZLE_IDENTITY;
	VkSamplerYcbcrConversionInfo conversion_info = {
		.sType = VK_STRUCTURE_TYPE_SAMPLER_YCBCR_CONVERSION_INFO,
		.conversion = conversion,
	};
	// Where only the storage view's format has storage images, the others leave it out.
	VkImageViewUsageCreateInfo usage_info = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_USAGE_CREATE_INFO,
		.usage = image->usage & ~VK_IMAGE_USAGE_STORAGE_BIT,
	};
	const void *next = conversion != VK_NULL_HANDLE ? &conversion_info : NULL;
	if ((image->usage & VK_IMAGE_USAGE_STORAGE_BIT) &&
			image->format->storage_format != image->format->format) {
		next = &usage_info;
	}
	VkResult res = vkCreateImageView(r->dev, &(VkImageViewCreateInfo){
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
		.pNext = next,
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

bool vk_image_create_sampled_view(struct vk_image *image, VkSamplerYcbcrConversion conversion)
{
	if (!vk_image_create_view(image, true, conversion, &image->sample_view)) {
		return false;
	}
	vk_name(image->renderer, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)image->sample_view,
		"%s view", image->name);
	return true;
}

VkImageView vk_image_attachment_view(struct vk_image *image)
{
	// Without a swizzle the sampled view is a valid attachment view.
	if (!image->format->opaque) {
		return image->sample_view;
	}
	if (image->attachment_view == VK_NULL_HANDLE) {
		if (!vk_image_create_view(image, false, VK_NULL_HANDLE, &image->attachment_view)) {
			return VK_NULL_HANDLE;
		}
		vk_name(image->renderer, VK_OBJECT_TYPE_IMAGE_VIEW,
			(uint64_t)image->attachment_view, "%s attachment view", image->name);
	}
	return image->attachment_view;
}

/* The VkImage's size: 4:2:x formats round up to their subsampling (see ycbcr_copy.c). */
static void image_extent(const struct vk_image_desc *d, uint32_t *w, uint32_t *h)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(d->format->fourcc);
	uint32_t hsub = d->format->yuv && info != NULL ? info->hsub : 1;
	uint32_t vsub = d->format->yuv && info != NULL ? info->vsub : 1;
	*w = ((uint32_t)d->width + hsub - 1) / hsub * hsub;
	*h = ((uint32_t)d->height + vsub - 1) / vsub * vsub;
}

static VkResult create_vk_image(struct vk_renderer *r, const struct vk_image_desc *d,
	VkImage *out)
{
	uint32_t width, height;
	image_extent(d, &width, &height);
	VkSubresourceLayout planes[VK_MAX_PLANES] = {0};
	for (uint32_t i = 0; i < d->n_planes && i < VK_MAX_PLANES; i++) {
		planes[i] = (VkSubresourceLayout){
			.offset = d->planes[i].offset,
			.rowPitch = d->planes[i].row_pitch,
		};
	}
	VkImageDrmFormatModifierExplicitCreateInfoEXT explicit_info = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT,
		.drmFormatModifier = d->modifier,
		.drmFormatModifierPlaneCount = d->n_planes,
		.pPlaneLayouts = planes,
	};
	VkImageDrmFormatModifierListCreateInfoEXT list_info = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT,
		.drmFormatModifierCount = d->n_modifiers,
		.pDrmFormatModifiers = d->modifiers,
	};
	const void *modifier_info = NULL;
	if (d->tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT) {
		modifier_info = d->n_modifiers > 0 ? (const void *)&list_info :
			(const void *)&explicit_info;
	}
	VkExternalMemoryImageCreateInfo external = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.pNext = modifier_info,
		.handleTypes = d->handle_type,
	};
	// Storage through a view of another format (vk_format.storage_format).
	bool storage_view = (d->usage & VK_IMAGE_USAGE_STORAGE_BIT) &&
		d->format->storage_format != d->format->format;
	// Images with external memory must start UNDEFINED (VUID-VkImageCreateInfo-pNext-01443);
	// an import's contents survive through its first acquire (frame_images.c).
	return vkCreateImage(r->dev, &(VkImageCreateInfo){
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.pNext = d->handle_type != 0 ? &external : modifier_info,
		.flags = (d->disjoint ? VK_IMAGE_CREATE_DISJOINT_BIT : 0) | (storage_view ?
			VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT | VK_IMAGE_CREATE_EXTENDED_USAGE_BIT : 0),
		.imageType = VK_IMAGE_TYPE_2D,
		.format = d->format->format,
		.extent = { width, height, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = d->tiling,
		.usage = d->usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	}, NULL, out);
}

/* The aspect that names memory plane `i` of a disjoint image. */
static VkImageAspectFlagBits plane_aspect(const struct vk_image_desc *d, uint32_t i)
{
	if (d->tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT) {
		return (VkImageAspectFlagBits)(VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT << i);
	}
	return (VkImageAspectFlagBits)(VK_IMAGE_ASPECT_PLANE_0_BIT << i);
}

/* Allocates, imports or exports memory `i` of the image. */
static bool allocate_memory(struct vk_image *image, const struct vk_image_desc *d, uint32_t i)
{
	struct vk_renderer *r = image->renderer;
	VkImagePlaneMemoryRequirementsInfo plane_info = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO,
		.planeAspect = plane_aspect(d, i),
	};
	VkMemoryDedicatedRequirements dedicated_req = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS,
	};
	VkMemoryRequirements2 req = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2,
		.pNext = &dedicated_req,
	};
	vkGetImageMemoryRequirements2(r->dev, &(VkImageMemoryRequirementsInfo2){
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
		.pNext = d->disjoint ? &plane_info : NULL,
		.image = image->image,
	}, &req);
	uint32_t type_bits = req.memoryRequirements.memoryTypeBits;
	VkDeviceSize size = req.memoryRequirements.size;
	bool import = d->n_fds > 0;
	if (import && d->handle_type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT) {
		VkMemoryFdPropertiesKHR fd_props = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR,
		};
		VkResult res = vkGetMemoryFdPropertiesKHR(r->dev, d->handle_type, d->fds[i],
			&fd_props);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkGetMemoryFdPropertiesKHR");
			return false;
		}
		type_bits &= fd_props.memoryTypeBits;
	} else if (import) {
		if (d->import_size < size) {
			mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the imported memory has %llu bytes, "
				"the image needs %llu", (unsigned long long)d->import_size,
				(unsigned long long)size);
			return false;
		}
		size = d->import_size;
	}
	int type = vk_find_memory_type(r, type_bits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
	if (type < 0) {
		type = vk_find_memory_type(r, type_bits, 0);
	}
	if (type < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: no memory type can hold a %dx%d %s",
			d->width, d->height, d->name);
		return false;
	}
	// A disjoint image cannot have dedicated memory
	// (VUID-VkMemoryDedicatedAllocateInfo-image-01797).
	bool dedicated = !d->disjoint && (dedicated_req.prefersDedicatedAllocation ||
		dedicated_req.requiresDedicatedAllocation);
	if (!import && d->handle_type == 0 && !dedicated && !d->disjoint &&
			d->tiling == VK_IMAGE_TILING_OPTIMAL && size <= VK_BLOCK_MAX_ALLOCATION) {
		// Small and private: a range of a shared block.
		if (!vk_block_alloc(r, &req.memoryRequirements, (uint32_t)type, &image->block)) {
			return false;
		}
		image->memory[i] = image->block.block->memory;
		image->size += size;
		return true;
	}
	VkMemoryDedicatedAllocateInfo dedicated_info = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
		.image = image->image,
	};
	const void *next = dedicated ? &dedicated_info : NULL;
	VkExportMemoryAllocateInfo export_info = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.pNext = next,
		.handleTypes = d->handle_type,
	};
	VkImportMemoryFdInfoKHR import_info = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.pNext = next,
		.handleType = d->handle_type,
		.fd = -1,
	};
	if (import) {
		// A successful import owns the fd it is given; the caller keeps its own.
		import_info.fd = fcntl(d->fds[i], F_DUPFD_CLOEXEC, 0);
		if (import_info.fd < 0) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot duplicate the fd to import");
			return false;
		}
		next = &import_info;
	} else if (d->exportable) {
		next = &export_info;
	}
	VkResult res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = next,
		.allocationSize = size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &image->memory[i]);
	if (res != VK_SUCCESS) {
		if (import_info.fd >= 0) {
			close(import_info.fd);
		}
		vk_fail(r, res, import ? "vkAllocateMemory (import)" : "vkAllocateMemory (image)");
		return false;
	}
	r->create_count++;
	image->size += size;
	vk_name(r, VK_OBJECT_TYPE_DEVICE_MEMORY, (uint64_t)image->memory[i], "%s memory %u",
		d->name, i);
	return true;
}

static bool bind_memory(struct vk_image *image, const struct vk_image_desc *d)
{
	struct vk_renderer *r = image->renderer;
	VkBindImageMemoryInfo binds[VK_MAX_PLANES];
	VkBindImagePlaneMemoryInfo planes[VK_MAX_PLANES];
	for (uint32_t i = 0; i < image->n_memory; i++) {
		planes[i] = (VkBindImagePlaneMemoryInfo){
			.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO,
			.planeAspect = plane_aspect(d, i),
		};
		binds[i] = (VkBindImageMemoryInfo){
			.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
			.pNext = d->disjoint ? &planes[i] : NULL,
			.image = image->image,
			.memory = image->memory[i],
			.memoryOffset = image->block.block != NULL ? image->block.offset : 0,
		};
	}
	VkResult res = vkBindImageMemory2(r->dev, image->n_memory, binds);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindImageMemory2");
		return false;
	}
	return true;
}

static void free_memory(struct vk_image *image)
{
	struct vk_renderer *r = image->renderer;
	if (image->block.block != NULL) {
		vk_block_free(r, &image->block);
	} else if (image->n_memory > 0) {
		vkFreeMemory(r->dev, image->memory[0], NULL);
	}
	for (uint32_t i = 1; i < image->n_memory; i++) {
		vkFreeMemory(r->dev, image->memory[i], NULL);
	}
}

struct vk_image *vk_image_create_desc(struct vk_renderer *r, const struct vk_image_desc *d)
{
	uint32_t n_memory = d->disjoint ? d->n_planes : 1;
	if (n_memory == 0 || n_memory > VK_MAX_PLANES || d->n_planes > VK_MAX_PLANES ||
			(d->n_fds > 0 && d->n_fds != n_memory)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: invalid description of %s: %u planes, "
			"%u fds", d->name, d->n_planes, d->n_fds);
		return NULL;
	}
	struct vk_image *image = calloc(1, sizeof(*image));
	if (image == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	*image = (struct vk_image){
		.renderer = r,
		.refs = 1,
		.format = d->format,
		.width = d->width,
		.height = d->height,
		.usage = d->usage,
		.name = d->name,
		.layout = VK_IMAGE_LAYOUT_UNDEFINED,
		.committed_layout = VK_IMAGE_LAYOUT_UNDEFINED,
		.exportable = d->exportable,
		.modifier = d->modifier,
	};
	image_extent(d, &image->extent_width, &image->extent_height);
	VkResult res = create_vk_image(r, d, &image->image);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateImage");
		free(image);
		return NULL;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_IMAGE, (uint64_t)image->image, "%s %dx%d", d->name, d->width,
		d->height);
	for (uint32_t i = 0; i < n_memory; i++) {
		if (!allocate_memory(image, d, i)) {
			goto err_memory;
		}
		image->n_memory++;
	}
	if (!bind_memory(image, d) || !vk_image_create_sampled_view(image, d->conversion)) {
		goto err_memory;
	}
	return image;

err_memory:
	free_memory(image);
	vkDestroyImage(r->dev, image->image, NULL);
	free(image);
	return NULL;
}

struct vk_image *vk_image_create(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, bool exportable, const char *name)
{
	return vk_image_create_desc(r, &(struct vk_image_desc){
		.format = format,
		.width = width,
		.height = height,
		.usage = vk_image_usage(format),
		.n_planes = 1,
		.handle_type = exportable ? VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT : 0,
		.exportable = exportable,
		.name = name,
	});
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
	vk_ycbcr_image_finish(image);
	vkDestroyFramebuffer(r->dev, image->framebuffer, NULL);
	vkDestroyImageView(r->dev, image->attachment_view, NULL);
	vkDestroyImageView(r->dev, image->storage_view, NULL);
	vkDestroyImageView(r->dev, image->sample_view, NULL);
	vkDestroyImage(r->dev, image->image, NULL);
	free_memory(image);
	vk_dmabuf_buffer_destroy(r, image->linear);
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
