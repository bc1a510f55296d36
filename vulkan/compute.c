#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

#include "vulkan/shaders/composite_clock_comp_spv.h"
#include "vulkan/shaders/composite_comp_spv.h"

/*
 * The compute path of a pass: the draws are kept as they come (with their
 * clips) and, when the pass is submitted, turned into a draw list with one
 * entry per clip rectangle and composited by one dispatch of
 * shaders/composite.comp, one workgroup per tile (16x16 pixels, or
 * MOSAIC_VK_COMPUTE_TILE=WxH). Each workgroup bins the list for its tile on
 * the GPU, so the CPU's work is linear in the draws, whatever the target's
 * size; a tile's work starts at its last draw that covers it opaquely.
 * Passes this path does not cover (Y'CbCr textures, more textures than the
 * descriptor array holds, more than VK_COMPUTE_MAX_ENTRIES entries) are
 * drawn by the graphics path instead (pass.c replays the kept draws).
 */

/* Flags of a draw list entry (composite.comp). */
enum vk_compute_flags {
	DRAW_TEXTURE = 1,
	DRAW_REPLACE = 2,
	DRAW_NEAREST = 4,
	/* The entry covers its rectangle opaquely: tiles inside it start there. */
	DRAW_OPAQUE = 8,
};

/* Entries a pass may have: the shader's per-tile bit set holds as many bits. */
#define VK_COMPUTE_MAX_ENTRIES 4096

/* One entry of the draw list, as composite.comp reads it (std430). */
struct gpu_draw {
	int32_t rect[4];
	float color[4];
	float map_u[4], map_v[4];
	uint32_t flags, texture, tex_width, tex_height;
};

struct vk_compute_frame {
	VkDescriptorSet set;
	struct vk_host_buffer buf;
	/* Tick counts per tile, written by the clocked pipeline (per-draw timers). */
	struct vk_host_buffer tiles;
};

struct vk_compute {
	VkShaderModule module;
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout layout;
	VkPipeline pipeline;
	/* composite.comp measuring its tiles (TILE_CLOCK), where the device has a clock. */
	VkShaderModule clock_module;
	VkPipeline clock_pipeline;
	VkDescriptorPool pool;
	struct vk_compute_frame frames[VK_FRAMES];
	/* Tile size in pixels: the workgroup size of the pipeline. */
	uint32_t tile_w, tile_h;
	/* The size of the texture array (at most VK_COMPUTE_TEXTURES, as the limits allow). */
	uint32_t n_textures;
	/* Sampled by the array slots a pass does not use. */
	struct vk_image *dummy;
	bool too_many_logged;
	bool too_many_entries_logged;
};

struct vk_compute_pass {
	struct vk_compute_draw *draws;
	size_t n_draws, cap;
};

struct push_constants {
	float levels[4];
	int32_t size[2];
	uint32_t n_entries;
	/* The storage view is R8G8B8A8 over a B8G8R8A8 image (vk_format.storage_format). */
	uint32_t swap_rb;
};

/* The path MOSAIC_VK_PATH asks for (auto: compute except on CPU devices). */
bool vk_compute_wanted(struct vk_renderer *r)
{
	const char *env = getenv("MOSAIC_VK_PATH");
	bool cpu = r->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
	if (env == NULL || env[0] == '\0' || strcmp(env, "auto") == 0) {
		return !cpu;
	}
	if (strcmp(env, "compute") == 0) {
		return true;
	}
	if (strcmp(env, "graphics") != 0) {
		mosaic_log(MOSAIC_LOG_WARN, "vulkan: MOSAIC_VK_PATH=%s is not graphics, compute or "
			"auto: taken as auto", env);
		return !cpu;
	}
	return false;
}

static bool grow(void **array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap) {
		return true;
	}
	size_t n = *cap > 0 ? *cap : 64;
	while (n < need) {
		n *= 2;
	}
	void *p = realloc(*array, n * elem);
	if (p == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	*array = p;
	*cap = n;
	return true;
}

static bool create_pipeline(struct vk_renderer *r, struct vk_compute *c, const uint32_t *code,
	size_t code_size, const char *name, VkShaderModule *module, VkPipeline *pipeline)
{
	VkResult res = vkCreateShaderModule(r->dev, &(VkShaderModuleCreateInfo){
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = code_size,
		.pCode = code,
	}, NULL, module);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateShaderModule");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_SHADER_MODULE, (uint64_t)*module, "mosaic %s", name);
	const uint32_t constants[4] = { c->tile_w, c->tile_h, c->n_textures,
		VK_COMPUTE_MAX_ENTRIES / 32 };
	const VkSpecializationMapEntry entries[4] = {
		{ 0, 0, sizeof(uint32_t) },
		{ 1, sizeof(uint32_t), sizeof(uint32_t) },
		{ 2, 2 * sizeof(uint32_t), sizeof(uint32_t) },
		{ 3, 3 * sizeof(uint32_t), sizeof(uint32_t) },
	};
	res = vkCreateComputePipelines(r->dev, r->pipeline_cache, 1,
		&(VkComputePipelineCreateInfo){
			.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
			.stage = {
				.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
				.stage = VK_SHADER_STAGE_COMPUTE_BIT,
				.module = *module,
				.pName = "main",
				.pSpecializationInfo = &(VkSpecializationInfo){
					.mapEntryCount = 4,
					.pMapEntries = entries,
					.dataSize = sizeof(constants),
					.pData = constants,
				},
			},
			.layout = c->layout,
		}, NULL, pipeline);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateComputePipelines");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_PIPELINE, (uint64_t)*pipeline, "mosaic %s", name);
	return true;
}

static bool create_objects(struct vk_renderer *r, struct vk_compute *c)
{
	const VkSampler *linear = &r->samplers[MOSAIC_FILTER_LINEAR];
	const bool clock = r->feat.shader_clock;
	const VkDescriptorSetLayoutBinding bindings[] = {
		{ 0, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
		{ 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
		{ 3, VK_DESCRIPTOR_TYPE_SAMPLER, 1, VK_SHADER_STAGE_COMPUTE_BIT, linear },
		{ 4, VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, c->n_textures,
			VK_SHADER_STAGE_COMPUTE_BIT, NULL },
		// Last: left out where the device has no clock.
		{ 5, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
	};
	const uint32_t n_bindings = sizeof(bindings) / sizeof(bindings[0]) - (clock ? 0 : 1);
	VkResult res = vkCreateDescriptorSetLayout(r->dev, &(VkDescriptorSetLayoutCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = n_bindings,
		.pBindings = bindings,
	}, NULL, &c->set_layout);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateDescriptorSetLayout");
		return false;
	}
	r->create_count++;
	res = vkCreatePipelineLayout(r->dev, &(VkPipelineLayoutCreateInfo){
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &c->set_layout,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &(VkPushConstantRange){
			.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
			.size = sizeof(struct push_constants),
		},
	}, NULL, &c->layout);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreatePipelineLayout");
		return false;
	}
	r->create_count++;
	if (!create_pipeline(r, c, composite_comp_spv, sizeof(composite_comp_spv),
			"composite.comp", &c->module, &c->pipeline)) {
		return false;
	}
	// Made at start-up too: a timer's first pass does not wait for a compiler.
	if (clock && !create_pipeline(r, c, composite_clock_comp_spv,
			sizeof(composite_clock_comp_spv), "composite.comp (tile clock)",
			&c->clock_module, &c->clock_pipeline)) {
		return false;
	}
	const VkDescriptorPoolSize sizes[] = {
		{ VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, VK_FRAMES },
		{ VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, (clock ? 2 : 1) * VK_FRAMES },
		{ VK_DESCRIPTOR_TYPE_SAMPLER, VK_FRAMES },
		{ VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, c->n_textures * VK_FRAMES },
	};
	res = vkCreateDescriptorPool(r->dev, &(VkDescriptorPoolCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = VK_FRAMES,
		.poolSizeCount = sizeof(sizes) / sizeof(sizes[0]),
		.pPoolSizes = sizes,
	}, NULL, &c->pool);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateDescriptorPool");
		return false;
	}
	r->create_count++;
	for (int i = 0; i < VK_FRAMES; i++) {
		res = vkAllocateDescriptorSets(r->dev, &(VkDescriptorSetAllocateInfo){
			.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
			.descriptorPool = c->pool,
			.descriptorSetCount = 1,
			.pSetLayouts = &c->set_layout,
		}, &c->frames[i].set);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkAllocateDescriptorSets");
			return false;
		}
		r->create_count++;
	}
	return true;
}

/*
 * The image the unused slots of the texture array show, made by the first
 * pass (not at start-up: a renderer that never draws allocates nothing).
 */
static bool ensure_dummy(struct vk_renderer *r, struct vk_compute *c)
{
	for (size_t i = 0; i < r->n_formats && c->dummy == NULL; i++) {
		if (r->formats[i].texture && !r->formats[i].yuv) {
			c->dummy = vk_image_create(r, &r->formats[i], 1, 1, false,
				"mosaic compute dummy texture");
			if (c->dummy == NULL) {
				return false;
			}
		}
	}
	return c->dummy != NULL;
}

/* MOSAIC_VK_COMPUTE_TILE=WxH (for measurements), else 16x16. */
static void tile_size(const VkPhysicalDeviceLimits *l, uint32_t *w, uint32_t *h)
{
	*w = 16;
	*h = 16;
	const char *env = getenv("MOSAIC_VK_COMPUTE_TILE");
	unsigned tw, th;
	char end;
	if (env == NULL || env[0] == '\0') {
		return;
	}
	if (sscanf(env, "%ux%u%c", &tw, &th, &end) != 2 || tw == 0 || th == 0 ||
			tw > l->maxComputeWorkGroupSize[0] || th > l->maxComputeWorkGroupSize[1] ||
			tw * th > l->maxComputeWorkGroupInvocations) {
		mosaic_log(MOSAIC_LOG_WARN, "vulkan: MOSAIC_VK_COMPUTE_TILE=%s is not a workgroup "
			"size WxH of this device: 16x16 instead", env);
		return;
	}
	*w = tw;
	*h = th;
}

bool vk_compute_init(struct vk_renderer *r)
{
	const VkPhysicalDeviceLimits *l = &r->props.limits;
	// Besides the textures: the target, the draw list and the sampler.
	uint32_t n_textures = VK_COMPUTE_TEXTURES;
	n_textures = l->maxPerStageDescriptorSampledImages < n_textures ?
		l->maxPerStageDescriptorSampledImages : n_textures;
	n_textures = l->maxDescriptorSetSampledImages < n_textures ?
		l->maxDescriptorSetSampledImages : n_textures;
	n_textures = l->maxPerStageResources - 3 < n_textures ? l->maxPerStageResources - 3 :
		n_textures;
	if (l->maxPerStageResources < 19 || n_textures < 16 ||
			l->maxComputeWorkGroupInvocations < 256 ||
			l->maxComputeSharedMemorySize < VK_COMPUTE_MAX_ENTRIES / 8 + 4) {
		mosaic_log(MOSAIC_LOG_WARN, "vulkan: the device's limits are too small for the "
			"compute path (%u sampled images per stage): passes use the graphics path",
			l->maxPerStageDescriptorSampledImages);
		return true;
	}
	if (!r->feat.storage_without_format) {
		mosaic_log(MOSAIC_LOG_WARN, "vulkan: no shaderStorageImageRead/WriteWithoutFormat: "
			"passes use the graphics path");
		return true;
	}
	struct vk_compute *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	r->compute = c;
	c->n_textures = n_textures;
	tile_size(l, &c->tile_w, &c->tile_h);
	if (!create_objects(r, c)) {
		return false;
	}
	mosaic_log(MOSAIC_LOG_INFO, "vulkan: passes use the compute path where the target "
		"allows it, in tiles of %ux%u, up to %u textures a pass (MOSAIC_VK_PATH=graphics "
		"for the graphics pipeline)", c->tile_w, c->tile_h, c->n_textures);
	return true;
}

void vk_compute_finish(struct vk_renderer *r)
{
	struct vk_compute *c = r->compute;
	if (c == NULL) {
		return;
	}
	for (int i = 0; i < VK_FRAMES; i++) {
		vk_host_buffer_finish(r, &c->frames[i].buf);
		vk_host_buffer_finish(r, &c->frames[i].tiles);
	}
	if (c->dummy != NULL) {
		vk_image_destroy_now(c->dummy);
	}
	vkDestroyDescriptorPool(r->dev, c->pool, NULL);
	vkDestroyPipeline(r->dev, c->pipeline, NULL);
	vkDestroyPipeline(r->dev, c->clock_pipeline, NULL);
	vkDestroyShaderModule(r->dev, c->clock_module, NULL);
	vkDestroyPipelineLayout(r->dev, c->layout, NULL);
	vkDestroyDescriptorSetLayout(r->dev, c->set_layout, NULL);
	vkDestroyShaderModule(r->dev, c->module, NULL);
	free(c);
	r->compute = NULL;
}

bool vk_compute_target_ok(struct vk_renderer *r, const struct vk_image *target)
{
	return r->compute != NULL && target->format->storage &&
		(target->usage & VK_IMAGE_USAGE_STORAGE_BIT) && target->linear == NULL &&
		!target->foreign;
}

struct vk_compute_pass *vk_compute_pass_create(void)
{
	struct vk_compute_pass *cp = calloc(1, sizeof(*cp));
	if (cp == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
	}
	return cp;
}

void vk_compute_pass_destroy(struct vk_compute_pass *cp)
{
	if (cp == NULL) {
		return;
	}
	for (size_t i = 0; i < cp->n_draws; i++) {
		pixman_region32_fini(&cp->draws[i].clip);
	}
	free(cp->draws);
	free(cp);
}

static struct vk_compute_draw *add_draw(struct vk_compute_pass *cp, const pixman_region32_t *clip)
{
	if (!grow((void **)&cp->draws, &cp->cap, cp->n_draws + 1, sizeof(*cp->draws))) {
		return NULL;
	}
	struct vk_compute_draw *d = &cp->draws[cp->n_draws];
	*d = (struct vk_compute_draw){0};
	pixman_region32_init(&d->clip);
	if (!pixman_region32_copy(&d->clip, clip)) {
		pixman_region32_fini(&d->clip);
		mosaic_log(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	cp->n_draws++;
	return d;
}

bool vk_compute_add_rect(struct vk_compute_pass *cp, const struct mosaic_rect_options *opts)
{
	struct vk_compute_draw *d = add_draw(cp, opts->clip);
	if (d == NULL) {
		return false;
	}
	d->rect = *opts;
	return true;
}

bool vk_compute_add_texture(struct vk_compute_pass *cp,
	const struct mosaic_texture_options *opts)
{
	struct vk_compute_draw *d = add_draw(cp, opts->clip);
	if (d == NULL) {
		return false;
	}
	d->texture = true;
	d->tex = *opts;
	d->alpha = *opts->alpha;
	return true;
}

void vk_compute_pass_drop_front(struct vk_compute_pass *cp, size_t n)
{
	for (size_t i = 0; i < n && i < cp->n_draws; i++) {
		pixman_region32_fini(&cp->draws[i].clip);
	}
	n = n < cp->n_draws ? n : cp->n_draws;
	if (n > 0 && n < cp->n_draws) {
		memmove(cp->draws, cp->draws + n, (cp->n_draws - n) * sizeof(*cp->draws));
	}
	cp->n_draws -= n;
}

size_t vk_compute_pass_draws(struct vk_compute_pass *cp, const struct vk_compute_draw **draws)
{
	// The array may have moved since the draws were added: point them at their copies now.
	for (size_t i = 0; i < cp->n_draws; i++) {
		struct vk_compute_draw *d = &cp->draws[i];
		d->rect.clip = &d->clip;
		d->tex.clip = &d->clip;
		d->tex.alpha = &d->alpha;
	}
	*draws = cp->draws;
	return cp->n_draws;
}

/* The distinct images of the pass's textures into `images`; false when they do not fit. */
static bool collect_textures(const struct vk_compute *c, struct vk_compute_pass *cp,
	struct vk_image *images[VK_COMPUTE_TEXTURES], uint32_t *n_images)
{
	*n_images = 0;
	for (size_t i = 0; i < cp->n_draws; i++) {
		struct vk_compute_draw *d = &cp->draws[i];
		if (!d->texture) {
			continue;
		}
		struct vk_image *image = vk_texture_from_base(d->tex.texture)->image;
		uint32_t k = 0;
		while (k < *n_images && images[k] != image) {
			k++;
		}
		if (k == *n_images) {
			if (k == c->n_textures) {
				return false;
			}
			images[(*n_images)++] = image;
		}
		d->index = k;
	}
	return true;
}

/* Entries of the draw list: one per clip rectangle of each draw. */
static size_t count_entries(struct vk_compute_pass *cp)
{
	size_t n_entries = 0;
	for (size_t i = 0; i < cp->n_draws; i++) {
		int n;
		pixman_region32_rectangles(&cp->draws[i].clip, &n);
		n_entries += (size_t)n;
	}
	return n_entries;
}

bool vk_compute_pass_supported(struct vk_renderer *r, struct vk_compute_pass *cp)
{
	struct vk_image *images[VK_COMPUTE_TEXTURES];
	uint32_t n;
	if (!collect_textures(r->compute, cp, images, &n)) {
		if (!r->compute->too_many_logged) {
			mosaic_log(MOSAIC_LOG_INFO, "vulkan: a pass samples more than %u textures: "
				"such passes use the graphics path", r->compute->n_textures);
			r->compute->too_many_logged = true;
		}
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (images[i]->format->yuv) {
			return false;
		}
	}
	if (count_entries(cp) > VK_COMPUTE_MAX_ENTRIES) {
		if (!r->compute->too_many_entries_logged) {
			mosaic_log(MOSAIC_LOG_INFO, "vulkan: a pass has more than %u draws and clip "
				"rectangles: such passes use the graphics path", VK_COMPUTE_MAX_ENTRIES);
			r->compute->too_many_entries_logged = true;
		}
		return false;
	}
	return true;
}

/* Levels per channel of a render format: where the graphics path rounds each draw. */
static void format_levels(VkFormat format, float levels[4])
{
	switch (format) {
	case VK_FORMAT_A2R10G10B10_UNORM_PACK32:
	case VK_FORMAT_A2B10G10R10_UNORM_PACK32:
		memcpy(levels, (float[4]){ 1023.0f, 1023.0f, 1023.0f, 3.0f }, 4 * sizeof(float));
		return;
	case VK_FORMAT_R16G16B16A16_UNORM:
		memcpy(levels, (float[4]){ 65535.0f, 65535.0f, 65535.0f, 65535.0f },
			4 * sizeof(float));
		return;
	case VK_FORMAT_R16G16B16A16_SFLOAT:
		memset(levels, 0, 4 * sizeof(float));
		return;
	default:
		memcpy(levels, (float[4]){ 255.0f, 255.0f, 255.0f, 255.0f }, 4 * sizeof(float));
		return;
	}
}

/* Fills the entries of one draw (one per clip rectangle); returns how many. */
static size_t draw_entries(const struct vk_compute_draw *d, struct gpu_draw *out)
{
	bool opaque;
	struct gpu_draw e = {0};
	if (d->texture) {
		const struct mosaic_texture_options *o = &d->tex;
		const struct vk_image *image = vk_texture_from_base(o->texture)->image;
		struct mosaic_affine map;
		mosaic_texture_coords_map(&map, &o->src_box, &o->dst_box, o->transform, 0, 0);
		for (int i = 0; i < 3; i++) {
			e.map_u[i] = (float)map.m[i];
			e.map_v[i] = (float)map.m[3 + i];
		}
		e.color[0] = d->alpha;
		e.flags = DRAW_TEXTURE | (o->blend == MOSAIC_BLEND_NONE ? DRAW_REPLACE : 0) |
			(o->filter == MOSAIC_FILTER_NEAREST ? DRAW_NEAREST : 0);
		e.texture = d->index;
		e.tex_width = image->extent_width;
		e.tex_height = image->extent_height;
		opaque = o->blend == MOSAIC_BLEND_NONE || (image->format->opaque && d->alpha >= 1.0f);
	} else {
		const struct mosaic_color *c = &d->rect.color;
		memcpy(e.color, (float[4]){ c->r, c->g, c->b, c->a }, sizeof(e.color));
		// As the graphics path's clear: a replace.
		opaque = d->rect.blend == MOSAIC_BLEND_NONE || c->a >= 1.0f;
		e.flags = opaque ? DRAW_REPLACE : 0;
	}
	e.flags |= opaque ? DRAW_OPAQUE : 0;
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(&d->clip, &n);
	// `out` may be write-combined memory: each entry is written once, in order.
	for (int i = 0; i < n; i++) {
		memcpy(e.rect, (int32_t[4]){ rects[i].x1, rects[i].y1, rects[i].x2, rects[i].y2 },
			sizeof(e.rect));
		out[i] = e;
	}
	return (size_t)n;
}

/* The view the target is written through: its attachment view, or one of storage_format. */
static VkImageView storage_view(struct vk_image *image)
{
	const struct vk_format *f = image->format;
	if (f->storage_format == f->format) {
		return vk_image_attachment_view(image);
	}
	if (image->storage_view == VK_NULL_HANDLE) {
		struct vk_renderer *r = image->renderer;
		VkResult res = vkCreateImageView(r->dev, &(VkImageViewCreateInfo){
			.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
			.image = image->image,
			.viewType = VK_IMAGE_VIEW_TYPE_2D,
			.format = f->storage_format,
			.subresourceRange = {
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.levelCount = 1,
				.layerCount = 1,
			},
		}, NULL, &image->storage_view);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkCreateImageView");
			return VK_NULL_HANDLE;
		}
		r->create_count++;
		vk_name(r, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)image->storage_view,
			"%s storage view", image->name);
	}
	return image->storage_view;
}

/* The buffer the clocked dispatch writes each tile's ticks to; false (logged) without one. */
static bool ensure_tiles(struct vk_renderer *r, struct vk_compute_frame *cf, VkDeviceSize size)
{
	if (cf->tiles.buffer != VK_NULL_HANDLE && cf->tiles.size >= size) {
		return true;
	}
	if (cf->tiles.buffer != VK_NULL_HANDLE) {
		vk_defer_host_buffer(r, &cf->tiles, r->current->seq);
	}
	// Cached: the CPU reads it back.
	return vk_host_buffer_init(r, &cf->tiles, size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, true,
		"mosaic compute tile clock");
}

const uint32_t *vk_compute_read_tiles(struct vk_renderer *r, struct vk_frame *f,
	const struct vk_timer *timer)
{
	struct vk_compute *c = r->compute;
	if (c == NULL || !timer->tiles_recorded) {
		return NULL;
	}
	struct vk_compute_frame *cf = &c->frames[f - r->frames];
	VkDeviceSize size = (VkDeviceSize)timer->tiles.columns * (VkDeviceSize)timer->tiles.rows *
		sizeof(uint32_t);
	if (cf->tiles.map == NULL || cf->tiles.size < size) {
		return NULL;
	}
	vk_host_buffer_invalidate_range(r, &cf->tiles, 0, size);
	return (const uint32_t *)cf->tiles.map;
}

bool vk_compute_record(struct vk_renderer *r, struct vk_compute_pass *cp, VkCommandBuffer cb,
	struct vk_image *target, bool shm, struct vk_timer *timer)
{
	struct vk_compute *c = r->compute;
	struct vk_frame *frame = r->current;
	struct vk_compute_frame *cf = &c->frames[frame - r->frames];
	struct vk_image *images[VK_COMPUTE_TEXTURES];
	uint32_t n_images;
	if (!collect_textures(c, cp, images, &n_images) || !ensure_dummy(r, c)) {
		return false;
	}
	VkCommandBuffer upload = VK_NULL_HANDLE;
	for (uint32_t i = 0; i <= n_images; i++) {
		struct vk_image *image = i < n_images ? images[i] : c->dummy;
		if (!vk_image_ready(image, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL)) {
			upload = upload != VK_NULL_HANDLE ? upload : vk_frame_upload_cb(r);
			if (upload == VK_NULL_HANDLE) {
				return false;
			}
			vk_image_use(image, upload, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
		}
		image->last_seq = frame->seq;
	}

	// The draw list: one entry per clip rectangle, in order, written where the
	// GPU reads it (vk_compute_pass_supported() bounded their number).
	size_t n_entries = count_entries(cp);
	assert(n_entries <= VK_COMPUTE_MAX_ENTRIES);
	int32_t w = target->width, h = target->height;
	VkDeviceSize need = (n_entries > 0 ? n_entries : 1) * sizeof(struct gpu_draw);
	if (cf->buf.buffer == VK_NULL_HANDLE || cf->buf.size < need) {
		VkDeviceSize size = cf->buf.size > 0 ? 2 * cf->buf.size : 256 << 10;
		while (size < need) {
			size *= 2;
		}
		if (cf->buf.buffer != VK_NULL_HANDLE) {
			vk_defer_host_buffer(r, &cf->buf, frame->seq);
		}
		if (!vk_host_buffer_init(r, &cf->buf, size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, false,
				"mosaic compute draws")) {
			return false;
		}
	}
	struct gpu_draw *entries = (struct gpu_draw *)cf->buf.map;
	size_t e = 0;
	for (size_t i = 0; i < cp->n_draws; i++) {
		e += draw_entries(&cp->draws[i], &entries[e]);
	}
	vk_host_buffer_flush_range(r, &cf->buf, 0, need);

	VkImageView view = storage_view(target);
	if (view == VK_NULL_HANDLE) {
		return false;
	}
	VkDescriptorImageInfo textures[VK_COMPUTE_TEXTURES];
	for (uint32_t i = 0; i < c->n_textures; i++) {
		textures[i] = (VkDescriptorImageInfo){
			.imageView = (i < n_images ? images[i] : c->dummy)->sample_view,
			.imageLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
		};
	}
	VkWriteDescriptorSet writes[] = {
		{
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = cf->set,
			.dstBinding = 0,
			.descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
			.pImageInfo = &(VkDescriptorImageInfo){
				.imageView = view,
				.imageLayout = VK_IMAGE_LAYOUT_GENERAL,
			},
		}, {
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = cf->set,
			.dstBinding = 1,
			.descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.pBufferInfo = &(VkDescriptorBufferInfo){ cf->buf.buffer, 0, need },
		}, {
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = cf->set,
			.dstBinding = 4,
			.descriptorCount = c->n_textures,
			.descriptorType = VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE,
			.pImageInfo = textures,
		},
	};
	vkUpdateDescriptorSets(r->dev, sizeof(writes) / sizeof(writes[0]), writes, 0, NULL);
	uint32_t columns = (uint32_t)((w + (int32_t)c->tile_w - 1) / (int32_t)c->tile_w);
	uint32_t rows = (uint32_t)((h + (int32_t)c->tile_h - 1) / (int32_t)c->tile_h);
	VkDeviceSize tiles_size = (VkDeviceSize)columns * rows * sizeof(uint32_t);
	// Without the buffer (logged) the pass is drawn, with no tile times.
	bool clocked = timer != NULL && c->clock_pipeline != VK_NULL_HANDLE && n_entries > 0 &&
		ensure_tiles(r, cf, tiles_size);
	if (clocked) {
		vkUpdateDescriptorSets(r->dev, 1, &(VkWriteDescriptorSet){
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = cf->set,
			.dstBinding = 5,
			.descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.pBufferInfo = &(VkDescriptorBufferInfo){ cf->tiles.buffer, 0, tiles_size },
		}, 0, NULL);
		timer->tiles_recorded = true;
		timer->tiles = (struct mosaic_tile_grid){
			.tile_width = (int)c->tile_w,
			.tile_height = (int)c->tile_h,
			.columns = (int)columns,
			.rows = (int)rows,
		};
	}

	if (shm) {
		// The upload command buffer loaded the pixels and left the layout (vk_shm_target).
		vk_image_transition(target, cb, VK_IMAGE_LAYOUT_GENERAL);
	} else {
		vk_image_use(target, cb, VK_IMAGE_LAYOUT_GENERAL);
	}
	if (n_entries == 0) {
		return true;
	}
	struct push_constants pc = {
		.size = { w, h },
		.n_entries = (uint32_t)n_entries,
		.swap_rb = target->format->storage_format != target->format->format,
	};
	format_levels(target->format->format, pc.levels);
	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE,
		clocked ? c->clock_pipeline : c->pipeline);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, c->layout, 0, 1, &cf->set, 0,
		NULL);
	vkCmdPushConstants(cb, c->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(pc), &pc);
	vkCmdDispatch(cb, columns, rows, 1);
	if (clocked) {
		// The tick counts are read on the CPU once the frame is complete.
		vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &(VkMemoryBarrier){
				.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
				.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
				.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
			}, 0, NULL, 0, NULL);
	}
	return true;
}
