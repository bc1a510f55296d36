#include <stdlib.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/* Memory types, persistently mapped host buffers and the renderer's scratch array. */

int vk_find_memory_type(struct vk_renderer *r, uint32_t type_bits, VkMemoryPropertyFlags want)
{
	for (uint32_t i = 0; i < r->mem_props.memoryTypeCount; i++) {
		if ((type_bits & (1u << i)) &&
				(r->mem_props.memoryTypes[i].propertyFlags & want) == want) {
			return (int)i;
		}
	}
	return -1;
}

bool vk_host_buffer_init(struct vk_renderer *r, struct vk_host_buffer *buf, VkDeviceSize size,
	VkBufferUsageFlags usage, bool cached, const char *name)
{
	// All-zero after any failure: callers test `buffer` or `size` to see whether it is there.
	*buf = (struct vk_host_buffer){0};
	VkResult res = vkCreateBuffer(r->dev, &(VkBufferCreateInfo){
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	}, NULL, &buf->buffer);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateBuffer");
		*buf = (struct vk_host_buffer){0};
		return false;
	}
	r->create_count++;
	VkMemoryRequirements req;
	vkGetBufferMemoryRequirements(r->dev, buf->buffer, &req);
	// Cached memory reads back fast and takes writes at memcpy speed (write-combined
	// memory is slower for anything but large aligned streams).
	VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
	int type = -1;
	if (cached) {
		type = vk_find_memory_type(r, req.memoryTypeBits, host |
			VK_MEMORY_PROPERTY_HOST_CACHED_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	}
	if (cached && type < 0) {
		type = vk_find_memory_type(r, req.memoryTypeBits,
			host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
	}
	if (type < 0) {
		type = vk_find_memory_type(r, req.memoryTypeBits,
			host | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	}
	if (type < 0) {
		type = vk_find_memory_type(r, req.memoryTypeBits, host);
	}
	if (type < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: no host-visible memory for a buffer");
		goto err_buffer;
	}
	buf->coherent = (r->mem_props.memoryTypes[type].propertyFlags &
		VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
	res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &buf->memory);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateMemory (host buffer)");
		goto err_buffer;
	}
	r->create_count++;
	res = vkBindBufferMemory(r->dev, buf->buffer, buf->memory, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindBufferMemory");
		goto err_memory;
	}
	void *map;
	res = vkMapMemory(r->dev, buf->memory, 0, VK_WHOLE_SIZE, 0, &map);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkMapMemory");
		goto err_memory;
	}
	buf->map = map;
	buf->size = size;
	vk_name(r, VK_OBJECT_TYPE_BUFFER, (uint64_t)buf->buffer, "%s", name);
	vk_name(r, VK_OBJECT_TYPE_DEVICE_MEMORY, (uint64_t)buf->memory, "%s memory", name);
	return true;

err_memory:
	vkFreeMemory(r->dev, buf->memory, NULL);
err_buffer:
	vkDestroyBuffer(r->dev, buf->buffer, NULL);
	*buf = (struct vk_host_buffer){0};
	return false;
}

void vk_host_buffer_finish(struct vk_renderer *r, struct vk_host_buffer *buf)
{
	if (buf->buffer != VK_NULL_HANDLE) {
		vkDestroyBuffer(r->dev, buf->buffer, NULL);
	}
	if (buf->memory != VK_NULL_HANDLE) {
		vkFreeMemory(r->dev, buf->memory, NULL);
	}
	*buf = (struct vk_host_buffer){0};
}

void vk_host_buffer_flush(struct vk_renderer *r, struct vk_host_buffer *buf)
{
	if (buf->coherent) {
		return;
	}
	vkFlushMappedMemoryRanges(r->dev, 1, &(VkMappedMemoryRange){
		.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
		.memory = buf->memory,
		.size = VK_WHOLE_SIZE,
	});
}

void vk_host_buffer_invalidate(struct vk_renderer *r, struct vk_host_buffer *buf)
{
	if (buf->coherent) {
		return;
	}
	vkInvalidateMappedMemoryRanges(r->dev, 1, &(VkMappedMemoryRange){
		.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
		.memory = buf->memory,
		.size = VK_WHOLE_SIZE,
	});
}

void *vk_scratch(struct vk_renderer *r, size_t size)
{
	if (size <= r->scratch_size) {
		return r->scratch;
	}
	void *p = realloc(r->scratch, size);
	if (p == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	r->scratch = p;
	r->scratch_size = size;
	return p;
}
