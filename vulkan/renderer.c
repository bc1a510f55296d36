#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "private/backend.h"
#include "private/export.h"
#include "private/format.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

static const struct mosaic_renderer_impl vk_renderer_impl;

MOSAIC_EXPORT bool mosaic_renderer_is_vulkan(const struct mosaic_renderer *renderer)
{
	return renderer != NULL && renderer->impl == &vk_renderer_impl;
}

struct vk_renderer *vk_renderer_from_base(struct mosaic_renderer *renderer)
{
	assert(mosaic_renderer_is_vulkan(renderer));
	return mosaic_container_of(renderer, struct vk_renderer, base);
}

static bool vk_get_upload_stats(const struct mosaic_renderer *renderer,
	struct mosaic_upload_stats *stats)
{
	// The hook only reads: the checked downcast takes a mutable pointer.
	const struct vk_renderer *r = vk_renderer_from_base((struct mosaic_renderer *)renderer);
	*stats = r->upload_stats;
	return true;
}

/*
 * The Vulkan column of the format table (one VK_COLUMN_<row> per row of
 * MOSAIC_FORMAT_ROWS; a missing one does not compile). DRM fourccs name a
 * little-endian word from its most significant end; the _PACK formats of
 * Vulkan name a word the same way, the byte formats name bytes in memory
 * order (B8G8R8A8 is ARGB8888 on a little-endian machine).
 */
#define VK_COLUMN_ARGB8888 { DRM_FORMAT_ARGB8888, VK_FORMAT_B8G8R8A8_UNORM, false, 4, false, false }
#define VK_COLUMN_XRGB8888 { DRM_FORMAT_XRGB8888, VK_FORMAT_B8G8R8A8_UNORM, true, 4, false, false }
#define VK_COLUMN_ABGR8888 { DRM_FORMAT_ABGR8888, VK_FORMAT_R8G8B8A8_UNORM, false, 4, false, false }
#define VK_COLUMN_XBGR8888 { DRM_FORMAT_XBGR8888, VK_FORMAT_R8G8B8A8_UNORM, true, 4, false, false }
#define VK_COLUMN_RGB565 { DRM_FORMAT_RGB565, VK_FORMAT_R5G6B5_UNORM_PACK16, true, 2, false, false }
#define VK_COLUMN_ARGB2101010 \
	{ DRM_FORMAT_ARGB2101010, VK_FORMAT_A2R10G10B10_UNORM_PACK32, false, 4, false, false }
#define VK_COLUMN_XRGB2101010 \
	{ DRM_FORMAT_XRGB2101010, VK_FORMAT_A2R10G10B10_UNORM_PACK32, true, 4, false, false }
#define VK_COLUMN_ABGR2101010 \
	{ DRM_FORMAT_ABGR2101010, VK_FORMAT_A2B10G10R10_UNORM_PACK32, false, 4, false, false }
#define VK_COLUMN_XBGR2101010 \
	{ DRM_FORMAT_XBGR2101010, VK_FORMAT_A2B10G10R10_UNORM_PACK32, true, 4, false, false }
/*
 * Y'CbCr formats, sampled through a VkSamplerYcbcrConversion (ycbcr.c). The
 * multi-planar formats name G for Y, B for Cb and R for Cr: NV12's second
 * plane is B8R8 (Cb, Cr), NV21 the same with Cb and Cr swizzled by the
 * conversion, P010 keeps 10 bits at the top of 16, YUV420's planes are Y, Cb,
 * Cr, and YUYV's bytes are G0 B G1 R. bpp is that of plane 0.
 */
#define VK_COLUMN_YUV(fmt, vk, bytes, swap) { DRM_FORMAT_##fmt, vk, true, bytes, false, \
	false, .yuv = true, .swap_cbcr = swap }
#define VK_COLUMN_NV12 VK_COLUMN_YUV(NV12, VK_FORMAT_G8_B8R8_2PLANE_420_UNORM, 1, false)
#define VK_COLUMN_NV21 VK_COLUMN_YUV(NV21, VK_FORMAT_G8_B8R8_2PLANE_420_UNORM, 1, true)
#define VK_COLUMN_P010 \
	VK_COLUMN_YUV(P010, VK_FORMAT_G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16, 2, false)
#define VK_COLUMN_YUV420 VK_COLUMN_YUV(YUV420, VK_FORMAT_G8_B8_R8_3PLANE_420_UNORM, 1, false)
#define VK_COLUMN_YUYV VK_COLUMN_YUV(YUYV, VK_FORMAT_G8B8G8R8_422_UNORM, 2, false)

static const struct vk_format format_table[MOSAIC_FORMAT_N_ROWS] = {
#define VK_ROW(name) [MOSAIC_FORMAT_ROW_##name] = VK_COLUMN_##name,
	MOSAIC_FORMAT_ROWS(VK_ROW)
#undef VK_ROW
};

const struct vk_format *vk_format_from_fourcc(struct vk_renderer *r, uint32_t fourcc)
{
	for (size_t i = 0; i < r->n_formats; i++) {
		if (r->formats[i].fourcc == fourcc) {
			return &r->formats[i];
		}
	}
	return NULL;
}

/*
 * MOSAIC_VK_DEBUG_NO_BGRA_STORAGE=1 (builds without NDEBUG; for tests):
 * B8G8R8A8 is taken as a format without storage images, as on drivers that
 * lack them, so that the R8G8B8A8 view the compute path then writes
 * through is tested where the driver has them.
 */
static bool debug_no_bgra_storage(void)
{
#ifndef NDEBUG
	const char *env = getenv("MOSAIC_VK_DEBUG_NO_BGRA_STORAGE");
	return env != NULL && strcmp(env, "1") == 0;
#else
	return false;
#endif
}

static bool init_formats(struct vk_renderer *r)
{
	const VkFormatFeatureFlags texture_needs = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT |
		VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT |
		VK_FORMAT_FEATURE_TRANSFER_DST_BIT | VK_FORMAT_FEATURE_TRANSFER_SRC_BIT;
	const VkFormatFeatureFlags render_needs = VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT |
		VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT |
		VK_FORMAT_FEATURE_TRANSFER_DST_BIT | VK_FORMAT_FEATURE_TRANSFER_SRC_BIT;
	for (size_t i = 0; i < sizeof(format_table) / sizeof(format_table[0]); i++) {
		struct vk_format f = format_table[i];
		// Each column entry describes its own row of the core table.
		assert(f.fourcc == mosaic_format_get_all(&(size_t){0})[i].fourcc);
		if (f.format == VK_FORMAT_UNDEFINED) {
			continue;
		}
		if (f.yuv) {
			// Only as dmabufs (imported, or mapped and copied): see dmabuf_import.c.
			if (vk_ycbcr_check_format(r, &f)) {
				f.texture = true;
				r->formats[r->n_formats++] = f;
			}
			continue;
		}
		VkFormatProperties props;
		vkGetPhysicalDeviceFormatProperties(r->phdev, f.format, &props);
		VkFormatFeatureFlags have = props.optimalTilingFeatures;
		f.texture = (have & texture_needs) == texture_needs;
		f.render = f.texture && (have & render_needs) == render_needs;
		// Whatever the path: images shared as opaque fds between renderers must be
		// made alike (same usage) by the exporter and the importer.
		f.storage = f.render && (have & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT);
		f.storage_format = f.format;
		if (f.format == VK_FORMAT_B8G8R8A8_UNORM && f.render && (!f.storage ||
				debug_no_bgra_storage())) {
			// Written through a R8G8B8A8 view instead, red and blue swapped by the shader.
			VkFormatProperties rgba;
			vkGetPhysicalDeviceFormatProperties(r->phdev, VK_FORMAT_R8G8B8A8_UNORM, &rgba);
			f.storage = (rgba.optimalTilingFeatures & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT) != 0;
			f.storage_format = VK_FORMAT_R8G8B8A8_UNORM;
		}
		if (f.render && r->feat.storage_without_format && !f.storage) {
			char name[32];
			mosaic_log(MOSAIC_LOG_INFO, "vulkan: no storage images of %s: passes into "
				"it take the graphics path", mosaic_format_name(f.fourcc, name));
		}
		if (!f.texture) {
			char name[32];
			mosaic_log(MOSAIC_LOG_INFO, "vulkan: no textures of %s on this device",
				mosaic_format_name(f.fourcc, name));
			continue;
		}
		r->formats[r->n_formats++] = f;
		if (!mosaic_format_set_add(&r->base.data_ptr_texture_formats, f.fourcc,
				DRM_FORMAT_MOD_LINEAR)) {
			return false;
		}
		if (f.render && !mosaic_format_set_add(&r->base.data_ptr_render_formats,
				f.fourcc, DRM_FORMAT_MOD_LINEAR)) {
			return false;
		}
	}
	if (r->n_formats == 0) {
		mosaic_log(mosaic_probe_level(r->probing), "vulkan: the device can sample none "
			"of the formats mosaic knows");
		return false;
	}
	return true;
}

static void vk_renderer_destroy(struct mosaic_renderer *renderer)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	if (r->n_buffers > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: renderer destroyed before %zu of its "
			"buffers", r->n_buffers);
		assert(!"drop Vulkan buffers (and their textures) before their renderer");
	}
	if (r->dev != VK_NULL_HANDLE) {
		// Everything below may still be in use by the GPU.
		vkDeviceWaitIdle(r->dev);
		vk_shm_targets_finish(r);
		vk_dmabuf_imports_finish(r);
		vk_frames_finish(r);
		vk_compute_finish(r);
		vk_memory_blocks_finish(r);
		vk_host_imports_finish(r);
		vk_staging_finish(r);
		vk_host_buffer_finish(r, &r->spare_readback);
		vk_ycbcr_finish(r);
		vk_pipelines_finish(r);
		vk_descriptor_pools_destroy(r, &r->descriptor_pools);
	}
	if (r->feat.validation && r->validation_messages > 0) {
		mosaic_log(MOSAIC_LOG_WARN, "vulkan: %llu validation messages in this renderer's "
			"life", (unsigned long long)r->validation_messages);
	}
	vk_device_finish(r);
	mosaic_format_set_finish(&r->export_formats);
	free(r->scratch);
	free(r);
}

static const struct mosaic_renderer_impl vk_renderer_impl = {
	.name = "vulkan",
	.destroy = vk_renderer_destroy,
	.texture_from_buffer = vk_texture_from_buffer,
	.begin_pass = vk_begin_pass,
	.get_completed_point = vk_get_completed_point,
	.wait_point = vk_wait_point,
	.timer_create = vk_timer_create,
	.create_gpu_allocator = vk_create_gpu_allocator,
	.get_upload_stats = vk_get_upload_stats,
};

struct mosaic_renderer *mosaic_vulkan_backend_create(int drm_fd, bool probing)
{
	struct vk_renderer *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_renderer_init(&r->base, &vk_renderer_impl);
	r->probing = probing;
	mosaic_list_init(&r->descriptor_pools);
	mosaic_list_init(&r->garbage);
	mosaic_list_init(&r->dead_images);
	mosaic_list_init(&r->shm_targets);
	mosaic_list_init(&r->host_imports);
	mosaic_list_init(&r->dmabuf_imports);
	mosaic_list_init(&r->memory_blocks);
	mosaic_list_init(&r->ycbcr_conversions);
	mosaic_list_init(&r->ycbcr_pools);

	if (!vk_device_init(r, drm_fd) || !init_formats(r) || !vk_dmabuf_init_formats(r) ||
			!vk_dmabuf_init_export(r) ||
			!vk_pipelines_init(r) ||
			(r->feat.compute_wanted && !vk_compute_init(r)) ||
			!vk_frames_init(r) || !vk_staging_init(r)) {
		// The format sets are the base's; the core frees them on destroy.
		mosaic_format_set_finish(&r->base.data_ptr_texture_formats);
		mosaic_format_set_finish(&r->base.data_ptr_render_formats);
		mosaic_format_set_finish(&r->base.dmabuf_texture_formats);
		mosaic_format_set_finish(&r->base.dmabuf_render_formats);
		vk_renderer_destroy(&r->base);
		return NULL;
	}
	r->base.device_name = r->device_name;
	if (r->feat.host_pointer_usable && !vk_host_import_probe(r)) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: the driver does not import shared memory: "
			"uploads copy through the staging ring");
		r->feat.host_pointer_usable = false;
	}

	uint64_t features = 0;
	if (r->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) {
		features |= MOSAIC_FEATURE_SOFTWARE;
	}
	if (r->feat.external_memory_fd) {
		features |= MOSAIC_FEATURE_OPAQUE_FD;
	}
	if (r->feat.timestamps) {
		features |= MOSAIC_FEATURE_GPU_TIMERS;
	}
	if (r->feat.foreign_queue) {
		features |= MOSAIC_FEATURE_FOREIGN_QUEUE;
	}
	if (r->feat.timeline) {
		features |= MOSAIC_FEATURE_TIMELINE;
	}
	if (r->feat.dmabuf) {
		features |= MOSAIC_FEATURE_DMABUF_IMPORT;
	}
	if (r->feat.dmabuf && r->feat.modifiers) {
		features |= MOSAIC_FEATURE_DRM_MODIFIERS;
	}
	if (r->feat.dmabuf_export) {
		features |= MOSAIC_FEATURE_DMABUF_EXPORT;
	}
	if (r->feat.host_pointer_usable) {
		features |= MOSAIC_FEATURE_HOST_POINTER_IMPORT;
	}
	if (r->feat.sync_file_export) {
		features |= MOSAIC_FEATURE_SYNC_FILE_EXPORT;
	}
	if (r->feat.sync_file_import) {
		features |= MOSAIC_FEATURE_SYNC_FILE_IMPORT;
	}
	r->base.features = features;
	// A GPU renders into device memory, which dmabufs share; CPU memory takes a copy.
	r->base.render_buffer_caps = MOSAIC_BUFFER_CAP_DMABUF;
	mosaic_log(MOSAIC_LOG_INFO, "vulkan: %s, %s%s", r->device_name,
		r->feat.validation ? "validation on, " : "",
		r->feat.debug_utils ? "debug names" : "no debug names");
	return &r->base;
}

MOSAIC_EXPORT struct mosaic_renderer *mosaic_vulkan_renderer_create(int drm_fd)
{
	return mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_VULKAN,
		.drm_fd = drm_fd,
	});
}

MOSAIC_EXPORT VkInstance mosaic_vulkan_renderer_get_instance(struct mosaic_renderer *renderer)
{
	return vk_renderer_from_base(renderer)->instance;
}

MOSAIC_EXPORT VkPhysicalDevice mosaic_vulkan_renderer_get_physical_device(
	struct mosaic_renderer *renderer)
{
	return vk_renderer_from_base(renderer)->phdev;
}

MOSAIC_EXPORT VkDevice mosaic_vulkan_renderer_get_device(struct mosaic_renderer *renderer)
{
	return vk_renderer_from_base(renderer)->dev;
}

MOSAIC_EXPORT uint32_t mosaic_vulkan_renderer_get_queue_family(struct mosaic_renderer *renderer)
{
	return vk_renderer_from_base(renderer)->queue_family;
}

MOSAIC_EXPORT uint64_t mosaic_vulkan_renderer_get_create_count(struct mosaic_renderer *renderer)
{
	return vk_renderer_from_base(renderer)->create_count;
}

MOSAIC_EXPORT uint32_t mosaic_vulkan_renderer_get_copy_count(struct mosaic_renderer *renderer)
{
	return vk_renderer_from_base(renderer)->last_copies;
}

MOSAIC_EXPORT const char *mosaic_vulkan_renderer_get_path(struct mosaic_renderer *renderer)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	if (r->last_path != NULL) {
		return r->last_path;
	}
	return r->compute != NULL ? "compute" : "graphics";
}
