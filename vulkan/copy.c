#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "private/log.h"
#include "vulkan/copy.h"
#include "vulkan/vulkan_private.h"

/*
 * The copy fast path. A pass's leading draws that only move pixels, an
 * unscaled untransformed opaque (or blend-none) texture draw or an opaque
 * clear of the whole target, are done as transfers (vkCmdCopyImage,
 * vkCmdBlitImage, vkCmdClearColorImage) before the render pass or the
 * compute dispatch, instead of shaded quads. Only leading draws: a copy after
 * a shaded draw would mean ending and restarting the render pass, which
 * costs more than the quad on tilers and keeps the path simple. The leading
 * draws are kept until the first other draw (or submit); one that covers the
 * whole target drops the ones before it, so "clear, then a fullscreen
 * window" moves the window's bytes once.
 *
 * X sources: pixman reads their X byte as opaque. A copy into a target of the
 * same format moves the X byte as it is (as pixman's own SRC copy between X
 * formats does: the target's X byte means nothing); into a target with an
 * alpha channel it would give the X byte as alpha, so such a draw stays a
 * shaded quad (the sampled view swizzles alpha to one).
 */

bool vk_copy_enabled(void)
{
	const char *env = getenv("MOSAIC_VK_COPY");
	return env == NULL || strcmp(env, "0") != 0;
}

/* True when v is a whole number of texels. */
static bool integral(double v)
{
	return v == floor(v) && fabs(v) < (double)INT32_MAX;
}

static bool blit_supported(struct vk_renderer *r, VkFormat src, VkFormat dst)
{
	VkFormatProperties sp, dp;
	vkGetPhysicalDeviceFormatProperties(r->phdev, src, &sp);
	vkGetPhysicalDeviceFormatProperties(r->phdev, dst, &dp);
	return (sp.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_SRC_BIT) &&
		(dp.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_DST_BIT);
}

enum vk_copy_kind vk_copy_texture_kind(struct vk_renderer *r,
	const struct mosaic_texture_options *opts, const struct vk_image *target)
{
	const struct vk_image *src = vk_texture_from_base(opts->texture)->image;
	const struct mosaic_fbox *s = &opts->src_box;
	if (opts->transform != MOSAIC_TRANSFORM_NORMAL || *opts->alpha < 1.0f ||
			src->format->yuv || !(src->usage & VK_IMAGE_USAGE_TRANSFER_SRC_BIT) ||
			!(target->usage & VK_IMAGE_USAGE_TRANSFER_DST_BIT)) {
		return VK_COPY_NONE;
	}
	if (opts->blend != MOSAIC_BLEND_NONE && !src->format->opaque) {
		return VK_COPY_NONE;
	}
	if (!integral(s->x) || !integral(s->y) || s->width != opts->dst_box.width ||
			s->height != opts->dst_box.height || s->x < 0 || s->y < 0 ||
			s->x + s->width > src->width || s->y + s->height > src->height) {
		return VK_COPY_NONE;
	}
	if (src->format->opaque && !target->format->opaque) {
		return VK_COPY_NONE;
	}
	if (src->format->format == target->format->format) {
		return VK_COPY_IMAGE;
	}
	// Blits convert through the formats' own rules: only between images of known tiling.
	if (src->format->opaque || src->foreign || src->linear != NULL || target->foreign ||
			target->linear != NULL || src->modifier != 0 || target->modifier != 0) {
		return VK_COPY_NONE;
	}
	return blit_supported(r, src->format->format, target->format->format) ?
		VK_COPY_BLIT : VK_COPY_NONE;
}

bool vk_copy_rect_ok(const struct mosaic_rect_options *opts, const struct vk_image *target)
{
	if (opts->blend != MOSAIC_BLEND_NONE && opts->color.a < 1.0f) {
		return false;
	}
	if (!(target->usage & VK_IMAGE_USAGE_TRANSFER_DST_BIT)) {
		return false;
	}
	int n;
	const pixman_box32_t *b = pixman_region32_rectangles(opts->clip, &n);
	return n == 1 && b->x1 == 0 && b->y1 == 0 && b->x2 == target->width &&
		b->y2 == target->height;
}

/* Whether the region is the whole target. */
static bool covers(const pixman_region32_t *clip, const struct vk_image *target)
{
	int n;
	const pixman_box32_t *b = pixman_region32_rectangles(clip, &n);
	return n == 1 && b->x1 == 0 && b->y1 == 0 && b->x2 == target->width &&
		b->y2 == target->height;
}

void vk_copy_ops_finish(struct vk_copy_ops *ops)
{
	for (size_t i = 0; i < ops->n; i++) {
		pixman_region32_fini(&ops->ops[i].rects);
		vk_image_unref(ops->ops[i].src);
	}
	ops->n = 0;
}

static struct vk_copy_op *add_op(struct vk_copy_ops *ops, const pixman_region32_t *clip,
	const struct vk_image *target)
{
	if (covers(clip, target)) {
		// What came before is overwritten: it need not be done at all.
		vk_copy_ops_finish(ops);
	}
	if (ops->n == VK_COPY_MAX_OPS) {
		return NULL;
	}
	struct vk_copy_op *op = &ops->ops[ops->n];
	*op = (struct vk_copy_op){0};
	pixman_region32_init(&op->rects);
	if (!pixman_region32_copy(&op->rects, (pixman_region32_t *)clip)) {
		pixman_region32_fini(&op->rects);
		mosaic_log(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	ops->n++;
	return op;
}

bool vk_copy_add_texture(struct vk_copy_ops *ops, const struct mosaic_texture_options *opts,
	enum vk_copy_kind kind, const struct vk_image *target, uint32_t draw)
{
	struct vk_copy_op *op = add_op(ops, opts->clip, target);
	if (op == NULL) {
		return false;
	}
	op->draw = draw;
	op->src = vk_texture_from_base(opts->texture)->image;
	vk_image_ref(op->src);
	op->blit = kind == VK_COPY_BLIT;
	op->dx = (int32_t)opts->src_box.x - opts->dst_box.x;
	op->dy = (int32_t)opts->src_box.y - opts->dst_box.y;
	return true;
}

bool vk_copy_add_clear(struct vk_copy_ops *ops, const struct mosaic_rect_options *opts,
	const struct vk_image *target, uint32_t draw)
{
	struct vk_copy_op *op = add_op(ops, opts->clip, target);
	if (op == NULL) {
		return false;
	}
	op->draw = draw;
	const struct mosaic_color *c = &opts->color;
	op->color = (VkClearColorValue){ .float32 = { c->r, c->g, c->b, c->a } };
	return true;
}

static const VkImageSubresourceLayers color_layers = {
	.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
	.layerCount = 1,
};

static bool record_op(struct vk_renderer *r, const struct vk_copy_op *op, VkCommandBuffer cb,
	struct vk_image *target)
{
	if (op->src == NULL) {
		vkCmdClearColorImage(cb, target->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
			&op->color, 1, &(VkImageSubresourceRange){
				.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
				.levelCount = 1,
				.layerCount = 1,
			});
		return true;
	}
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(&op->rects, &n);
	// The source was made ready for sampling (upload command buffer) when the draw was added.
	vk_image_transition(op->src, cb, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
	if (op->blit) {
		VkImageBlit *regions = vk_scratch(r, (size_t)n * sizeof(*regions));
		if (regions == NULL) {
			return false;
		}
		for (int i = 0; i < n; i++) {
			const pixman_box32_t *b = &rects[i];
			regions[i] = (VkImageBlit){
				.srcSubresource = color_layers,
				.srcOffsets = { { b->x1 + op->dx, b->y1 + op->dy, 0 },
					{ b->x2 + op->dx, b->y2 + op->dy, 1 } },
				.dstSubresource = color_layers,
				.dstOffsets = { { b->x1, b->y1, 0 }, { b->x2, b->y2, 1 } },
			};
		}
		vkCmdBlitImage(cb, op->src->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
			target->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, (uint32_t)n, regions,
			VK_FILTER_NEAREST);
	} else {
		VkImageCopy *regions = vk_scratch(r, (size_t)n * sizeof(*regions));
		if (regions == NULL) {
			return false;
		}
		for (int i = 0; i < n; i++) {
			const pixman_box32_t *b = &rects[i];
			regions[i] = (VkImageCopy){
				.srcSubresource = color_layers,
				.srcOffset = { b->x1 + op->dx, b->y1 + op->dy, 0 },
				.dstSubresource = color_layers,
				.dstOffset = { b->x1, b->y1, 0 },
				.extent = { (uint32_t)(b->x2 - b->x1), (uint32_t)(b->y2 - b->y1), 1 },
			};
		}
		vkCmdCopyImage(cb, op->src->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
			target->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, (uint32_t)n, regions);
	}
	vk_image_transition(op->src, cb, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
	return true;
}

bool vk_copy_record(struct vk_renderer *r, struct vk_copy_ops *ops, VkCommandBuffer cb,
	struct vk_image *target, bool shm, struct vk_timer *timer, pixman_region32_t *written)
{
	if (ops->n == 0) {
		return true;
	}
	/*
	 * A CPU target's pixels are loaded at submit into the upload command
	 * buffer, which leaves it in COLOR_ATTACHMENT_OPTIMAL for this one
	 * (shm_target.c): the transfers start from there and go back to it, so
	 * that the layout the load starts from stays the one recorded.
	 */
	VkImageLayout recorded = target->layout;
	if (shm) {
		target->layout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
		vk_image_transition(target, cb, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	} else {
		vk_image_use(target, cb, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	}
	bool ok = true;
	for (size_t i = 0; i < ops->n && ok; i++) {
		if (i > 0) {
			// Transfers into one image are not ordered without a barrier.
			vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
				VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &(VkMemoryBarrier){
					.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
					.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
					.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
				}, 0, NULL, 0, NULL);
		}
		ok = record_op(r, &ops->ops[i], cb, target);
		vk_draw_timer_mark(timer, cb, ops->ops[i].draw);
		// Every kept draw replaces its pixels: copies are opaque or blend-none.
		if (!pixman_region32_union(written, written, &ops->ops[i].rects)) {
			pixman_region32_fini(written);
			pixman_region32_init(written);
		}
	}
	r->last_copies += (uint32_t)ops->n;
	if (shm) {
		vk_image_transition(target, cb, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL);
		target->layout = recorded;
	}
	vk_copy_ops_finish(ops);
	return ok;
}
