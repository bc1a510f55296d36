#include <string.h>

#include "private/dmabuf.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * YUV images and the copies that fill them. Vulkan wants 4:2:x images of
 * even width (and 4:2:0 of even height): odd sizes get an image one texel
 * larger, whose last column and row repeat the edge, so that sampling near
 * the edge clamps as pixman does. Each memory plane is copied through its
 * own aspect (VK_IMAGE_ASPECT_PLANE_n_BIT); YUYV is one plane of 2x1 blocks.
 */

void vk_plane_block(const struct vk_format *format, uint32_t plane, uint32_t *bytes,
	uint32_t *pixels)
{
	const struct mosaic_format_info *info = mosaic_format_get_info(format->fourcc);
	if (!format->yuv || info == NULL) {
		*bytes = format->bpp;
		*pixels = 1;
	} else if (info->n_planes == 1) {
		// A Y0 Cb Y1 Cr quadruple for each pixel pair.
		*bytes = info->plane_bits_per_pixel[0] / 8 * info->hsub;
		*pixels = info->hsub;
	} else {
		*bytes = info->plane_bits_per_pixel[plane] / 8;
		*pixels = 1;
	}
}

struct vk_image *vk_ycbcr_image_create(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, const struct mosaic_yuv_info *yuv, const char *name)
{
	struct vk_ycbcr *ycbcr = vk_ycbcr_get(r, format, yuv, MOSAIC_FILTER_LINEAR);
	if (ycbcr == NULL) {
		return NULL;
	}
	struct vk_image *image = vk_image_create_desc(r, &(struct vk_image_desc){
		.format = format,
		.width = width,
		.height = height,
		.usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
		.n_planes = 1,
		.name = name,
		.conversion = vk_ycbcr_conversion(ycbcr),
	});
	if (image == NULL) {
		return NULL;
	}
	image->yuv = *yuv;
	image->ycbcr[0].ycbcr = ycbcr;
	return image;
}

static VkBufferImageCopy region(VkDeviceSize offset, uint32_t row_length,
	VkImageAspectFlags aspect, int32_t x, int32_t y, uint32_t w, uint32_t h)
{
	return (VkBufferImageCopy){
		.bufferOffset = offset,
		.bufferRowLength = row_length,
		.imageSubresource = { .aspectMask = aspect, .layerCount = 1 },
		.imageOffset = { x, y, 0 },
		.imageExtent = { w, h, 1 },
	};
}

uint32_t vk_ycbcr_plane_regions(const struct vk_image *image, uint32_t plane,
	VkDeviceSize offset, uint32_t row_length, VkBufferImageCopy out[VK_YCBCR_PLANE_REGIONS])
{
	const struct mosaic_format_info *info = mosaic_format_get_info(image->format->fourcc);
	if (info->n_planes == 1) {
		// Rows hold whole pixel pairs: the image's width is what the buffer holds.
		out[0] = region(offset, row_length, VK_IMAGE_ASPECT_COLOR_BIT, 0, 0,
			image->extent_width, image->extent_height);
		return 1;
	}
	uint32_t hsub = plane > 0 ? info->hsub : 1, vsub = plane > 0 ? info->vsub : 1;
	uint32_t w = ((uint32_t)image->width + hsub - 1) / hsub;
	uint32_t h = ((uint32_t)image->height + vsub - 1) / vsub;
	uint32_t ew = image->extent_width / hsub, eh = image->extent_height / vsub;
	VkDeviceSize bytes = info->plane_bits_per_pixel[plane] / 8;
	VkDeviceSize row = (VkDeviceSize)row_length * bytes;
	VkImageAspectFlags aspect = (VkImageAspectFlags)VK_IMAGE_ASPECT_PLANE_0_BIT << plane;
	uint32_t n = 0;
	out[n++] = region(offset, row_length, aspect, 0, 0, w, h);
	VkDeviceSize last_column = offset + (w - 1) * bytes;
	VkDeviceSize last_row = offset + (h - 1) * row;
	if (ew > w) {
		out[n++] = region(last_column, row_length, aspect, (int32_t)w, 0, 1, h);
	}
	if (eh > h) {
		out[n++] = region(last_row, row_length, aspect, 0, (int32_t)h, w, 1);
	}
	if (ew > w && eh > h) {
		out[n++] = region(last_row + (w - 1) * bytes, row_length, aspect, (int32_t)w,
			(int32_t)h, 1, 1);
	}
	return n;
}

static VkDeviceSize align16(VkDeviceSize v)
{
	return (v + VK_STAGING_ALIGN - 1) / VK_STAGING_ALIGN * VK_STAGING_ALIGN;
}

/* Copies the mapped planes into the staging ring and records their copies. */
static bool upload_planes(struct vk_image *image, const struct mosaic_dmabuf_cpu_planes *planes)
{
	struct vk_renderer *r = image->renderer;
	const struct mosaic_format_info *info = mosaic_format_get_info(image->format->fourcc);
	uint64_t row_bytes[MOSAIC_FORMAT_MAX_PLANES];
	uint32_t rows[MOSAIC_FORMAT_MAX_PLANES];
	VkDeviceSize total = 0;
	for (int p = 0; p < info->n_planes; p++) {
		if (!mosaic_format_plane_size(info, p, image->width, image->height, &row_bytes[p],
				&rows[p])) {
			return false;
		}
		if (planes->stride[p] < row_bytes[p]) {
			mosaic_log(MOSAIC_LOG_ERROR, "vulkan: plane %d has stride %u, less than "
				"%llu bytes", p, planes->stride[p], (unsigned long long)row_bytes[p]);
			return false;
		}
		total = align16(total) + row_bytes[p] * rows[p];
	}
	struct vk_staging_span span;
	if (vk_frame_upload_cb(r) == VK_NULL_HANDLE || !vk_staging_alloc(r, total, &span)) {
		return false;
	}
	VkBufferImageCopy regions[MOSAIC_FORMAT_MAX_PLANES * VK_YCBCR_PLANE_REGIONS];
	uint32_t n = 0;
	VkDeviceSize offset = 0;
	for (int p = 0; p < info->n_planes; p++) {
		offset = align16(offset);
		for (uint32_t y = 0; y < rows[p]; y++) {
			memcpy(span.map + offset + y * row_bytes[p],
				planes->data[p] + (size_t)y * planes->stride[p], row_bytes[p]);
		}
		uint32_t bytes, pixels;
		vk_plane_block(image->format, (uint32_t)p, &bytes, &pixels);
		n += vk_ycbcr_plane_regions(image, (uint32_t)p, span.offset + offset,
			(uint32_t)(row_bytes[p] / bytes * pixels), &regions[n]);
		offset += row_bytes[p] * rows[p];
	}
	vk_staging_flush(r, &span, offset);
	return vk_image_copy_regions(image, span.buffer, regions, n);
}

bool vk_ycbcr_upload(struct vk_image *image, struct mosaic_buffer *buffer)
{
	char a[32], b[32];
	struct mosaic_dmabuf_cpu_planes planes;
	if (!mosaic_dmabuf_begin_cpu_access_planes(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ,
			&planes)) {
		return false;
	}
	bool ok = planes.fourcc == image->format->fourcc;
	if (!ok) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: buffer format %s differs from texture "
			"format %s", mosaic_format_name(planes.fourcc, a),
			mosaic_format_name(image->format->fourcc, b));
	} else {
		ok = upload_planes(image, &planes);
	}
	mosaic_dmabuf_end_cpu_access(buffer);
	return ok;
}

struct vk_image *vk_ycbcr_image_from_planes(struct vk_renderer *r, struct mosaic_buffer *buffer)
{
	char name[32];
	struct mosaic_dmabuf_attributes a;
	if (!mosaic_buffer_get_dmabuf(buffer, &a)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer has no dmabuf planes");
		return NULL;
	}
	const struct vk_format *format = vk_format_from_fourcc(r, a.fourcc);
	if (format == NULL || !format->yuv) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: unsupported texture format %s",
			mosaic_format_name(a.fourcc, name));
		return NULL;
	}
	struct vk_image *image = vk_ycbcr_image_create(r, format, buffer->width, buffer->height,
		&a.yuv, "mosaic yuv texture");
	if (image == NULL) {
		return NULL;
	}
	if (!vk_ycbcr_upload(image, buffer)) {
		vk_image_unref(image);
		return NULL;
	}
	return image;
}
