/*
 * What a scene's layers look like: the colors and fills of generated images,
 * and whether a scene scales any texture (which decides the tolerance).
 */
#include <math.h>
#include <string.h>

#include <drm_fourcc.h>

#include "pixels.h"
#include "scene.h"

bool scene_uses_linear_scaling(const struct scene *scene)
{
	for (size_t i = 0; i < scene->n_layers; i++) {
		const struct scene_layer *l = &scene->layers[i];
		if (l->kind != SCENE_LAYER_TEXTURE || l->filter != MOSAIC_FILTER_LINEAR) {
			continue;
		}
		bool swap = mosaic_transform_swaps_axes(l->transform);
		double sw = swap ? l->src.height : l->src.width;
		double sh = swap ? l->src.width : l->src.height;
		bool whole = l->src.x == floor(l->src.x) && l->src.y == floor(l->src.y);
		if (sw != l->dst.width || sh != l->dst.height || !whole) {
			return true;
		}
	}
	return false;
}

static void lerp_color(const struct scene_color *a, const struct scene_color *b, float t,
	float out[4])
{
	out[0] = a->r + (b->r - a->r) * t;
	out[1] = a->g + (b->g - a->g) * t;
	out[2] = a->b + (b->b - a->b) * t;
	out[3] = a->a + (b->a - a->a) * t;
}

void scene_layer_color(const struct scene_layer *layer, int x, int y, float c[4])
{
	int w = layer->image_width, h = layer->image_height;
	const struct scene_color *sc = &layer->colors[0];
	switch (layer->image_kind) {
	case SCENE_IMAGE_FILE: {
		const uint8_t *p = layer->image_rgba + ((size_t)y * w + x) * 4;
		for (int i = 0; i < 4; i++) {
			c[i] = p[i] / 255.0f;
		}
		break;
	}
	case SCENE_IMAGE_CHECKER:
		sc = &layer->colors[(x / layer->cell + y / layer->cell) % 2];
		/* fall through */
	case SCENE_IMAGE_SOLID:
		c[0] = sc->r;
		c[1] = sc->g;
		c[2] = sc->b;
		c[3] = sc->a;
		break;
	case SCENE_IMAGE_GRADIENT: {
		// Corner colors at the corner pixels' centers.
		float tx = w > 1 ? (float)x / (float)(w - 1) : 0.0f;
		float ty = h > 1 ? (float)y / (float)(h - 1) : 0.0f;
		float top[4], bottom[4];
		lerp_color(&layer->colors[0], &layer->colors[1], tx, top);
		lerp_color(&layer->colors[2], &layer->colors[3], tx, bottom);
		for (int i = 0; i < 4; i++) {
			c[i] = top[i] + (bottom[i] - top[i]) * ty;
		}
		break;
	}
	}
}

void scene_layer_fill(const struct scene_layer *layer, uint32_t fourcc, uint32_t stride,
	void *data)
{
	uint32_t bpp = pixels_bytes_per_pixel(fourcc);
	for (int y = 0; y < layer->image_height; y++) {
		uint8_t *row = (uint8_t *)data + (size_t)y * stride;
		for (int x = 0; x < layer->image_width; x++) {
			float c[4];
			scene_layer_color(layer, x, y, c);
			pixels_pack(fourcc, c, row + (size_t)x * bpp);
		}
	}
}
