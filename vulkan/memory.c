#include <assert.h>
#include <stdlib.h>
#include <string.h>

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

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a)
{
	return (v + a - 1) / a * a;
}

/*
 * MOSAIC_VK_DEBUG_NONCOHERENT=1 (debug builds): host buffers behave as
 * non-coherent memory, so that a missing or short flush or invalidate shows
 * as wrong pixels on any device. A host-visible type without HOST_COHERENT
 * is taken where there is one; otherwise the CPU writes into a copy of the
 * mapping that only flushes write back (and invalidates refresh).
 */
static bool debug_noncoherent(void)
{
#ifdef NDEBUG
	return false;
#else
	const char *env = getenv("MOSAIC_VK_DEBUG_NONCOHERENT");
	return env != NULL && env[0] == '1';
#endif
}

static int find_noncoherent_type(struct vk_renderer *r, uint32_t type_bits)
{
	for (uint32_t i = 0; i < r->mem_props.memoryTypeCount; i++) {
		VkMemoryPropertyFlags flags = r->mem_props.memoryTypes[i].propertyFlags;
		if ((type_bits & (1u << i)) && (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
				!(flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
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
		buf->buffer = VK_NULL_HANDLE;
		goto err;
	}
	r->create_count++;
	VkMemoryRequirements req;
	vkGetBufferMemoryRequirements(r->dev, buf->buffer, &req);
	// Cached memory reads back fast and takes writes at memcpy speed (write-combined
	// memory is slower for anything but large aligned streams).
	VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
	bool noncoherent = debug_noncoherent();
	int type = noncoherent ? find_noncoherent_type(r, req.memoryTypeBits) : -1;
	if (cached && type < 0) {
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
		goto err;
	}
	bool coherent = (r->mem_props.memoryTypes[type].propertyFlags &
		VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
	// A whole number of atoms: flushed ranges rounded out to atoms stay inside.
	VkDeviceSize alloc_size = align_up(req.size, r->props.limits.nonCoherentAtomSize);
	res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = alloc_size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &buf->memory);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateMemory (host buffer)");
		buf->memory = VK_NULL_HANDLE;
		goto err;
	}
	r->create_count++;
	res = vkBindBufferMemory(r->dev, buf->buffer, buf->memory, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBindBufferMemory");
		goto err;
	}
	void *map;
	res = vkMapMemory(r->dev, buf->memory, 0, VK_WHOLE_SIZE, 0, &map);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkMapMemory");
		goto err;
	}
	buf->map = map;
	if (noncoherent && coherent) {
		uint8_t *copy = malloc((size_t)alloc_size);
		if (copy == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			goto err;
		}
		memcpy(copy, map, (size_t)alloc_size);
		buf->device_map = map;
		buf->map = copy;
		coherent = false;
	}
	if (noncoherent) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: %s in non-coherent memory (%s)", name,
			buf->device_map != NULL ? "emulated" : "a memory type without HOST_COHERENT");
	}
	buf->coherent = coherent;
	buf->size = size;
	buf->alloc_size = alloc_size;
	vk_name(r, VK_OBJECT_TYPE_BUFFER, (uint64_t)buf->buffer, "%s", name);
	vk_name(r, VK_OBJECT_TYPE_DEVICE_MEMORY, (uint64_t)buf->memory, "%s memory", name);
	return true;

err:
	vk_host_buffer_finish(r, buf);
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
	if (buf->device_map != NULL) {
		free(buf->map);
	}
	*buf = (struct vk_host_buffer){0};
}

/* Bytes [offset, offset + size) rounded out to whole atoms, as flushes take them. */
static VkMappedMemoryRange atom_range(struct vk_renderer *r, const struct vk_host_buffer *buf,
	VkDeviceSize offset, VkDeviceSize size)
{
	VkDeviceSize atom = r->props.limits.nonCoherentAtomSize;
	assert(offset + size <= buf->alloc_size);
	VkDeviceSize start = offset / atom * atom;
	VkDeviceSize end = align_up(offset + size, atom);
	return (VkMappedMemoryRange){
		.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
		.memory = buf->memory,
		.offset = start,
		.size = end - start,
	};
}

void vk_host_buffer_flush_range(struct vk_renderer *r, const struct vk_host_buffer *buf,
	VkDeviceSize offset, VkDeviceSize size)
{
	if (buf->coherent || size == 0) {
		return;
	}
	VkMappedMemoryRange range = atom_range(r, buf, offset, size);
	if (buf->device_map != NULL) {
		memcpy(buf->device_map + range.offset, buf->map + range.offset, (size_t)range.size);
	}
	VkResult res = vkFlushMappedMemoryRanges(r->dev, 1, &range);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkFlushMappedMemoryRanges");
	}
}

void vk_host_buffer_invalidate_range(struct vk_renderer *r, const struct vk_host_buffer *buf,
	VkDeviceSize offset, VkDeviceSize size)
{
	if (buf->coherent || size == 0) {
		return;
	}
	VkMappedMemoryRange range = atom_range(r, buf, offset, size);
	VkResult res = vkInvalidateMappedMemoryRanges(r->dev, 1, &range);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkInvalidateMappedMemoryRanges");
	}
	if (buf->device_map != NULL) {
		memcpy(buf->map + range.offset, buf->device_map + range.offset, (size_t)range.size);
	}
}

void vk_host_buffer_flush(struct vk_renderer *r, struct vk_host_buffer *buf)
{
	vk_host_buffer_flush_range(r, buf, 0, buf->alloc_size);
}

void vk_host_buffer_invalidate(struct vk_renderer *r, struct vk_host_buffer *buf)
{
	vk_host_buffer_invalidate_range(r, buf, 0, buf->alloc_size);
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
