#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private/export.h"
#include "private/format.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

#define SETS_PER_POOL 256

struct vk_descriptor_pool *vk_descriptor_pool_get(struct vk_renderer *r,
	struct mosaic_list *pools, VkDescriptorType type, uint32_t sets,
	uint32_t descriptors_per_set, const char *name)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, pools) {
		struct vk_descriptor_pool *p =
			mosaic_container_of(link, struct vk_descriptor_pool, link);
		if (p->free > 0) {
			return p;
		}
	}
	struct vk_descriptor_pool *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	VkResult res = vkCreateDescriptorPool(r->dev, &(VkDescriptorPoolCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
		.maxSets = sets,
		.poolSizeCount = 1,
		.pPoolSizes = &(VkDescriptorPoolSize){ type, sets * descriptors_per_set },
	}, NULL, &p->pool);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateDescriptorPool");
		free(p);
		return NULL;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_DESCRIPTOR_POOL, (uint64_t)p->pool, name);
	p->free = sets;
	mosaic_list_insert(pools->prev, &p->link);
	return p;
}

void vk_descriptor_pools_destroy(struct vk_renderer *r, struct mosaic_list *pools)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, pools) {
		struct vk_descriptor_pool *p =
			mosaic_container_of(link, struct vk_descriptor_pool, link);
		vkDestroyDescriptorPool(r->dev, p->pool, NULL);
		mosaic_list_remove(&p->link);
		free(p);
	}
}

bool vk_image_ensure_set(struct vk_image *image)
{
	if (image->set != VK_NULL_HANDLE) {
		return true;
	}
	struct vk_renderer *r = image->renderer;
	struct vk_descriptor_pool *pool = vk_descriptor_pool_get(r, &r->descriptor_pools,
		VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, SETS_PER_POOL, 1, "mosaic texture sets");
	if (pool == NULL) {
		return false;
	}
	VkResult res = vkAllocateDescriptorSets(r->dev, &(VkDescriptorSetAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = pool->pool,
		.descriptorSetCount = 1,
		.pSetLayouts = &r->texture_set_layout,
	}, &image->set);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateDescriptorSets");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_DESCRIPTOR_SET, (uint64_t)image->set, "mosaic texture set");
	pool->free--;
	image->set_pool = pool;
	vkUpdateDescriptorSets(r->dev, 1, &(VkWriteDescriptorSet){
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.dstSet = image->set,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE,
		.pImageInfo = &(VkDescriptorImageInfo){
			.imageView = image->sample_view,
			.imageLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
		},
	}, 0, NULL);
	return true;
}

bool vk_image_ensure_framebuffer(struct vk_image *image, VkRenderPass render_pass)
{
	if (image->framebuffer != VK_NULL_HANDLE) {
		return true;
	}
	struct vk_renderer *r = image->renderer;
	VkImageView view = vk_image_attachment_view(image);
	if (view == VK_NULL_HANDLE) {
		return false;
	}
	VkResult res = vkCreateFramebuffer(r->dev, &(VkFramebufferCreateInfo){
		.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
		.renderPass = render_pass,
		.attachmentCount = 1,
		.pAttachments = &view,
		.width = (uint32_t)image->width,
		.height = (uint32_t)image->height,
		.layers = 1,
	}, NULL, &image->framebuffer);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateFramebuffer");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_FRAMEBUFFER, (uint64_t)image->framebuffer,
		"mosaic framebuffer %dx%d", image->width, image->height);
	return true;
}

static VkDeviceSize staging_align(VkDeviceSize v)
{
	return (v + VK_STAGING_ALIGN - 1) / VK_STAGING_ALIGN * VK_STAGING_ALIGN;
}

bool vk_image_upload(struct vk_image *image, const uint8_t *data, uint32_t stride,
	const pixman_region32_t *damage)
{
	struct vk_renderer *r = image->renderer;
	uint32_t bpp = image->format->bpp;
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(damage, &n);
	if (n == 0) {
		return true;
	}
	VkCommandBuffer cb = vk_frame_upload_cb(r);
	if (cb == VK_NULL_HANDLE) {
		return false;
	}
	// One span for every rectangle: the ring may be replaced by a larger one when space
	// is taken, and all the copies must read from the buffer the bytes were written to.
	VkDeviceSize total = 0;
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &rects[i];
		total = staging_align(total) +
			(VkDeviceSize)(b->x2 - b->x1) * (VkDeviceSize)(b->y2 - b->y1) * bpp;
	}
	struct vk_staging_span span;
	if (!vk_staging_alloc(r, total, &span)) {
		return false;
	}
	VkBufferImageCopy *regions = vk_scratch(r, (size_t)n * sizeof(*regions));
	if (regions == NULL) {
		return false;
	}
	VkDeviceSize offset = 0;
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &rects[i];
		uint32_t w = (uint32_t)(b->x2 - b->x1), h = (uint32_t)(b->y2 - b->y1);
		size_t row = (size_t)w * bpp;
		offset = staging_align(offset);
		uint8_t *dst = span.map + offset;
		const uint8_t *src = data + (size_t)b->y1 * stride + (size_t)b->x1 * bpp;
		if (row == stride) {
			memcpy(dst, src, row * h);
		} else {
			for (uint32_t y = 0; y < h; y++) {
				memcpy(dst + y * row, src + (size_t)y * stride, row);
			}
		}
		regions[i] = (VkBufferImageCopy){
			.bufferOffset = span.offset + offset,
			.imageSubresource = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.layerCount = 1,
			},
			.imageOffset = { b->x1, b->y1, 0 },
			.imageExtent = { w, h, 1 },
		};
		offset += (VkDeviceSize)row * h;
	}
	vk_staging_flush(r, &span, offset);
	if (!vk_image_copy_regions(image, span.buffer, regions, (uint32_t)n)) {
		return false;
	}
	// The staging span holds exactly the damage's bytes (and alignment padding).
	uint64_t bytes = 0;
	for (int i = 0; i < n; i++) {
		bytes += (uint64_t)regions[i].imageExtent.width * regions[i].imageExtent.height * bpp;
	}
	vk_frame_count_upload(r, bytes, false);
	return true;
}

bool vk_image_copy_regions(struct vk_image *image, VkBuffer src,
	const VkBufferImageCopy *regions, uint32_t n)
{
	struct vk_renderer *r = image->renderer;
	VkCommandBuffer cb = vk_frame_upload_cb(r);
	if (cb == VK_NULL_HANDLE) {
		return false;
	}
	vk_image_transition(image, cb, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	vkCmdCopyBufferToImage(cb, src, image->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, n,
		regions);
	vk_image_transition(image, cb, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
	image->last_seq = r->current->seq;
	return true;
}

static const struct mosaic_texture_impl vk_texture_impl;

MOSAIC_EXPORT bool mosaic_texture_is_vulkan(const struct mosaic_texture *texture)
{
	return texture != NULL && texture->impl == &vk_texture_impl;
}

struct vk_texture *vk_texture_from_base(struct mosaic_texture *texture)
{
	assert(mosaic_texture_is_vulkan(texture));
	return mosaic_container_of(texture, struct vk_texture, base);
}

static void vk_texture_destroy(struct mosaic_texture *base)
{
	struct vk_texture *t = vk_texture_from_base(base);
	vk_image_unref(t->image);
	mosaic_buffer_unlock(t->buffer);
	free(t);
}

static bool vk_texture_update_from_buffer(struct mosaic_texture *base,
	const struct mosaic_texture_update *update)
{
	struct vk_texture *t = vk_texture_from_base(base);
	if (t->buffer != NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: a texture of a Vulkan buffer shows the "
			"buffer itself and cannot be updated");
		return false;
	}
	if (t->image->format->yuv) {
		// The core passes no pixels for YUV: the planes are mapped and copied here.
		return vk_ycbcr_upload(t->image, update->buffer);
	}
	switch (vk_host_import_upload(t->image, update->buffer, update->damage)) {
	case VK_HOST_UPLOAD_DONE:
		return true;
	case VK_HOST_UPLOAD_FAILED:
		return false;
	case VK_HOST_UPLOAD_UNUSED:
		break;
	}
	return vk_image_upload(t->image, update->data, update->stride, update->damage);
}

static const struct mosaic_texture_impl vk_texture_impl = {
	.destroy = vk_texture_destroy,
	.update_from_buffer = vk_texture_update_from_buffer,
	.read_pixels = vk_texture_read_pixels,
	.read_pixels_start = vk_texture_read_pixels_start,
};

static struct mosaic_texture *texture_of_vk_buffer(struct vk_renderer *r,
	struct mosaic_buffer *buffer)
{
	struct vk_buffer *b = vk_buffer_from_base(buffer);
	if (b->renderer != r) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer belongs to another renderer; "
			"share it with an opaque fd export");
		return NULL;
	}
	struct vk_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	t->image = b->image;
	vk_image_ref(t->image);
	t->buffer = mosaic_buffer_lock(buffer);
	mosaic_texture_init(&t->base, &vk_texture_impl, &r->base, buffer->width, buffer->height,
		b->image->format->fourcc);
	return &t->base;
}

static struct mosaic_texture *texture_of_dmabuf(struct vk_renderer *r,
	struct mosaic_buffer *buffer)
{
	struct vk_image *image = vk_dmabuf_get_image(r, buffer, false);
	// YUV images have a set per filter, made when first drawn (ycbcr.c).
	if (image == NULL || (!image->format->yuv && !vk_image_ensure_set(image))) {
		return NULL;
	}
	struct vk_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	// The texture shows the buffer's current contents, like a Vulkan buffer's.
	t->image = image;
	vk_image_ref(image);
	t->buffer = mosaic_buffer_lock(buffer);
	mosaic_texture_init(&t->base, &vk_texture_impl, &r->base, buffer->width, buffer->height,
		image->format->fourcc);
	return &t->base;
}

/* A YUV dmabuf this renderer does not import: its planes are mapped and copied. */
static struct mosaic_texture *texture_of_yuv_planes(struct vk_renderer *r,
	struct mosaic_buffer *buffer)
{
	struct vk_image *image = vk_ycbcr_image_from_planes(r, buffer);
	if (image == NULL) {
		return NULL;
	}
	struct vk_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		vk_image_unref(image);
		return NULL;
	}
	t->image = image;
	mosaic_texture_init(&t->base, &vk_texture_impl, &r->base, buffer->width, buffer->height,
		image->format->fourcc);
	return &t->base;
}

struct mosaic_texture *vk_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	char name[32];
	if (mosaic_buffer_is_vulkan(buffer)) {
		return texture_of_vk_buffer(r, buffer);
	}
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	if ((caps & MOSAIC_BUFFER_CAP_DMABUF) && r->feat.dmabuf) {
		return texture_of_dmabuf(r, buffer);
	}
	if ((caps & MOSAIC_BUFFER_CAP_DMABUF) && !(caps & MOSAIC_BUFFER_CAP_DATA_PTR)) {
		return texture_of_yuv_planes(r, buffer);
	}
	if (!(caps & MOSAIC_BUFFER_CAP_DATA_PTR)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer offers no CPU access and this "
			"renderer cannot import dmabufs");
		return NULL;
	}
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data, &fourcc,
			&stride)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer offers no CPU access");
		return NULL;
	}
	struct vk_texture *t = NULL;
	const struct vk_format *format = vk_format_from_fourcc(r, fourcc);
	if (format == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: unsupported texture format %s",
			mosaic_format_name(fourcc, name));
		goto out;
	}
	if (!mosaic_format_check_layout(fourcc, buffer->width, buffer->height, stride)) {
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto out;
	}
	t->image = vk_image_create(r, format, buffer->width, buffer->height, false,
		"mosaic texture");
	if (t->image == NULL) {
		goto err;
	}
	pixman_region32_t all;
	pixman_region32_init_rect(&all, 0, 0, (unsigned)buffer->width, (unsigned)buffer->height);
	bool ok = vk_image_ensure_set(t->image);
	enum vk_host_upload host = ok ? vk_host_import_upload(t->image, buffer, &all) :
		VK_HOST_UPLOAD_FAILED;
	ok = host == VK_HOST_UPLOAD_DONE ||
		(host == VK_HOST_UPLOAD_UNUSED && vk_image_upload(t->image, data, stride, &all));
	pixman_region32_fini(&all);
	if (!ok) {
		vk_image_unref(t->image);
		goto err;
	}
	mosaic_texture_init(&t->base, &vk_texture_impl, renderer, buffer->width, buffer->height,
		fourcc);
	goto out;
err:
	free(t);
	t = NULL;
out:
	mosaic_buffer_end_data_access(buffer);
	return t != NULL ? &t->base : NULL;
}
