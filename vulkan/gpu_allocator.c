#include <assert.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "private/export.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * The vk_buffer type (buffers backed by a VkImage of the renderer: render
 * targets that never leave the GPU) and the renderer's GPU allocator, with
 * the ways such buffers are shared: opaque fds with another renderer of the
 * same device, dmabufs with everything else.
 */

static const struct mosaic_buffer_impl vk_buffer_impl;

MOSAIC_EXPORT bool mosaic_buffer_is_vulkan(const struct mosaic_buffer *buffer)
{
	return buffer != NULL && buffer->impl == &vk_buffer_impl;
}

struct vk_buffer *vk_buffer_from_base(struct mosaic_buffer *buffer)
{
	assert(mosaic_buffer_is_vulkan(buffer));
	return mosaic_container_of(buffer, struct vk_buffer, base);
}

static void vk_buffer_destroy(struct mosaic_buffer *base)
{
	struct vk_buffer *b = vk_buffer_from_base(base);
	b->renderer->n_buffers--;
	vk_image_unref(b->image);
	free(b);
}

static const struct mosaic_buffer_impl vk_buffer_impl = {
	.destroy = vk_buffer_destroy,
};

static struct mosaic_buffer *wrap_image(struct vk_renderer *r, struct vk_image *image)
{
	struct vk_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		vk_image_unref(image);
		return NULL;
	}
	mosaic_buffer_init(&b->base, &vk_buffer_impl, image->width, image->height);
	b->renderer = r;
	r->n_buffers++;
	b->image = image;
	return &b->base;
}

static const struct vk_format *render_format(struct vk_renderer *r, uint32_t fourcc,
	int width, int height)
{
	char name[32];
	const struct vk_format *format = vk_format_from_fourcc(r, fourcc);
	if (format == NULL || !format->render) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot render into %s on this device",
			mosaic_format_name(fourcc, name));
		return NULL;
	}
	if (width <= 0 || height <= 0 || width > MOSAIC_MAX_IMAGE_SIZE ||
			height > MOSAIC_MAX_IMAGE_SIZE ||
			(uint32_t)width > r->props.limits.maxImageDimension2D ||
			(uint32_t)height > r->props.limits.maxImageDimension2D) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: invalid image size %dx%d", width, height);
		return NULL;
	}
	return format;
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_vulkan_buffer_create(struct mosaic_renderer *renderer,
	int width, int height, uint32_t fourcc)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	if (renderer->lost) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the renderer lost its device");
		return NULL;
	}
	const struct vk_format *format = render_format(r, fourcc, width, height);
	if (format == NULL) {
		return NULL;
	}
	struct vk_image *image = vk_image_create(r, format, width, height,
		r->feat.external_memory_fd, "mosaic buffer");
	if (image == NULL) {
		return NULL;
	}
	return wrap_image(r, image);
}

/* The renderer's allocator: mosaic_vulkan_buffer_create() behind the generic interface. */
struct vk_allocator {
	struct mosaic_allocator base;
	struct vk_renderer *renderer;
};

static struct mosaic_buffer *vk_allocator_create_buffer(struct mosaic_allocator *allocator,
	int width, int height, uint32_t fourcc, const uint64_t *modifiers, size_t n_modifiers)
{
	struct vk_allocator *a = mosaic_container_of(allocator, struct vk_allocator, base);
	struct vk_renderer *r = a->renderer;
	if (n_modifiers == 0) {
		return mosaic_vulkan_buffer_create(&r->base, width, height, fourcc);
	}
	// Explicit modifiers the device can export win: the image can then leave as a
	// dmabuf. Optimally tiled images have no DRM modifier: only "implicit" fits them.
	bool implicit = false, exportable = false;
	for (size_t i = 0; i < n_modifiers; i++) {
		implicit = implicit || modifiers[i] == DRM_FORMAT_MOD_INVALID;
		exportable = exportable || (r->feat.dmabuf_export &&
			mosaic_format_set_has(&r->export_formats, fourcc, modifiers[i]));
	}
	if (!exportable && implicit) {
		return mosaic_vulkan_buffer_create(&r->base, width, height, fourcc);
	}
	if (!exportable) {
		char name[32];
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: GPU allocator: none of the %zu modifiers "
			"can be used for %s on %s (list DRM_FORMAT_MOD_INVALID for an image "
			"without one)", n_modifiers, mosaic_format_name(fourcc, name),
			r->device_name);
		return NULL;
	}
	if (r->base.lost) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the renderer lost its device");
		return NULL;
	}
	const struct vk_format *format = render_format(r, fourcc, width, height);
	if (format == NULL) {
		return NULL;
	}
	struct vk_image *image = vk_image_create_dmabuf(r, format, width, height, modifiers,
		n_modifiers);
	if (image == NULL) {
		return NULL;
	}
	return wrap_image(r, image);
}

static void vk_allocator_destroy(struct mosaic_allocator *allocator)
{
	free(mosaic_container_of(allocator, struct vk_allocator, base));
}

static const struct mosaic_allocator_impl vk_allocator_impl = {
	.create_buffer = vk_allocator_create_buffer,
	.destroy = vk_allocator_destroy,
};

struct mosaic_allocator *vk_create_gpu_allocator(struct mosaic_renderer *renderer)
{
	struct vk_allocator *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_allocator_init(&a->base, &vk_allocator_impl, 0);
	a->renderer = vk_renderer_from_base(renderer);
	return &a->base;
}

MOSAIC_EXPORT bool mosaic_vulkan_buffer_export_opaque_fd(struct mosaic_buffer *buffer,
	struct mosaic_vulkan_opaque_image *out)
{
	out->fd = -1;
	if (!mosaic_buffer_is_vulkan(buffer)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: export: not a Vulkan buffer");
		return false;
	}
	struct vk_buffer *b = vk_buffer_from_base(buffer);
	struct vk_renderer *r = b->renderer;
	if (b->image->dmabuf_exportable) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: export: the buffer has a DRM format "
			"modifier; export it as a dmabuf");
		return false;
	}
	if (!b->image->exportable) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: export: the device has no "
			"VK_KHR_external_memory_fd");
		return false;
	}
	int fd = -1;
	VkResult res = vkGetMemoryFdKHR(r->dev, &(VkMemoryGetFdInfoKHR){
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = b->image->memory[0],
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	}, &fd);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetMemoryFdKHR");
		return false;
	}
	// Drivers hand out inheritable fds; a compositor's children must not get them.
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: fcntl on the exported fd failed");
		close(fd);
		return false;
	}
	*out = (struct mosaic_vulkan_opaque_image){
		.fd = fd,
		.size = b->image->size,
		.width = b->image->width,
		.height = b->image->height,
		.fourcc = b->image->format->fourcc,
	};
	memcpy(out->device_uuid, r->device_uuid, VK_UUID_SIZE);
	memcpy(out->driver_uuid, r->driver_uuid, VK_UUID_SIZE);
	return true;
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_vulkan_buffer_import_opaque_fd(
	struct mosaic_renderer *renderer, const struct mosaic_vulkan_opaque_image *in)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	if (renderer->lost) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the renderer lost its device");
		return NULL;
	}
	if (!r->feat.external_memory_fd) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: import: the device has no "
			"VK_KHR_external_memory_fd");
		return NULL;
	}
	if (in->fd < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: import: invalid fd");
		return NULL;
	}
	if (memcmp(in->device_uuid, r->device_uuid, VK_UUID_SIZE) != 0 ||
			memcmp(in->driver_uuid, r->driver_uuid, VK_UUID_SIZE) != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: import: the image comes from another "
			"device or driver");
		return NULL;
	}
	const struct vk_format *format = render_format(r, in->fourcc, in->width, in->height);
	if (format == NULL) {
		return NULL;
	}
	struct vk_image *image = vk_image_create_desc(r, &(struct vk_image_desc){
		.format = format,
		.width = in->width,
		.height = in->height,
		.usage = vk_image_usage(format),
		.n_planes = 1,
		.handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
		.fds = { in->fd },
		.n_fds = 1,
		.import_size = in->size,
		.exportable = true,
		.name = "mosaic imported image",
	});
	if (image == NULL) {
		return NULL;
	}
	// The image imported a duplicate; the caller handed this one over.
	close(in->fd);
	return wrap_image(r, image);
}

MOSAIC_EXPORT bool mosaic_vulkan_buffer_export_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *out)
{
	if (!mosaic_buffer_is_vulkan(buffer)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: export: not a Vulkan buffer");
		return false;
	}
	struct vk_buffer *b = vk_buffer_from_base(buffer);
	struct vk_renderer *r = b->renderer;
	struct vk_image *image = b->image;
	if (!(r->base.features & MOSAIC_FEATURE_DMABUF_EXPORT)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: this renderer cannot export dmabufs on %s "
			"(see MOSAIC_FEATURE_DMABUF_EXPORT); export an opaque fd instead",
			r->device_name);
		return false;
	}
	if (!image->dmabuf_exportable) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: export: the buffer has no DRM format "
			"modifier; allocate it with explicit modifiers through the GPU allocator");
		return false;
	}
	if (r->base.lost) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the renderer lost its device");
		return false;
	}
	VkSubresourceLayout plane;
	vkGetImageSubresourceLayout(r->dev, image->image, &(VkImageSubresource){
		.aspectMask = VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT,
	}, &plane);
	if (plane.offset > UINT32_MAX || plane.rowPitch > UINT32_MAX) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: export: the plane layout does not fit a "
			"dmabuf description");
		return false;
	}
	// From now on the image changes hands at the end of every frame that uses it.
	if (!vk_image_make_foreign(image)) {
		return false;
	}
	int fd = -1;
	VkResult res = vkGetMemoryFdKHR(r->dev, &(VkMemoryGetFdInfoKHR){
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = image->memory[0],
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	}, &fd);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetMemoryFdKHR (dmabuf)");
		return false;
	}
	// Drivers hand out inheritable fds; a compositor's children must not get them.
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: fcntl on the exported dmabuf failed");
		close(fd);
		return false;
	}
	*out = (struct mosaic_dmabuf_attributes){
		.width = image->width,
		.height = image->height,
		.fourcc = image->format->fourcc,
		.modifier = image->modifier,
		.n_planes = 1,
		.offset = { (uint32_t)plane.offset },
		.stride = { (uint32_t)plane.rowPitch },
		.fd = { fd, -1, -1, -1 },
	};
	return true;
}
