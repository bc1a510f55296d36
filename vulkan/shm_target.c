#include <stdlib.h>
#include <string.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * CPU buffers as render targets. The pass draws into a device image cached
 * on the buffer; at submit, the pixels the pass touches are first copied
 * from the buffer into the image (recorded into the frame's upload command
 * buffer, which runs before the draws), then back after the draws. The copy
 * goes through the buffer's own shared memory where it can be imported,
 * otherwise through a host-visible copy of the image. Submit then waits for
 * the GPU: a CPU buffer only holds the result once the pixels are back.
 */

static const struct mosaic_buffer_addon_impl shm_target_addon_impl;

static void shm_target_destroy(struct vk_shm_target *target)
{
	struct vk_renderer *r = target->renderer;
	mosaic_list_remove(&target->link);
	vk_defer_host_buffer(r, &target->host, target->image->last_seq);
	vk_image_unref(target->image);
	free(target);
}

static void shm_target_addon_destroy(struct mosaic_buffer_addon *addon)
{
	shm_target_destroy(mosaic_container_of(addon, struct vk_shm_target, addon));
}

static const struct mosaic_buffer_addon_impl shm_target_addon_impl = {
	.name = "mosaic vulkan render target",
	.destroy = shm_target_addon_destroy,
};

void vk_shm_targets_finish(struct vk_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->shm_targets) {
		struct vk_shm_target *target =
			mosaic_container_of(link, struct vk_shm_target, link);
		mosaic_buffer_addon_detach(&target->addon);
		shm_target_destroy(target);
	}
}

struct vk_shm_target *vk_shm_target_get(struct vk_renderer *r, struct mosaic_buffer *buffer,
	const struct vk_format *format)
{
	struct mosaic_buffer_addon *addon = mosaic_buffer_addon_find(buffer, r,
		&shm_target_addon_impl);
	if (addon != NULL) {
		struct vk_shm_target *target =
			mosaic_container_of(addon, struct vk_shm_target, addon);
		if (target->image->format == format) {
			return target;
		}
		mosaic_buffer_addon_detach(addon);
		shm_target_destroy(target);
	}
	struct vk_shm_target *target = calloc(1, sizeof(*target));
	if (target == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	target->renderer = r;
	target->image = vk_image_create(r, format, buffer->width, buffer->height, false,
		"mosaic shm target");
	if (target->image == NULL) {
		free(target);
		return NULL;
	}
	mosaic_buffer_addon_attach(buffer, &target->addon, r, &shm_target_addon_impl);
	mosaic_list_insert(&r->shm_targets, &target->link);
	return target;
}

/* Picks the way pixels move for this pass: the buffer's own memory or the host copy. */
static bool choose_path(struct vk_shm_target *target, struct mosaic_buffer *buffer)
{
	struct vk_renderer *r = target->renderer;
	struct vk_image *image = target->image;
	target->src = VK_NULL_HANDLE;
	VkBufferImageCopy whole;
	if (vk_host_import_target(r, buffer, image->format, &target->src, &whole)) {
		target->src_offset = whole.bufferOffset;
		target->src_row_length = whole.bufferRowLength;
		target->direct = true;
		return true;
	}
	target->direct = false;
	if (target->host.buffer == VK_NULL_HANDLE) {
		VkDeviceSize size = (VkDeviceSize)image->width * image->height * image->format->bpp;
		if (!vk_host_buffer_init(r, &target->host, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
				VK_BUFFER_USAGE_TRANSFER_DST_BIT, true, "mosaic shm target copy")) {
			return false;
		}
	}
	target->src = target->host.buffer;
	target->src_offset = 0;
	target->src_row_length = (uint32_t)image->width;
	return true;
}

/* Copies the rectangles between CPU buffer rows and the host copy (packed rows). */
static bool copy_host(struct vk_shm_target *target, struct mosaic_buffer *buffer,
	const pixman_region32_t *touched, bool to_buffer)
{
	void *data;
	uint32_t fourcc, stride;
	uint32_t flags = to_buffer ? MOSAIC_BUFFER_DATA_ACCESS_WRITE : MOSAIC_BUFFER_DATA_ACCESS_READ;
	if (!mosaic_buffer_begin_data_access(buffer, flags, &data, &fourcc, &stride)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the target buffer offers no CPU access");
		return false;
	}
	uint32_t bpp = target->image->format->bpp;
	size_t host_stride = (size_t)target->image->width * bpp;
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(touched, &n);
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &rects[i];
		size_t len = (size_t)(b->x2 - b->x1) * bpp;
		for (int y = b->y1; y < b->y2; y++) {
			uint8_t *cpu = (uint8_t *)data + (size_t)y * stride + (size_t)b->x1 * bpp;
			uint8_t *host = target->host.map + (size_t)y * host_stride +
				(size_t)b->x1 * bpp;
			if (to_buffer) {
				memcpy(cpu, host, len);
			} else {
				memcpy(host, cpu, len);
			}
		}
	}
	mosaic_buffer_end_data_access(buffer);
	return true;
}

/* One copy region per rectangle, between the image and the chosen buffer. */
static VkBufferImageCopy *make_regions(struct vk_shm_target *target,
	const pixman_region32_t *touched, uint32_t *count)
{
	struct vk_renderer *r = target->renderer;
	uint32_t bpp = target->image->format->bpp;
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(touched, &n);
	VkBufferImageCopy *regions = vk_scratch(r, (size_t)n * sizeof(*regions));
	if (regions == NULL) {
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &rects[i];
		regions[i] = (VkBufferImageCopy){
			.bufferOffset = target->src_offset +
				((VkDeviceSize)b->y1 * target->src_row_length + (VkDeviceSize)b->x1) * bpp,
			.bufferRowLength = target->src_row_length,
			.imageSubresource = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.layerCount = 1,
			},
			.imageOffset = { b->x1, b->y1, 0 },
			.imageExtent = { (uint32_t)(b->x2 - b->x1), (uint32_t)(b->y2 - b->y1), 1 },
		};
	}
	*count = (uint32_t)n;
	return regions;
}

bool vk_shm_target_record_load(struct vk_shm_target *target, struct mosaic_buffer *buffer,
	const pixman_region32_t *touched)
{
	struct vk_renderer *r = target->renderer;
	struct vk_image *image = target->image;
	VkCommandBuffer cb = vk_frame_upload_cb(r);
	if (cb == VK_NULL_HANDLE) {
		return false;
	}
	bool ok = choose_path(target, buffer);
	if (ok && pixman_region32_not_empty(touched)) {
		if (!target->direct) {
			ok = copy_host(target, buffer, touched, false);
			vk_host_buffer_flush(r, &target->host);
		}
		uint32_t n;
		VkBufferImageCopy *regions = ok ? make_regions(target, touched, &n) : NULL;
		if (regions != NULL) {
			vk_image_transition(image, cb, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
			vkCmdCopyBufferToImage(cb, target->src, image->image,
				VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, n, regions);
		}
		ok = regions != NULL;
	}
	// The render pass instance expects this layout; the draws are already recorded.
	vk_image_transition(image, cb, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL);
	return ok;
}

bool vk_shm_target_record_store(struct vk_shm_target *target, VkCommandBuffer cb,
	const pixman_region32_t *touched)
{
	struct vk_image *image = target->image;
	if (!pixman_region32_not_empty(touched) || target->src == VK_NULL_HANDLE) {
		return true;
	}
	uint32_t n;
	VkBufferImageCopy *regions = make_regions(target, touched, &n);
	if (regions == NULL) {
		return false;
	}
	vk_image_transition(image, cb, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
	vkCmdCopyImageToBuffer(cb, image->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
		target->src, n, regions);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
		1, &(VkMemoryBarrier){
			.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
			.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		}, 0, NULL, 0, NULL);
	return true;
}

bool vk_shm_target_store(struct vk_shm_target *target, struct mosaic_buffer *buffer,
	const pixman_region32_t *touched)
{
	if (target->direct || !pixman_region32_not_empty(touched)) {
		// The GPU wrote into the buffer's own memory, or nothing was drawn.
		return true;
	}
	vk_host_buffer_invalidate(target->renderer, &target->host);
	return copy_host(target, buffer, touched, true);
}
