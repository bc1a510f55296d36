#ifndef MOSAIC_VULKAN_PASS_H
#define MOSAIC_VULKAN_PASS_H

/*
 * Passes: pipelines, the graphics and compute paths, CPU render targets.
 * Part of the backend's private interface: vulkan/vulkan_private.h includes it.
 */

#include "vulkan/vulkan_private.h"

/* pipeline.c */
bool vk_pipelines_init(struct vk_renderer *r);
/* A quad pipeline with `module` as fragment shader and `layout`, into `render_pass`. */
bool vk_create_quad_pipeline(struct vk_renderer *r, VkRenderPass render_pass,
	VkShaderModule module, VkPipelineLayout layout, enum mosaic_blend blend, VkPipeline *out);
void vk_pipelines_finish(struct vk_renderer *r);
/* The render pass and every pipeline for `format`, made on the first call for it. */
struct vk_render_setup *vk_render_setup_get(struct vk_renderer *r, VkFormat format);

/* compute.c: passes composited by one compute dispatch */
/* The most textures one pass may sample (composite.comp's descriptor array, as limits allow). */
#define VK_COMPUTE_TEXTURES 256

/* A draw kept for the compute path (or replayed by the graphics path). */
struct vk_compute_draw {
	bool texture;
	/* The options; vk_compute_pass_draws() points their clip and alpha at the copies below. */
	struct mosaic_rect_options rect;
	struct mosaic_texture_options tex;
	float alpha;
	pixman_region32_t clip;
	/* The texture's slot in the descriptor array. */
	uint32_t index;
};

struct vk_compute_pass;

/* Whether MOSAIC_VK_PATH (graphics|compute|auto) asks for the compute path. */
bool vk_compute_wanted(struct vk_renderer *r);
/* Makes the pipeline and sets; leaves r->compute NULL (logged) where the device cannot. */
bool vk_compute_init(struct vk_renderer *r);
void vk_compute_finish(struct vk_renderer *r);
/* Whether passes into `target` can take the compute path. */
bool vk_compute_target_ok(struct vk_renderer *r, const struct vk_image *target);
struct vk_compute_pass *vk_compute_pass_create(void);
void vk_compute_pass_destroy(struct vk_compute_pass *cp);
/* Keep a copy of the draw (false, logged, on allocation failure). */
bool vk_compute_add_rect(struct vk_compute_pass *cp, const struct mosaic_rect_options *opts);
bool vk_compute_add_texture(struct vk_compute_pass *cp,
	const struct mosaic_texture_options *opts);
/* The kept draws, in order, their options' clip and alpha pointing at their copies. */
size_t vk_compute_pass_draws(struct vk_compute_pass *cp, const struct vk_compute_draw **draws);
/* Whether the compute path covers every draw (else the graphics path replays them). */
bool vk_compute_pass_supported(struct vk_renderer *r, struct vk_compute_pass *cp);
/*
 * Records the pass into `cb`: texture layouts into the upload command buffer,
 * the target moved to GENERAL (after its load for a CPU target, `shm`), one
 * dispatch. With a per-draw `timer` (may be NULL) on a device with a shader
 * clock, the dispatch measures its tiles (vk_compute_read_tiles()).
 */
bool vk_compute_record(struct vk_renderer *r, struct vk_compute_pass *cp, VkCommandBuffer cb,
	struct vk_image *target, bool shm, struct vk_timer *timer);
/*
 * The tick counts of the tiles the dispatch of the frame `f` measured (the
 * timer's grid), valid until the frame is used again; NULL where none.
 */
const uint32_t *vk_compute_read_tiles(struct vk_renderer *r, struct vk_frame *f,
	const struct vk_timer *timer);

/* Drops the first `n` kept draws (done otherwise, by the copy fast path). */
void vk_compute_pass_drop_front(struct vk_compute_pass *cp, size_t n);

/* pass.c */
struct mosaic_pass *vk_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options);

/* shm_target.c */
struct vk_shm_target *vk_shm_target_get(struct vk_renderer *r, struct mosaic_buffer *buffer,
	const struct vk_format *format);
void vk_shm_targets_finish(struct vk_renderer *r);
/*
 * Records the copy of the `touched` pixels from the buffer into the image,
 * into the frame's upload command buffer, and leaves the image ready for the
 * render pass instance. False (the layout still made right) on failure.
 */
bool vk_shm_target_record_load(struct vk_shm_target *target, struct mosaic_buffer *buffer,
	const pixman_region32_t *touched);
/* Records the copy of the `touched` pixels back, into `cb` after the render pass. */
bool vk_shm_target_record_store(struct vk_shm_target *target, VkCommandBuffer cb,
	const pixman_region32_t *touched);
/* Once the frame is complete: the pixels into the buffer (when not copied directly). */
bool vk_shm_target_store(struct vk_shm_target *target, struct mosaic_buffer *buffer,
	const pixman_region32_t *touched);

#endif
