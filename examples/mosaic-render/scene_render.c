#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "pixels.h"
#include "scene.h"

struct layer_state {
	struct mosaic_texture *texture;
	/** Holds the layer's pixels in shared memory, as a wl_shm client buffer would. */
	struct mosaic_buffer *source;
	pixman_region32_t clip;
	pixman_region32_t damage;
	uint64_t damage_bytes;
};

struct scene_renderer {
	const struct scene *scene;
	struct mosaic_renderer *renderer;
	struct mosaic_buffer *output;
	struct layer_state *layers;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Adds the boxes that have an area to an initialized region. */
static void region_from_boxes(pixman_region32_t *region, const struct mosaic_box *boxes,
	size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (boxes[i].width > 0 && boxes[i].height > 0) {
			pixman_region32_union_rect(region, region, boxes[i].x, boxes[i].y,
				(unsigned)boxes[i].width, (unsigned)boxes[i].height);
		}
	}
}

static bool can_use(const struct mosaic_format_set *set, uint32_t fourcc)
{
	return mosaic_format_set_has(set, fourcc, DRM_FORMAT_MOD_LINEAR);
}

static struct mosaic_buffer *create_source(const struct scene_layer *layer,
	struct mosaic_allocator *allocator)
{
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(allocator,
		layer->image_width, layer->image_height, layer->format, NULL, 0);
	if (buffer == NULL) {
		return NULL;
	}
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data, &fourcc,
			&stride)) {
		mosaic_buffer_drop(buffer);
		return NULL;
	}
	scene_layer_fill(layer, fourcc, stride, data);
	mosaic_buffer_end_data_access(buffer);
	return buffer;
}

static bool init_layer(struct scene_renderer *sr, const struct scene_layer *layer,
	struct layer_state *state, struct mosaic_allocator *allocator, char *error)
{
	char name[32];
	const struct scene *scene = sr->scene;
	struct mosaic_box whole = { 0, 0, scene->width, scene->height };
	if (layer->has_clip) {
		region_from_boxes(&state->clip, layer->clip_boxes, layer->n_clip_boxes);
	} else {
		region_from_boxes(&state->clip, &whole, 1);
	}
	if (layer->kind != SCENE_LAYER_TEXTURE) {
		return true;
	}

	if (mosaic_format_get_info(layer->format)->is_yuv) {
		// YUV arrives as dmabuf planes (here memfds standing in for them).
		if (!can_use(mosaic_renderer_get_texture_formats(sr->renderer,
				MOSAIC_BUFFER_CAP_DMABUF), layer->format)) {
			snprintf(error, SCENE_ERROR_SIZE, "%s.format: the %s renderer cannot "
				"texture from %s dmabufs", layer->where,
				mosaic_backend_name(mosaic_renderer_get_backend(sr->renderer)),
				mosaic_format_name(layer->format, name));
			return false;
		}
		state->source = scene_yuv_buffer_create(layer, error);
		if (state->source == NULL) {
			return false;
		}
	} else if (!can_use(mosaic_renderer_get_texture_formats(sr->renderer,
			MOSAIC_BUFFER_CAP_DATA_PTR), layer->format)) {
		snprintf(error, SCENE_ERROR_SIZE, "%s.format: the %s renderer cannot texture "
			"from %s", layer->where,
			mosaic_backend_name(mosaic_renderer_get_backend(sr->renderer)),
			mosaic_format_name(layer->format, name));
		return false;
	}
	if (state->source == NULL) {
		state->source = create_source(layer, allocator);
	}
	if (state->source == NULL) {
		snprintf(error, SCENE_ERROR_SIZE, "%s.image: cannot allocate a %dx%d %s buffer",
			layer->where, layer->image_width, layer->image_height,
			mosaic_format_name(layer->format, name));
		return false;
	}
	state->texture = mosaic_texture_from_buffer(sr->renderer, state->source);
	if (state->texture == NULL) {
		snprintf(error, SCENE_ERROR_SIZE, "%s.image: the renderer cannot make a texture "
			"of it%s", layer->where, mosaic_format_get_info(layer->format)->is_yuv ?
			" (cannot import the memfd-backed dmabuf)" : "");
		return false;
	}

	struct mosaic_box image = { 0, 0, layer->image_width, layer->image_height };
	switch (layer->damage) {
	case SCENE_DAMAGE_NONE:
		break;
	case SCENE_DAMAGE_ALL:
		region_from_boxes(&state->damage, &image, 1);
		break;
	case SCENE_DAMAGE_BOXES:
		region_from_boxes(&state->damage, layer->damage_boxes, layer->n_damage_boxes);
		break;
	}
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(&state->damage, &n);
	uint32_t bpp = pixels_bytes_per_pixel(layer->format);
	for (int i = 0; i < n; i++) {
		state->damage_bytes += (uint64_t)(rects[i].x2 - rects[i].x1) *
			(uint64_t)(rects[i].y2 - rects[i].y1) * bpp;
	}
	return true;
}

struct scene_renderer *scene_renderer_create(const struct scene *scene,
	struct mosaic_renderer *renderer, char error[static SCENE_ERROR_SIZE])
{
	char name[32];
	error[0] = '\0';
	const char *backend = mosaic_backend_name(mosaic_renderer_get_backend(renderer));
	if (!can_use(mosaic_renderer_get_render_formats(renderer, MOSAIC_BUFFER_CAP_DATA_PTR),
			scene->format)) {
		snprintf(error, SCENE_ERROR_SIZE, "output.format: the %s renderer cannot render "
			"into %s", backend, mosaic_format_name(scene->format, name));
		return NULL;
	}
	struct scene_renderer *sr = calloc(1, sizeof(*sr));
	struct mosaic_allocator *allocator = mosaic_shm_allocator_create();
	if (sr == NULL || allocator == NULL) {
		snprintf(error, SCENE_ERROR_SIZE, "out of memory");
		free(sr);
		mosaic_allocator_destroy(allocator);
		return NULL;
	}
	sr->scene = scene;
	sr->renderer = renderer;
	sr->layers = calloc(scene->n_layers > 0 ? scene->n_layers : 1, sizeof(*sr->layers));
	sr->output = mosaic_allocator_create_buffer(allocator, scene->width, scene->height,
		scene->format, NULL, 0);
	if (sr->layers == NULL || sr->output == NULL) {
		snprintf(error, SCENE_ERROR_SIZE, "output: cannot allocate a %dx%d %s buffer",
			scene->width, scene->height, mosaic_format_name(scene->format, name));
		goto err;
	}
	for (size_t i = 0; i < scene->n_layers; i++) {
		pixman_region32_init(&sr->layers[i].clip);
		pixman_region32_init(&sr->layers[i].damage);
	}
	for (size_t i = 0; i < scene->n_layers; i++) {
		if (!init_layer(sr, &scene->layers[i], &sr->layers[i], allocator, error)) {
			goto err;
		}
	}
	mosaic_allocator_destroy(allocator);
	return sr;

err:
	mosaic_allocator_destroy(allocator);
	if (sr->layers == NULL || sr->output == NULL) {
		mosaic_buffer_drop(sr->output);
		free(sr->layers);
		free(sr);
		return NULL;
	}
	scene_renderer_destroy(sr);
	return NULL;
}

void scene_renderer_destroy(struct scene_renderer *sr)
{
	if (sr == NULL) {
		return;
	}
	for (size_t i = 0; i < sr->scene->n_layers; i++) {
		struct layer_state *state = &sr->layers[i];
		mosaic_texture_destroy(state->texture);
		mosaic_buffer_drop(state->source);
		pixman_region32_fini(&state->clip);
		pixman_region32_fini(&state->damage);
	}
	free(sr->layers);
	mosaic_buffer_drop(sr->output);
	free(sr);
}

struct mosaic_buffer *scene_renderer_get_output(struct scene_renderer *sr)
{
	return sr->output;
}

/* Straight-alpha scene color to the API's premultiplied one. */
static struct mosaic_color premultiply(const struct scene_color *c)
{
	return (struct mosaic_color){ c->r * c->a, c->g * c->a, c->b * c->a, c->a };
}

bool scene_renderer_draw(struct scene_renderer *sr, struct mosaic_render_timer *timer,
	struct scene_frame_stats *stats, char error[static SCENE_ERROR_SIZE])
{
	const struct scene *scene = sr->scene;
	struct scene_frame_stats s = { .gpu_ms = -1.0 };
	error[0] = '\0';

	double start = now_ms();
	for (size_t i = 0; i < scene->n_layers; i++) {
		struct layer_state *state = &sr->layers[i];
		if (state->damage_bytes == 0) {
			continue;
		}
		double t = now_ms();
		if (!mosaic_texture_update_from_buffer(state->texture, state->source,
				&state->damage)) {
			snprintf(error, SCENE_ERROR_SIZE, "%s: uploading the damage failed",
				scene->layers[i].where);
			return false;
		}
		s.upload_ms += now_ms() - t;
		s.upload_bytes += state->damage_bytes;
	}

	struct mosaic_pass *pass = mosaic_renderer_begin_pass(sr->renderer, sr->output,
		&(struct mosaic_pass_options){ .timer = timer });
	if (pass == NULL) {
		snprintf(error, SCENE_ERROR_SIZE, "output: the renderer cannot draw into it");
		return false;
	}
	bool ok = true;
	if (scene->has_clear) {
		ok = mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, scene->width, scene->height },
			.color = premultiply(&scene->clear),
			.blend = MOSAIC_BLEND_NONE,
		});
		if (!ok) {
			snprintf(error, SCENE_ERROR_SIZE, "clear: the renderer refused it");
		}
	}
	for (size_t i = 0; ok && i < scene->n_layers; i++) {
		const struct scene_layer *layer = &scene->layers[i];
		struct layer_state *state = &sr->layers[i];
		if (layer->kind == SCENE_LAYER_RECT) {
			ok = mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = layer->rect,
				.color = premultiply(&layer->color),
				.clip = &state->clip,
				.blend = layer->blend,
			});
		} else {
			ok = mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
				.texture = state->texture,
				.src_box = layer->src,
				.dst_box = layer->dst,
				.alpha = &layer->alpha,
				.clip = &state->clip,
				.transform = layer->transform,
				.filter = layer->filter,
				.blend = layer->blend,
			});
		}
		if (!ok) {
			snprintf(error, SCENE_ERROR_SIZE, "%s: the renderer refused it",
				layer->where);
		}
	}
	struct mosaic_pass_completion done;
	// Submit even after a refused draw: the pass must be freed either way.
	if (!mosaic_pass_submit(pass, &done)) {
		if (ok) {
			snprintf(error, SCENE_ERROR_SIZE, "output: submitting the frame failed");
		}
		return false;
	}
	s.cpu_ms = now_ms() - start;
	if (!ok) {
		return false;
	}
	if (done.sync_file_fd >= 0) {
		// Not asked for; close it should a backend give one anyway.
		close(done.sync_file_fd);
	}
	if (!mosaic_renderer_wait_point(sr->renderer, done.point, -1)) {
		snprintf(error, SCENE_ERROR_SIZE, "output: waiting for the frame failed");
		return false;
	}
	s.wall_ms = now_ms() - start;
	if (timer != NULL) {
		int64_t ns = mosaic_render_timer_get_duration_ns(timer);
		s.gpu_ms = ns >= 0 ? (double)ns / 1e6 : -1.0;
	}
	if (stats != NULL) {
		*stats = s;
	}
	return true;
}

uint8_t *scene_renderer_read_rgba(struct scene_renderer *sr)
{
	struct mosaic_buffer *buffer = sr->output;
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data, &fourcc,
			&stride)) {
		return NULL;
	}
	int w = sr->scene->width, h = sr->scene->height;
	uint32_t bpp = pixels_bytes_per_pixel(fourcc);
	uint8_t *rgba = bpp != 0 ? malloc((size_t)w * (size_t)h * 4) : NULL;
	for (int y = 0; rgba != NULL && y < h; y++) {
		const uint8_t *row = (const uint8_t *)data + (size_t)y * stride;
		for (int x = 0; x < w; x++) {
			pixels_unpack_rgba8(fourcc, row + (size_t)x * bpp,
				rgba + ((size_t)y * w + x) * 4);
		}
	}
	mosaic_buffer_end_data_access(buffer);
	return rgba;
}
