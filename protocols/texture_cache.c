/*
 * The texture cache of a Wayland surface (struct mosaic_surface_texture):
 * keeps the texture of the surface's current buffer, updates copies with the
 * damage, reuses dmabuf imports, and holds replaced buffers until the passes
 * that read them complete.
 */
#include <stdlib.h>

#include <wayland-server-core.h>

#include <mosaic/texture.h>
#include <mosaic/wayland.h>

#include "private/export.h"
#include "private/log.h"

/* A dmabuf the renderer may still read: kept locked until `point` completes. */
struct held_buffer {
	struct mosaic_buffer *buffer;
	uint64_t point;
	struct wl_list link;
};

struct mosaic_surface_texture {
	struct mosaic_renderer *renderer;
	struct mosaic_texture *texture;
	/* The texture is a copy (shm) that damage can update in place. */
	bool texture_is_copy;
	/* The imported buffer behind the texture (dmabuf only), locked. */
	struct mosaic_buffer *current;
	uint64_t current_point;
	/* struct held_buffer: replaced imports waiting for their last pass. */
	struct wl_list retired;
};

MOSAIC_EXPORT struct mosaic_surface_texture *mosaic_surface_texture_create(
	struct mosaic_renderer *renderer)
{
	if (renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "surface texture: no renderer given");
		return NULL;
	}
	struct mosaic_surface_texture *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	st->renderer = renderer;
	wl_list_init(&st->retired);
	return st;
}

MOSAIC_EXPORT void mosaic_surface_texture_collect(struct mosaic_surface_texture *st)
{
	if (st == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "surface texture: none given");
		return;
	}
	if (wl_list_empty(&st->retired)) {
		return;
	}
	uint64_t done = mosaic_renderer_get_completed_point(st->renderer);
	struct held_buffer *held, *tmp;
	wl_list_for_each_safe(held, tmp, &st->retired, link) {
		if (held->point <= done) {
			wl_list_remove(&held->link);
			mosaic_buffer_unlock(held->buffer);
			free(held);
		}
	}
}

/* Stops using the current import; its buffer is released after its last pass. */
static void retire_current(struct mosaic_surface_texture *st)
{
	if (st->current == NULL) {
		return;
	}
	struct held_buffer *held = calloc(1, sizeof(*held));
	if (held == NULL) {
		// Without memory to remember it, waiting now is the safe choice.
		mosaic_renderer_wait_point(st->renderer, st->current_point, -1);
		mosaic_buffer_unlock(st->current);
	} else {
		held->buffer = st->current;
		held->point = st->current_point;
		wl_list_insert(st->retired.prev, &held->link);
	}
	st->current = NULL;
	st->current_point = 0;
}

static void replace_texture(struct mosaic_surface_texture *st, struct mosaic_texture *texture,
	bool is_copy, struct mosaic_buffer *imported)
{
	mosaic_texture_destroy(st->texture);
	retire_current(st);
	st->texture = texture;
	st->texture_is_copy = is_copy;
	st->current = imported;
}

/* Copies the damaged part of a CPU-accessible buffer into the texture. */
static bool commit_copy(struct mosaic_surface_texture *st, struct mosaic_buffer *buffer,
	const pixman_region32_t *damage)
{
	if (st->texture != NULL && st->texture_is_copy &&
			mosaic_texture_get_width(st->texture) == buffer->width &&
			mosaic_texture_get_height(st->texture) == buffer->height) {
		// Same size: the format decides whether the texture can be reused.
		void *data;
		uint32_t fourcc, stride;
		if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
				&fourcc, &stride)) {
			return false;
		}
		mosaic_buffer_end_data_access(buffer);
		if (fourcc == mosaic_texture_get_fourcc(st->texture)) {
			return mosaic_texture_update_from_buffer(st->texture, buffer, damage);
		}
	}
	struct mosaic_texture *texture = mosaic_texture_from_buffer(st->renderer, buffer);
	if (texture == NULL) {
		return false;
	}
	replace_texture(st, texture, true, NULL);
	return true;
}

MOSAIC_EXPORT bool mosaic_surface_texture_commit(struct mosaic_surface_texture *st,
	struct wl_resource *resource, const pixman_region32_t *damage)
{
	if (st == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "surface texture: none given");
		return false;
	}
	mosaic_surface_texture_collect(st);
	if (resource == NULL) {
		replace_texture(st, NULL, false, NULL);
		return true;
	}
	struct mosaic_buffer *buffer = mosaic_wl_buffer_from_resource(resource);
	if (buffer == NULL) {
		return false;
	}

	// The lock keeps the buffer (and the client's wl_buffer.release) until
	// the renderer is done with it: right below for copies, after the last
	// pass for imports.
	mosaic_buffer_lock(buffer);
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	if (caps & MOSAIC_BUFFER_CAP_DATA_PTR) {
		bool ok = commit_copy(st, buffer, damage);
		mosaic_buffer_unlock(buffer);
		return ok;
	}
	if (buffer == st->current) {
		// The same dmabuf again: the import already shows its new content.
		mosaic_buffer_unlock(buffer);
		return true;
	}
	struct mosaic_texture *texture = mosaic_texture_from_buffer(st->renderer, buffer);
	if (texture == NULL) {
		mosaic_buffer_unlock(buffer);
		return false;
	}
	replace_texture(st, texture, false, buffer);
	return true;
}

MOSAIC_EXPORT struct mosaic_texture *mosaic_surface_texture_get_texture(
	struct mosaic_surface_texture *st)
{
	if (st == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "surface texture: none given");
		return NULL;
	}
	return st->texture;
}

MOSAIC_EXPORT void mosaic_surface_texture_mark_used(struct mosaic_surface_texture *st,
	uint64_t point)
{
	if (st == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "surface texture: none given");
		return;
	}
	if (point > st->current_point) {
		st->current_point = point;
	}
}

MOSAIC_EXPORT void mosaic_surface_texture_destroy(struct mosaic_surface_texture *st)
{
	if (st == NULL) {
		return;
	}
	replace_texture(st, NULL, false, NULL);
	struct held_buffer *held, *tmp;
	wl_list_for_each_safe(held, tmp, &st->retired, link) {
		wl_list_remove(&held->link);
		mosaic_buffer_unlock(held->buffer);
		free(held);
	}
	free(st);
}
