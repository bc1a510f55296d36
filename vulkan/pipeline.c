#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private/export.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

#include "vulkan/shaders/color_frag_spv.h"
#include "vulkan/shaders/quad_vert_spv.h"
#include "vulkan/shaders/texture_frag_spv.h"
#include "vulkan/shaders/texture_ycbcr_frag_spv.h"

static bool create_module(struct vk_renderer *r, const uint32_t *code, size_t size,
	VkShaderModule *out, const char *name)
{
	VkResult res = vkCreateShaderModule(r->dev, &(VkShaderModuleCreateInfo){
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = size,
		.pCode = code,
	}, NULL, out);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateShaderModule");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_SHADER_MODULE, (uint64_t)*out, "%s", name);
	return true;
}

static bool create_samplers(struct vk_renderer *r)
{
	static const VkFilter filters[2] = {
		[MOSAIC_FILTER_LINEAR] = VK_FILTER_LINEAR,
		[MOSAIC_FILTER_NEAREST] = VK_FILTER_NEAREST,
	};
	for (int i = 0; i < 2; i++) {
		VkResult res = vkCreateSampler(r->dev, &(VkSamplerCreateInfo){
			.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
			.magFilter = filters[i],
			.minFilter = filters[i],
			.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST,
			// Sampling outside the texture clamps to its edge (pixman: REPEAT_PAD).
			.addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
			.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
			.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
			.maxLod = 0.25f,
		}, NULL, &r->samplers[i]);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkCreateSampler");
			return false;
		}
		r->create_count++;
		vk_name(r, VK_OBJECT_TYPE_SAMPLER, (uint64_t)r->samplers[i], "mosaic %s sampler",
			i == MOSAIC_FILTER_LINEAR ? "linear" : "nearest");
	}
	return true;
}

bool vk_create_set_layout(struct vk_renderer *r, VkDescriptorType type,
	const VkSampler *immutable_sampler, VkDescriptorSetLayout *out)
{
	VkResult res = vkCreateDescriptorSetLayout(r->dev, &(VkDescriptorSetLayoutCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1,
		.pBindings = &(VkDescriptorSetLayoutBinding){
			.binding = 0,
			.descriptorType = type,
			.descriptorCount = 1,
			.stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT,
			.pImmutableSamplers = immutable_sampler,
		},
	}, NULL, out);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateDescriptorSetLayout");
		return false;
	}
	r->create_count++;
	return true;
}

static bool create_layouts(struct vk_renderer *r)
{
	if (!vk_create_set_layout(r, VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, NULL,
			&r->texture_set_layout) ||
			!vk_create_set_layout(r, VK_DESCRIPTOR_TYPE_SAMPLER, NULL,
				&r->sampler_set_layout)) {
		return false;
	}

	VkDescriptorSetLayout set_layouts[2] = { r->texture_set_layout, r->sampler_set_layout };
	VkResult res = vkCreatePipelineLayout(r->dev, &(VkPipelineLayoutCreateInfo){
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 2,
		.pSetLayouts = set_layouts,
	}, NULL, &r->pipeline_layout);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreatePipelineLayout");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_PIPELINE_LAYOUT, (uint64_t)r->pipeline_layout,
		"mosaic quad layout");
	vk_name(r, VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT, (uint64_t)r->texture_set_layout,
		"mosaic texture set layout");
	vk_name(r, VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT, (uint64_t)r->sampler_set_layout,
		"mosaic sampler set layout");

	// One set per sampler, bound as set 1: the filter is chosen per draw.
	res = vkCreateDescriptorPool(r->dev, &(VkDescriptorPoolCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 2,
		.poolSizeCount = 1,
		.pPoolSizes = &(VkDescriptorPoolSize){ VK_DESCRIPTOR_TYPE_SAMPLER, 2 },
	}, NULL, &r->sampler_pool);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateDescriptorPool");
		return false;
	}
	r->create_count++;
	VkDescriptorSetLayout layouts[2] = { r->sampler_set_layout, r->sampler_set_layout };
	res = vkAllocateDescriptorSets(r->dev, &(VkDescriptorSetAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = r->sampler_pool,
		.descriptorSetCount = 2,
		.pSetLayouts = layouts,
	}, r->sampler_sets);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkAllocateDescriptorSets");
		return false;
	}
	r->create_count++;
	VkWriteDescriptorSet writes[2];
	VkDescriptorImageInfo infos[2];
	for (int i = 0; i < 2; i++) {
		infos[i] = (VkDescriptorImageInfo){ .sampler = r->samplers[i] };
		writes[i] = (VkWriteDescriptorSet){
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = r->sampler_sets[i],
			.descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_SAMPLER,
			.pImageInfo = &infos[i],
		};
	}
	vkUpdateDescriptorSets(r->dev, 2, writes, 0, NULL);
	return true;
}

bool vk_pipelines_init(struct vk_renderer *r)
{
	VkResult res = vkCreatePipelineCache(r->dev, &(VkPipelineCacheCreateInfo){
		.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
	}, NULL, &r->pipeline_cache);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreatePipelineCache");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_PIPELINE_CACHE, (uint64_t)r->pipeline_cache, "mosaic pipelines");
	return create_module(r, quad_vert_spv, sizeof(quad_vert_spv), &r->vert_module,
			"mosaic quad.vert") &&
		create_module(r, texture_frag_spv, sizeof(texture_frag_spv), &r->texture_module,
			"mosaic texture.frag") &&
		create_module(r, color_frag_spv, sizeof(color_frag_spv), &r->color_module,
			"mosaic color.frag") &&
		create_module(r, texture_ycbcr_frag_spv, sizeof(texture_ycbcr_frag_spv),
			&r->ycbcr_module, "mosaic texture_ycbcr.frag") &&
		create_samplers(r) && create_layouts(r);
}

static void setup_finish(struct vk_renderer *r, struct vk_render_setup *s)
{
	for (int b = 0; b < 2; b++) {
		for (int k = 0; k < 2; k++) {
			vkDestroyPipeline(r->dev, s->pipelines[b][k], NULL);
		}
	}
	vkDestroyRenderPass(r->dev, s->render_pass, NULL);
	*s = (struct vk_render_setup){0};
}

void vk_pipelines_finish(struct vk_renderer *r)
{
	for (size_t i = 0; i < r->n_setups; i++) {
		setup_finish(r, &r->setups[i]);
	}
	r->n_setups = 0;
	vkDestroyPipelineLayout(r->dev, r->pipeline_layout, NULL);
	vkDestroyDescriptorPool(r->dev, r->sampler_pool, NULL);
	vkDestroyDescriptorSetLayout(r->dev, r->texture_set_layout, NULL);
	vkDestroyDescriptorSetLayout(r->dev, r->sampler_set_layout, NULL);
	for (int i = 0; i < 2; i++) {
		vkDestroySampler(r->dev, r->samplers[i], NULL);
	}
	vkDestroyShaderModule(r->dev, r->vert_module, NULL);
	vkDestroyShaderModule(r->dev, r->texture_module, NULL);
	vkDestroyShaderModule(r->dev, r->color_module, NULL);
	vkDestroyShaderModule(r->dev, r->ycbcr_module, NULL);
	vkDestroyPipelineCache(r->dev, r->pipeline_cache, NULL);
}

bool vk_create_quad_pipeline(struct vk_renderer *r, VkRenderPass render_pass,
	VkShaderModule module, VkPipelineLayout layout, enum mosaic_blend blend, VkPipeline *slot)
{
	VkPipelineShaderStageCreateInfo stages[2] = {
		{
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_VERTEX_BIT,
			.module = r->vert_module,
			.pName = "main",
		},
		{
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_FRAGMENT_BIT,
			.module = module,
			.pName = "main",
		},
	};
	VkDynamicState dynamic[] = { VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR };
	// struct vk_quad, one per instance (quad.vert).
	VkVertexInputBindingDescription binding = {
		.binding = 0,
		.stride = sizeof(struct vk_quad),
		.inputRate = VK_VERTEX_INPUT_RATE_INSTANCE,
	};
	// Every member of struct vk_quad is one vec4 attribute, in order.
	enum { QUAD_ATTRIBUTES = sizeof(struct vk_quad) / (4 * sizeof(float)) };
	VkVertexInputAttributeDescription attributes[QUAD_ATTRIBUTES];
	for (uint32_t i = 0; i < QUAD_ATTRIBUTES; i++) {
		attributes[i] = (VkVertexInputAttributeDescription){
			.location = i,
			.binding = 0,
			.format = VK_FORMAT_R32G32B32A32_SFLOAT,
			.offset = i * 4 * (uint32_t)sizeof(float),
		};
	}
	// Premultiplied OVER: src + (1 - src.a) * dst, on every channel.
	VkPipelineColorBlendAttachmentState attachment = {
		.blendEnable = blend == MOSAIC_BLEND_PREMULTIPLIED,
		.srcColorBlendFactor = VK_BLEND_FACTOR_ONE,
		.dstColorBlendFactor = VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA,
		.colorBlendOp = VK_BLEND_OP_ADD,
		.srcAlphaBlendFactor = VK_BLEND_FACTOR_ONE,
		.dstAlphaBlendFactor = VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA,
		.alphaBlendOp = VK_BLEND_OP_ADD,
		.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
			VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT,
	};
	VkResult res = vkCreateGraphicsPipelines(r->dev, r->pipeline_cache, 1,
		&(VkGraphicsPipelineCreateInfo){
			.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
			.stageCount = 2,
			.pStages = stages,
			.pVertexInputState = &(VkPipelineVertexInputStateCreateInfo){
				.sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
				.vertexBindingDescriptionCount = 1,
				.pVertexBindingDescriptions = &binding,
				.vertexAttributeDescriptionCount = QUAD_ATTRIBUTES,
				.pVertexAttributeDescriptions = attributes,
			},
			.pInputAssemblyState = &(VkPipelineInputAssemblyStateCreateInfo){
				.sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
				.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP,
			},
			.pViewportState = &(VkPipelineViewportStateCreateInfo){
				.sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
				.viewportCount = 1,
				.scissorCount = 1,
			},
			.pRasterizationState = &(VkPipelineRasterizationStateCreateInfo){
				.sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
				.polygonMode = VK_POLYGON_MODE_FILL,
				.cullMode = VK_CULL_MODE_NONE,
				.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE,
				.lineWidth = 1.0f,
			},
			.pMultisampleState = &(VkPipelineMultisampleStateCreateInfo){
				.sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
				.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
			},
			.pColorBlendState = &(VkPipelineColorBlendStateCreateInfo){
				.sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
				.attachmentCount = 1,
				.pAttachments = &attachment,
			},
			.pDynamicState = &(VkPipelineDynamicStateCreateInfo){
				.sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
				.dynamicStateCount = 2,
				.pDynamicStates = dynamic,
			},
			.layout = layout,
			.renderPass = render_pass,
			.subpass = 0,
		}, NULL, slot);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateGraphicsPipelines");
		*slot = VK_NULL_HANDLE;
		return false;
	}
	r->create_count++;
	return true;
}

static bool create_pipeline(struct vk_renderer *r, struct vk_render_setup *setup,
	enum mosaic_blend blend, enum vk_pipeline_kind kind)
{
	VkPipeline *slot = &setup->pipelines[blend][kind];
	if (!vk_create_quad_pipeline(r, setup->render_pass,
			kind == VK_PIPELINE_TEXTURE ? r->texture_module : r->color_module,
			r->pipeline_layout, blend, slot)) {
		return false;
	}
	vk_name(r, VK_OBJECT_TYPE_PIPELINE, (uint64_t)*slot, "mosaic %s %s pipeline (VkFormat %d)",
		kind == VK_PIPELINE_TEXTURE ? "texture" : "color",
		blend == MOSAIC_BLEND_NONE ? "opaque" : "blended", (int)setup->format);
	return true;
}

struct vk_render_setup *vk_render_setup_get(struct vk_renderer *r, VkFormat format)
{
	for (size_t i = 0; i < r->n_setups; i++) {
		if (r->setups[i].format == format) {
			return &r->setups[i];
		}
	}
	if (r->n_setups == sizeof(r->setups) / sizeof(r->setups[0])) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: too many render formats");
		return NULL;
	}
	struct vk_render_setup *s = &r->setups[r->n_setups];
	*s = (struct vk_render_setup){ .format = format };
	// Layouts are managed with explicit barriers around the render pass instance.
	VkResult res = vkCreateRenderPass(r->dev, &(VkRenderPassCreateInfo){
		.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
		.attachmentCount = 1,
		.pAttachments = &(VkAttachmentDescription){
			.format = format,
			.samples = VK_SAMPLE_COUNT_1_BIT,
			.loadOp = VK_ATTACHMENT_LOAD_OP_LOAD,
			.storeOp = VK_ATTACHMENT_STORE_OP_STORE,
			.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
			.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
			.initialLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
			.finalLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
		},
		.subpassCount = 1,
		.pSubpasses = &(VkSubpassDescription){
			.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
			.colorAttachmentCount = 1,
			.pColorAttachments = &(VkAttachmentReference){
				.attachment = 0,
				.layout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
			},
		},
	}, NULL, &s->render_pass);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateRenderPass");
		return NULL;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_RENDER_PASS, (uint64_t)s->render_pass,
		"mosaic render pass (VkFormat %d)", (int)format);
	// Every pipeline of the format now, before the first pass into it records any draw:
	// a pass then creates nothing, however its draws mix blending and kinds.
	for (int b = 0; b < 2; b++) {
		for (int k = 0; k < 2; k++) {
			if (!create_pipeline(r, s, (enum mosaic_blend)b, (enum vk_pipeline_kind)k)) {
				setup_finish(r, s);
				return NULL;
			}
		}
	}
	r->n_setups++;
	return s;
}


MOSAIC_EXPORT bool mosaic_vulkan_renderer_load_pipeline_cache(struct mosaic_renderer *renderer,
	const char *path)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT) {
			mosaic_log(MOSAIC_LOG_INFO, "vulkan: no pipeline cache at %s yet", path);
			return true;
		}
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot open %s", path);
		return false;
	}
	bool ok = false;
	uint8_t *data = NULL;
	if (fseek(f, 0, SEEK_END) != 0) {
		goto out;
	}
	long size = ftell(f);
	if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
		goto out;
	}
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
		goto out;
	}
	ok = true;
	// The header says which device and driver made the data (VkPipelineCacheHeaderVersionOne).
	if (size < 32 || memcmp(data + 16, r->props.pipelineCacheUUID, VK_UUID_SIZE) != 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: %s was made by another device or driver; "
			"ignoring it", path);
		goto out;
	}
	VkPipelineCache loaded;
	VkResult res = vkCreatePipelineCache(r->dev, &(VkPipelineCacheCreateInfo){
		.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
		.initialDataSize = (size_t)size,
		.pInitialData = data,
	}, NULL, &loaded);
	if (res != VK_SUCCESS) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: ignoring the pipeline cache %s: %s", path,
			vk_result_string(res));
		goto out;
	}
	r->create_count++;
	res = vkMergePipelineCaches(r->dev, r->pipeline_cache, 1, &loaded);
	if (res != VK_SUCCESS) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: cannot merge the pipeline cache %s: %s", path,
			vk_result_string(res));
	} else {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: loaded %ld bytes of pipeline cache from %s",
			size, path);
	}
	vkDestroyPipelineCache(r->dev, loaded, NULL);
out:
	if (!ok) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot read the pipeline cache %s", path);
	}
	free(data);
	fclose(f);
	return ok;
}

MOSAIC_EXPORT bool mosaic_vulkan_renderer_save_pipeline_cache(struct mosaic_renderer *renderer,
	const char *path)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	size_t size = 0;
	VkResult res = vkGetPipelineCacheData(r->dev, r->pipeline_cache, &size, NULL);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetPipelineCacheData");
		return false;
	}
	void *data = malloc(size + 1);
	if (data == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	bool ok = false;
	char tmp[4096];
	res = vkGetPipelineCacheData(r->dev, r->pipeline_cache, &size, data);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetPipelineCacheData");
		goto out;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: pipeline cache path too long");
		goto out;
	}
	FILE *f = fopen(tmp, "wb");
	if (f == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot create %s", tmp);
		goto out;
	}
	bool written = fwrite(data, 1, size, f) == size;
	if (fclose(f) != 0 || !written) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot write %s", tmp);
		remove(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot rename %s to %s", tmp, path);
		remove(tmp);
		goto out;
	}
	ok = true;
out:
	free(data);
	return ok;
}
