#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private/format.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * Reading pixels back: a copy into host-cached memory recorded into the
 * frame's upload command buffer and submitted at once; the blocking read
 * waits for it, the non-blocking one returns a request to poll (with a
 * sync_file fd where the device exports them).
 */

/* Where a read's pixels land before the CPU converts them. */
struct vk_read {
	struct mosaic_read_request base;
	struct vk_renderer *renderer;
	struct vk_host_buffer host;
	uint64_t seq;
	/* Signals completion where the device exports sync_files (asynchronous reads), or -1. */
	int fd;
	bool want_fd;
};

static bool read_record(struct vk_texture *t, const struct mosaic_read_pixels_options *options,
	struct vk_read *read)
{
	struct vk_image *image = t->image;
	struct vk_renderer *r = image->renderer;
	const struct mosaic_box *box = &options->src_box;
	// The core refuses reads while a pass is open.
	assert(r->open_pass == NULL);
	if (image->format->yuv) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: YUV textures cannot be read back; draw them "
			"into an RGB buffer and read that");
		return false;
	}
	VkDeviceSize size = (VkDeviceSize)box->width * box->height * image->format->bpp;
	if (r->spare_readback.size >= size) {
		read->host = r->spare_readback;
		r->spare_readback = (struct vk_host_buffer){0};
	} else if (!vk_host_buffer_init(r, &read->host, size, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
			true, "mosaic readback")) {
		return false;
	}
	VkCommandBuffer cb = vk_frame_upload_cb(r);
	if (cb == VK_NULL_HANDLE) {
		return false;
	}
	if (image->layout == VK_IMAGE_LAYOUT_UNDEFINED) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: reading an image that was never written");
	}
	vk_image_use(image, cb, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
	vkCmdCopyImageToBuffer(cb, image->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
		read->host.buffer, 1, &(VkBufferImageCopy){
			.imageSubresource = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.layerCount = 1,
			},
			.imageOffset = { box->x, box->y, 0 },
			.imageExtent = { (uint32_t)box->width, (uint32_t)box->height, 1 },
		});
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
		1, &(VkMemoryBarrier){
			.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
			.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		}, 0, NULL, 0, NULL);
	image->last_seq = r->current->seq;
	struct vk_frame *frame = r->current;
	read->seq = frame->seq;
	frame->signal = read->want_fd && r->feat.sync_file_export;
	if (!vk_frame_submit(r, 0)) {
		return false;
	}
	if (frame->signal) {
		read->fd = vk_frame_export_sync_file(r, frame);
	}
	return true;
}

static void copy_rows(void *dst, uint32_t dst_stride, const void *src, uint32_t src_stride,
	uint32_t row_bytes, int height)
{
	for (int y = 0; y < height; y++) {
		memcpy((uint8_t *)dst + (size_t)y * dst_stride,
			(const uint8_t *)src + (size_t)y * src_stride, row_bytes);
	}
}

/* Converts the copied pixels into the caller's memory and format. */
static bool read_convert(struct vk_texture *t, struct vk_read *read,
	const struct mosaic_read_pixels_options *options)
{
	struct vk_renderer *r = read->renderer;
	const struct mosaic_box *box = &options->src_box;
	uint32_t bpp = t->image->format->bpp;
	uint32_t row = (uint32_t)box->width * bpp;
	vk_host_buffer_invalidate_range(r, &read->host, 0, (VkDeviceSize)row * box->height);
	if (options->fourcc == t->base.fourcc) {
		for (int y = 0; y < box->height; y++) {
			memcpy((uint8_t *)options->data + (size_t)y * options->stride,
				read->host.map + (size_t)y * row, row);
		}
		return true;
	}
	// pixman wraps only memory whose rows start on 4-byte boundaries: a row of
	// an odd number of 16-bit pixels (RGB565), or caller memory that is not so
	// aligned, goes through an image pixman allocates.
	bool src_aligned = row % 4 == 0 && (uintptr_t)read->host.map % 4 == 0;
	bool dst_aligned = options->stride % 4 == 0 && (uintptr_t)options->data % 4 == 0;
	pixman_image_t *src = pixman_image_create_bits_no_clear(
		mosaic_format_to_pixman(t->base.fourcc), box->width, box->height,
		src_aligned ? (uint32_t *)(void *)read->host.map : NULL,
		src_aligned ? (int)row : 0);
	pixman_image_t *dst = pixman_image_create_bits_no_clear(
		mosaic_format_to_pixman(options->fourcc), box->width, box->height,
		dst_aligned ? options->data : NULL, dst_aligned ? (int)options->stride : 0);
	bool ok = src != NULL && dst != NULL;
	if (ok) {
		if (!src_aligned) {
			copy_rows(pixman_image_get_data(src), (uint32_t)pixman_image_get_stride(src),
				read->host.map, row, row, box->height);
		}
		pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0,
			box->width, box->height);
		if (!dst_aligned) {
			uint32_t dst_row = (uint32_t)box->width *
				mosaic_format_get_info(options->fourcc)->bytes_per_pixel;
			copy_rows(options->data, options->stride, pixman_image_get_data(dst),
				(uint32_t)pixman_image_get_stride(dst), dst_row, box->height);
		}
	} else {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot convert the pixels read");
	}
	if (src != NULL) {
		pixman_image_unref(src);
	}
	if (dst != NULL) {
		pixman_image_unref(dst);
	}
	return ok;
}

/* Keeps the larger of the spare and the request's readback memory. */
static void read_release(struct vk_read *read)
{
	struct vk_renderer *r = read->renderer;
	if (read->host.buffer != VK_NULL_HANDLE && read->host.size > r->spare_readback.size) {
		vk_host_buffer_finish(r, &r->spare_readback);
		r->spare_readback = read->host;
	} else {
		vk_host_buffer_finish(r, &read->host);
	}
	read->host = (struct vk_host_buffer){0};
}

bool vk_texture_read_pixels(struct mosaic_texture *base,
	const struct mosaic_read_pixels_options *options)
{
	struct vk_texture *t = vk_texture_from_base(base);
	struct vk_read read = { .renderer = t->image->renderer, .fd = -1 };
	bool ok = read_record(t, options, &read);
	// The caller asked for the pixels now: this is the one place that waits.
	if (ok) {
		ok = vk_wait_seq(read.renderer, read.seq, -1) && read_convert(t, &read, options);
	}
	read_release(&read);
	return ok;
}

static struct vk_read *read_from_base(struct mosaic_read_request *request)
{
	return mosaic_container_of(request, struct vk_read, base);
}

static int vk_read_get_fd(struct mosaic_read_request *request)
{
	return read_from_base(request)->fd;
}

static bool vk_read_is_complete(struct mosaic_read_request *request)
{
	struct vk_read *read = read_from_base(request);
	vk_frames_poll(read->renderer);
	return read->renderer->completed_seq >= read->seq;
}

static bool vk_read_finish(struct mosaic_read_request *request)
{
	struct vk_read *read = read_from_base(request);
	struct vk_texture *t = vk_texture_from_base(request->texture);
	bool ok = vk_wait_seq(read->renderer, read->seq, -1) &&
		read_convert(t, read, &request->options);
	read_release(read);
	if (read->fd >= 0) {
		close(read->fd);
	}
	free(read);
	return ok;
}

static const struct mosaic_read_request_impl vk_read_impl = {
	.get_fd = vk_read_get_fd,
	.is_complete = vk_read_is_complete,
	.finish = vk_read_finish,
};

struct mosaic_read_request *vk_texture_read_pixels_start(struct mosaic_texture *base,
	const struct mosaic_read_pixels_options *options)
{
	struct vk_texture *t = vk_texture_from_base(base);
	struct vk_read *read = calloc(1, sizeof(*read));
	if (read == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	read->renderer = t->image->renderer;
	read->fd = -1;
	read->want_fd = true;
	if (!read_record(t, options, read)) {
		read_release(read);
		if (read->fd >= 0) {
			close(read->fd);
		}
		free(read);
		return NULL;
	}
	mosaic_read_request_init(&read->base, &vk_read_impl, base, options);
	return &read->base;
}
