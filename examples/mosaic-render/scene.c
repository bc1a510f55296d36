#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <json-c/json.h>

#include "pixels.h"
#include "png_file.h"
#include "scene.h"
#include "scene_parser.h"

static const char *const transform_names[] = {
	"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270", NULL,
};
static const char *const filter_names[] = { "linear", "nearest", NULL };
static const char *const blend_names[] = { "premultiplied", "none", NULL };

static bool parse_format(struct scene_parser *p, json_object *obj, const char *where, uint32_t *out)
{
	size_t n;
	const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
	const char *names[32];
	if (n >= sizeof(names) / sizeof(names[0])) {
		n = sizeof(names) / sizeof(names[0]) - 1;
	}
	for (size_t i = 0; i < n; i++) {
		names[i] = infos[i].name;
	}
	names[n] = NULL;
	int index;
	if (!parser_name(p, obj, where, names, &index)) {
		return false;
	}
	*out = infos[index].fourcc;
	return true;
}

static bool parse_blend(struct scene_parser *p, json_object *layer, const char *where,
	enum mosaic_blend *out)
{
	bool ok = true;
	json_object *v = parser_member(p, layer, where, "blend", false, &ok);
	int i = 0;
	if (v != NULL) {
		char at[128];
		parser_join(at, sizeof(at), where, "blend");
		ok = parser_name(p, v, at, blend_names, &i);
	}
	*out = i == 1 ? MOSAIC_BLEND_NONE : MOSAIC_BLEND_PREMULTIPLIED;
	return ok;
}

static bool parse_clip(struct scene_parser *p, json_object *layer, const char *where,
	struct scene_layer *out)
{
	bool ok = true;
	json_object *v = parser_member(p, layer, where, "clip", false, &ok);
	if (v == NULL) {
		return ok;
	}
	char at[128];
	parser_join(at, sizeof(at), where, "clip");
	out->has_clip = true;
	return parser_boxes(p, v, at, &out->clip_boxes, &out->n_clip_boxes);
}

static bool parse_image_file(struct scene_parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	const char *file = json_object_get_string(obj);
	char path[4096], reason[256];
	if (file[0] == '/' || p->dir == NULL || p->dir[0] == '\0') {
		text_put(path, sizeof(path), "%s", file);
	} else {
		text_put(path, sizeof(path), "%s/%s", p->dir, file);
	}
	if (!png_read_rgba8(path, &layer->image_width, &layer->image_height, &layer->image_rgba,
			reason, sizeof(reason))) {
		char buf[128];
		return parser_fail(p, where, "cannot read %s: %s", text_escape(path, true, buf), reason);
	}
	layer->image_kind = SCENE_IMAGE_FILE;
	return true;
}

/* {"width": W, "height": H, ...} shared by the generated images. */
static bool parse_image_size(struct scene_parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	bool ok = true;
	char at[128];
	json_object *w = parser_member(p, obj, where, "width", true, &ok);
	json_object *h = ok ? parser_member(p, obj, where, "height", true, &ok) : NULL;
	if (!ok) {
		return false;
	}
	parser_join(at, sizeof(at), where, "width");
	if (!parser_size(p, w, at, &layer->image_width)) {
		return false;
	}
	parser_join(at, sizeof(at), where, "height");
	return parser_size(p, h, at, &layer->image_height);
}

static bool parse_image_colors(struct scene_parser *p, json_object *obj, const char *where,
	size_t n, struct scene_layer *layer)
{
	bool ok = true;
	char at[128], item[160];
	json_object *colors = parser_member(p, obj, where, "colors", true, &ok);
	if (!ok) {
		return false;
	}
	parser_join(at, sizeof(at), where, "colors");
	if (!parser_array(p, colors, at, n)) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		text_put(item, sizeof(item), "%s[%zu]", at, i);
		if (!parser_color(p, json_object_array_get_idx(colors, i), item,
				&layer->colors[i])) {
			return false;
		}
	}
	return true;
}

static bool parse_image(struct scene_parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	bool ok = true;
	char at[128];
	if (json_object_get_type(obj) == json_type_string) {
		return parse_image_file(p, obj, where, layer);
	}
	if (json_object_get_type(obj) != json_type_object) {
		return parser_fail(p, where, "must be a file name or an object, not %s", parser_type_name(obj));
	}
	json_object *v;
	if (json_object_object_get_ex(obj, "solid", &v)) {
		static const char *const keys[] = { "solid", "width", "height", NULL };
		if (!parser_check_keys(p, obj, where, keys) || !parse_image_size(p, obj, where, layer)) {
			return false;
		}
		parser_join(at, sizeof(at), where, "solid");
		layer->image_kind = SCENE_IMAGE_SOLID;
		return parser_color(p, v, at, &layer->colors[0]);
	}
	if (json_object_object_get_ex(obj, "checker", &v)) {
		static const char *const keys[] = { "checker", NULL };
		static const char *const checker_keys[] = {
			"width", "height", "cell", "colors", NULL,
		};
		parser_join(at, sizeof(at), where, "checker");
		if (!parser_check_keys(p, obj, where, keys) ||
				!parser_expect_type(p, v, at, json_type_object, "an object") ||
				!parser_check_keys(p, v, at, checker_keys) ||
				!parse_image_size(p, v, at, layer)) {
			return false;
		}
		json_object *cell = parser_member(p, v, at, "cell", true, &ok);
		char cell_at[160];
		parser_join(cell_at, sizeof(cell_at), at, "cell");
		layer->image_kind = SCENE_IMAGE_CHECKER;
		return ok && parser_int(p, cell, cell_at, 1, MOSAIC_MAX_IMAGE_SIZE, &layer->cell) &&
			parse_image_colors(p, v, at, 2, layer);
	}
	if (json_object_object_get_ex(obj, "gradient", &v)) {
		static const char *const keys[] = { "gradient", NULL };
		static const char *const gradient_keys[] = { "width", "height", "colors", NULL };
		parser_join(at, sizeof(at), where, "gradient");
		if (!parser_check_keys(p, obj, where, keys) ||
				!parser_expect_type(p, v, at, json_type_object, "an object") ||
				!parser_check_keys(p, v, at, gradient_keys) ||
				!parse_image_size(p, v, at, layer)) {
			return false;
		}
		layer->image_kind = SCENE_IMAGE_GRADIENT;
		return parse_image_colors(p, v, at, 4, layer);
	}
	return parser_fail(p, where, "needs \"solid\", \"checker\" or \"gradient\"");
}

static const char *const matrix_names[] = { "bt601", "bt709", NULL };
static const char *const range_names[] = { "limited", "full", NULL };
static const char *const chroma_names[] = { "left", "center", "top-left", NULL };

/* {"matrix": "bt601|bt709", "range": "limited|full", "chroma": "left|center|top-left"} */
static bool parse_yuv(struct scene_parser *p, json_object *obj, const char *where,
	struct mosaic_yuv_info *yuv)
{
	static const char *const keys[] = { "matrix", "range", "chroma", NULL };
	if (json_object_get_type(obj) != json_type_object) {
		return parser_fail(p, where, "must be an object");
	}
	if (!parser_check_keys(p, obj, where, keys)) {
		return false;
	}
	const char *const *names[] = { matrix_names, range_names, chroma_names };
	int values[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		bool ok = true;
		char at[128];
		json_object *v = parser_member(p, obj, where, keys[i], false, &ok);
		if (!ok) {
			return false;
		}
		parser_join(at, sizeof(at), where, keys[i]);
		if (v != NULL && !parser_name(p, v, at, names[i], &values[i])) {
			return false;
		}
	}
	*yuv = (struct mosaic_yuv_info){
		.matrix = (enum mosaic_yuv_matrix)values[0],
		.range = (enum mosaic_yuv_range)values[1],
		.chroma_location = (enum mosaic_chroma_location)values[2],
	};
	return true;
}

static bool parse_texture_layer(struct scene_parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	static const char *const keys[] = {
		"image", "format", "src", "dst", "transform", "alpha", "filter", "blend", "clip",
		"damage_every_frame", "yuv", NULL,
	};
	bool ok = true;
	char at[128];
	if (!parser_check_keys(p, obj, where, keys)) {
		return false;
	}
	layer->kind = SCENE_LAYER_TEXTURE;
	json_object *v = parser_member(p, obj, where, "image", true, &ok);
	parser_join(at, sizeof(at), where, "image");
	if (!ok || !parse_image(p, v, at, layer)) {
		return false;
	}
	int w = layer->image_width, h = layer->image_height;

	layer->format = DRM_FORMAT_ARGB8888;
	if ((v = parser_member(p, obj, where, "format", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "format");
		ok = parse_format(p, v, at, &layer->format);
	}
	if (!ok) {
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(layer->format);
	if ((v = parser_member(p, obj, where, "yuv", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "yuv");
		if (!info->is_yuv) {
			return parser_fail(p, at, "only for YUV formats (the layer is %s)", info->name);
		}
		if (!parse_yuv(p, v, at, &layer->yuv)) {
			return false;
		}
	}
	if (!ok) {
		return false;
	}

	layer->src = (struct mosaic_fbox){ 0, 0, w, h };
	if ((v = parser_member(p, obj, where, "src", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "src");
		double s[4];
		if (!parser_array(p, v, at, 4)) {
			return false;
		}
		for (size_t i = 0; i < 4; i++) {
			char item[160];
			text_put(item, sizeof(item), "%s[%zu]", at, i);
			if (!parser_number(p, json_object_array_get_idx(v, i), item, -COORD_LIMIT,
					COORD_LIMIT, &s[i])) {
				return false;
			}
		}
		if (s[2] <= 0 || s[3] <= 0 || s[0] < 0 || s[1] < 0 || s[0] + s[2] > w ||
				s[1] + s[3] > h) {
			char buf[128];
			return parser_fail(p, at, "%s is empty or outside the %dx%d image", parser_show(v, buf),
				w, h);
		}
		layer->src = (struct mosaic_fbox){ s[0], s[1], s[2], s[3] };
	}
	if (!ok) {
		return false;
	}

	int t = 0;
	if ((v = parser_member(p, obj, where, "transform", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "transform");
		ok = parser_name(p, v, at, transform_names, &t);
	}
	if (!ok) {
		return false;
	}
	layer->transform = (enum mosaic_transform)t;

	bool swap = mosaic_transform_swaps_axes(layer->transform);
	layer->dst = (struct mosaic_box){
		0, 0,
		(int)lround(swap ? layer->src.height : layer->src.width),
		(int)lround(swap ? layer->src.width : layer->src.height),
	};
	if ((v = parser_member(p, obj, where, "dst", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "dst");
		ok = parser_box(p, v, at, 1, &layer->dst);
	} else if (ok && mosaic_box_empty(&layer->dst)) {
		parser_join(at, sizeof(at), where, "src");
		return parser_fail(p, at, "is less than a pixel: give \"dst\"");
	}
	if (!ok) {
		return false;
	}

	double alpha = 1.0;
	if ((v = parser_member(p, obj, where, "alpha", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "alpha");
		ok = parser_number(p, v, at, 0.0, 1.0, &alpha);
	}
	if (!ok) {
		return false;
	}
	layer->alpha = (float)alpha;

	int f = 0;
	if ((v = parser_member(p, obj, where, "filter", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "filter");
		ok = parser_name(p, v, at, filter_names, &f);
	}
	if (!ok) {
		return false;
	}
	layer->filter = f == 1 ? MOSAIC_FILTER_NEAREST : MOSAIC_FILTER_LINEAR;

	if (!parse_blend(p, obj, where, &layer->blend) || !parse_clip(p, obj, where, layer)) {
		return false;
	}

	if ((v = parser_member(p, obj, where, "damage_every_frame", false, &ok)) != NULL) {
		parser_join(at, sizeof(at), where, "damage_every_frame");
		if (json_object_get_type(v) == json_type_boolean) {
			layer->damage = json_object_get_boolean(v) ?
				SCENE_DAMAGE_ALL : SCENE_DAMAGE_NONE;
		} else if (json_object_get_type(v) == json_type_array) {
			if (!parser_boxes(p, v, at, &layer->damage_boxes,
					&layer->n_damage_boxes)) {
				return false;
			}
			struct mosaic_box bounds = { 0, 0, w, h };
			for (size_t i = 0; i < layer->n_damage_boxes; i++) {
				struct mosaic_box *b = &layer->damage_boxes[i], inter;
				if (!mosaic_box_intersection(&inter, &bounds, b) ||
						memcmp(&inter, b, sizeof(inter)) != 0) {
					char item[160];
					text_put(item, sizeof(item), "%s[%zu]", at, i);
					return parser_fail(p, item, "[%d, %d, %d, %d] is empty or outside "
						"the %dx%d image", b->x, b->y, b->width, b->height,
						w, h);
				}
			}
			layer->damage = SCENE_DAMAGE_BOXES;
		} else {
			return parser_fail(p, at, "must be true, false or an array of boxes, not %s",
				parser_type_name(v));
		}
	}
	return ok;
}

static bool parse_rect_layer(struct scene_parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	static const char *const keys[] = { "rect", "color", "blend", "clip", NULL };
	bool ok = true;
	char at[128];
	if (!parser_check_keys(p, obj, where, keys)) {
		return false;
	}
	layer->kind = SCENE_LAYER_RECT;
	json_object *rect = parser_member(p, obj, where, "rect", true, &ok);
	json_object *color = ok ? parser_member(p, obj, where, "color", true, &ok) : NULL;
	if (!ok) {
		return false;
	}
	parser_join(at, sizeof(at), where, "rect");
	if (!parser_box(p, rect, at, 0, &layer->rect)) {
		return false;
	}
	parser_join(at, sizeof(at), where, "color");
	return parser_color(p, color, at, &layer->color) &&
		parse_blend(p, obj, where, &layer->blend) && parse_clip(p, obj, where, layer);
}

static bool parse_scene(struct scene_parser *p, json_object *root, struct scene *scene)
{
	static const char *const keys[] = { "output", "clear", "layers", NULL };
	static const char *const output_keys[] = { "width", "height", "format", NULL };
	bool ok = true;
	if (!parser_expect_type(p, root, "", json_type_object, "an object") ||
			!parser_check_keys(p, root, "", keys)) {
		return false;
	}

	json_object *output = parser_member(p, root, "", "output", true, &ok);
	if (!ok || !parser_expect_type(p, output, "output", json_type_object, "an object") ||
			!parser_check_keys(p, output, "output", output_keys)) {
		return false;
	}
	json_object *w = parser_member(p, output, "output", "width", true, &ok);
	json_object *h = ok ? parser_member(p, output, "output", "height", true, &ok) : NULL;
	if (!ok || !parser_size(p, w, "output.width", &scene->width) ||
			!parser_size(p, h, "output.height", &scene->height)) {
		return false;
	}
	scene->format = DRM_FORMAT_XRGB8888;
	json_object *v = parser_member(p, output, "output", "format", false, &ok);
	if (!ok || (v != NULL && !parse_format(p, v, "output.format", &scene->format))) {
		return false;
	}

	if ((v = parser_member(p, root, "", "clear", false, &ok)) != NULL) {
		scene->has_clear = true;
		ok = parser_color(p, v, "clear", &scene->clear);
	}
	if (!ok) {
		return false;
	}

	json_object *layers = parser_member(p, root, "", "layers", false, &ok);
	if (!ok) {
		return false;
	}
	if (layers == NULL) {
		return true;
	}
	if (!parser_array(p, layers, "layers", 0)) {
		return false;
	}
	size_t n = json_object_array_length(layers);
	// Drawing the scene holds every image (twice: the client's buffer and
	// the texture) and the output: a bound on their sum bounds the memory.
	int64_t pixels = (int64_t)scene->width * scene->height;
	scene->layers = calloc(n > 0 ? n : 1, sizeof(*scene->layers));
	if (scene->layers == NULL) {
		return parser_fail(p, "layers", "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct scene_layer *layer = &scene->layers[i];
		scene->n_layers = i + 1;
		text_put(layer->where, sizeof(layer->where), "layers[%zu]", i);
		json_object *obj = json_object_array_get_idx(layers, i);
		if (!parser_expect_type(p, obj, layer->where, json_type_object, "an object")) {
			return false;
		}
		json_object *tmp;
		bool is_texture = json_object_object_get_ex(obj, "image", &tmp);
		bool is_rect = json_object_object_get_ex(obj, "rect", &tmp);
		if (is_texture == is_rect) {
			return parser_fail(p, layer->where, "needs exactly one of \"image\" or \"rect\"");
		}
		if (!(is_texture ? parse_texture_layer(p, obj, layer->where, layer) :
				parse_rect_layer(p, obj, layer->where, layer))) {
			return false;
		}
		if (is_texture) {
			pixels += (int64_t)layer->image_width * layer->image_height;
			if (pixels > SCENE_MAX_PIXELS) {
				return parser_fail(p, layer->where, "the output and the images up to this "
					"one add up to %" PRId64 " pixels, more than the %" PRId64
					" a scene may hold", pixels, SCENE_MAX_PIXELS);
			}
		}
	}
	return true;
}

bool scene_load_string(struct scene *scene, const char *json, const char *name,
	const char *dir, char error[static SCENE_ERROR_SIZE])
{
	struct scene_parser p = { .name = name, .dir = dir, .error = error };
	*scene = (struct scene){0};
	error[0] = '\0';

	json_tokener *tok = json_tokener_new();
	if (tok == NULL) {
		return parser_fail(&p, NULL, "out of memory");
	}
	size_t len = strlen(json);
	json_object *root = json_tokener_parse_ex(tok, json, (int)len + 1);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (root == NULL || jerr != json_tokener_success) {
		// Count lines up to where the tokenizer stopped.
		size_t end = json_tokener_get_parse_end(tok);
		int line = 1, column = 1;
		for (size_t i = 0; i < end && i < len; i++) {
			column++;
			if (json[i] == '\n') {
				line++;
				column = 1;
			}
		}
		const char *why = jerr != json_tokener_success ?
			json_tokener_error_desc(jerr) : "empty document";
		json_tokener_free(tok);
		json_object_put(root);
		return parser_fail(&p, NULL, "invalid JSON at line %d, column %d: %s", line, column, why);
	}
	// The tokenizer stops after the first value: anything but space after it is an error.
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (size_t i = end; i < len; i++) {
		if (json[i] != ' ' && json[i] != '\t' && json[i] != '\n' && json[i] != '\r') {
			int line = 1;
			for (size_t j = 0; j < i; j++) {
				line += json[j] == '\n';
			}
			json_object_put(root);
			return parser_fail(&p, NULL, "invalid JSON at line %d: text after the end of "
				"the document", line);
		}
	}

	bool ok = parse_scene(&p, root, scene);
	json_object_put(root);
	if (!ok) {
		scene_finish(scene);
	}
	return ok;
}

bool scene_load(struct scene *scene, const char *path, char error[static SCENE_ERROR_SIZE])
{
	struct scene_parser p = { .name = path, .error = error };
	*scene = (struct scene){0};
	FILE *file = fopen(path, "rb");
	if (file == NULL) {
		return parser_fail(&p, NULL, "cannot open: %s", strerror(errno));
	}
	char *text = NULL;
	size_t size = 0, cap = 0;
	for (;;) {
		if (cap - size < 4096) {
			cap = cap * 2 + 4096;
			char *bigger = realloc(text, cap + 1);
			if (bigger == NULL) {
				free(text);
				fclose(file);
				return parser_fail(&p, NULL, "out of memory");
			}
			text = bigger;
		}
		size_t n = fread(text + size, 1, cap - size, file);
		size += n;
		if (n == 0) {
			break;
		}
	}
	bool read_error = ferror(file);
	fclose(file);
	if (read_error) {
		free(text);
		return parser_fail(&p, NULL, "cannot read: %s", strerror(errno));
	}
	text[size] = '\0';
	if (strlen(text) != size) {
		free(text);
		return parser_fail(&p, NULL, "invalid JSON: the file contains a NUL byte");
	}

	char *dir = strdup(path);
	if (dir == NULL) {
		free(text);
		return parser_fail(&p, NULL, "out of memory");
	}
	char *slash = strrchr(dir, '/');
	if (slash != NULL) {
		slash[slash == dir ? 1 : 0] = '\0';
	} else {
		dir[0] = '\0';
	}
	bool ok = scene_load_string(scene, text, path, dir, error);
	free(dir);
	free(text);
	return ok;
}

void scene_finish(struct scene *scene)
{
	for (size_t i = 0; i < scene->n_layers; i++) {
		struct scene_layer *layer = &scene->layers[i];
		free(layer->image_rgba);
		free(layer->damage_boxes);
		free(layer->clip_boxes);
	}
	free(scene->layers);
	*scene = (struct scene){0};
}
