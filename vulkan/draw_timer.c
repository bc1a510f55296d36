#include <stdlib.h>
#include <string.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * Per-draw GPU times (timers made with per_draw). Each frame has a second
 * timestamp pool: timestamp 0 where the pass begins, then one after each
 * measured unit of work, with the draw it ends noted in the timer. A draw's
 * time is the difference from the timestamp before. On the compute path the
 * dispatch is one unit for many draws: its time is shared out by the pixels
 * each covers (VK_DRAW_TIMER_DISPATCH).
 */

/* The first pool of a frame holds this many timestamps; it grows to what passes need. */
#define DRAW_QUERIES_MIN 256u

static bool grow_array(void **array, uint32_t *cap, size_t need, size_t size)
{
	if (need <= *cap) {
		return true;
	}
	size_t n = *cap > 0 ? *cap : 64;
	while (n < need) {
		n *= 2;
	}
	void *bigger = realloc(*array, n * size);
	if (bigger == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	*array = bigger;
	*cap = (uint32_t)n;
	return true;
}

bool vk_draw_timer_begin(struct vk_renderer *r, struct vk_timer *t, VkCommandBuffer cb)
{
	struct vk_frame *f = r->current;
	uint32_t want = t->want_queries > DRAW_QUERIES_MIN ? t->want_queries : DRAW_QUERIES_MIN;
	if (f->draw_queries == VK_NULL_HANDLE || f->draw_queries_cap < want) {
		// The frame's previous submission is complete: its pool is free.
		vkDestroyQueryPool(r->dev, f->draw_queries, NULL);
		f->draw_queries = VK_NULL_HANDLE;
		f->draw_queries_cap = 0;
		VkResult res = vkCreateQueryPool(r->dev, &(VkQueryPoolCreateInfo){
			.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
			.queryType = VK_QUERY_TYPE_TIMESTAMP,
			.queryCount = want,
		}, NULL, &f->draw_queries);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkCreateQueryPool");
			return false;
		}
		r->create_count++;
		f->draw_queries_cap = want;
	}
	t->n_marks = 0;
	t->n_weights = 0;
	t->n_draws = 0;
	t->overflow = false;
	t->estimate = false;
	t->tiles_recorded = false;
	vkCmdResetQueryPool(cb, f->draw_queries, 0, f->draw_queries_cap);
	vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, f->draw_queries, 0);
	return true;
}

void vk_draw_timer_mark(struct vk_timer *t, VkCommandBuffer cb, uint32_t draw)
{
	if (t == NULL) {
		return;
	}
	struct vk_frame *f = t->renderer->current;
	if (t->n_marks + 1 >= f->draw_queries_cap ||
			!grow_array((void **)&t->marks, &t->marks_cap, t->n_marks + 1,
				sizeof(*t->marks))) {
		// Counted: the next pass of this timer gets a larger pool.
		t->overflow = true;
		t->n_marks++;
		return;
	}
	vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, f->draw_queries,
		t->n_marks + 1);
	t->marks[t->n_marks++] = draw;
}

bool vk_draw_timer_weigh(struct vk_timer *t, uint32_t draw, uint64_t pixels)
{
	if (!grow_array((void **)&t->weights, &t->weights_cap, (size_t)draw + 1,
			sizeof(*t->weights))) {
		return false;
	}
	for (uint32_t i = t->n_weights; i <= draw; i++) {
		t->weights[i] = 0;
	}
	t->n_weights = t->n_weights > draw + 1 ? t->n_weights : draw + 1;
	t->weights[draw] = pixels;
	t->estimate = true;
	return true;
}

void vk_draw_timer_end(struct vk_timer *t, uint32_t n_draws)
{
	t->n_draws = n_draws;
	if (t->overflow) {
		t->want_queries = 2 * (t->n_marks + 1);
	}
}

/* Shares the dispatch's time out by the ticks each tile measured (compute.c). */
static void read_tiles(struct vk_renderer *r, struct vk_frame *f, struct vk_timer *t,
	double dispatch_ns)
{
	t->tiles_valid = false;
	const uint32_t *ticks = vk_compute_read_tiles(r, f, t);
	if (ticks == NULL || dispatch_ns < 0.0) {
		return;
	}
	size_t n = (size_t)t->tiles.columns * (size_t)t->tiles.rows;
	if (!grow_array((void **)&t->tile_ns, &t->tile_ns_cap, n, sizeof(*t->tile_ns))) {
		return;
	}
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += ticks[i];
	}
	for (size_t i = 0; i < n; i++) {
		t->tile_ns[i] = total > 0 ?
			(int64_t)(dispatch_ns * (double)ticks[i] / (double)total) : 0;
	}
	t->tiles_valid = true;
}

void vk_draw_timer_read(struct vk_renderer *r, struct vk_frame *f, struct vk_timer *t)
{
	t->draws_valid = false;
	uint32_t n = t->overflow ? 0 : t->n_marks;
	if (!grow_array((void **)&t->draw_ns, &t->draw_ns_cap, t->n_draws, sizeof(*t->draw_ns))) {
		return;
	}
	for (uint32_t i = 0; i < t->n_draws; i++) {
		t->draw_ns[i] = t->overflow ? -1 : 0;
	}
	// Not the renderer's scratch array: frames complete inside calls that hold it.
	uint64_t *ts = malloc(((size_t)n + 1) * sizeof(*ts));
	if (ts == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return;
	}
	VkResult res = vkGetQueryPoolResults(r->dev, f->draw_queries, 0, n + 1,
		((size_t)n + 1) * sizeof(*ts), ts, sizeof(*ts), VK_QUERY_RESULT_64_BIT);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetQueryPoolResults");
		free(ts);
		return;
	}
	uint64_t mask = r->feat.timestamp_bits >= 64 ? UINT64_MAX :
		(UINT64_C(1) << r->feat.timestamp_bits) - 1;
	uint64_t total_weight = 0;
	for (uint32_t i = 0; i < t->n_weights && i < t->n_draws; i++) {
		total_weight += t->weights[i];
	}
	double dispatch_ns = -1.0;
	for (uint32_t q = 0; q < n; q++) {
		double ns = (double)((ts[q + 1] - ts[q]) & mask) * r->feat.timestamp_period;
		uint32_t draw = t->marks[q];
		if (draw == VK_DRAW_TIMER_DISPATCH) {
			dispatch_ns = ns;
		}
		if (draw != VK_DRAW_TIMER_DISPATCH) {
			if (draw < t->n_draws) {
				t->draw_ns[draw] += (int64_t)ns;
			}
			continue;
		}
		for (uint32_t i = 0; i < t->n_weights && i < t->n_draws && total_weight > 0; i++) {
			t->draw_ns[i] += (int64_t)(ns * (double)t->weights[i] / (double)total_weight);
		}
	}
	free(ts);
	t->draws_valid = true;
	read_tiles(r, f, t, dispatch_ns);
}

size_t vk_draw_timer_get(struct vk_timer *t, int64_t *out_ns, size_t cap,
	enum mosaic_draw_times *kind)
{
	if (!t->draws_valid) {
		return 0;
	}
	*kind = t->estimate ? MOSAIC_DRAW_TIMES_GPU_ESTIMATE : MOSAIC_DRAW_TIMES_GPU;
	size_t n = t->n_draws < cap ? t->n_draws : cap;
	if (n > 0) {
		memcpy(out_ns, t->draw_ns, n * sizeof(*out_ns));
	}
	return t->n_draws;
}

size_t vk_draw_timer_get_tiles(struct vk_timer *t, int64_t *out_ns, size_t cap,
	struct mosaic_tile_grid *grid)
{
	if (!t->draws_valid || !t->tiles_valid) {
		return 0;
	}
	*grid = t->tiles;
	size_t total = (size_t)t->tiles.columns * (size_t)t->tiles.rows;
	size_t n = total < cap ? total : cap;
	// out_ns may be NULL with cap 0 (asking for the count).
	if (n > 0) {
		memcpy(out_ns, t->tile_ns, n * sizeof(*out_ns));
	}
	return total;
}

void vk_draw_timer_finish(struct vk_timer *t)
{
	free(t->tile_ns);
	free(t->marks);
	free(t->weights);
	free(t->draw_ns);
}
