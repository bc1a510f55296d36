#ifndef MOSAIC_VULKAN_FRAME_H
#define MOSAIC_VULKAN_FRAME_H

/*
 * Frames: command buffers in flight, their staging ring, the image uses and
 * ownership transfers they record, and per-draw timestamps.
 * Part of the backend's private interface: vulkan/vulkan_private.h includes it.
 */

#include "vulkan/vulkan_private.h"

/* frame.c */
/* The frame being recorded; starts one (possibly waiting for a free slot). */
struct vk_frame *vk_frame_get(struct vk_renderer *r);
VkCommandBuffer vk_frame_upload_cb(struct vk_renderer *r);
VkCommandBuffer vk_frame_render_cb(struct vk_renderer *r);
/* Submits the frame being recorded. `point` is a core point or 0. */
bool vk_frame_submit(struct vk_renderer *r, uint64_t point);
/* Makes the frame being recorded wait for a sync_file (borrowed). */
bool vk_frame_wait_sync_file(struct vk_renderer *r, int fd);
/* After vk_frame_submit() of a frame with `signal` set: a new sync_file or -1. */
int vk_frame_export_sync_file(struct vk_renderer *r, struct vk_frame *frame);
/* Frees what completed submissions held; never blocks. */
void vk_frames_poll(struct vk_renderer *r);
bool vk_wait_seq(struct vk_renderer *r, uint64_t seq, int64_t timeout_ns);
void vk_frames_finish(struct vk_renderer *r);
bool vk_frames_init(struct vk_renderer *r);
uint64_t vk_get_completed_point(struct mosaic_renderer *renderer);
bool vk_wait_point(struct mosaic_renderer *renderer, uint64_t point, int64_t timeout_ns);
struct mosaic_render_timer *vk_timer_create(struct mosaic_renderer *renderer);

/* draw_timer.c: per-draw GPU times */
/* A timestamp that ends the compute dispatch: its time is shared by weight. */
#define VK_DRAW_TIMER_DISPATCH UINT32_MAX
/* Resets the frame's draw timestamps and writes the first into `cb` (outside a render pass). */
bool vk_draw_timer_begin(struct vk_renderer *r, struct vk_timer *t, VkCommandBuffer cb);
/* Writes a timestamp that ends `draw`'s work (t may be NULL: nothing). */
void vk_draw_timer_mark(struct vk_timer *t, VkCommandBuffer cb, uint32_t draw);
/* The pixels `draw` covers in the compute dispatch. */
bool vk_draw_timer_weigh(struct vk_timer *t, uint32_t draw, uint64_t pixels);
/* At submit: the pass had `n_draws` draws. */
void vk_draw_timer_end(struct vk_timer *t, uint32_t n_draws);
/* At completion of the frame: turns its timestamps into draw times. */
void vk_draw_timer_read(struct vk_renderer *r, struct vk_frame *f, struct vk_timer *t);
size_t vk_draw_timer_get(struct vk_timer *t, int64_t *out_ns, size_t cap,
	enum mosaic_draw_times *kind);
/* The tiles of the last measured compute dispatch (mosaic_render_timer_get_tile_times()). */
size_t vk_draw_timer_get_tiles(struct vk_timer *t, int64_t *out_ns, size_t cap,
	struct mosaic_tile_grid *grid);
void vk_draw_timer_finish(struct vk_timer *t);
void vk_defer_host_buffer(struct vk_renderer *r, struct vk_host_buffer *buf, uint64_t seq);
/* Keeps a lock on `buffer` until submission `seq` is complete. */
void vk_hold_buffer(struct vk_renderer *r, struct mosaic_buffer *buffer, uint64_t seq);

/* staging.c */
bool vk_staging_init(struct vk_renderer *r);
void vk_staging_finish(struct vk_renderer *r);
/* Offsets in the ring are multiples of this (a multiple of every texel size). */
#define VK_STAGING_ALIGN 16
/* Bytes of the ring taken by one upload. */
struct vk_staging_span {
	/* The ring the span lies in, as it was when the span was taken. */
	struct vk_host_buffer host;
	/* What the copies read from: the same ring's buffer. */
	VkBuffer buffer;
	VkDeviceSize offset, size;
	/* Where the CPU writes the span's bytes. */
	uint8_t *map;
};
/*
 * Space for `size` bytes in the ring, used by the frame being recorded. May
 * replace the ring by a larger one: take one span per upload, and record the
 * copies from span->buffer.
 */
bool vk_staging_alloc(struct vk_renderer *r, VkDeviceSize size, struct vk_staging_span *span);
/* Makes the first `written` bytes of the span visible to the GPU (non-coherent memory). */
void vk_staging_flush(struct vk_renderer *r, const struct vk_staging_span *span,
	VkDeviceSize written);
/* Called when a frame begins: gives memory back after a quiet period. */
void vk_staging_frame_begin(struct vk_renderer *r);

/* frame_images.c: every image use of a frame, its layouts and ownership transfers */
/* The stages and accesses that touch an image in `layout`, as this backend uses them. */
void vk_layout_scope(VkImageLayout layout, VkPipelineStageFlags *stage, VkAccessFlags *access);
/*
 * Records a barrier into `cb` (a command buffer of the frame being recorded)
 * that moves a renderer-owned image, or one this frame acquired, to `layout`.
 */
void vk_image_transition(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout);
/* True when using the image in `layout` in this frame needs nothing recorded first. */
bool vk_image_ready(struct vk_image *image, VkImageLayout layout);
/*
 * Like vk_image_transition(), and first, once per frame: acquires a foreign
 * image (released when the frame is submitted), or copies the current
 * contents of a dmabuf imported as a buffer into its image.
 */
void vk_image_use(struct vk_image *image, VkCommandBuffer cb, VkImageLayout layout);
/* After drawing into a dmabuf imported as a buffer: records the copy back into `cb`. */
void vk_image_store_linear(struct vk_image *image, VkCommandBuffer cb);
/*
 * Hands an exported image to the foreign queue family: from now on every
 * frame that uses it acquires it and releases it at its end. An image that
 * was used before is released at once (waits for that submission).
 */
bool vk_image_make_foreign(struct vk_image *image);
/* Records the release of the frame's foreign images and buffers into `cb`. */
void vk_frame_release_foreign(struct vk_renderer *r, struct vk_frame *frame,
	VkCommandBuffer cb);
/* After the frame's submission: commits its layouts (`submitted`) or rolls them back. */
void vk_frame_images_end(struct vk_renderer *r, struct vk_frame *frame, bool submitted);

/* Counts `bytes` of damage copied into a texture by the frame being recorded. */
void vk_frame_count_upload(struct vk_renderer *r, uint64_t bytes, bool host_import);

#endif
