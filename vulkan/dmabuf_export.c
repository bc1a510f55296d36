#include <stdlib.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * dmabuf export: images of the GPU allocator made with a DRM format modifier
 * and dmabuf memory. Once exported, an image belongs to the foreign queue
 * family between frames, like an imported one (frame_images.c).
 */

bool vk_dmabuf_init_export(struct vk_renderer *r)
{
	if (!r->feat.dmabuf_export) {
		return true;
	}
	// What a render target of the GPU allocator is used for (vk_image_usage()).
	// Exported images must come back in: a compositor shows its outputs through
	// other renderers (or this one) and KMS, so only pairs that import are listed.
	const VkFormatFeatureFlags needs = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT |
		VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT |
		VK_FORMAT_FEATURE_TRANSFER_SRC_BIT | VK_FORMAT_FEATURE_TRANSFER_DST_BIT |
		VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT | VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT;
	size_t n_export = 0;
	for (size_t i = 0; i < r->n_formats; i++) {
		struct vk_format *f = &r->formats[i];
		if (!f->render) {
			continue;
		}
		VkDrmFormatModifierPropertiesEXT *mods;
		uint32_t n_mods;
		if (!vk_dmabuf_query_modifiers(r, f->format, &mods, &n_mods)) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return false;
		}
		for (uint32_t j = 0; j < n_mods; j++) {
			const VkDrmFormatModifierPropertiesEXT *m = &mods[j];
			if (m->drmFormatModifierPlaneCount != 1 ||
					(m->drmFormatModifierTilingFeatures & needs) != needs ||
					!vk_dmabuf_external_supported(r, f->format,
						m->drmFormatModifier, vk_dmabuf_render_usage,
						VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT |
						VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)) {
				continue;
			}
			if (!mosaic_format_set_add(&r->export_formats, f->fourcc,
					m->drmFormatModifier)) {
				mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
				free(mods);
				return false;
			}
			n_export++;
		}
		free(mods);
	}
	if (n_export == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: no format can be exported as a dmabuf");
		r->feat.dmabuf_export = false;
	}
	return true;
}

struct vk_image *vk_image_create_dmabuf(struct vk_renderer *r, const struct vk_format *format,
	int width, int height, const uint64_t *modifiers, size_t n_modifiers)
{
	char name[32];
	// Only the modifiers the device can export for this use; the driver picks among them.
	uint64_t *usable = calloc(n_modifiers + 1, sizeof(*usable));
	if (usable == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	uint32_t n_usable = 0;
	for (size_t i = 0; i < n_modifiers; i++) {
		if (mosaic_format_set_has(&r->export_formats, format->fourcc, modifiers[i])) {
			usable[n_usable++] = modifiers[i];
		}
	}
	struct vk_image *image = NULL;
	if (n_usable == 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: none of the %zu modifiers can be exported "
			"as a dmabuf of %s", n_modifiers, mosaic_format_name(format->fourcc, name));
		goto out;
	}
	image = vk_image_create_desc(r, &(struct vk_image_desc){
		.format = format,
		.width = width,
		.height = height,
		.usage = vk_dmabuf_render_usage,
		.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
		.n_planes = 1,
		.modifiers = usable,
		.n_modifiers = n_usable,
		.handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		.exportable = true,
		.name = "mosaic dmabuf buffer",
	});
	if (image == NULL) {
		goto out;
	}
	VkImageDrmFormatModifierPropertiesEXT modifier_props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT,
	};
	VkResult res = vkGetImageDrmFormatModifierPropertiesEXT(r->dev, image->image,
		&modifier_props);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetImageDrmFormatModifierPropertiesEXT");
		vk_image_destroy_now(image);
		image = NULL;
		goto out;
	}
	image->modifier = modifier_props.drmFormatModifier;
	image->dmabuf_exportable = true;
	// An opaque-fd export of it is refused: it leaves as a dmabuf.
	image->exportable = false;
out:
	free(usable);
	return image;
}
