#include <pixman.h>

#include "private/buffer_access.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * dmabufs the device cannot import, shown through a copy the CPU makes.
 *
 * lavapipe (a CPU device) imports a dmabuf by mapping its fd read-write,
 * whatever the memory is used for: an fd opened read-only, as
 * gbm_bo_get_fd() gives them on Mesa's kms_swrast, fails with
 * VK_ERROR_INVALID_EXTERNAL_HANDLE even for a buffer that is only copied
 * from. Clients send such buffers legitimately, so they are not refused:
 * the core maps them read-only (mosaic_buffer_access_begin_as(), which waits
 * for the dmabuf's writers and brackets the access with
 * DMA_BUF_IOCTL_SYNC), and every frame that uses the texture copies the
 * whole buffer through the staging ring into an optimal image, as the
 * VkBuffer path copies once per frame on the GPU side. Such buffers can be
 * sampled, never rendered into.
 */

static bool read_into(struct vk_image *image, struct mosaic_buffer *buffer, bool upload)
{
	struct mosaic_buffer_access access;
	// Logs its reason.
	if (!mosaic_buffer_access_begin_as(&access, buffer, MOSAIC_BUFFER_DATA_ACCESS_READ,
			image->format->fourcc)) {
		return false;
	}
	bool ok = true;
	if (upload) {
		pixman_region32_t all;
		pixman_region32_init_rect(&all, 0, 0, (unsigned)image->width,
			(unsigned)image->height);
		ok = vk_image_upload(image, access.data, access.stride, &all);
		pixman_region32_fini(&all);
	}
	mosaic_buffer_access_end(&access);
	return ok;
}

struct vk_image *vk_dmabuf_cpu_copy_create(struct vk_renderer *r,
	const struct vk_format *format, struct mosaic_buffer *buffer, int width, int height)
{
	struct vk_image *image = vk_image_create(r, format, width, height, false,
		"mosaic dmabuf CPU copy");
	if (image == NULL) {
		return NULL;
	}
	// Mapped now (the mapping is cached on the buffer): a buffer the CPU
	// cannot read is refused here, where linux-dmabuf can still say so.
	if (!read_into(image, buffer, false)) {
		// The core logged why (the one ERROR line); this is the consequence.
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: the dmabuf can be neither imported nor "
			"read by the CPU");
		vk_image_unref(image);
		return NULL;
	}
	image->cpu_source = buffer;
	if (!r->cpu_copy_logged) {
		r->cpu_copy_logged = true;
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: %s maps dmabufs read-write to import them; "
			"dmabufs whose fd is read-only are copied by the CPU, once per frame that "
			"shows them", r->props.deviceName);
	}
	return image;
}

bool vk_dmabuf_cpu_copy_load(struct vk_image *image)
{
	struct vk_renderer *r = image->renderer;
	// Once per frame, even when it fails: one log line, not one per draw.
	image->cpu_loaded_seq = r->current->seq;
	if (image->cpu_source == NULL) {
		return true;
	}
	if (!read_into(image, image->cpu_source, true)) {
		// The reason has its ERROR line; this is the consequence.
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: cannot copy the dmabuf: its texture shows "
			"what it showed before");
		return false;
	}
	return true;
}
