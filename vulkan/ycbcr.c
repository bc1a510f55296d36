#include <stdlib.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * Y'CbCr formats are sampled through a VkSamplerYcbcrConversion. A
 * conversion needs an immutable sampler in the descriptor set layout, so each
 * (format, matrix, range, chroma location, filter) has its own conversion,
 * sampler, set layout, pipeline layout and pipelines (one per render format
 * and blend mode), made on first use and kept for the renderer's life.
 * Images hold one view and descriptor set per filter they are drawn with.
 */

#define YCBCR_SETS_PER_POOL 64
/* Render formats a conversion has pipelines for (as many as there are setups). */
#define YCBCR_MAX_TARGETS 8

struct vk_ycbcr {
	VkFormat format;
	bool swap_cbcr;
	struct mosaic_yuv_info yuv;
	enum mosaic_filter filter;
	VkSamplerYcbcrConversion conversion;
	VkSampler sampler;
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout pipeline_layout;
	VkRenderPass render_passes[YCBCR_MAX_TARGETS];
	VkPipeline pipelines[YCBCR_MAX_TARGETS][2];
	size_t n_targets;
	struct mosaic_list link;
};

bool vk_ycbcr_check_format(struct vk_renderer *r, struct vk_format *f)
{
	char name[32];
	mosaic_format_name(f->fourcc, name);
	if (!r->feat.ycbcr) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: no textures of %s: no sampler Y'CbCr "
			"conversion", name);
		return false;
	}
	VkFormatProperties props;
	vkGetPhysicalDeviceFormatProperties(r->phdev, f->format, &props);
	VkFormatFeatureFlags have = props.optimalTilingFeatures;
	static const struct {
		VkFormatFeatureFlags bit;
		const char *what;
	} needs[] = {
		{ VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT, "sampling" },
		{ VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT, "linear filtering" },
		{ VK_FORMAT_FEATURE_TRANSFER_DST_BIT, "copies into images" },
	};
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		if (!(have & needs[i].bit)) {
			mosaic_log(MOSAIC_LOG_INFO, "vulkan: no textures of %s: the device has no "
				"%s for VkFormat %d", name, needs[i].what, (int)f->format);
			return false;
		}
	}
	f->midpoint = (have & VK_FORMAT_FEATURE_MIDPOINT_CHROMA_SAMPLES_BIT) != 0;
	f->cosited = (have & VK_FORMAT_FEATURE_COSITED_CHROMA_SAMPLES_BIT) != 0;
	if (!f->midpoint && !f->cosited) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: no textures of %s: the device has neither "
			"midpoint nor cosited chroma samples for VkFormat %d", name, (int)f->format);
		return false;
	}
	if (!f->midpoint || !f->cosited) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: %s: the device has only %s chroma samples: "
			"%s chroma locations are sampled as %s", name,
			f->midpoint ? "midpoint" : "cosited", f->midpoint ? "cosited" : "midpoint",
			f->midpoint ? "midpoint" : "cosited");
	}
	f->chroma_linear = (have &
		VK_FORMAT_FEATURE_SAMPLED_IMAGE_YCBCR_CONVERSION_LINEAR_FILTER_BIT) != 0;
	f->separate_filter = (have &
		VK_FORMAT_FEATURE_SAMPLED_IMAGE_YCBCR_CONVERSION_SEPARATE_RECONSTRUCTION_FILTER_BIT) != 0;
	if (!f->chroma_linear) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: %s: chroma is reconstructed with the "
			"nearest sample (no linear chroma filter)", name);
	}
	return true;
}

/* H.273 chroma sample locations as Vulkan chroma offsets. */
static void ideal_offsets(enum mosaic_chroma_location location, VkChromaLocation *x,
	VkChromaLocation *y)
{
	switch (location) {
	case MOSAIC_CHROMA_LOCATION_CENTER:
		*x = VK_CHROMA_LOCATION_MIDPOINT;
		*y = VK_CHROMA_LOCATION_MIDPOINT;
		return;
	case MOSAIC_CHROMA_LOCATION_TOP_LEFT:
		*x = VK_CHROMA_LOCATION_COSITED_EVEN;
		*y = VK_CHROMA_LOCATION_COSITED_EVEN;
		return;
	case MOSAIC_CHROMA_LOCATION_LEFT:
	default:
		*x = VK_CHROMA_LOCATION_COSITED_EVEN;
		*y = VK_CHROMA_LOCATION_MIDPOINT;
		return;
	}
}

/* The offsets of `location`; those the format lacks become the one it has (logged at start-up). */
static void chroma_offsets(const struct vk_format *f, enum mosaic_chroma_location location,
	VkChromaLocation *x, VkChromaLocation *y)
{
	ideal_offsets(location, x, y);
	VkChromaLocation *both[2] = { x, y };
	for (int i = 0; i < 2; i++) {
		if (*both[i] == VK_CHROMA_LOCATION_MIDPOINT && !f->midpoint) {
			*both[i] = VK_CHROMA_LOCATION_COSITED_EVEN;
		} else if (*both[i] == VK_CHROMA_LOCATION_COSITED_EVEN && !f->cosited) {
			*both[i] = VK_CHROMA_LOCATION_MIDPOINT;
		}
	}
}

static bool create_objects(struct vk_renderer *r, const struct vk_format *f,
	struct vk_ycbcr *y)
{
	// Without a separate reconstruction filter, the sampler filters equal the chroma filter.
	VkFilter chroma = f->chroma_linear ? VK_FILTER_LINEAR : VK_FILTER_NEAREST;
	VkFilter filter = y->filter == MOSAIC_FILTER_NEAREST ? VK_FILTER_NEAREST :
		VK_FILTER_LINEAR;
	if (!f->separate_filter) {
		if (filter == VK_FILTER_NEAREST) {
			chroma = VK_FILTER_NEAREST;
		}
		filter = chroma;
	}
	VkChromaLocation x_offset, y_offset;
	chroma_offsets(f, y->yuv.chroma_location, &x_offset, &y_offset);
	VkComponentMapping components = {0};
	if (f->swap_cbcr) {
		components.r = VK_COMPONENT_SWIZZLE_B;
		components.b = VK_COMPONENT_SWIZZLE_R;
	}
	VkResult res = vkCreateSamplerYcbcrConversion(r->dev,
		&(VkSamplerYcbcrConversionCreateInfo){
			.sType = VK_STRUCTURE_TYPE_SAMPLER_YCBCR_CONVERSION_CREATE_INFO,
			.format = f->format,
			.ycbcrModel = y->yuv.matrix == MOSAIC_YUV_MATRIX_BT709 ?
				VK_SAMPLER_YCBCR_MODEL_CONVERSION_YCBCR_709 :
				VK_SAMPLER_YCBCR_MODEL_CONVERSION_YCBCR_601,
			.ycbcrRange = y->yuv.range == MOSAIC_YUV_RANGE_FULL ?
				VK_SAMPLER_YCBCR_RANGE_ITU_FULL : VK_SAMPLER_YCBCR_RANGE_ITU_NARROW,
			.components = components,
			.xChromaOffset = x_offset,
			.yChromaOffset = y_offset,
			.chromaFilter = chroma,
		}, NULL, &y->conversion);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateSamplerYcbcrConversion");
		return false;
	}
	r->create_count++;
	res = vkCreateSampler(r->dev, &(VkSamplerCreateInfo){
		.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
		.pNext = &(VkSamplerYcbcrConversionInfo){
			.sType = VK_STRUCTURE_TYPE_SAMPLER_YCBCR_CONVERSION_INFO,
			.conversion = y->conversion,
		},
		.magFilter = filter,
		.minFilter = filter,
		.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST,
		// The only address mode a conversion allows; pixman pads the same way.
		.addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
		.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
		.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
		.maxLod = 0.25f,
	}, NULL, &y->sampler);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateSampler (Y'CbCr)");
		return false;
	}
	r->create_count++;
	if (!vk_create_set_layout(r, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, &y->sampler,
			&y->set_layout)) {
		return false;
	}
	res = vkCreatePipelineLayout(r->dev, &(VkPipelineLayoutCreateInfo){
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &y->set_layout,
	}, NULL, &y->pipeline_layout);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreatePipelineLayout (Y'CbCr)");
		return false;
	}
	r->create_count++;
	char name[32];
	mosaic_format_name(f->fourcc, name);
	vk_name(r, VK_OBJECT_TYPE_SAMPLER_YCBCR_CONVERSION, (uint64_t)y->conversion,
		"mosaic %s conversion (matrix %d, range %d, chroma %d, filter %d)", name,
		(int)y->yuv.matrix, (int)y->yuv.range, (int)y->yuv.chroma_location, (int)y->filter);
	return true;
}

static void destroy(struct vk_renderer *r, struct vk_ycbcr *y)
{
	for (size_t i = 0; i < y->n_targets; i++) {
		vkDestroyPipeline(r->dev, y->pipelines[i][0], NULL);
		vkDestroyPipeline(r->dev, y->pipelines[i][1], NULL);
	}
	vkDestroyPipelineLayout(r->dev, y->pipeline_layout, NULL);
	vkDestroyDescriptorSetLayout(r->dev, y->set_layout, NULL);
	vkDestroySampler(r->dev, y->sampler, NULL);
	vkDestroySamplerYcbcrConversion(r->dev, y->conversion, NULL);
	free(y);
}

struct vk_ycbcr *vk_ycbcr_get(struct vk_renderer *r, const struct vk_format *format,
	const struct mosaic_yuv_info *yuv, enum mosaic_filter filter)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->ycbcr_conversions) {
		struct vk_ycbcr *y = mosaic_container_of(link, struct vk_ycbcr, link);
		if (y->format == format->format && y->swap_cbcr == format->swap_cbcr &&
				y->yuv.matrix == yuv->matrix && y->yuv.range == yuv->range &&
				y->yuv.chroma_location == yuv->chroma_location &&
				y->filter == filter) {
			return y;
		}
	}
	struct vk_ycbcr *y = calloc(1, sizeof(*y));
	if (y == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	*y = (struct vk_ycbcr){
		.format = format->format,
		.swap_cbcr = format->swap_cbcr,
		.yuv = *yuv,
		.filter = filter,
	};
	if (!create_objects(r, format, y)) {
		destroy(r, y);
		return NULL;
	}
	mosaic_list_insert(&r->ycbcr_conversions, &y->link);
	return y;
}

VkSamplerYcbcrConversion vk_ycbcr_conversion(const struct vk_ycbcr *ycbcr)
{
	return ycbcr->conversion;
}

VkPipelineLayout vk_ycbcr_pipeline_layout(const struct vk_ycbcr *ycbcr)
{
	return ycbcr->pipeline_layout;
}

VkPipeline vk_ycbcr_pipeline(struct vk_renderer *r, struct vk_ycbcr *y,
	const struct vk_render_setup *setup, enum mosaic_blend blend)
{
	for (size_t i = 0; i < y->n_targets; i++) {
		if (y->render_passes[i] == setup->render_pass) {
			return y->pipelines[i][blend];
		}
	}
	if (y->n_targets == YCBCR_MAX_TARGETS) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: too many render formats for one conversion");
		return VK_NULL_HANDLE;
	}
	size_t i = y->n_targets;
	for (int b = 0; b < 2; b++) {
		if (!vk_create_quad_pipeline(r, setup->render_pass, r->ycbcr_module,
				y->pipeline_layout, (enum mosaic_blend)b, &y->pipelines[i][b])) {
			vkDestroyPipeline(r->dev, y->pipelines[i][0], NULL);
			y->pipelines[i][0] = VK_NULL_HANDLE;
			return VK_NULL_HANDLE;
		}
		vk_name(r, VK_OBJECT_TYPE_PIPELINE, (uint64_t)y->pipelines[i][b],
			"mosaic Y'CbCr %s pipeline (VkFormat %d from %d)",
			b == MOSAIC_BLEND_NONE ? "opaque" : "blended", (int)setup->format,
			(int)y->format);
	}
	y->render_passes[i] = setup->render_pass;
	y->n_targets++;
	return y->pipelines[i][blend];
}

const struct vk_ycbcr_binding *vk_ycbcr_image_binding(struct vk_image *image,
	enum mosaic_filter filter)
{
	struct vk_renderer *r = image->renderer;
	struct vk_ycbcr_binding *b = &image->ycbcr[filter == MOSAIC_FILTER_NEAREST];
	if (b->set != VK_NULL_HANDLE) {
		return b;
	}
	if (b->ycbcr == NULL) {
		b->ycbcr = vk_ycbcr_get(r, image->format, &image->yuv, filter);
		if (b->ycbcr == NULL) {
			return NULL;
		}
	}
	// The sampled view was made with the linear binding's conversion.
	struct vk_ycbcr *base = image->ycbcr[0].ycbcr;
	if (b->view == VK_NULL_HANDLE) {
		if (base != NULL && base->conversion == b->ycbcr->conversion) {
			b->view = image->sample_view;
		} else if (!vk_image_create_view(image, false, b->ycbcr->conversion, &b->view)) {
			return NULL;
		}
	}
	// A combined image sampler with a conversion may take one descriptor per plane.
	struct vk_descriptor_pool *pool = vk_descriptor_pool_get(r, &r->ycbcr_pools,
		VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, YCBCR_SETS_PER_POOL,
		MOSAIC_FORMAT_MAX_PLANES, "mosaic Y'CbCr sets");
	if (pool == NULL) {
		return NULL;
	}
	VkResult res = vkAllocateDescriptorSets(r->dev, &(VkDescriptorSetAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = pool->pool,
		.descriptorSetCount = 1,
		.pSetLayouts = &b->ycbcr->set_layout,
	}, &b->set);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateDescriptorSets (Y'CbCr)");
		b->set = VK_NULL_HANDLE;
		return NULL;
	}
	r->create_count++;
	pool->free--;
	b->pool = pool;
	vkUpdateDescriptorSets(r->dev, 1, &(VkWriteDescriptorSet){
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.dstSet = b->set,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
		.pImageInfo = &(VkDescriptorImageInfo){
			.imageView = b->view,
			.imageLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
		},
	}, 0, NULL);
	return b;
}

void vk_ycbcr_image_finish(struct vk_image *image)
{
	struct vk_renderer *r = image->renderer;
	for (int i = 0; i < 2; i++) {
		struct vk_ycbcr_binding *b = &image->ycbcr[i];
		if (b->set != VK_NULL_HANDLE) {
			vkFreeDescriptorSets(r->dev, b->pool->pool, 1, &b->set);
			b->pool->free++;
		}
		if (b->view != VK_NULL_HANDLE && b->view != image->sample_view) {
			vkDestroyImageView(r->dev, b->view, NULL);
		}
		*b = (struct vk_ycbcr_binding){0};
	}
}

void vk_ycbcr_finish(struct vk_renderer *r)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->ycbcr_conversions) {
		struct vk_ycbcr *y = mosaic_container_of(link, struct vk_ycbcr, link);
		mosaic_list_remove(&y->link);
		destroy(r, y);
	}
	vk_descriptor_pools_destroy(r, &r->ycbcr_pools);
}
