#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * dmabuf import, cached on the buffer (one import for sampling, one for
 * rendering), along one of three paths:
 * - with VK_EXT_image_drm_format_modifier, a single-plane dmabuf with a
 *   modifier the device lists becomes a VkImage with that modifier and the
 *   buffer's plane layout, bound to the imported memory: no copy. Such
 *   images belong to the foreign queue family between frames
 *   (frame_images.c);
 * - otherwise, a LINEAR dmabuf is imported as a VkBuffer and copied into an
 *   optimal image of the renderer once per frame that uses it; a render
 *   target is copied back after the pass. A LINEAR VkImage would not do:
 *   without the modifier extension the driver picks its own row pitch, which
 *   need not be the buffer's stride. YUV dmabufs always take this path, with
 *   one buffer per distinct plane fd and one copy per plane into an image
 *   sampled through a conversion (ycbcr.c, ycbcr_copy.c);
 * - a single-plane dmabuf the device cannot import because its fd is
 *   read-only (CPU devices map the fd read-write to import it; the VkBuffer
 *   path is taken to need the same) is copied by the CPU once per frame that
 *   uses it (dmabuf_cpu_copy.c), for sampling only. Read-only YUV dmabufs
 *   are refused.
 * On a CPU device every dmabuf is laid out linearly: the implicit modifier
 * (DRM_FORMAT_MOD_INVALID, what GBM reports for buffers allocated without
 * modifiers, and for LINEAR ones on Mesa's kms_swrast) is listed and
 * imported as DRM_FORMAT_MOD_LINEAR. Other devices list only explicit
 * modifiers and refuse the implicit one, whose layout only their driver
 * knows.
 */

static const VkImageUsageFlags texture_usage = VK_IMAGE_USAGE_SAMPLED_BIT |
	VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
const VkImageUsageFlags vk_dmabuf_render_usage = VK_IMAGE_USAGE_SAMPLED_BIT |
	VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
	VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
static const VkBufferUsageFlags linear_usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
	VK_BUFFER_USAGE_TRANSFER_DST_BIT;

bool vk_dmabuf_external_supported(struct vk_renderer *r, VkFormat format, uint64_t modifier,
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
	return vk_dmabuf_external_supported(r, format, modifier, usage,
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT);
}

bool vk_dmabuf_query_modifiers(struct vk_renderer *r, VkFormat format,
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

/* The (fourcc, modifier) pairs imported as images with their modifier. */
static bool init_modifier_formats(struct vk_renderer *r)
{
	const VkFormatFeatureFlags texture_needs = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT |
		VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT |
		VK_FORMAT_FEATURE_TRANSFER_SRC_BIT;
	const VkFormatFeatureFlags render_needs = texture_needs |
		VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT | VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT |
		VK_FORMAT_FEATURE_TRANSFER_DST_BIT;
	for (size_t i = 0; i < r->n_formats; i++) {
		struct vk_format *f = &r->formats[i];
		if (f->yuv) {
			// YUV dmabufs take the LINEAR buffer path: one copy per plane.
			continue;
		}
		VkDrmFormatModifierPropertiesEXT *mods;
		uint32_t n_mods;
		if (!vk_dmabuf_query_modifiers(r, f->format, &mods, &n_mods)) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return false;
		}
		bool ok = true;
		for (uint32_t j = 0; ok && j < n_mods; j++) {
			const VkDrmFormatModifierPropertiesEXT *m = &mods[j];
			VkFormatFeatureFlags have = m->drmFormatModifierTilingFeatures;
			if (m->drmFormatModifierPlaneCount != 1 ||
					(have & texture_needs) != texture_needs ||
					!import_supported(r, f->format, m->drmFormatModifier,
						texture_usage)) {
				continue;
			}
			ok = mosaic_format_set_add(&r->base.dmabuf_texture_formats, f->fourcc,
				m->drmFormatModifier);
			if (ok && f->render && (have & render_needs) == render_needs &&
					import_supported(r, f->format, m->drmFormatModifier,
						vk_dmabuf_render_usage)) {
				ok = mosaic_format_set_add(&r->base.dmabuf_render_formats, f->fourcc,
					m->drmFormatModifier);
			}
		}
		free(mods);
		if (!ok) {
			return false;
		}
	}
	return true;
}

/* Whether dmabufs import as VkBuffers that can be copied from and into. */
static bool linear_supported(struct vk_renderer *r)
{
	VkExternalBufferProperties props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES,
	};
	vkGetPhysicalDeviceExternalBufferProperties(r->phdev,
		&(VkPhysicalDeviceExternalBufferInfo){
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO,
			.usage = linear_usage,
			.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		}, &props);
	return (props.externalMemoryProperties.externalMemoryFeatures &
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0;
}

bool vk_dmabuf_init_formats(struct vk_renderer *r)
{
	if (!r->feat.dmabuf) {
		return true;
	}
	if (r->feat.modifiers && !init_modifier_formats(r)) {
		return false;
	}
	// LINEAR where the modifier path does not list it: through a buffer and a copy.
	if (linear_supported(r)) {
		for (size_t i = 0; i < r->n_formats; i++) {
			const struct vk_format *f = &r->formats[i];
			struct mosaic_format_set *tex = &r->base.dmabuf_texture_formats;
			struct mosaic_format_set *render = &r->base.dmabuf_render_formats;
			if (!mosaic_format_set_has(tex, f->fourcc, DRM_FORMAT_MOD_LINEAR) &&
					!mosaic_format_set_add(tex, f->fourcc, DRM_FORMAT_MOD_LINEAR)) {
				return false;
			}
			if (f->render && !mosaic_format_set_has(render, f->fourcc,
					DRM_FORMAT_MOD_LINEAR) &&
					!mosaic_format_set_add(render, f->fourcc, DRM_FORMAT_MOD_LINEAR)) {
				return false;
			}
		}
	}
	// The implicit modifier beside LINEAR on a CPU device: they are one layout.
	for (size_t i = 0; i < r->n_formats && r->feat.cpu_device; i++) {
		struct mosaic_format_set *sets[] = {
			&r->base.dmabuf_texture_formats, &r->base.dmabuf_render_formats,
		};
		for (size_t j = 0; j < 2; j++) {
			uint32_t fourcc = r->formats[i].fourcc;
			if (mosaic_format_set_has(sets[j], fourcc, DRM_FORMAT_MOD_LINEAR) &&
					!mosaic_format_set_has(sets[j], fourcc, DRM_FORMAT_MOD_INVALID) &&
					!mosaic_format_set_add(sets[j], fourcc, DRM_FORMAT_MOD_INVALID)) {
				return false;
			}
		}
	}
	if (r->base.dmabuf_texture_formats.n_formats == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: no format can be imported from a dmabuf");
		r->feat.dmabuf = false;
	}
	return true;
}

/* A dmabuf with a modifier the device lists, as an image bound to its memory. */
static struct vk_image *import_image(struct vk_renderer *r, const struct vk_format *format,
	const struct mosaic_dmabuf_attributes *a, bool render)
{
	struct vk_image_desc desc = {
		.format = format,
		.width = a->width,
		.height = a->height,
		.usage = render ? vk_dmabuf_render_usage : texture_usage,
		.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
		.modifier = a->modifier,
		.n_planes = (uint32_t)a->n_planes,
		.handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		.fds = { a->fd[0] },
		.n_fds = 1,
		.name = "mosaic dmabuf",
	};
	for (int i = 0; i < a->n_planes; i++) {
		desc.planes[i] = (struct vk_plane_layout){ a->offset[i], a->stride[i] };
	}
	struct vk_image *image = vk_image_create_desc(r, &desc);
	if (image == NULL) {
		return NULL;
	}
	// Owned by the producer until the first frame acquires it: see frame_images.c.
	image->foreign = true;
	image->layout = VK_IMAGE_LAYOUT_GENERAL;
	image->committed_layout = VK_IMAGE_LAYOUT_GENERAL;
	return image;
}

void vk_dmabuf_buffer_destroy(struct vk_renderer *r, struct vk_dmabuf_buffer *linear)
{
	if (linear == NULL) {
		return;
	}
	for (uint32_t i = 0; i < linear->n_buffers; i++) {
		vkDestroyBuffer(r->dev, linear->buffers[i], NULL);
		vkFreeMemory(r->dev, linear->memory[i], NULL);
	}
	free(linear);
}

/* Imports the whole dmabuf behind `fd` (`size` bytes) as the linear import's next buffer. */
static bool import_buffer(struct vk_renderer *r, struct vk_dmabuf_buffer *dmabuf, int fd,
	VkDeviceSize size)
{
	struct {
		VkBuffer buffer;
		VkDeviceMemory memory;
	} storage, *linear = &storage;
	VkResult res = vkCreateBuffer(r->dev, &(VkBufferCreateInfo){
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = &(VkExternalMemoryBufferCreateInfo){
			.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
			.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		},
		.size = size,
		.usage = linear_usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	}, NULL, &linear->buffer);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateBuffer (dmabuf)");
		return false;
	}
	r->create_count++;
	VkMemoryFdPropertiesKHR fd_props = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR,
	};
	VkMemoryDedicatedRequirements dedicated_req = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS,
	};
	VkMemoryRequirements2 req = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2,
		.pNext = &dedicated_req,
	};
	vkGetBufferMemoryRequirements2(r->dev, &(VkBufferMemoryRequirementsInfo2){
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2,
		.buffer = linear->buffer,
	}, &req);
	res = vkGetMemoryFdPropertiesKHR(r->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		fd, &fd_props);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetMemoryFdPropertiesKHR");
		goto err_buffer;
	}
	int type = vk_find_memory_type(r,
		req.memoryRequirements.memoryTypeBits & fd_props.memoryTypeBits, 0);
	if (type < 0 || req.memoryRequirements.size > size) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: no memory type can hold this dmabuf "
			"(%llu bytes) as a buffer", (unsigned long long)size);
		goto err_buffer;
	}
	// A successful import owns the fd it is given; the buffer keeps its own.
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot duplicate the dmabuf fd");
		goto err_buffer;
	}
	bool dedicated = dedicated_req.prefersDedicatedAllocation ||
		dedicated_req.requiresDedicatedAllocation;
	res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &(VkImportMemoryFdInfoKHR){
			.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
			.pNext = dedicated ? &(VkMemoryDedicatedAllocateInfo){
				.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
				.buffer = linear->buffer,
			} : NULL,
			.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
			.fd = dup_fd,
		},
		.allocationSize = size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &linear->memory);
	if (res != VK_SUCCESS) {
		close(dup_fd);
		vk_fail(r, res, "vkAllocateMemory (dmabuf buffer import)");
		goto err_buffer;
	}
	r->create_count++;
	res = vkBindBufferMemory(r->dev, linear->buffer, linear->memory, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindBufferMemory (dmabuf)");
		goto err_memory;
	}
	vk_name(r, VK_OBJECT_TYPE_BUFFER, (uint64_t)linear->buffer, "mosaic dmabuf buffer");
	dmabuf->buffers[dmabuf->n_buffers] = linear->buffer;
	dmabuf->memory[dmabuf->n_buffers] = linear->memory;
	dmabuf->n_buffers++;
	return true;

err_memory:
	vkFreeMemory(r->dev, linear->memory, NULL);
err_buffer:
	vkDestroyBuffer(r->dev, linear->buffer, NULL);
	return false;
}

/* Whether two fds name the same file (the planes of one dmabuf often share it). */
static bool same_file(int a, int b)
{
	struct stat sa, sb;
	return a == b || (fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
		sa.st_ino == sb.st_ino);
}

/* Checks plane `p`'s fd, offset and stride and imports its fd unless an earlier plane did. */
static bool import_plane(struct vk_renderer *r, struct vk_dmabuf_buffer *linear,
	const struct vk_format *format, const struct mosaic_dmabuf_attributes *a, int p)
{
	uint32_t bytes, pixels;
	vk_plane_block(format, (uint32_t)p, &bytes, &pixels);
	int fd = a->fd[p];
	if (a->offset[p] % bytes != 0 || a->stride[p] % bytes != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot copy from a dmabuf plane with offset "
			"%u and stride %u: not multiples of %u bytes", a->offset[p], a->stride[p],
			bytes);
		return false;
	}
	linear->offset[p] = a->offset[p];
	linear->row_length[p] = a->stride[p] / bytes * pixels;
	for (int q = 0; q < p; q++) {
		if (same_file(a->fd[q], fd)) {
			linear->plane_buffer[p] = linear->plane_buffer[q];
			return true;
		}
	}
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot get the size of the dmabuf");
		return false;
	}
	linear->plane_buffer[p] = linear->n_buffers;
	return import_buffer(r, linear, fd, (VkDeviceSize)size);
}

/* A LINEAR dmabuf as buffers, and the optimal image frames copy it into. */
static struct vk_image *import_linear(struct vk_renderer *r, const struct vk_format *format,
	const struct mosaic_dmabuf_attributes *a, bool render)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(format->fourcc);
	if (a->n_planes != info->n_planes) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: a dmabuf of %s has %d planes, not %d",
			info->name, a->n_planes, info->n_planes);
		return NULL;
	}
	struct vk_dmabuf_buffer *linear = calloc(1, sizeof(*linear));
	if (linear == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	linear->n_planes = (uint32_t)a->n_planes;
	for (int p = 0; p < a->n_planes; p++) {
		if (!import_plane(r, linear, format, a, p)) {
			vk_dmabuf_buffer_destroy(r, linear);
			return NULL;
		}
	}
	struct vk_image *image = format->yuv ?
		vk_ycbcr_image_create(r, format, a->width, a->height, &a->yuv,
			"mosaic yuv dmabuf copy") :
		vk_image_create(r, format, a->width, a->height, false,
			render ? "mosaic dmabuf target copy" : "mosaic dmabuf copy");
	if (image == NULL) {
		vk_dmabuf_buffer_destroy(r, linear);
		return NULL;
	}
	image->linear = linear;
	return image;
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
	// Frames still in flight may hold the image; the buffer is going.
	import->image->cpu_source = NULL;
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
	char name[32];
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
	struct mosaic_dmabuf_attributes a;
	if (!mosaic_buffer_get_dmabuf(buffer, &a)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer has no dmabuf planes");
		return NULL;
	}
	const struct vk_format *format = vk_format_from_fourcc(r, a.fourcc);
	if (format == NULL || a.width != buffer->width || a.height != buffer->height ||
			(render && !format->render)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot %s a dmabuf of %s, %dx%d",
			render ? "render into" : "sample", mosaic_format_name(a.fourcc, name),
			a.width, a.height);
		return NULL;
	}
	const struct mosaic_format_set *set = render ? &r->base.dmabuf_render_formats :
		&r->base.dmabuf_texture_formats;
	if (a.modifier == DRM_FORMAT_MOD_INVALID && r->feat.cpu_device) {
		a.modifier = DRM_FORMAT_MOD_LINEAR;
	}
	bool linear = a.modifier == DRM_FORMAT_MOD_LINEAR;
	// Explicit modifiers the device lists are imported as images, without a copy.
	bool as_image = r->feat.modifiers && a.modifier != DRM_FORMAT_MOD_INVALID &&
		mosaic_format_set_has(set, a.fourcc, a.modifier) && a.n_planes == 1 &&
		!format->yuv;
	if (!as_image && (!linear || (a.n_planes != 1 && !format->yuv) ||
			!mosaic_format_set_has(set, a.fourcc, DRM_FORMAT_MOD_LINEAR))) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot %s a dmabuf of %s with %d planes and "
			"modifier 0x%llx", render ? "render into" : "sample",
			mosaic_format_name(a.fourcc, name), a.n_planes,
			(unsigned long long)a.modifier);
		return NULL;
	}
	int flags = fcntl(a.fd[0], F_GETFL);
	if (flags < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: the dmabuf fd is not valid");
		return NULL;
	}
	bool read_only = (flags & O_ACCMODE) == O_RDONLY;
	if (read_only && render) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot render into a dmabuf whose fd is "
			"read-only (export it with O_RDWR / DRM_RDWR)");
		return NULL;
	}
	if (read_only && format->yuv) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot sample a YUV dmabuf whose fd is "
			"read-only (export it with O_RDWR / DRM_RDWR)");
		return NULL;
	}
	// What maps the fd read-write to import it cannot take a read-only one.
	bool cpu_copy = read_only && (r->feat.cpu_device || !as_image);
	struct vk_dmabuf_import *import = calloc(1, sizeof(*import));
	if (import == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	import->renderer = r;
	import->image = cpu_copy ? vk_dmabuf_cpu_copy_create(r, format, buffer, a.width,
			a.height) :
		as_image ? import_image(r, format, &a, render) :
		import_linear(r, format, &a, render);
	if (import->image == NULL) {
		free(import);
		return NULL;
	}
	mosaic_buffer_addon_attach(buffer, &import->addon, r, impl);
	mosaic_list_insert(&r->dmabuf_imports, &import->link);
	return import->image;
}
