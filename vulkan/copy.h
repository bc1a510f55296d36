#ifndef MOSAIC_VULKAN_COPY_H
#define MOSAIC_VULKAN_COPY_H

#include "vulkan/vulkan_private.h"

/* copy.c: leading draws done as transfers (the copy fast path) */
enum vk_copy_kind {
	VK_COPY_NONE,
	/* vkCmdCopyImage: the same format. */
	VK_COPY_IMAGE,
	/* vkCmdBlitImage at the same size: a format conversion. */
	VK_COPY_BLIT,
};

/* Draws kept before the render pass (or dispatch) begins, at most this many. */
#define VK_COPY_MAX_OPS 8

struct vk_copy_op {
	/* The source (referenced), or NULL for a clear of the whole target to `color`. */
	struct vk_image *src;
	bool blit;
	VkClearColorValue color;
	/* Source minus destination coordinates. */
	int32_t dx, dy;
	/* The target pixels written. */
	pixman_region32_t rects;
	/* The draw's index in the pass (per-draw timers). */
	uint32_t draw;
};

struct vk_copy_ops {
	struct vk_copy_op ops[VK_COPY_MAX_OPS];
	size_t n;
};

/* False when MOSAIC_VK_COPY=0 turns the fast path off. */
bool vk_copy_enabled(void);
/* How a texture draw into `target` can be done as a transfer, if it can. */
enum vk_copy_kind vk_copy_texture_kind(struct vk_renderer *r,
	const struct mosaic_texture_options *opts, const struct vk_image *target);
/* Whether a rect draw is an opaque clear of the whole target. */
bool vk_copy_rect_ok(const struct mosaic_rect_options *opts, const struct vk_image *target);
/*
 * Keep a draw (after vk_copy_texture_kind() or vk_copy_rect_ok() said yes);
 * false when it cannot be kept (full, or allocation failure, logged): the
 * caller records what is kept and draws this one as usual. A texture's image
 * must be ready for sampling in this frame already.
 */
bool vk_copy_add_texture(struct vk_copy_ops *ops, const struct mosaic_texture_options *opts,
	enum vk_copy_kind kind, const struct vk_image *target, uint32_t draw);
bool vk_copy_add_clear(struct vk_copy_ops *ops, const struct mosaic_rect_options *opts,
	const struct vk_image *target, uint32_t draw);
/*
 * Records the kept draws into `cb` (a timestamp after each for a per-draw
 * `timer`, or NULL) and empties `ops`. A CPU target (`shm`) is left in
 * COLOR_ATTACHMENT_OPTIMAL, others in TRANSFER_DST_OPTIMAL. The pixels the
 * draws replace entirely are added to `written` (where pixman runs out of
 * memory it is emptied: never more than was written).
 */
bool vk_copy_record(struct vk_renderer *r, struct vk_copy_ops *ops, VkCommandBuffer cb,
	struct vk_image *target, bool shm, struct vk_timer *timer, pixman_region32_t *written);
void vk_copy_ops_finish(struct vk_copy_ops *ops);

#endif
