#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * Memory types, persistently mapped host buffers, the renderer's scratch
 * array, and the blocks small images share: an image of at most
 * VK_BLOCK_MAX_ALLOCATION bytes that needs no memory of its own (no import,
 * no export, no dedicated allocation) is bound to a range of a
 * VK_BLOCK_SIZE block of its memory type, found first-fit in the block's
 * list of free ranges. Only optimally tiled images share blocks, so
 * bufferImageGranularity never separates neighbours.
 */

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
	VkDeviceSize alloc_size = vk_align_up(req.size, r->props.limits.nonCoherentAtomSize);
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
	VkDeviceSize end = vk_align_up(offset + size, atom);
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

/* Inserts a free range before range `i`. */
static bool insert_range(struct vk_memory_block *b, size_t i, struct vk_block_range range)
{
	if (b->n_free == b->free_cap) {
		size_t cap = b->free_cap == 0 ? 8 : b->free_cap * 2;
		struct vk_block_range *bigger = realloc(b->free, cap * sizeof(*bigger));
		if (bigger == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return false;
		}
		b->free = bigger;
		b->free_cap = cap;
	}
	memmove(&b->free[i + 1], &b->free[i], (b->n_free - i) * sizeof(b->free[0]));
	b->free[i] = range;
	b->n_free++;
	return true;
}

static void remove_range(struct vk_memory_block *b, size_t i)
{
	memmove(&b->free[i], &b->free[i + 1], (b->n_free - i - 1) * sizeof(b->free[0]));
	b->n_free--;
}

/* Carves `req` out of the first free range of `b` that holds it. */
static bool block_take(struct vk_memory_block *b, const VkMemoryRequirements *req,
	VkDeviceSize *offset)
{
	for (size_t i = 0; i < b->n_free; i++) {
		struct vk_block_range f = b->free[i];
		VkDeviceSize start = vk_align_up(f.offset, req->alignment);
		if (start < f.offset || start - f.offset + req->size > f.size) {
			continue;
		}
		// What is left: padding before `start` and the tail after the range.
		VkDeviceSize end = start + req->size;
		struct vk_block_range before = { f.offset, start - f.offset };
		struct vk_block_range after = { end, f.offset + f.size - end };
		if (before.size > 0 && after.size > 0) {
			if (!insert_range(b, i + 1, after)) {
				return false;
			}
			b->free[i] = before;
		} else if (before.size > 0) {
			b->free[i] = before;
		} else if (after.size > 0) {
			b->free[i] = after;
		} else {
			remove_range(b, i);
		}
		b->used += req->size;
		*offset = start;
		return true;
	}
	return false;
}

static struct vk_memory_block *block_create(struct vk_renderer *r, uint32_t type)
{
	struct vk_memory_block *b = calloc(1, sizeof(*b));
	struct vk_block_range *all = calloc(8, sizeof(*all));
	if (b == NULL || all == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto err;
	}
	VkResult res = vkAllocateMemory(r->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = VK_BLOCK_SIZE,
		.memoryTypeIndex = type,
	}, NULL, &b->memory);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateMemory (image block)");
		goto err;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_DEVICE_MEMORY, (uint64_t)b->memory, "mosaic image block");
	b->type = type;
	all[0] = (struct vk_block_range){ 0, VK_BLOCK_SIZE };
	b->free = all;
	b->n_free = 1;
	b->free_cap = 8;
	mosaic_list_insert(r->memory_blocks.prev, &b->link);
	return b;

err:
	free(all);
	free(b);
	return NULL;
}

bool vk_block_alloc(struct vk_renderer *r, const VkMemoryRequirements *req, uint32_t type,
	struct vk_block_allocation *out)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->memory_blocks) {
		struct vk_memory_block *b = mosaic_container_of(link, struct vk_memory_block, link);
		if (b->type == type && VK_BLOCK_SIZE - b->used >= req->size &&
				block_take(b, req, &out->offset)) {
			out->block = b;
			out->size = req->size;
			return true;
		}
	}
	struct vk_memory_block *b = block_create(r, type);
	if (b == NULL) {
		return false;
	}
	if (!block_take(b, req, &out->offset)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: %llu bytes do not fit an image block",
			(unsigned long long)req->size);
		return false;
	}
	out->block = b;
	out->size = req->size;
	return true;
}

static void block_destroy(struct vk_renderer *r, struct vk_memory_block *b)
{
	mosaic_list_remove(&b->link);
	vkFreeMemory(r->dev, b->memory, NULL);
	free(b->free);
	free(b);
}

void vk_block_free(struct vk_renderer *r, struct vk_block_allocation *a)
{
	struct vk_memory_block *b = a->block;
	if (b == NULL) {
		return;
	}
	// The first free range after the allocation; merge with it and the one before.
	size_t i = 0;
	while (i < b->n_free && b->free[i].offset < a->offset) {
		i++;
	}
	struct vk_block_range merged = { a->offset, a->size };
	bool prev = i > 0 && b->free[i - 1].offset + b->free[i - 1].size == a->offset;
	bool next = i < b->n_free && a->offset + a->size == b->free[i].offset;
	if (next) {
		merged.size += b->free[i].size;
	}
	if (prev) {
		merged.offset = b->free[i - 1].offset;
		merged.size += b->free[i - 1].size;
	}
	if (prev && next) {
		b->free[i - 1] = merged;
		remove_range(b, i);
	} else if (prev) {
		b->free[i - 1] = merged;
	} else if (next) {
		b->free[i] = merged;
	} else if (!insert_range(b, i, merged)) {
		// The range stays lost to the block until the renderer goes; nothing breaks.
		*a = (struct vk_block_allocation){0};
		return;
	}
	b->used -= a->size;
	*a = (struct vk_block_allocation){0};
	bool alone = r->memory_blocks.next == &b->link && r->memory_blocks.prev == &b->link;
	if (b->used == 0 && !alone) {
		block_destroy(r, b);
	}
}

void vk_memory_blocks_finish(struct vk_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->memory_blocks) {
		block_destroy(r, mosaic_container_of(link, struct vk_memory_block, link));
	}
}
