#include <stdlib.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * How a frame uses images: every barrier, layout transition and queue family
 * ownership transfer is recorded here, and each image a frame touches is put
 * on the frame's used list. The layout the recorded commands leave an image
 * in (image->layout) becomes its committed layout only once vkQueueSubmit
 * succeeded; when the submission fails, every image of the frame gets its
 * committed layout back (what the GPU really left it in), so the next frame
 * records the right barriers. The commands of a failed frame never run: a
 * texture upload or a dmabuf copy it held is lost, and a texture updated in
 * that frame shows what it showed before (undefined contents if the frame
 * held its first upload) until it is updated again.
 *
 * Foreign images (imported or exported dmabufs) are owned by
 * VK_QUEUE_FAMILY_FOREIGN_EXT between frames. A frame acquires one before its
 * first use and releases it, in layout GENERAL, at its end. Imported images
 * are created UNDEFINED, as images with external memory must be; that layout
 * is a placeholder: the image is not usable until it acquires its memory,
 * and the layout named in that acquire is its true layout (Vulkan spec,
 * "External Resource Sharing"). The first acquire therefore names GENERAL,
 * the layout the producer leaves dmabufs in, exactly as every later acquire
 * does; UNDEFINED there would allow the driver to discard the contents.
 *
 * dmabufs imported as buffers (no VK_EXT_image_drm_format_modifier) are
 * copied into their image once per frame that uses them, between an acquire
 * and a release of the buffer, and copied back after a pass drew into them.
 * dmabufs the device cannot import are copied by the CPU, once per frame
 * that uses them too (dmabuf_cpu_copy.c).
 */

#define FOREIGN_QUEUE(r) ((r)->feat.foreign_queue ? VK_QUEUE_FAMILY_FOREIGN_EXT : \
	VK_QUEUE_FAMILY_EXTERNAL)

static const VkImageSubresourceRange color_range = {
	.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
	.levelCount = 1,
	.layerCount = 1,
};

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
		// Textures are sampled by the graphics path or the compute path (compute.c).
		*stage = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
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

/*
 * Puts the image on the used list of the frame being recorded. On an
 * allocation failure the frame is marked broken (it will not be submitted)
 * and nothing may be recorded for the image.
 */
static bool track(struct vk_image *image)
{
	struct vk_frame *frame = image->renderer->current;
	if (image->use_seq == frame->seq) {
		return true;
	}
	if (frame->n_used == frame->used_cap) {
		size_t cap = frame->used_cap == 0 ? 16 : frame->used_cap * 2;
		struct vk_image **bigger = realloc(frame->used, cap * sizeof(*bigger));
		if (bigger == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			frame->broken = true;
			return false;
		}
		frame->used = bigger;
		frame->used_cap = cap;
	}
	vk_image_ref(image);
	frame->used[frame->n_used++] = image;
	image->use_seq = frame->seq;
	return true;
}

static void image_barrier(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout,
	uint32_t src_family, uint32_t dst_family)
{
	VkPipelineStageFlags src_stage, dst_stage;
	VkAccessFlags src_access, dst_access;
	vk_layout_scope(image->layout, &src_stage, &src_access);
	vk_layout_scope(layout, &dst_stage, &dst_access);
	if (src_family != dst_family && dst_family == image->renderer->queue_family) {
		// An acquire: what happened before is the foreign owner's.
		src_stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT;
		src_access = 0;
	} else if (src_family != dst_family) {
		dst_stage = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT;
		dst_access = 0;
	}
	vkCmdPipelineBarrier(cb, src_stage, dst_stage, 0, 0, NULL, 0, NULL, 1,
		&(VkImageMemoryBarrier){
			.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
			.srcAccessMask = src_access,
			.dstAccessMask = dst_access,
			.oldLayout = image->layout,
			.newLayout = layout,
			.srcQueueFamilyIndex = src_family,
			.dstQueueFamilyIndex = dst_family,
			.image = image->image,
			.subresourceRange = color_range,
		});
	image->layout = layout;
}

void vk_image_transition(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout)
{
	if (!track(image)) {
		return;
	}
	image_barrier(image, cb, layout, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
}

bool vk_image_ready(struct vk_image *image, VkImageLayout layout)
{
	struct vk_frame *frame = image->renderer->current;
	return frame != NULL && image->layout == layout &&
		(!image->foreign || image->acquired_seq == frame->seq) &&
		(image->linear == NULL || image->linear->acquired_seq == frame->seq) &&
		(image->cpu_source == NULL || image->cpu_loaded_seq == frame->seq);
}

static void buffer_barrier(struct vk_dmabuf_buffer *linear, VkCommandBuffer cb,
	VkPipelineStageFlags src_stage, VkAccessFlags src_access, VkPipelineStageFlags dst_stage,
	VkAccessFlags dst_access, uint32_t src_family, uint32_t dst_family)
{
	VkBufferMemoryBarrier barriers[VK_MAX_PLANES];
	for (uint32_t i = 0; i < linear->n_buffers; i++) {
		barriers[i] = (VkBufferMemoryBarrier){
			.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
			.srcAccessMask = src_access,
			.dstAccessMask = dst_access,
			.srcQueueFamilyIndex = src_family,
			.dstQueueFamilyIndex = dst_family,
			.buffer = linear->buffers[i],
			.size = VK_WHOLE_SIZE,
		};
	}
	vkCmdPipelineBarrier(cb, src_stage, dst_stage, 0, 0, NULL, linear->n_buffers, barriers,
		0, NULL);
}

static VkBufferImageCopy linear_region(struct vk_image *image)
{
	return (VkBufferImageCopy){
		.bufferOffset = image->linear->offset[0],
		.bufferRowLength = image->linear->row_length[0],
		.imageSubresource = {
			.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
			.layerCount = 1,
		},
		.imageExtent = { (uint32_t)image->width, (uint32_t)image->height, 1 },
	};
}

/* Acquires the buffer of a dmabuf imported as one and copies its pixels into the image. */
static void load_linear(struct vk_image *image, VkCommandBuffer cb)
{
	struct vk_renderer *r = image->renderer;
	struct vk_dmabuf_buffer *linear = image->linear;
	buffer_barrier(linear, cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
		VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT, FOREIGN_QUEUE(r),
		r->queue_family);
	image_barrier(image, cb, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_QUEUE_FAMILY_IGNORED,
		VK_QUEUE_FAMILY_IGNORED);
	if (image->format->yuv) {
		// One copy per plane: the planes may lie in buffers of their own.
		for (uint32_t p = 0; p < linear->n_planes; p++) {
			VkBufferImageCopy regions[VK_YCBCR_PLANE_REGIONS];
			uint32_t n = vk_ycbcr_plane_regions(image, p, linear->offset[p],
				linear->row_length[p], regions);
			vkCmdCopyBufferToImage(cb, linear->buffers[linear->plane_buffer[p]],
				image->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, n, regions);
		}
	} else {
		VkBufferImageCopy region = linear_region(image);
		vkCmdCopyBufferToImage(cb, linear->buffers[0], image->image,
			VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
	}
	linear->acquired_seq = r->current->seq;
}

void vk_image_use(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout)
{
	struct vk_renderer *r = image->renderer;
	struct vk_frame *frame = r->current;
	if (!track(image)) {
		return;
	}
	if (image->linear != NULL && image->linear->acquired_seq != frame->seq) {
		load_linear(image, cb);
	}
	if (image->cpu_source != NULL && image->cpu_loaded_seq != frame->seq) {
		// Logs its failures; the image then shows what it showed before.
		vk_dmabuf_cpu_copy_load(image);
	}
	if (!image->foreign || image->acquired_seq == frame->seq) {
		image_barrier(image, cb, layout, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
		return;
	}
	// image->layout is GENERAL (or UNDEFINED for an export never drawn): see above.
	image_barrier(image, cb, layout, FOREIGN_QUEUE(r), r->queue_family);
	image->acquired_seq = frame->seq;
}

void vk_image_store_linear(struct vk_image *image, VkCommandBuffer cb)
{
	struct vk_renderer *r = image->renderer;
	struct vk_dmabuf_buffer *linear = image->linear;
	if (!track(image)) {
		return;
	}
	image_barrier(image, cb, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_QUEUE_FAMILY_IGNORED,
		VK_QUEUE_FAMILY_IGNORED);
	// The copy in (when there was one this frame) read what this copy overwrites.
	buffer_barrier(linear, cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT,
		VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
		VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
	VkBufferImageCopy region = linear_region(image);
	vkCmdCopyImageToBuffer(cb, image->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
		linear->buffers[0], 1, &region);
	linear->stored_seq = r->current->seq;
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
	if (!track(image)) {
		return false;
	}
	image->foreign = true;
	image->foreign_seq = frame->seq;
	image->acquired_seq = frame->seq;
	if (r->open_pass != NULL) {
		// Released when the open pass is submitted.
		return true;
	}
	uint64_t seq = frame->seq;
	return vk_frame_submit(r, 0) && vk_wait_seq(r, seq, -1);
}

void vk_frame_release_foreign(struct vk_renderer *r, struct vk_frame *frame, VkCommandBuffer cb)
{
	for (size_t i = 0; i < frame->n_used; i++) {
		struct vk_image *image = frame->used[i];
		struct vk_dmabuf_buffer *linear = image->linear;
		if (image->foreign && image->acquired_seq == frame->seq) {
			image_barrier(image, cb, VK_IMAGE_LAYOUT_GENERAL, r->queue_family,
				FOREIGN_QUEUE(r));
		}
		if (linear != NULL && linear->acquired_seq == frame->seq) {
			bool stored = linear->stored_seq == frame->seq;
			buffer_barrier(linear, cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
				stored ? VK_ACCESS_TRANSFER_WRITE_BIT : 0,
				VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, r->queue_family,
				FOREIGN_QUEUE(r));
		}
	}
}

void vk_frame_images_end(struct vk_renderer *r, struct vk_frame *frame, bool submitted)
{
	(void)r;
	for (size_t i = 0; i < frame->n_used; i++) {
		struct vk_image *image = frame->used[i];
		if (submitted) {
			image->committed_layout = image->layout;
			if (image->last_seq < frame->seq) {
				image->last_seq = frame->seq;
			}
		} else {
			// Nothing of the frame runs; its sequence number is used again.
			image->layout = image->committed_layout;
			image->use_seq = 0;
			if (image->acquired_seq == frame->seq) {
				image->acquired_seq = 0;
			}
			if (image->foreign_seq == frame->seq) {
				image->foreign = false;
				image->foreign_seq = 0;
			}
			if (image->linear != NULL) {
				image->linear->acquired_seq = 0;
				image->linear->stored_seq = 0;
			}
			image->cpu_loaded_seq = 0;
		}
		vk_image_unref(image);
	}
	frame->n_used = 0;
	frame->broken = false;
}
