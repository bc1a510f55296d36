#ifndef MOSAIC_RENDER_HEATMAP_H
#define MOSAIC_RENDER_HEATMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scene.h"

/** Where one draw of a scene's frame lands on the output. */
struct draw_area {
	/** "clear" or the layer's "layers[3]". */
	const char *what;
	struct mosaic_box box;
	/** The layer's clip boxes (borrowed from the scene) when has_clip. */
	const struct mosaic_box *clip;
	size_t n_clip;
	bool has_clip;
};

/**
 * The draws a frame of the scene makes, in the order the renderer counts
 * them (mosaic_render_timer_get_draw_times()): the clear, then each layer
 * that touches a pixel of the output (the library does not count the
 * others). `out` holds scene->n_layers + 1 entries; returns how many were
 * written.
 */
size_t draw_areas(const struct scene *scene, struct draw_area *out);

/**
 * Writes the frame (straight RGBA, width * height) as a PNG with each
 * draw's pixels tinted by its share of `ms` (the sum of the shares of the
 * draws covering a pixel, from blue, none, to red, the most any pixel has),
 * and a legend below it: the color bar and the range in percent of the
 * frame's time and in milliseconds, drawn with a built-in digit font.
 * False with the reason in `error`.
 */
/** The GPU time of each tile of the output (mosaic_render_timer_get_tile_times()). */
struct heatmap_tiles {
	struct mosaic_tile_grid grid;
	/** grid.columns * grid.rows values, in rows, in milliseconds. */
	const double *ms;
};

/*
 * With `tiles` (may be NULL), each tile's outline is drawn in the color of
 * its time, red from the 95th percentile of the tiles up.
 */
bool heatmap_write(const char *path, const uint8_t *rgba, int width, int height,
	const struct draw_area *areas, const double *ms, size_t n,
	const struct heatmap_tiles *tiles, char *error, size_t error_size);

#endif
