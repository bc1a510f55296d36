/*
 * mosaic-render: draws a JSON scene with mosaic and writes a PNG.
 *
 *   mosaic-render SCENE.json -o OUT.png [--renderer auto|pixman|vulkan|gles]
 *                 [--frames N] [--stats [--per-draw]] [--heatmap FILE.png]
 *
 * --per-draw asks the renderer for the GPU time of each draw
 * (mosaic_render_timer_options.per_draw) and prints the median of each;
 * --heatmap writes the last frame with each draw's area tinted by its share
 * of that time (heatmap.c). Where the renderer measures tiles (the Vulkan
 * compute path), the last frame's tile times go into the statistics
 * ("tiles") and the heatmap outlines each tile in its own heat.
 *
 * Errors (a malformed scene, a missing file, an unknown value, an impossible
 * size) print one line naming the JSON path and exit with status 1; bad
 * command lines exit with status 2.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <mosaic/config.h>
#if MOSAIC_HAS_VULKAN
#include <mosaic/vulkan.h>
#endif

#include "heatmap.h"
#include "png_file.h"
#include "scene.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mosaic-render SCENE.json -o OUT.png [--renderer auto|pixman|vulkan|gles]\n"
		"                     [--frames N] [--stats [--per-draw]] [--heatmap FILE.png]\n"
		"  -o, --output FILE     write the last frame as an 8-bit RGBA PNG\n"
		"                        (optional with --stats)\n"
		"  -r, --renderer NAME   backend to use (default auto, or $MOSAIC_RENDERER)\n"
		"  -n, --frames N        draw the scene N times (default 1)\n"
		"  -s, --stats           print timings; the last line is one JSON object\n"
		"  -d, --per-draw        with --stats: the GPU time of each draw too\n"
		"  -m, --heatmap FILE    write the last frame tinted by each draw's share of\n"
		"                        the GPU time, with a legend, as a PNG\n");
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of the first n values (sorted in place); < 0 when there are none. */
static double median(double *values, size_t n)
{
	if (n == 0) {
		return -1.0;
	}
	qsort(values, n, sizeof(*values), compare_doubles);
	return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

static json_object *json_ms(double value)
{
	if (value < 0.0) {
		return NULL;
	}
	char text[64];
	snprintf(text, sizeof(text), "%.3f", value);
	return json_object_new_double_s(value, text);
}

/* Per-draw times: samples[frame * n + draw] for the first `frames` frames. */
struct draw_stats {
	struct draw_area *areas;
	size_t n;
	double *samples;
	long frames, cap;
	enum mosaic_draw_times kind;
	int64_t *ns;
	/* The median of each draw (filled by finish_draw_stats). */
	double *median;
};

static const char *draw_times_name(enum mosaic_draw_times kind)
{
	switch (kind) {
	case MOSAIC_DRAW_TIMES_GPU:
		return "gpu";
	case MOSAIC_DRAW_TIMES_GPU_ESTIMATE:
		return "gpu-estimate";
	case MOSAIC_DRAW_TIMES_UNSUPPORTED:
		break;
	}
	return "unsupported";
}

/* Takes the draw times of the frame just drawn. */
static void add_draw_sample(struct draw_stats *ds, struct mosaic_render_timer *timer)
{
	if (timer == NULL || ds->frames == ds->cap) {
		return;
	}
	size_t got = mosaic_render_timer_get_draw_times(timer, ds->ns, ds->n, &ds->kind);
	double *row = &ds->samples[(size_t)ds->frames * ds->n];
	for (size_t i = 0; i < ds->n; i++) {
		row[i] = got == ds->n && ds->ns[i] >= 0 ? (double)ds->ns[i] / 1e6 : -1.0;
	}
	ds->frames++;
}

static void finish_draw_stats(struct draw_stats *ds)
{
	double *column = calloc((size_t)ds->frames + 1, sizeof(*column));
	for (size_t i = 0; i < ds->n && column != NULL; i++) {
		size_t k = 0;
		for (long f = 0; f < ds->frames; f++) {
			double v = ds->samples[(size_t)f * ds->n + i];
			if (v >= 0.0) {
				column[k++] = v;
			}
		}
		ds->median[i] = median(column, k);
	}
	free(column);
}

static void print_stats(struct mosaic_renderer *renderer, const struct scene *scene,
	long frames, double *cpu, double *wall, double *gpu, size_t n_gpu,
	uint64_t upload_bytes, double upload_ms, const struct mosaic_upload_stats *before,
	const struct draw_stats *ds, const struct heatmap_tiles *tiles)
{
	double cpu_median = median(cpu, (size_t)frames);
	double wall_median = median(wall, (size_t)frames);
	double gpu_median = median(gpu, n_gpu);
	// Time spent inside the update calls: with a host import (or any copy
	// left to the GPU) that is only the recording, not the copy.
	double call_mb_s = upload_bytes > 0 && upload_ms > 0.0 ?
		(double)upload_bytes / 1e6 / (upload_ms / 1e3) : -1.0;
	// What the GPU copied over the time until those copies completed; only
	// renderers that see their copies complete count it.
	struct mosaic_upload_stats after;
	bool counted = mosaic_renderer_get_upload_stats(renderer, &after);
	uint64_t gpu_bytes = after.gpu_completed_bytes - before->gpu_completed_bytes;
	uint64_t gpu_ns = after.gpu_completed_ns - before->gpu_completed_ns;
	// The first frame also completes the textures' first uploads, recorded
	// before it: without re-uploads there is no rate to speak of.
	double mb_s = counted && upload_bytes > 0 && gpu_bytes > 0 && gpu_ns > 0 ?
		(double)gpu_bytes / 1e6 / ((double)gpu_ns / 1e9) : -1.0;

	fprintf(stderr, "%s on %s: %ld frames of %dx%d, median %.3f ms CPU, %.3f ms until "
		"complete", mosaic_backend_name(mosaic_renderer_get_backend(renderer)),
		mosaic_renderer_get_device_name(renderer), frames, scene->width, scene->height,
		cpu_median, wall_median);
	if (gpu_median >= 0.0) {
		fprintf(stderr, ", %.3f ms GPU", gpu_median);
	}
	if (mb_s >= 0.0) {
		fprintf(stderr, ", uploads at %.1f MB/s until complete", mb_s);
	}
	fprintf(stderr, "\n");

	json_object *obj = json_object_new_object();
	json_object_object_add(obj, "renderer", json_object_new_string(
		mosaic_backend_name(mosaic_renderer_get_backend(renderer))));
	json_object_object_add(obj, "device",
		json_object_new_string(mosaic_renderer_get_device_name(renderer)));
	json_object_object_add(obj, "frames", json_object_new_int64(frames));
	json_object_object_add(obj, "width", json_object_new_int(scene->width));
	json_object_object_add(obj, "height", json_object_new_int(scene->height));
	json_object_object_add(obj, "cpu_ms_median", json_ms(cpu_median));
	json_object_object_add(obj, "wall_ms_median", json_ms(wall_median));
	json_object_object_add(obj, "gpu_ms_median", json_ms(gpu_median));
	json_object_object_add(obj, "upload_mb_s", json_ms(mb_s));
	json_object_object_add(obj, "upload_call_mb_s", json_ms(call_mb_s));
	if (counted) {
		json_object_object_add(obj, "upload_host_import_bytes", json_object_new_int64(
			(int64_t)(after.host_import_bytes - before->host_import_bytes)));
		json_object_object_add(obj, "upload_cpu_copied_bytes", json_object_new_int64(
			(int64_t)(after.cpu_copied_bytes - before->cpu_copied_bytes)));
	}
#if MOSAIC_HAS_VULKAN
	if (mosaic_renderer_is_vulkan(renderer)) {
		// Whether the frames went through the graphics pipeline or one compute dispatch.
		json_object_object_add(obj, "vulkan_path",
			json_object_new_string(mosaic_vulkan_renderer_get_path(renderer)));
	}
#endif
	if (ds != NULL) {
		double total = 0.0;
		for (size_t i = 0; i < ds->n; i++) {
			total += ds->median[i] > 0.0 ? ds->median[i] : 0.0;
		}
		if (ds->kind == MOSAIC_DRAW_TIMES_UNSUPPORTED) {
			fprintf(stderr, "per-draw times: the %s renderer cannot measure them\n",
				mosaic_backend_name(mosaic_renderer_get_backend(renderer)));
		}
		json_object *draws = json_object_new_array();
		for (size_t i = 0; i < ds->n && ds->kind != MOSAIC_DRAW_TIMES_UNSUPPORTED; i++) {
			double m = ds->median[i];
			fprintf(stderr, "  draw %zu (%s): %.3f ms GPU (%s), %.1f%%\n", i,
				ds->areas[i].what, m, draw_times_name(ds->kind),
				total > 0.0 && m > 0.0 ? 100.0 * m / total : 0.0);
			json_object *d = json_object_new_object();
			json_object_object_add(d, "draw", json_object_new_string(ds->areas[i].what));
			json_object_object_add(d, "gpu_ms_median", json_ms(m));
			json_object_array_add(draws, d);
		}
		json_object_object_add(obj, "draw_times",
			json_object_new_string(draw_times_name(ds->kind)));
		json_object_object_add(obj, "draws", draws);
		// The last frame's tiles: their grid and the costliest one.
		json_object *t = NULL;
		if (tiles != NULL) {
			const struct mosaic_tile_grid *g = &tiles->grid;
			double top = 0.0;
			for (int i = 0; i < g->columns * g->rows; i++) {
				top = tiles->ms[i] > top ? tiles->ms[i] : top;
			}
			t = json_object_new_object();
			json_object_object_add(t, "tile_width", json_object_new_int(g->tile_width));
			json_object_object_add(t, "tile_height", json_object_new_int(g->tile_height));
			json_object_object_add(t, "columns", json_object_new_int(g->columns));
			json_object_object_add(t, "rows", json_object_new_int(g->rows));
			json_object_object_add(t, "gpu_ms_max", json_ms(top));
		}
		json_object_object_add(obj, "tiles", t);
	}
	printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
}

int main(int argc, char *argv[])
{
	static const struct option long_options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "renderer", required_argument, NULL, 'r' },
		{ "frames", required_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 's' },
		{ "per-draw", no_argument, NULL, 'd' },
		{ "heatmap", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *output = NULL;
	enum mosaic_backend backend = MOSAIC_BACKEND_AUTO;
	long frames = 1;
	bool stats = false, per_draw = false;
	const char *heatmap = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "o:r:n:sdm:h", long_options, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'r':
			if (!mosaic_backend_from_name(optarg, &backend)) {
				fprintf(stderr, "mosaic-render: --renderer: unknown value \"%s\" "
					"(auto, pixman, vulkan or gles)\n", optarg);
				return 2;
			}
			break;
		case 'n':
			frames = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || frames < 1 || frames > 1000000) {
				fprintf(stderr, "mosaic-render: --frames: \"%s\" is not a number "
					"of frames (1..1000000)\n", optarg);
				return 2;
			}
			break;
		case 's':
			stats = true;
			break;
		case 'd':
			per_draw = true;
			break;
		case 'm':
			heatmap = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || (output == NULL && !stats && heatmap == NULL) ||
			(per_draw && !stats)) {
		usage(stderr);
		return 2;
	}
	const char *scene_path = argv[optind];

	char error[SCENE_ERROR_SIZE];
	struct scene scene;
	if (!scene_load(&scene, scene_path, error)) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}

	int status = 1;
	struct scene_renderer *sr = NULL;
	struct mosaic_render_timer *timer = NULL;
	double *cpu = NULL, *wall = NULL, *gpu = NULL;
	uint8_t *rgba = NULL;
	struct draw_stats ds = {0};
	int64_t *tile_ns = NULL;
	double *tile_ms = NULL;
	struct heatmap_tiles tiles = {0};
	bool want_draws = per_draw || heatmap != NULL;
	struct mosaic_renderer *renderer = mosaic_renderer_create(
		&(struct mosaic_renderer_options){ .backend = backend });
	if (renderer == NULL) {
		fprintf(stderr, "mosaic-render: the %s renderer could not start\n",
			mosaic_backend_name(backend));
		goto out;
	}
	sr = scene_renderer_create(&scene, renderer, error);
	if (sr == NULL) {
		fprintf(stderr, "%s: %s\n", scene_path, error);
		goto out;
	}
	if (stats || heatmap != NULL) {
		// NULL when the backend cannot measure GPU time: gpu_ms_median is then null.
		timer = mosaic_render_timer_create_with_options(renderer,
			&(struct mosaic_render_timer_options){ .per_draw = want_draws });
	}
	if (want_draws) {
		// Medians of the first 1000 frames at most.
		ds.cap = frames < 1000 ? frames : 1000;
		ds.areas = calloc(scene.n_layers + 1, sizeof(*ds.areas));
		ds.n = ds.areas != NULL ? draw_areas(&scene, ds.areas) : 0;
		ds.samples = calloc((size_t)ds.cap * ds.n + 1, sizeof(*ds.samples));
		ds.ns = calloc(ds.n + 1, sizeof(*ds.ns));
		ds.median = calloc(ds.n + 1, sizeof(*ds.median));
		if (ds.areas == NULL || ds.samples == NULL || ds.ns == NULL || ds.median == NULL) {
			fprintf(stderr, "mosaic-render: out of memory\n");
			goto out;
		}
	}
	cpu = calloc((size_t)frames, sizeof(*cpu));
	wall = calloc((size_t)frames, sizeof(*wall));
	gpu = calloc((size_t)frames, sizeof(*gpu));
	if (cpu == NULL || wall == NULL || gpu == NULL) {
		fprintf(stderr, "mosaic-render: out of memory\n");
		goto out;
	}
	size_t n_gpu = 0;
	uint64_t upload_bytes = 0;
	double upload_ms = 0.0;
	struct mosaic_upload_stats upload_before;
	mosaic_renderer_get_upload_stats(renderer, &upload_before);
	for (long i = 0; i < frames; i++) {
		struct scene_frame_stats s;
		if (!scene_renderer_draw(sr, timer, &s, error)) {
			fprintf(stderr, "%s: frame %ld: %s\n", scene_path, i, error);
			goto out;
		}
		cpu[i] = s.cpu_ms;
		wall[i] = s.wall_ms;
		if (s.gpu_ms >= 0.0) {
			gpu[n_gpu++] = s.gpu_ms;
		}
		upload_bytes += s.upload_bytes;
		upload_ms += s.upload_ms;
		if (want_draws) {
			add_draw_sample(&ds, timer);
		}
	}
	if (want_draws) {
		finish_draw_stats(&ds);
		struct mosaic_tile_grid grid;
		size_t n_tiles = mosaic_render_timer_get_tile_times(timer, NULL, 0, &grid);
		tile_ns = n_tiles > 0 ? calloc(n_tiles, sizeof(*tile_ns)) : NULL;
		tile_ms = n_tiles > 0 ? calloc(n_tiles, sizeof(*tile_ms)) : NULL;
		if (tile_ns != NULL && tile_ms != NULL &&
				mosaic_render_timer_get_tile_times(timer, tile_ns, n_tiles, &grid) ==
				n_tiles) {
			for (size_t i = 0; i < n_tiles; i++) {
				tile_ms[i] = (double)tile_ns[i] / 1e6;
			}
			tiles = (struct heatmap_tiles){ .grid = grid, .ms = tile_ms };
		}
	}

	if (output != NULL || heatmap != NULL) {
		rgba = scene_renderer_read_rgba(sr);
		if (rgba == NULL) {
			fprintf(stderr, "mosaic-render: cannot read the output buffer\n");
			goto out;
		}
	}
	if (output != NULL && !png_write_rgba8(output, scene.width, scene.height, rgba, error,
			sizeof(error))) {
		fprintf(stderr, "mosaic-render: cannot write %s: %s\n", output, error);
		goto out;
	}
	if (heatmap != NULL) {
		if (ds.kind == MOSAIC_DRAW_TIMES_UNSUPPORTED) {
			fprintf(stderr, "mosaic-render: --heatmap: the %s renderer cannot measure "
				"draws\n", mosaic_backend_name(mosaic_renderer_get_backend(renderer)));
			goto out;
		}
		if (!heatmap_write(heatmap, rgba, scene.width, scene.height, ds.areas, ds.median,
				ds.n, tiles.ms != NULL ? &tiles : NULL, error, sizeof(error))) {
			fprintf(stderr, "mosaic-render: cannot write %s: %s\n", heatmap, error);
			goto out;
		}
	}
	if (stats) {
		print_stats(renderer, &scene, frames, cpu, wall, gpu, n_gpu, upload_bytes,
			upload_ms, &upload_before, per_draw ? &ds : NULL,
			tiles.ms != NULL ? &tiles : NULL);
	}
	status = 0;

out:
	free(tile_ns);
	free(tile_ms);
	free(ds.areas);
	free(ds.samples);
	free(ds.ns);
	free(ds.median);
	free(rgba);
	free(cpu);
	free(wall);
	free(gpu);
	mosaic_render_timer_destroy(timer);
	scene_renderer_destroy(sr);
	mosaic_renderer_destroy(renderer);
	scene_finish(&scene);
	return status;
}
