/*
 * --heatmap: the output with each draw's area tinted by its share of the
 * GPU time, and a legend drawn with a 3x5 pixel font.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmap.h"
#include "png_file.h"

/* Legend strip below the frame, in pixels. */
#define LEGEND_HEIGHT 18
/* The font's pixels are drawn as squares of this size. */
#define FONT_SCALE 2

/* Rows of 3 bits, top first, for "0123456789.%ms". */
static const char font_chars[] = "0123456789.%ms";
static const uint8_t font[][5] = {
	{ 7, 5, 5, 5, 7 }, { 2, 6, 2, 2, 7 }, { 7, 1, 7, 4, 7 }, { 7, 1, 7, 1, 7 },
	{ 5, 5, 7, 1, 1 }, { 7, 4, 7, 1, 7 }, { 7, 4, 7, 5, 7 }, { 7, 1, 1, 1, 1 },
	{ 7, 5, 7, 5, 7 }, { 7, 5, 7, 1, 7 }, { 0, 0, 0, 0, 2 }, { 5, 1, 2, 4, 5 },
	{ 0, 0, 7, 7, 5 }, { 0, 3, 6, 3, 6 },
};

static bool visible(const struct scene *scene, const struct mosaic_box *b,
	const struct mosaic_box *clip, size_t n_clip, bool has_clip, struct mosaic_box *out)
{
	int64_t x1 = b->x > 0 ? b->x : 0, y1 = b->y > 0 ? b->y : 0;
	int64_t x2 = (int64_t)b->x + b->width, y2 = (int64_t)b->y + b->height;
	x2 = x2 < scene->width ? x2 : scene->width;
	y2 = y2 < scene->height ? y2 : scene->height;
	if (x1 >= x2 || y1 >= y2) {
		return false;
	}
	*out = (struct mosaic_box){ (int)x1, (int)y1, (int)(x2 - x1), (int)(y2 - y1) };
	if (!has_clip) {
		return true;
	}
	for (size_t i = 0; i < n_clip; i++) {
		const struct mosaic_box *c = &clip[i];
		int64_t cx2 = (int64_t)c->x + c->width, cy2 = (int64_t)c->y + c->height;
		if (c->width > 0 && c->height > 0 && c->x < x2 && c->y < y2 && cx2 > x1 &&
				cy2 > y1) {
			return true;
		}
	}
	return false;
}

size_t draw_areas(const struct scene *scene, struct draw_area *out)
{
	size_t n = 0;
	if (scene->has_clear) {
		out[n++] = (struct draw_area){ .what = "clear",
			.box = { 0, 0, scene->width, scene->height } };
	}
	for (size_t i = 0; i < scene->n_layers; i++) {
		const struct scene_layer *l = &scene->layers[i];
		const struct mosaic_box *box = l->kind == SCENE_LAYER_RECT ? &l->rect : &l->dst;
		struct draw_area a = { .what = l->where, .clip = l->clip_boxes,
			.n_clip = l->n_clip_boxes, .has_clip = l->has_clip };
		if (visible(scene, box, a.clip, a.n_clip, a.has_clip, &a.box)) {
			out[n++] = a;
		}
	}
	return n;
}

static bool in_area(const struct draw_area *a, int x, int y)
{
	if (!a->has_clip) {
		return true;
	}
	for (size_t i = 0; i < a->n_clip; i++) {
		const struct mosaic_box *c = &a->clip[i];
		if (x >= c->x && y >= c->y && x - c->x < c->width && y - c->y < c->height) {
			return true;
		}
	}
	return false;
}

/* Blue (0) to red (1). */
static void heat_color(double t, uint8_t rgb[3])
{
	t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
	rgb[0] = (uint8_t)(255.0 * t);
	rgb[1] = (uint8_t)(200.0 * (1.0 - (2.0 * t - 1.0) * (2.0 * t - 1.0)));
	rgb[2] = (uint8_t)(255.0 * (1.0 - t));
}

/* Draws `text` with its top-left corner at (x, y); returns the x after it. */
static int draw_text(uint8_t *rgba, int width, int height, int x, int y, const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		const char *c = strchr(font_chars, *p);
		if (c == NULL) {
			x += 2 * FONT_SCALE;
			continue;
		}
		const uint8_t *glyph = font[c - font_chars];
		for (int row = 0; row < 5 * FONT_SCALE; row++) {
			for (int col = 0; col < 3 * FONT_SCALE; col++) {
				int px = x + col, py = y + row;
				if (px < 0 || py < 0 || px >= width || py >= height ||
						!(glyph[row / FONT_SCALE] & (4 >> (col / FONT_SCALE)))) {
					continue;
				}
				memset(&rgba[((size_t)py * width + px) * 4], 0xff, 4);
			}
		}
		x += 4 * FONT_SCALE;
	}
	return x;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * Each tile's outline in its heat: red from the 95th percentile of the
 * tiles up, so that a few outliers (a tile whose thread was preempted on a
 * CPU device) do not turn every other tile blue.
 */
static void draw_tiles(uint8_t *out, int width, int height, const struct heatmap_tiles *tiles)
{
	const struct mosaic_tile_grid *g = &tiles->grid;
	size_t n = (size_t)g->columns * (size_t)g->rows;
	double *sorted = malloc(n * sizeof(*sorted));
	if (sorted == NULL) {
		return;
	}
	memcpy(sorted, tiles->ms, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), compare_double);
	double top = sorted[(n - 1) * 95 / 100];
	free(sorted);
	for (int ty = 0; ty < g->rows; ty++) {
		for (int tx = 0; tx < g->columns; tx++) {
			uint8_t rgb[3];
			double v = tiles->ms[ty * g->columns + tx];
			heat_color(top > 0.0 ? v / top : 0.0, rgb);
			int x0 = tx * g->tile_width, y0 = ty * g->tile_height;
			int x1 = x0 + g->tile_width, y1 = y0 + g->tile_height;
			x1 = x1 < width ? x1 : width;
			y1 = y1 < height ? y1 : height;
			for (int y = y0; y < y1; y++) {
				for (int x = x0; x < x1; x++) {
					if (x == x0 || y == y0 || x == x1 - 1 || y == y1 - 1) {
						memcpy(&out[((size_t)y * width + x) * 4], rgb, 3);
					}
				}
			}
		}
	}
}

bool heatmap_write(const char *path, const uint8_t *rgba, int width, int height,
	const struct draw_area *areas, const double *ms, size_t n,
	const struct heatmap_tiles *tiles, char *error, size_t error_size)
{
	int out_height = height + LEGEND_HEIGHT;
	double *heat = calloc((size_t)width * (size_t)height, sizeof(*heat));
	uint8_t *out = calloc((size_t)width * (size_t)out_height, 4);
	if (heat == NULL || out == NULL) {
		free(heat);
		free(out);
		snprintf(error, error_size, "out of memory");
		return false;
	}
	double total = 0.0;
	for (size_t i = 0; i < n; i++) {
		total += ms[i] > 0.0 ? ms[i] : 0.0;
	}
	double top = 0.0;
	for (size_t i = 0; i < n && total > 0.0; i++) {
		double share = ms[i] > 0.0 ? ms[i] / total : 0.0;
		const struct mosaic_box *b = &areas[i].box;
		for (int y = b->y; y < b->y + b->height; y++) {
			for (int x = b->x; x < b->x + b->width; x++) {
				if (in_area(&areas[i], x, y)) {
					double *h = &heat[(size_t)y * width + x];
					*h += share;
					top = *h > top ? *h : top;
				}
			}
		}
	}
	for (size_t p = 0; p < (size_t)width * height; p++) {
		const uint8_t *src = &rgba[p * 4];
		uint8_t *dst = &out[p * 4];
		uint8_t rgb[3];
		heat_color(top > 0.0 ? heat[p] / top : 0.0, rgb);
		// Pixels no draw touched keep their color; the others mix with their heat.
		double k = heat[p] > 0.0 ? 0.6 : 0.0;
		for (int c = 0; c < 3; c++) {
			dst[c] = (uint8_t)((1.0 - k) * src[c] + k * rgb[c]);
		}
		dst[3] = 0xff;
	}
	if (tiles != NULL) {
		draw_tiles(out, width, height, tiles);
	}
	// The legend: the color bar, then 0 on the left and the top on the right.
	for (int y = height; y < out_height; y++) {
		for (int x = 0; x < width; x++) {
			uint8_t *dst = &out[((size_t)y * width + x) * 4];
			dst[3] = 0xff;
			if (y < height + 4) {
				heat_color(width > 1 ? (double)x / (width - 1) : 0.0, dst);
			}
		}
	}
	char text[64];
	draw_text(out, width, out_height, 1, height + 6, "0");
	snprintf(text, sizeof(text), "%.1f%% %.3fms", 100.0 * top, top * total);
	int text_width = (int)strlen(text) * 4 * FONT_SCALE;
	draw_text(out, width, out_height, width - text_width > 12 ? width - text_width : 12,
		height + 6, text);
	bool ok = png_write_rgba8(path, width, out_height, out, error, error_size);
	free(heat);
	free(out);
	return ok;
}
