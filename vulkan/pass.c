#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "private/buffer_access.h"
#include "private/log.h"
#include "private/touched.h"
#include "vulkan/copy.h"
#include "vulkan/vulkan_private.h"

/* Quads the frame's first quad buffer holds (made when a pass begins). */
#define QUADS_MIN 256

struct vk_pass {
	struct mosaic_pass base;
	struct vk_renderer *renderer;
	VkCommandBuffer cb;
	struct vk_image *target;
	/* Set for CPU buffers: their pixels go through this image. */
	struct vk_shm_target *shm;
	/* Pixels the draws may change (CPU targets): only these are copied. */
	struct mosaic_touched touched_boxes;
	pixman_region32_t touched;
	/* Pixels the copy fast path replaced entirely: a CPU target need not load them. */
	pixman_region32_t written;
	struct vk_render_setup *setup;
	struct vk_timer *timer;
	VkPipeline bound_pipeline;
	VkDescriptorSet bound_texture, bound_sampler;
	/* The scissor set in the command buffer; x2 < x1 before the first. */
	pixman_box32_t scissor;
	/* Quads written to the frame's quad buffer (the instance index of the next one). */
	uint32_t n_quads;
	bool quads_bound;
	/* Quads not drawn yet: instances [batch_first, batch_first + batch_count). */
	uint32_t batch_first, batch_count;
	/* Set when the pass takes the compute path: the draws kept until submit (compute.c). */
	struct vk_compute_pass *compute;
	/*
	 * Graphics path: set until the render pass begins, while the draws are
	 * leading copies and clears kept in `copies` (copy.c).
	 */
	bool leading;
	bool in_render_pass;
	struct vk_copy_ops copies;
	/* Set where the timer measures each draw; draws added so far (the next one's index). */
	struct vk_timer *draw_timer;
	uint32_t n_draws;
	bool failed;
};

static struct vk_pass *vk_pass_from_base(struct mosaic_pass *pass)
{
	return mosaic_container_of(pass, struct vk_pass, base);
}

static void begin_render_pass(struct vk_pass *pass);

/* Records the kept leading copies, then begins the render pass. */
static void end_leading(struct vk_pass *pass)
{
	if (!pass->leading) {
		return;
	}
	pass->leading = false;
	if (!vk_copy_record(pass->renderer, &pass->copies, pass->cb, pass->target,
			pass->shm != NULL, pass->draw_timer, &pass->written)) {
		pass->failed = true;
	}
	begin_render_pass(pass);
}

/* A per-draw timer: the timestamp that ends draw `draw` (the batch is drawn first). */
static void end_draw(struct vk_pass *pass, uint32_t draw);

/* Notes the bounding box of a draw's clip (CPU targets only). */
static void add_touched(struct vk_pass *pass, const pixman_region32_t *clip)
{
	if (pass->shm != NULL && !mosaic_touched_add(&pass->touched_boxes, clip)) {
		pass->failed = true;
	}
}

/*
 * Records the quads waiting to be drawn as one instanced draw: instances are
 * rasterized in order, so blending between them is the same as with one draw
 * each. Called before anything else is recorded into the render pass.
 */
static void flush_batch(struct vk_pass *pass)
{
	if (pass->batch_count > 0) {
		vkCmdDraw(pass->cb, 4, pass->batch_count, 0, pass->batch_first);
		pass->batch_count = 0;
	}
}

static void bind_pipeline(struct vk_pass *pass, enum mosaic_blend blend,
	enum vk_pipeline_kind kind)
{
	// Made with the setup, before the pass began.
	VkPipeline pipeline = pass->setup->pipelines[blend][kind];
	if (pipeline != pass->bound_pipeline) {
		flush_batch(pass);
		vkCmdBindPipeline(pass->cb, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
		pass->bound_pipeline = pipeline;
	}
}

/*
 * A slot for the next quad in the frame's quad buffer, or NULL. A full buffer
 * is replaced by one twice as large (the old one lives until the frame is
 * complete), so that a compositor drawing similar frames soon allocates
 * nothing.
 */
static struct vk_quad *next_quad(struct vk_pass *pass)
{
	struct vk_renderer *r = pass->renderer;
	struct vk_frame *frame = r->current;
	struct vk_host_buffer *buf = &frame->quads;
	VkDeviceSize need = (VkDeviceSize)(pass->n_quads + 1) * sizeof(struct vk_quad);
	if (buf->buffer == VK_NULL_HANDLE || need > buf->size) {
		flush_batch(pass);
		VkDeviceSize size = buf->size > 0 ? 2 * buf->size : QUADS_MIN * sizeof(struct vk_quad);
		if (buf->buffer != VK_NULL_HANDLE) {
			vk_host_buffer_flush_range(r, buf, 0,
				(VkDeviceSize)pass->n_quads * sizeof(struct vk_quad));
			vk_defer_host_buffer(r, buf, frame->seq);
		}
		if (!vk_host_buffer_init(r, buf, size, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, false,
				"mosaic quads")) {
			pass->failed = true;
			return NULL;
		}
		pass->n_quads = 0;
		pass->quads_bound = false;
	}
	if (!pass->quads_bound) {
		vkCmdBindVertexBuffers(pass->cb, 0, 1, &buf->buffer, &(VkDeviceSize){0});
		pass->quads_bound = true;
	}
	return (struct vk_quad *)buf->map + pass->n_quads;
}

/*
 * Draws the quad just written by next_quad() in every rectangle of `clip`.
 * Where the clip is the quad's box (within the target) no scissor is needed:
 * such quads share the full-target scissor and are drawn in batches.
 */
static void draw_clipped(struct vk_pass *pass, const struct mosaic_box *box,
	const pixman_region32_t *clip)
{
	uint32_t index = pass->n_quads++;
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(clip, &n);
	const pixman_box32_t full = { 0, 0, pass->target->width, pass->target->height };
	// A valid box may end past INT32_MAX (the core clips in 64 bits).
	int64_t x2 = (int64_t)box->x + box->width, y2 = (int64_t)box->y + box->height;
	const pixman_box32_t covered = {
		box->x > 0 ? box->x : 0,
		box->y > 0 ? box->y : 0,
		x2 < full.x2 ? (int32_t)x2 : full.x2,
		y2 < full.y2 ? (int32_t)y2 : full.y2,
	};
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *want = &rects[i];
		if (n == 1 && want->x1 == covered.x1 && want->y1 == covered.y1 &&
				want->x2 == covered.x2 && want->y2 == covered.y2) {
			want = &full;
		}
		const pixman_box32_t *cur = &pass->scissor;
		if (want->x1 != cur->x1 || want->y1 != cur->y1 || want->x2 != cur->x2 ||
				want->y2 != cur->y2) {
			flush_batch(pass);
			vkCmdSetScissor(pass->cb, 0, 1, &(VkRect2D){
				.offset = { want->x1, want->y1 },
				.extent = {
					(uint32_t)(want->x2 - want->x1),
					(uint32_t)(want->y2 - want->y1),
				},
			});
			pass->scissor = *want;
		}
		if (pass->batch_count > 0 && pass->batch_first + pass->batch_count == index) {
			pass->batch_count++;
		} else {
			flush_batch(pass);
			pass->batch_first = index;
			pass->batch_count = 1;
		}
	}
}

/* The destination box in normalized device coordinates. */
static void dst_ndc(struct vk_pass *pass, const struct mosaic_box *box, float out[4])
{
	float w = (float)pass->target->width, h = (float)pass->target->height;
	out[0] = 2.0f * (float)box->x / w - 1.0f;
	out[1] = 2.0f * (float)box->y / h - 1.0f;
	out[2] = 2.0f * (float)box->width / w;
	out[3] = 2.0f * (float)box->height / h;
}

static void vk_pass_add_rect(struct mosaic_pass *base, const struct mosaic_rect_options *opts)
{
	struct vk_pass *pass = vk_pass_from_base(base);
	if (pass->failed) {
		return;
	}
	uint32_t draw = pass->n_draws++;
	if (pass->compute != NULL) {
		pass->failed = !vk_compute_add_rect(pass->compute, opts);
		return;
	}
	const struct mosaic_color *c = &opts->color;
	add_touched(pass, opts->clip);
	if (pass->leading && vk_copy_rect_ok(opts, pass->target) &&
			vk_copy_add_clear(&pass->copies, opts, pass->target, draw)) {
		return;
	}
	end_leading(pass);
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(opts->clip, &n);
	if (opts->blend == MOSAIC_BLEND_NONE || c->a >= 1.0f) {
		// Replacing pixels needs no pipeline: clear the clip rectangles.
		VkClearRect *clears = vk_scratch(pass->renderer, (size_t)n * sizeof(*clears));
		if (clears == NULL) {
			pass->failed = true;
			return;
		}
		for (int i = 0; i < n; i++) {
			clears[i] = (VkClearRect){
				.rect = {
					.offset = { rects[i].x1, rects[i].y1 },
					.extent = {
						(uint32_t)(rects[i].x2 - rects[i].x1),
						(uint32_t)(rects[i].y2 - rects[i].y1),
					},
				},
				.layerCount = 1,
			};
		}
		flush_batch(pass);
		vkCmdClearAttachments(pass->cb, 1, &(VkClearAttachment){
			.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
			.colorAttachment = 0,
			.clearValue.color.float32 = { c->r, c->g, c->b, c->a },
		}, (uint32_t)n, clears);
		end_draw(pass, draw);
		return;
	}
	bind_pipeline(pass, opts->blend, VK_PIPELINE_COLOR);
	if (pass->failed) {
		return;
	}
	struct vk_quad *quad = next_quad(pass);
	if (quad == NULL) {
		return;
	}
	dst_ndc(pass, &opts->box, quad->dst);
	memset(quad->uv_x, 0, sizeof(quad->uv_x));
	memset(quad->uv_y, 0, sizeof(quad->uv_y));
	memset(quad->texel_u, 0, sizeof(quad->texel_u));
	memset(quad->texel_v, 0, sizeof(quad->texel_v));
	memset(quad->texel_size, 0, sizeof(quad->texel_size));
	memcpy(quad->color, (float[4]){ c->r, c->g, c->b, c->a }, sizeof(quad->color));
	draw_clipped(pass, &opts->box, opts->clip);
	end_draw(pass, draw);
}

/*
 * The affine map from the unit square of the destination box to normalized
 * texture coordinates: the core's map with the box's corner as the origin,
 * scaled by the box's size.
 */
static void uv_matrix(const struct mosaic_texture_options *opts, float uv_x[4],
	float uv_y[4])
{
	const struct mosaic_box *dst = &opts->dst_box;
	struct mosaic_affine map;
	mosaic_texture_coords_map(&map, &opts->src_box, dst, opts->transform, dst->x, dst->y);
	float *rows[2] = { uv_x, uv_y };
	// The VkImage's size: YUV images may have a padding column and row (ycbcr_copy.c).
	const struct vk_image *image = vk_texture_from_base(opts->texture)->image;
	double size[2] = { image->extent_width, image->extent_height };
	for (int i = 0; i < 2; i++) {
		const double *m = &map.m[3 * i];
		rows[i][0] = (float)(m[0] * dst->width / size[i]);
		rows[i][1] = (float)(m[1] * dst->height / size[i]);
		rows[i][2] = (float)(m[2] / size[i]);
		rows[i][3] = 0.0f;
	}
}

/*
 * What texture.frag needs to pick texels as the pixman backend does with the
 * nearest filter (nearest.glsl): the core's map from framebuffer pixels to
 * texels, with the clip's top-left corner as the origin so that the terms
 * stay small where pixels are drawn, exactly as pixman's transform.
 */
static void texel_map(const struct mosaic_texture_options *opts, struct vk_quad *quad)
{
	if (opts->filter != MOSAIC_FILTER_NEAREST) {
		memset(quad->texel_u, 0, sizeof(quad->texel_u));
		memset(quad->texel_v, 0, sizeof(quad->texel_v));
		memset(quad->texel_size, 0, sizeof(quad->texel_size));
		return;
	}
	const pixman_box32_t *ext = pixman_region32_extents(opts->clip);
	struct mosaic_affine map;
	mosaic_texture_coords_map(&map, &opts->src_box, &opts->dst_box, opts->transform,
		ext->x1, ext->y1);
	const struct vk_image *image = vk_texture_from_base(opts->texture)->image;
	const double *m = map.m;
	memcpy(quad->texel_u, (float[4]){ (float)m[0], (float)m[1], (float)m[2],
		(float)ext->x1 }, sizeof(quad->texel_u));
	memcpy(quad->texel_v, (float[4]){ (float)m[3], (float)m[4], (float)m[5],
		(float)ext->y1 }, sizeof(quad->texel_v));
	// The VkImage's size: YUV images may have a padding column and row (ycbcr_copy.c).
	memcpy(quad->texel_size, (float[4]){
		(float)opts->texture->width, (float)opts->texture->height,
		(float)(1.0 / image->extent_width), (float)(1.0 / image->extent_height),
	}, sizeof(quad->texel_size));
}

/* Binds a YUV texture's pipeline and set (its sampler is in the set layout). */
static void bind_ycbcr(struct vk_pass *pass, const struct vk_ycbcr_binding *ycbcr,
	VkPipeline pipeline)
{
	if (pipeline != pass->bound_pipeline) {
		flush_batch(pass);
		vkCmdBindPipeline(pass->cb, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
		pass->bound_pipeline = pipeline;
	}
	if (ycbcr->set != pass->bound_texture) {
		flush_batch(pass);
		vkCmdBindDescriptorSets(pass->cb, VK_PIPELINE_BIND_POINT_GRAPHICS,
			vk_ycbcr_pipeline_layout(ycbcr->ycbcr), 0, 1, &ycbcr->set, 0, NULL);
		pass->bound_texture = ycbcr->set;
		// Another layout: the next RGB texture binds both of its sets again.
		pass->bound_sampler = VK_NULL_HANDLE;
	}
}

static void vk_pass_add_texture(struct mosaic_pass *base,
	const struct mosaic_texture_options *opts)
{
	struct vk_pass *pass = vk_pass_from_base(base);
	struct vk_renderer *r = pass->renderer;
	if (pass->failed) {
		return;
	}
	uint32_t draw = pass->n_draws++;
	struct vk_texture *texture = vk_texture_from_base(opts->texture);
	struct vk_image *image = texture->image;
	if (image == pass->target) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: a texture cannot be drawn into its own buffer");
		return;
	}
	if (pass->compute != NULL) {
		pass->failed = !vk_compute_add_texture(pass->compute, opts);
		image->last_seq = r->current->seq;
		return;
	}
	const struct vk_ycbcr_binding *ycbcr = NULL;
	VkPipeline ycbcr_pipeline = VK_NULL_HANDLE;
	if (image->format->yuv) {
		ycbcr = vk_ycbcr_image_binding(image, opts->filter);
		ycbcr_pipeline = ycbcr != NULL ? vk_ycbcr_pipeline(r, ycbcr->ycbcr, pass->setup,
			opts->blend) : VK_NULL_HANDLE;
		if (ycbcr_pipeline == VK_NULL_HANDLE) {
			pass->failed = true;
			return;
		}
	} else if (!vk_image_ensure_set(image)) {
		pass->failed = true;
		return;
	}
	if (!vk_image_ready(image, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL)) {
		// The upload command buffer runs before this pass's commands.
		VkCommandBuffer upload = vk_frame_upload_cb(r);
		if (upload == VK_NULL_HANDLE) {
			pass->failed = true;
			return;
		}
		vk_image_use(image, upload, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
	}
	image->last_seq = r->current->seq;

	add_touched(pass, opts->clip);
	if (pass->leading) {
		enum vk_copy_kind kind = vk_copy_texture_kind(r, opts, pass->target);
		if (kind != VK_COPY_NONE && vk_copy_add_texture(&pass->copies, opts, kind,
				pass->target, draw)) {
			return;
		}
		end_leading(pass);
	}
	if (ycbcr != NULL) {
		bind_ycbcr(pass, ycbcr, ycbcr_pipeline);
	} else {
		bind_pipeline(pass, opts->blend, VK_PIPELINE_TEXTURE);
	}
	if (pass->failed) {
		return;
	}
	VkDescriptorSet sampler = r->sampler_sets[opts->filter];
	if (ycbcr == NULL && (image->set != pass->bound_texture ||
			sampler != pass->bound_sampler)) {
		VkDescriptorSet sets[2] = { image->set, sampler };
		flush_batch(pass);
		vkCmdBindDescriptorSets(pass->cb, VK_PIPELINE_BIND_POINT_GRAPHICS,
			r->pipeline_layout, 0, 2, sets, 0, NULL);
		pass->bound_texture = image->set;
		pass->bound_sampler = sampler;
	}
	struct vk_quad *quad = next_quad(pass);
	if (quad == NULL) {
		return;
	}
	dst_ndc(pass, &opts->dst_box, quad->dst);
	uv_matrix(opts, quad->uv_x, quad->uv_y);
	texel_map(opts, quad);
	memcpy(quad->color, (float[4]){ *opts->alpha, 0.0f, 0.0f, 0.0f }, sizeof(quad->color));
	draw_clipped(pass, &opts->dst_box, opts->clip);
	end_draw(pass, draw);
}

static void end_draw(struct vk_pass *pass, uint32_t draw)
{
	if (pass->draw_timer != NULL) {
		flush_batch(pass);
		vk_draw_timer_mark(pass->draw_timer, pass->cb, draw);
	}
}

/* Starts the render pass instance the graphics path draws in. */
static void begin_render_pass(struct vk_pass *pass)
{
	struct vk_image *target = pass->target;
	if (pass->shm == NULL) {
		vk_image_use(target, pass->cb, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL);
	}
	pass->in_render_pass = true;
	VkRect2D area = { .extent = { (uint32_t)target->width, (uint32_t)target->height } };
	vkCmdBeginRenderPass(pass->cb, &(VkRenderPassBeginInfo){
		.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
		.renderPass = pass->setup->render_pass,
		.framebuffer = target->framebuffer,
		.renderArea = area,
	}, VK_SUBPASS_CONTENTS_INLINE);
	vkCmdSetViewport(pass->cb, 0, 1, &(VkViewport){
		.width = (float)target->width,
		.height = (float)target->height,
		.maxDepth = 1.0f,
	});
}

/* The graphics path's first draw: leading copies are kept where the fast path is on. */
static void start_graphics(struct vk_pass *pass)
{
	if (vk_copy_enabled()) {
		pass->leading = true;
	} else {
		begin_render_pass(pass);
	}
}

/*
 * The compute path: into a CPU target, its leading draws that are copies or
 * whole-target clears are done as transfers before the dispatch, which then
 * draws the rest; a copy of the whole target replaces everything before it.
 * The pixels the transfers write need not be loaded from host memory. Into
 * the renderer's own images the dispatch does everything: it writes each
 * pixel once, where a transfer first would write it twice (on an H200 a 4K
 * vkCmdClearColorImage takes 0.6 ms, the whole 16-window dispatch 0.2 ms).
 */
static bool record_compute_copies(struct vk_pass *pass, struct vk_compute_pass *cp)
{
	struct vk_renderer *r = pass->renderer;
	const struct vk_compute_draw *draws;
	size_t n_draws = vk_compute_pass_draws(cp, &draws);
	size_t k = 0;
	bool transfers = vk_copy_enabled() && pass->shm != NULL;
	for (; k < n_draws && transfers; k++) {
		const struct vk_compute_draw *d = &draws[k];
		if (!d->texture) {
			if (!vk_copy_rect_ok(&d->rect, pass->target) ||
					!vk_copy_add_clear(&pass->copies, &d->rect, pass->target,
						(uint32_t)k)) {
				break;
			}
			continue;
		}
		enum vk_copy_kind kind = vk_copy_texture_kind(r, &d->tex, pass->target);
		if (kind == VK_COPY_NONE) {
			break;
		}
		struct vk_image *image = vk_texture_from_base(d->tex.texture)->image;
		if (!vk_image_ready(image, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL)) {
			VkCommandBuffer upload = vk_frame_upload_cb(r);
			if (upload == VK_NULL_HANDLE) {
				return false;
			}
			vk_image_use(image, upload, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
		}
		if (!vk_copy_add_texture(&pass->copies, &d->tex, kind, pass->target,
				(uint32_t)k)) {
			break;
		}
	}
	if (pass->draw_timer != NULL) {
		// The dispatch's time is shared by the pixels of the draws it does.
		for (size_t i = k; i < n_draws; i++) {
			int n;
			const pixman_box32_t *b = pixman_region32_rectangles(&draws[i].clip, &n);
			uint64_t pixels = 0;
			for (int j = 0; j < n; j++) {
				pixels += (uint64_t)(b[j].x2 - b[j].x1) * (uint64_t)(b[j].y2 - b[j].y1);
			}
			if (!vk_draw_timer_weigh(pass->draw_timer, (uint32_t)i, pixels)) {
				return false;
			}
		}
	}
	vk_compute_pass_drop_front(cp, k);
	return vk_copy_record(r, &pass->copies, pass->cb, pass->target, pass->shm != NULL,
		pass->draw_timer, &pass->written);
}

/* Loads a CPU target's touched pixels, but those the copy fast path replaces. */
static bool record_load(struct vk_pass *pass)
{
	pixman_region32_t load;
	pixman_region32_init(&load);
	if (!pixman_region32_subtract(&load, &pass->touched, &pass->written)) {
		// More is loaded, never less.
		pixman_region32_fini(&load);
		pixman_region32_init(&load);
		pixman_region32_copy(&load, &pass->touched);
	}
	bool ok = vk_shm_target_record_load(pass->shm, pass->base.buffer, &load);
	pixman_region32_fini(&load);
	return ok;
}

static void pass_free(struct vk_pass *pass)
{
	pixman_region32_fini(&pass->written);
	vk_copy_ops_finish(&pass->copies);
	vk_compute_pass_destroy(pass->compute);
	pixman_region32_fini(&pass->touched);
	mosaic_touched_finish(&pass->touched_boxes);
	pass->renderer->open_pass = NULL;
	vk_image_unref(pass->target);
	free(pass);
}

static bool vk_pass_submit(struct mosaic_pass *base, uint64_t point, int *out_sync_file)
{
	struct vk_pass *pass = vk_pass_from_base(base);
	struct vk_renderer *r = pass->renderer;
	struct vk_frame *frame = r->current;
	// The compute path, or the graphics path for the draws it kept (see compute.c).
	struct vk_compute_pass *cp = pass->compute;
	pass->compute = NULL;
	bool compute = cp != NULL && !pass->failed && vk_compute_pass_supported(r, cp);
	const struct vk_compute_draw *draws = NULL;
	size_t n_draws = cp != NULL ? vk_compute_pass_draws(cp, &draws) : 0;
	if (cp != NULL && !compute) {
		// The draws are counted again as they are replayed.
		pass->n_draws = 0;
		start_graphics(pass);
	}
	for (size_t i = 0; i < n_draws; i++) {
		if (compute) {
			add_touched(pass, &draws[i].clip);
		} else if (draws[i].texture) {
			vk_pass_add_texture(base, &draws[i].tex);
		} else {
			vk_pass_add_rect(base, &draws[i].rect);
		}
	}
	pass->compute = cp;
	r->last_path = compute ? "compute" : "graphics";
	bool compute_ok = true;
	if (compute) {
		// The copies first: a CPU target's load leaves out what they replace.
		compute_ok = record_compute_copies(pass, cp);
		if (pass->shm != NULL) {
			mosaic_touched_build(&pass->touched_boxes, &pass->touched, 256);
			// Into the upload command buffer, which runs before the dispatch.
			compute_ok = record_load(pass) && compute_ok;
		}
		compute_ok = vk_compute_record(r, cp, pass->cb, pass->target, pass->shm != NULL,
			pass->draw_timer) && compute_ok;
		vk_draw_timer_mark(pass->draw_timer, pass->cb, VK_DRAW_TIMER_DISPATCH);
	} else {
		if (pass->leading && pass->copies.n > 0) {
			// Only copies: no render pass at all.
			pass->leading = false;
			pass->failed = !vk_copy_record(r, &pass->copies, pass->cb, pass->target,
				pass->shm != NULL, pass->draw_timer, &pass->written) || pass->failed;
		}
		end_leading(pass);
		if (pass->in_render_pass) {
			flush_batch(pass);
			vkCmdEndRenderPass(pass->cb);
		}
	}
	if (frame->quads.buffer != VK_NULL_HANDLE) {
		vk_host_buffer_flush_range(r, &frame->quads, 0,
			(VkDeviceSize)pass->n_quads * sizeof(struct vk_quad));
	}
	if (pass->timer != NULL) {
		vkCmdWriteTimestamp(pass->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, frame->queries, 1);
	}
	if (pass->draw_timer != NULL) {
		vk_draw_timer_end(pass->draw_timer, pass->n_draws);
	}
	bool ok = !pass->failed && compute_ok;
	if (pass->target->linear != NULL) {
		// A dmabuf imported as a buffer: the pixels go back into it.
		vk_image_store_linear(pass->target, pass->cb);
	}
	if (pass->shm != NULL) {
		if (!compute) {
			mosaic_touched_build(&pass->touched_boxes, &pass->touched, 256);
			// Recorded last, run first: the upload command buffer precedes the draws.
			ok = record_load(pass) && ok;
		}
		ok = vk_shm_target_record_store(pass->shm, pass->cb, &pass->touched) && ok;
	}
	pass->target->last_seq = frame->seq;
	uint64_t seq = frame->seq;
	frame->signal = out_sync_file != NULL && r->feat.sync_file_export;
	if (!vk_frame_submit(r, ok ? point : 0)) {
		ok = false;
	}
	if (ok && frame->signal) {
		*out_sync_file = vk_frame_export_sync_file(r, frame);
	}
	if (ok && pass->shm != NULL && pixman_region32_not_empty(&pass->touched)) {
		// A CPU buffer is only complete once its pixels are back in it: the one wait
		// the backend does on behalf of a pass (none when nothing was drawn).
		ok = vk_wait_seq(r, seq, -1) &&
			vk_shm_target_store(pass->shm, pass->base.buffer, &pass->touched);
	}
	pass_free(pass);
	return ok;
}

/* The frame's submission waits for it; without sync_file import the core waits on the CPU. */
static bool vk_pass_wait_sync_file(struct mosaic_pass *base, int fd)
{
	struct vk_pass *pass = vk_pass_from_base(base);
	struct vk_renderer *r = pass->renderer;
	if (!r->feat.sync_file_import || r->current->n_waits == VK_MAX_WAIT_SYNC_FILES) {
		return false;
	}
	return vk_frame_wait_sync_file(r, fd);
}

static const struct mosaic_pass_impl vk_pass_impl = {
	.add_rect = vk_pass_add_rect,
	.add_texture = vk_pass_add_texture,
	.wait_sync_file = vk_pass_wait_sync_file,
	.submit = vk_pass_submit,
};

struct mosaic_pass *vk_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	char name[32];
	// The core lets a renderer have one open pass.
	assert(r->open_pass == NULL);
	struct vk_pass *pass = calloc(1, sizeof(*pass));
	if (pass == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	pass->renderer = r;
	pass->scissor = (pixman_box32_t){ 0, 0, -1, -1 };
	pixman_region32_init(&pass->touched);
	pixman_region32_init(&pass->written);
	mosaic_touched_init(&pass->touched_boxes);

	if (mosaic_buffer_is_vulkan(buffer)) {
		struct vk_buffer *b = vk_buffer_from_base(buffer);
		if (b->renderer != r) {
			mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the buffer belongs to another renderer");
			goto err;
		}
		pass->target = b->image;
	} else if ((mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DMABUF) && r->feat.dmabuf) {
		pass->target = vk_dmabuf_get_image(r, buffer, true);
		if (pass->target == NULL) {
			goto err;
		}
	} else if (mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DATA_PTR) {
		// The core checks the layout and logs why it cannot reach the pixels.
		struct mosaic_buffer_access access;
		if (!mosaic_buffer_access_begin(&access, buffer, MOSAIC_BUFFER_DATA_ACCESS_READ)) {
			goto err;
		}
		uint32_t fourcc = access.fourcc;
		mosaic_buffer_access_end(&access);
		const struct vk_format *format = vk_format_from_fourcc(r, fourcc);
		if (format == NULL || !format->render) {
			mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot render into %s",
				mosaic_format_name(fourcc, name));
			goto err;
		}
		pass->shm = vk_shm_target_get(r, buffer, format);
		if (pass->shm == NULL) {
			goto err;
		}
		pass->target = pass->shm->image;
	} else if (mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DMABUF) {
		pass->target = vk_dmabuf_get_image(r, buffer, true);
		if (pass->target == NULL) {
			goto err;
		}
	} else {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot render into this buffer (no CPU "
			"access, no dmabuf)");
		goto err;
	}
	vk_image_ref(pass->target);

	struct vk_image *target = pass->target;
	pass->setup = vk_render_setup_get(r, target->format->format);
	if (pass->setup == NULL || !vk_image_ensure_framebuffer(target, pass->setup->render_pass)) {
		goto err_target;
	}
	struct vk_frame *frame = vk_frame_get(r);
	if (frame == NULL) {
		goto err_target;
	}
	// The frame's first quads go into a buffer made now rather than by the first draw.
	if (frame->quads.buffer == VK_NULL_HANDLE && !vk_host_buffer_init(r, &frame->quads,
			QUADS_MIN * sizeof(struct vk_quad), VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, false,
			"mosaic quads")) {
		goto err_target;
	}
	if (vk_compute_target_ok(r, target)) {
		pass->compute = vk_compute_pass_create();
		if (pass->compute == NULL) {
			goto err_target;
		}
	}
	// What can fail comes before anything is recorded: a pass that fails to begin
	// leaves the frame as it found it, for the next pass or upload. (The core hands
	// sync_files to the pass once it has begun: wait_sync_file below.)
	assert(options->n_wait_sync_files == 0);
	// A CPU target's pixels are loaded through the upload command buffer at
	// submit (recorded last, run first): it is opened now, where its failure
	// fails the pass before anything was recorded.
	if (pass->shm != NULL && vk_frame_upload_cb(r) == VK_NULL_HANDLE) {
		goto err_target;
	}
	pass->cb = vk_frame_render_cb(r);
	if (pass->cb == VK_NULL_HANDLE) {
		goto err_target;
	}
	if (options->timer != NULL && frame->queries != VK_NULL_HANDLE) {
		pass->timer = mosaic_container_of(options->timer, struct vk_timer, base);
		pass->timer->seq = frame->seq;
		pass->timer->pending = true;
		frame->timer = pass->timer;
		vkCmdResetQueryPool(pass->cb, frame->queries, 0, 2);
		vkCmdWriteTimestamp(pass->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, frame->queries, 0);
		// Without its pool (logged) the pass is timed as a whole only.
		if (options->timer->per_draw && vk_draw_timer_begin(r, pass->timer, pass->cb)) {
			pass->draw_timer = pass->timer;
		}
		pass->timer->draws_valid = false;
	}

	target->last_seq = frame->seq;
	r->last_copies = 0;
	if (pass->compute == NULL) {
		start_graphics(pass);
	}
	r->open_pass = pass;
	mosaic_pass_init(&pass->base, &vk_pass_impl, renderer, buffer);
	return &pass->base;

err_target:
	vk_compute_pass_destroy(pass->compute);
	vk_image_unref(pass->target);
err:
	pixman_region32_fini(&pass->written);
	pixman_region32_fini(&pass->touched);
	mosaic_touched_finish(&pass->touched_boxes);
	free(pass);
	return NULL;
}
