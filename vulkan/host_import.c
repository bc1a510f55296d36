#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "private/log.h"
#include "private/shm_guard.h"
#include "vulkan/vulkan_private.h"

/*
 * Uploads straight from shared memory (VK_EXT_external_memory_host): the
 * buffer's shm fd is mapped once, the mapping imported as a VkBuffer and
 * cached on the buffer, and the damage is copied from it by the GPU without
 * a CPU copy. The buffer stays locked until the copy is complete, so a
 * client does not get its buffer back (wl_buffer.release) while the GPU
 * still reads it.
 *
 * The mapping is guarded (private/shm_guard.h): a client that shrinks the
 * file makes the copy read zeroes instead of raising SIGBUS in the thread
 * that copies (a driver's, on lavapipe). Drivers that pin the pages at
 * import keep reading the old pages instead.
 */

struct vk_host_import {
	struct mosaic_buffer_addon addon;
	struct vk_renderer *renderer;
	void *map;
	size_t map_size;
	/* Where the buffer's top-left pixel is in the mapping. */
	VkDeviceSize data_offset;
	/* Mapped writable: the GPU may copy into it too (render targets). */
	bool writable;
	/* The import failed: remembered so that it is not tried every frame. */
	bool failed;
	off_t shm_offset;
	uint32_t stride;
	VkBuffer buffer;
	VkDeviceMemory memory;
	struct mosaic_shm_guard guard;
	struct mosaic_list link;
};

static void import_destroy(struct vk_host_import *import)
{
	struct vk_renderer *r = import->renderer;
	// Every copy from it is complete: the buffer was locked until then.
	vkDestroyBuffer(r->dev, import->buffer, NULL);
	vkFreeMemory(r->dev, import->memory, NULL);
	if (import->map != NULL) {
		mosaic_shm_guard_remove(&import->guard);
		munmap(import->map, import->map_size);
	}
	mosaic_list_remove(&import->link);
	free(import);
}

static void import_addon_destroy(struct mosaic_buffer_addon *addon)
{
	import_destroy(mosaic_container_of(addon, struct vk_host_import, addon));
}

static const struct mosaic_buffer_addon_impl import_addon_impl = {
	.name = "mosaic vulkan host import",
	.destroy = import_addon_destroy,
};

void vk_host_imports_finish(struct vk_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->host_imports) {
		struct vk_host_import *import =
			mosaic_container_of(link, struct vk_host_import, link);
		mosaic_buffer_addon_detach(&import->addon);
		import_destroy(import);
	}
}

static bool import_memory(struct vk_renderer *r, struct vk_host_import *import)
{
	VkMemoryHostPointerPropertiesEXT host_props = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
	};
	VkResult res = vkGetMemoryHostPointerPropertiesEXT(r->dev,
		VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, import->map, &host_props);
	if (res != VK_SUCCESS) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: host pointer not importable: %s",
			vk_result_string(res));
		return false;
	}
	res = vkCreateBuffer(r->dev, &(VkBufferCreateInfo){
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = &(VkExternalMemoryBufferCreateInfo){
			.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
			.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
		},
		.size = import->map_size,
		.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	}, NULL, &import->buffer);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateBuffer (host import)");
		import->buffer = VK_NULL_HANDLE;
		return false;
	}
	r->create_count++;
	VkMemoryRequirements req;
	vkGetBufferMemoryRequirements(r->dev, import->buffer, &req);
	uint32_t bits = req.memoryTypeBits & host_props.memoryTypeBits;
	// The CPU side is the client's own mapping: without coherence nothing would flush it.
	int type = vk_find_memory_type(r, bits, VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	if (type < 0) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: no memory type for an imported host pointer");
		goto err_buffer;
	}
	res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &(VkImportMemoryHostPointerInfoEXT){
			.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
			.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
			.pHostPointer = import->map,
		},
		.allocationSize = import->map_size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &import->memory);
	if (res != VK_SUCCESS) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: host pointer import failed: %s",
			vk_result_string(res));
		import->memory = VK_NULL_HANDLE;
		goto err_buffer;
	}
	r->create_count++;
	res = vkBindBufferMemory(r->dev, import->buffer, import->memory, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindBufferMemory (host import)");
		goto err_memory;
	}
	vk_name(r, VK_OBJECT_TYPE_BUFFER, (uint64_t)import->buffer, "mosaic shm import");
	return true;

	// The failed import stays cached on the buffer: import_destroy() must find no handles.
err_memory:
	vkFreeMemory(r->dev, import->memory, NULL);
	import->memory = VK_NULL_HANDLE;
err_buffer:
	vkDestroyBuffer(r->dev, import->buffer, NULL);
	import->buffer = VK_NULL_HANDLE;
	return false;
}

static struct vk_host_import *get_import(struct vk_renderer *r, struct mosaic_buffer *buffer,
	const struct mosaic_shm_attributes *shm)
{
	struct mosaic_buffer_addon *addon = mosaic_buffer_addon_find(buffer, r,
		&import_addon_impl);
	if (addon != NULL) {
		struct vk_host_import *import =
			mosaic_container_of(addon, struct vk_host_import, addon);
		if (import->shm_offset == shm->offset && import->stride == shm->stride) {
			return import->failed ? NULL : import;
		}
		mosaic_buffer_addon_detach(addon);
		import_destroy(import);
	}

	long page = sysconf(_SC_PAGESIZE);
	VkDeviceSize align = r->feat.host_pointer_alignment;
	if (page <= 0 || align == 0 || align > (VkDeviceSize)page || shm->offset < 0) {
		return NULL;
	}
	struct vk_host_import *import = calloc(1, sizeof(*import));
	if (import == NULL) {
		return NULL;
	}
	import->renderer = r;
	import->shm_offset = shm->offset;
	import->stride = shm->stride;
	off_t map_offset = shm->offset - shm->offset % page;
	import->data_offset = (VkDeviceSize)(shm->offset - map_offset);
	size_t len = (size_t)import->data_offset + (size_t)shm->stride * (size_t)shm->height;
	import->map_size = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	// Drivers pin the pages; some refuse read-only mappings.
	import->map = mmap(NULL, import->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd,
		map_offset);
	import->writable = import->map != MAP_FAILED;
	if (import->map == MAP_FAILED) {
		import->map = mmap(NULL, import->map_size, PROT_READ, MAP_SHARED, shm->fd,
			map_offset);
	}
	if (import->map == MAP_FAILED) {
		mosaic_log_errno(MOSAIC_LOG_DEBUG, "vulkan: cannot map the shm buffer");
		import->map = NULL;
		import->failed = true;
	} else if (!mosaic_shm_guard_add(&import->guard, import->map, import->map_size) ||
			!import_memory(r, import)) {
		mosaic_shm_guard_remove(&import->guard);
		munmap(import->map, import->map_size);
		import->map = NULL;
		import->failed = true;
	}
	// Failures are cached too: the buffer goes through the staging ring from now on.
	mosaic_buffer_addon_attach(buffer, &import->addon, r, &import_addon_impl);
	mosaic_list_insert(&r->host_imports, &import->link);
	return import->failed ? NULL : import;
}

bool vk_host_import_probe(struct vk_renderer *r)
{
	// Drivers differ in what memory they accept (some only anonymous memory):
	// try one page of shared memory, as wl_shm clients use.
	long page = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("mosaic-host-import-probe", MFD_CLOEXEC);
	if (page <= 0 || fd < 0 || ftruncate(fd, page) != 0) {
		if (fd >= 0) {
			close(fd);
		}
		return false;
	}
	struct vk_host_import probe = {
		.renderer = r,
		.map_size = (size_t)page,
	};
	probe.map = mmap(NULL, probe.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (probe.map == MAP_FAILED) {
		return false;
	}
	bool ok = import_memory(r, &probe);
	if (ok) {
		vkDestroyBuffer(r->dev, probe.buffer, NULL);
		vkFreeMemory(r->dev, probe.memory, NULL);
	}
	munmap(probe.map, probe.map_size);
	return ok;
}

bool vk_host_import_target(struct vk_renderer *r, struct mosaic_buffer *buffer,
	const struct vk_format *format, VkBuffer *out_buffer, VkBufferImageCopy *out_region)
{
	struct mosaic_shm_attributes shm;
	if (!r->feat.host_pointer_usable ||
			!(mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_SHM) ||
			!mosaic_buffer_get_shm(buffer, &shm) || shm.fourcc != format->fourcc ||
			shm.width != buffer->width || shm.height != buffer->height ||
			shm.stride % format->bpp != 0 ||
			!mosaic_format_check_layout(shm.fourcc, shm.width, shm.height, shm.stride)) {
		return false;
	}
	struct vk_host_import *import = get_import(r, buffer, &shm);
	if (import == NULL || !import->writable || import->data_offset % format->bpp != 0) {
		return false;
	}
	*out_buffer = import->buffer;
	*out_region = (VkBufferImageCopy){
		.bufferOffset = import->data_offset,
		.bufferRowLength = shm.stride / format->bpp,
		.imageSubresource = {
			.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
			.layerCount = 1,
		},
		.imageExtent = { (uint32_t)shm.width, (uint32_t)shm.height, 1 },
	};
	return true;
}

enum vk_host_upload vk_host_import_upload(struct vk_image *image,
	struct mosaic_buffer *buffer, const pixman_region32_t *damage)
{
	struct vk_renderer *r = image->renderer;
	if (!r->feat.host_pointer_usable) {
		return VK_HOST_UPLOAD_UNUSED;
	}
	// Start the frame first: that may complete older ones and release buffers.
	// The staging ring needs it too: a failure here fails the upload.
	if (vk_frame_upload_cb(r) == VK_NULL_HANDLE) {
		return VK_HOST_UPLOAD_FAILED;
	}
	struct mosaic_shm_attributes shm;
	if (!(mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_SHM) ||
			!mosaic_buffer_get_shm(buffer, &shm) ||
			shm.fourcc != image->format->fourcc || shm.width != image->width ||
			shm.height != image->height || shm.stride % image->format->bpp != 0 ||
			!mosaic_format_check_layout(shm.fourcc, shm.width, shm.height, shm.stride)) {
		return VK_HOST_UPLOAD_UNUSED;
	}
	struct vk_host_import *import = get_import(r, buffer, &shm);
	if (import == NULL) {
		return VK_HOST_UPLOAD_UNUSED;
	}
	if (import->data_offset % image->format->bpp != 0) {
		return VK_HOST_UPLOAD_UNUSED;
	}
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(damage, &n);
	VkBufferImageCopy *regions = vk_scratch(r, (size_t)n * sizeof(*regions));
	if (regions == NULL) {
		return VK_HOST_UPLOAD_FAILED;
	}
	uint32_t bpp = image->format->bpp;
	uint64_t bytes = 0;
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &rects[i];
		bytes += (uint64_t)(b->x2 - b->x1) * (uint64_t)(b->y2 - b->y1) * bpp;
		regions[i] = (VkBufferImageCopy){
			.bufferOffset = import->data_offset + (VkDeviceSize)b->y1 * shm.stride +
				(VkDeviceSize)b->x1 * bpp,
			.bufferRowLength = shm.stride / bpp,
			.imageSubresource = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.layerCount = 1,
			},
			.imageOffset = { b->x1, b->y1, 0 },
			.imageExtent = { (uint32_t)(b->x2 - b->x1), (uint32_t)(b->y2 - b->y1), 1 },
		};
	}
	if (!vk_image_copy_regions(image, import->buffer, regions, (uint32_t)n)) {
		return VK_HOST_UPLOAD_FAILED;
	}
	vk_frame_count_upload(r, bytes, true);
	// Until the copy is complete the client must not get the buffer back.
	vk_hold_buffer(r, buffer, r->current->seq);
	return VK_HOST_UPLOAD_DONE;
}
