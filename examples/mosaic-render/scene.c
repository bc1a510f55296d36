#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <json-c/json.h>

#include "pixels.h"
#include "png_file.h"
#include "scene.h"

/* Coordinates beyond this are certainly mistakes and would overflow box math. */
#define COORD_LIMIT (1 << 20)

struct parser {
	const char *name;
	const char *dir;
	char *error;
};

/* snprintf for messages, where cutting a long line short is acceptable. */
static void put_msg(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_msg(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(buf, size, fmt, args);
	va_end(args);
}

/*
 * Escapes text from the scene file for a message, so that the error stays
 * one plain line: \n, \r, \t, other controls and DEL as \xHH, C1 controls
 * (U+0080..U+009F, which some terminals obey in UTF-8) as \u00HH. With
 * `quote`, the result is a quoted string: " and \ are escaped too; without,
 * the text is JSON already (its quotes and escapes are kept). Long text is
 * cut short with "...".
 */
static const char *escape(const char *text, bool quote, char buf[static 128])
{
	const size_t size = 128, room = size - 5; // closing quote, "...", NUL
	size_t n = 0;
	if (quote) {
		buf[n++] = '"';
	}
	const unsigned char *c = (const unsigned char *)text;
	for (; *c != '\0' && n < room; c++) {
		char esc[8] = "";
		if (*c == '\n') {
			memcpy(esc, "\\n", 3);
		} else if (*c == '\r') {
			memcpy(esc, "\\r", 3);
		} else if (*c == '\t') {
			memcpy(esc, "\\t", 3);
		} else if (*c < 0x20 || *c == 0x7f) {
			put_msg(esc, sizeof(esc), "\\x%02x", *c);
		} else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) {
			put_msg(esc, sizeof(esc), "\\u00%02x", c[1]);
			c++;
		} else if (quote && (*c == '"' || *c == '\\')) {
			esc[0] = '\\';
			esc[1] = (char)*c;
		} else {
			buf[n++] = (char)*c;
			continue;
		}
		size_t len = strlen(esc);
		if (n + len > room) {
			break;
		}
		memcpy(buf + n, esc, len);
		n += len;
	}
	if (*c != '\0') {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	if (quote) {
		buf[n++] = '"';
	}
	buf[n] = '\0';
	return buf;
}

static bool fail(struct parser *p, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The error: one line. Text from the file goes through escape() where it is
 * put into the message; the scene's own path comes from the command line
 * and is escaped here.
 */
static bool fail(struct parser *p, const char *where, const char *fmt, ...)
{
	char msg[SCENE_ERROR_SIZE], name[128];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	escape(p->name, false, name);
	if (where != NULL && where[0] != '\0') {
		put_msg(p->error, SCENE_ERROR_SIZE, "%s: %s: %s", name, where, msg);
	} else {
		put_msg(p->error, SCENE_ERROR_SIZE, "%s: %s", name, msg);
	}
	return false;
}

/* The JSON text of a value, escaped and shortened, for messages. */
static const char *show(json_object *obj, char buf[static 128])
{
	return escape(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
		JSON_C_TO_STRING_NOSLASHESCAPE), false, buf);
}

static const char *type_name(json_object *obj)
{
	switch (json_object_get_type(obj)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

static void join(char *out, size_t size, const char *where, const char *key)
{
	put_msg(out, size, "%s%s%s", where, where[0] != '\0' ? "." : "", key);
}

/* Rejects keys outside `allowed` (NULL-terminated): a misspelt key would be silently ignored. */
static bool check_keys(struct parser *p, json_object *obj, const char *where,
	const char *const *allowed)
{
	json_object_object_foreach(obj, key, value) {
		(void)value;
		bool known = false;
		for (const char *const *a = allowed; *a != NULL; a++) {
			known = known || strcmp(*a, key) == 0;
		}
		if (!known) {
			char buf[128];
			return fail(p, where, "unknown key %s", escape(key, true, buf));
		}
	}
	return true;
}

static bool expect_type(struct parser *p, json_object *obj, const char *where,
	enum json_type type, const char *what)
{
	if (json_object_get_type(obj) != type) {
		return fail(p, where, "must be %s, not %s", what, type_name(obj));
	}
	return true;
}

/* The member `key` of `obj`, or NULL when absent (required: an error). */
static json_object *member(struct parser *p, json_object *obj, const char *where,
	const char *key, bool required, bool *ok)
{
	json_object *value;
	if (json_object_object_get_ex(obj, key, &value) && value != NULL) {
		return value;
	}
	if (json_object_object_get_ex(obj, key, &value)) {
		char at[128];
		join(at, sizeof(at), where, key);
		*ok = fail(p, at, "must not be null");
		return NULL;
	}
	if (required) {
		char at[128];
		join(at, sizeof(at), where, key);
		*ok = fail(p, at, "missing required key");
	}
	return NULL;
}

static bool parse_number(struct parser *p, json_object *obj, const char *where,
	double min, double max, double *out)
{
	enum json_type type = json_object_get_type(obj);
	if (type != json_type_double && type != json_type_int) {
		return fail(p, where, "must be a number, not %s", type_name(obj));
	}
	double v = json_object_get_double(obj);
	if (!isfinite(v) || v < min || v > max) {
		return fail(p, where, "%g is outside %g..%g", v, min, max);
	}
	*out = v;
	return true;
}

static bool parse_int(struct parser *p, json_object *obj, const char *where, int min, int max,
	int *out)
{
	double v;
	if (!parse_number(p, obj, where, min, max, &v)) {
		return false;
	}
	if (v != floor(v)) {
		return fail(p, where, "%g must be a whole number", v);
	}
	*out = (int)v;
	return true;
}

static bool parse_size(struct parser *p, json_object *obj, const char *where, int *out)
{
	if (!parse_int(p, obj, where, INT32_MIN, INT32_MAX, out)) {
		return false;
	}
	if (*out < 1 || *out > MOSAIC_MAX_IMAGE_SIZE) {
		return fail(p, where, "impossible size %d (must be 1..%d)", *out,
			MOSAIC_MAX_IMAGE_SIZE);
	}
	return true;
}

static bool parse_array(struct parser *p, json_object *obj, const char *where, size_t n)
{
	if (!expect_type(p, obj, where, json_type_array, "an array")) {
		return false;
	}
	if (n != 0 && json_object_array_length(obj) != n) {
		return fail(p, where, "must have %zu elements, not %zu", n,
			json_object_array_length(obj));
	}
	return true;
}

static bool parse_color(struct parser *p, json_object *obj, const char *where,
	struct scene_color *out)
{
	if (!parse_array(p, obj, where, 4)) {
		return false;
	}
	double v[4];
	for (size_t i = 0; i < 4; i++) {
		char at[128];
		put_msg(at, sizeof(at), "%s[%zu]", where, i);
		if (!parse_number(p, json_object_array_get_idx(obj, i), at, 0.0, 1.0, &v[i])) {
			return false;
		}
	}
	*out = (struct scene_color){ (float)v[0], (float)v[1], (float)v[2], (float)v[3] };
	return true;
}

/* [x, y, w, h] of whole numbers; `min_size` is 0 or 1. */
static bool parse_box(struct parser *p, json_object *obj, const char *where, int min_size,
	struct mosaic_box *out)
{
	if (!parse_array(p, obj, where, 4)) {
		return false;
	}
	int v[4];
	for (size_t i = 0; i < 4; i++) {
		char at[128];
		put_msg(at, sizeof(at), "%s[%zu]", where, i);
		int lo = i < 2 ? -COORD_LIMIT : min_size;
		if (!parse_int(p, json_object_array_get_idx(obj, i), at, lo, COORD_LIMIT, &v[i])) {
			return false;
		}
	}
	*out = (struct mosaic_box){ v[0], v[1], v[2], v[3] };
	return true;
}

static bool parse_boxes(struct parser *p, json_object *obj, const char *where,
	struct mosaic_box **out, size_t *n_out)
{
	if (!parse_array(p, obj, where, 0)) {
		return false;
	}
	size_t n = json_object_array_length(obj);
	struct mosaic_box *boxes = calloc(n > 0 ? n : 1, sizeof(*boxes));
	if (boxes == NULL) {
		return fail(p, where, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		char at[128];
		put_msg(at, sizeof(at), "%s[%zu]", where, i);
		if (!parse_box(p, json_object_array_get_idx(obj, i), at, 0, &boxes[i])) {
			free(boxes);
			return false;
		}
	}
	*out = boxes;
	*n_out = n;
	return true;
}

static bool parse_name(struct parser *p, json_object *obj, const char *where,
	const char *const *names, int *out)
{
	char buf[128], expected[256] = "";
	if (json_object_get_type(obj) == json_type_string) {
		for (int i = 0; names[i] != NULL; i++) {
			if (strcmp(names[i], json_object_get_string(obj)) == 0) {
				*out = i;
				return true;
			}
		}
	}
	for (int i = 0; names[i] != NULL; i++) {
		size_t len = strlen(expected);
		put_msg(expected + len, sizeof(expected) - len, "%s%s", i > 0 ? ", " : "",
			names[i]);
	}
	return fail(p, where, "unknown value %s (expected one of: %s)", show(obj, buf), expected);
}

static const char *const transform_names[] = {
	"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270", NULL,
};
static const char *const filter_names[] = { "linear", "nearest", NULL };
static const char *const blend_names[] = { "premultiplied", "none", NULL };

static bool parse_format(struct parser *p, json_object *obj, const char *where, uint32_t *out)
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
	if (!parse_name(p, obj, where, names, &index)) {
		return false;
	}
	*out = infos[index].fourcc;
	return true;
}

static bool parse_blend(struct parser *p, json_object *layer, const char *where,
	enum mosaic_blend *out)
{
	bool ok = true;
	json_object *v = member(p, layer, where, "blend", false, &ok);
	int i = 0;
	if (v != NULL) {
		char at[128];
		join(at, sizeof(at), where, "blend");
		ok = parse_name(p, v, at, blend_names, &i);
	}
	*out = i == 1 ? MOSAIC_BLEND_NONE : MOSAIC_BLEND_PREMULTIPLIED;
	return ok;
}

static bool parse_clip(struct parser *p, json_object *layer, const char *where,
	struct scene_layer *out)
{
	bool ok = true;
	json_object *v = member(p, layer, where, "clip", false, &ok);
	if (v == NULL) {
		return ok;
	}
	char at[128];
	join(at, sizeof(at), where, "clip");
	out->has_clip = true;
	return parse_boxes(p, v, at, &out->clip_boxes, &out->n_clip_boxes);
}

static bool parse_image_file(struct parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	const char *file = json_object_get_string(obj);
	char path[4096], reason[256];
	if (file[0] == '/' || p->dir == NULL || p->dir[0] == '\0') {
		put_msg(path, sizeof(path), "%s", file);
	} else {
		put_msg(path, sizeof(path), "%s/%s", p->dir, file);
	}
	if (!png_read_rgba8(path, &layer->image_width, &layer->image_height, &layer->image_rgba,
			reason, sizeof(reason))) {
		char buf[128];
		return fail(p, where, "cannot read %s: %s", escape(path, true, buf), reason);
	}
	layer->image_kind = SCENE_IMAGE_FILE;
	return true;
}

/* {"width": W, "height": H, ...} shared by the generated images. */
static bool parse_image_size(struct parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	bool ok = true;
	char at[128];
	json_object *w = member(p, obj, where, "width", true, &ok);
	json_object *h = ok ? member(p, obj, where, "height", true, &ok) : NULL;
	if (!ok) {
		return false;
	}
	join(at, sizeof(at), where, "width");
	if (!parse_size(p, w, at, &layer->image_width)) {
		return false;
	}
	join(at, sizeof(at), where, "height");
	return parse_size(p, h, at, &layer->image_height);
}

static bool parse_image_colors(struct parser *p, json_object *obj, const char *where,
	size_t n, struct scene_layer *layer)
{
	bool ok = true;
	char at[128], item[160];
	json_object *colors = member(p, obj, where, "colors", true, &ok);
	if (!ok) {
		return false;
	}
	join(at, sizeof(at), where, "colors");
	if (!parse_array(p, colors, at, n)) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		put_msg(item, sizeof(item), "%s[%zu]", at, i);
		if (!parse_color(p, json_object_array_get_idx(colors, i), item,
				&layer->colors[i])) {
			return false;
		}
	}
	return true;
}

static bool parse_image(struct parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	bool ok = true;
	char at[128];
	if (json_object_get_type(obj) == json_type_string) {
		return parse_image_file(p, obj, where, layer);
	}
	if (json_object_get_type(obj) != json_type_object) {
		return fail(p, where, "must be a file name or an object, not %s", type_name(obj));
	}
	json_object *v;
	if (json_object_object_get_ex(obj, "solid", &v)) {
		static const char *const keys[] = { "solid", "width", "height", NULL };
		if (!check_keys(p, obj, where, keys) || !parse_image_size(p, obj, where, layer)) {
			return false;
		}
		join(at, sizeof(at), where, "solid");
		layer->image_kind = SCENE_IMAGE_SOLID;
		return parse_color(p, v, at, &layer->colors[0]);
	}
	if (json_object_object_get_ex(obj, "checker", &v)) {
		static const char *const keys[] = { "checker", NULL };
		static const char *const checker_keys[] = {
			"width", "height", "cell", "colors", NULL,
		};
		join(at, sizeof(at), where, "checker");
		if (!check_keys(p, obj, where, keys) ||
				!expect_type(p, v, at, json_type_object, "an object") ||
				!check_keys(p, v, at, checker_keys) ||
				!parse_image_size(p, v, at, layer)) {
			return false;
		}
		json_object *cell = member(p, v, at, "cell", true, &ok);
		char cell_at[160];
		join(cell_at, sizeof(cell_at), at, "cell");
		layer->image_kind = SCENE_IMAGE_CHECKER;
		return ok && parse_int(p, cell, cell_at, 1, MOSAIC_MAX_IMAGE_SIZE, &layer->cell) &&
			parse_image_colors(p, v, at, 2, layer);
	}
	if (json_object_object_get_ex(obj, "gradient", &v)) {
		static const char *const keys[] = { "gradient", NULL };
		static const char *const gradient_keys[] = { "width", "height", "colors", NULL };
		join(at, sizeof(at), where, "gradient");
		if (!check_keys(p, obj, where, keys) ||
				!expect_type(p, v, at, json_type_object, "an object") ||
				!check_keys(p, v, at, gradient_keys) ||
				!parse_image_size(p, v, at, layer)) {
			return false;
		}
		layer->image_kind = SCENE_IMAGE_GRADIENT;
		return parse_image_colors(p, v, at, 4, layer);
	}
	return fail(p, where, "needs \"solid\", \"checker\" or \"gradient\"");
}

static const char *const matrix_names[] = { "bt601", "bt709", NULL };
static const char *const range_names[] = { "limited", "full", NULL };
static const char *const chroma_names[] = { "left", "center", "top-left", NULL };

/* {"matrix": "bt601|bt709", "range": "limited|full", "chroma": "left|center|top-left"} */
static bool parse_yuv(struct parser *p, json_object *obj, const char *where,
	struct mosaic_yuv_info *yuv)
{
	static const char *const keys[] = { "matrix", "range", "chroma", NULL };
	if (json_object_get_type(obj) != json_type_object) {
		return fail(p, where, "must be an object");
	}
	if (!check_keys(p, obj, where, keys)) {
		return false;
	}
	const char *const *names[] = { matrix_names, range_names, chroma_names };
	int values[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		bool ok = true;
		char at[128];
		json_object *v = member(p, obj, where, keys[i], false, &ok);
		if (!ok) {
			return false;
		}
		join(at, sizeof(at), where, keys[i]);
		if (v != NULL && !parse_name(p, v, at, names[i], &values[i])) {
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

static bool parse_texture_layer(struct parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	static const char *const keys[] = {
		"image", "format", "src", "dst", "transform", "alpha", "filter", "blend", "clip",
		"damage_every_frame", "yuv", NULL,
	};
	bool ok = true;
	char at[128];
	if (!check_keys(p, obj, where, keys)) {
		return false;
	}
	layer->kind = SCENE_LAYER_TEXTURE;
	json_object *v = member(p, obj, where, "image", true, &ok);
	join(at, sizeof(at), where, "image");
	if (!ok || !parse_image(p, v, at, layer)) {
		return false;
	}
	int w = layer->image_width, h = layer->image_height;

	layer->format = DRM_FORMAT_ARGB8888;
	if ((v = member(p, obj, where, "format", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "format");
		ok = parse_format(p, v, at, &layer->format);
	}
	if (!ok) {
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(layer->format);
	if ((v = member(p, obj, where, "yuv", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "yuv");
		if (!info->is_yuv) {
			return fail(p, at, "only for YUV formats (the layer is %s)", info->name);
		}
		if (!parse_yuv(p, v, at, &layer->yuv)) {
			return false;
		}
	}
	if (!ok) {
		return false;
	}

	layer->src = (struct mosaic_fbox){ 0, 0, w, h };
	if ((v = member(p, obj, where, "src", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "src");
		double s[4];
		if (!parse_array(p, v, at, 4)) {
			return false;
		}
		for (size_t i = 0; i < 4; i++) {
			char item[160];
			put_msg(item, sizeof(item), "%s[%zu]", at, i);
			if (!parse_number(p, json_object_array_get_idx(v, i), item, -COORD_LIMIT,
					COORD_LIMIT, &s[i])) {
				return false;
			}
		}
		if (s[2] <= 0 || s[3] <= 0 || s[0] < 0 || s[1] < 0 || s[0] + s[2] > w ||
				s[1] + s[3] > h) {
			char buf[128];
			return fail(p, at, "%s is empty or outside the %dx%d image", show(v, buf),
				w, h);
		}
		layer->src = (struct mosaic_fbox){ s[0], s[1], s[2], s[3] };
	}
	if (!ok) {
		return false;
	}

	int t = 0;
	if ((v = member(p, obj, where, "transform", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "transform");
		ok = parse_name(p, v, at, transform_names, &t);
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
	if ((v = member(p, obj, where, "dst", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "dst");
		ok = parse_box(p, v, at, 1, &layer->dst);
	} else if (ok && mosaic_box_empty(&layer->dst)) {
		join(at, sizeof(at), where, "src");
		return fail(p, at, "is less than a pixel: give \"dst\"");
	}
	if (!ok) {
		return false;
	}

	double alpha = 1.0;
	if ((v = member(p, obj, where, "alpha", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "alpha");
		ok = parse_number(p, v, at, 0.0, 1.0, &alpha);
	}
	if (!ok) {
		return false;
	}
	layer->alpha = (float)alpha;

	int f = 0;
	if ((v = member(p, obj, where, "filter", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "filter");
		ok = parse_name(p, v, at, filter_names, &f);
	}
	if (!ok) {
		return false;
	}
	layer->filter = f == 1 ? MOSAIC_FILTER_NEAREST : MOSAIC_FILTER_LINEAR;

	if (!parse_blend(p, obj, where, &layer->blend) || !parse_clip(p, obj, where, layer)) {
		return false;
	}

	if ((v = member(p, obj, where, "damage_every_frame", false, &ok)) != NULL) {
		join(at, sizeof(at), where, "damage_every_frame");
		if (json_object_get_type(v) == json_type_boolean) {
			layer->damage = json_object_get_boolean(v) ?
				SCENE_DAMAGE_ALL : SCENE_DAMAGE_NONE;
		} else if (json_object_get_type(v) == json_type_array) {
			if (!parse_boxes(p, v, at, &layer->damage_boxes,
					&layer->n_damage_boxes)) {
				return false;
			}
			struct mosaic_box bounds = { 0, 0, w, h };
			for (size_t i = 0; i < layer->n_damage_boxes; i++) {
				struct mosaic_box *b = &layer->damage_boxes[i], inter;
				if (!mosaic_box_intersection(&inter, &bounds, b) ||
						memcmp(&inter, b, sizeof(inter)) != 0) {
					char item[160];
					put_msg(item, sizeof(item), "%s[%zu]", at, i);
					return fail(p, item, "[%d, %d, %d, %d] is empty or outside "
						"the %dx%d image", b->x, b->y, b->width, b->height,
						w, h);
				}
			}
			layer->damage = SCENE_DAMAGE_BOXES;
		} else {
			return fail(p, at, "must be true, false or an array of boxes, not %s",
				type_name(v));
		}
	}
	return ok;
}

static bool parse_rect_layer(struct parser *p, json_object *obj, const char *where,
	struct scene_layer *layer)
{
	static const char *const keys[] = { "rect", "color", "blend", "clip", NULL };
	bool ok = true;
	char at[128];
	if (!check_keys(p, obj, where, keys)) {
		return false;
	}
	layer->kind = SCENE_LAYER_RECT;
	json_object *rect = member(p, obj, where, "rect", true, &ok);
	json_object *color = ok ? member(p, obj, where, "color", true, &ok) : NULL;
	if (!ok) {
		return false;
	}
	join(at, sizeof(at), where, "rect");
	if (!parse_box(p, rect, at, 0, &layer->rect)) {
		return false;
	}
	join(at, sizeof(at), where, "color");
	return parse_color(p, color, at, &layer->color) &&
		parse_blend(p, obj, where, &layer->blend) && parse_clip(p, obj, where, layer);
}

static bool parse_scene(struct parser *p, json_object *root, struct scene *scene)
{
	static const char *const keys[] = { "output", "clear", "layers", NULL };
	static const char *const output_keys[] = { "width", "height", "format", NULL };
	bool ok = true;
	if (!expect_type(p, root, "", json_type_object, "an object") ||
			!check_keys(p, root, "", keys)) {
		return false;
	}

	json_object *output = member(p, root, "", "output", true, &ok);
	if (!ok || !expect_type(p, output, "output", json_type_object, "an object") ||
			!check_keys(p, output, "output", output_keys)) {
		return false;
	}
	json_object *w = member(p, output, "output", "width", true, &ok);
	json_object *h = ok ? member(p, output, "output", "height", true, &ok) : NULL;
	if (!ok || !parse_size(p, w, "output.width", &scene->width) ||
			!parse_size(p, h, "output.height", &scene->height)) {
		return false;
	}
	scene->format = DRM_FORMAT_XRGB8888;
	json_object *v = member(p, output, "output", "format", false, &ok);
	if (!ok || (v != NULL && !parse_format(p, v, "output.format", &scene->format))) {
		return false;
	}

	if ((v = member(p, root, "", "clear", false, &ok)) != NULL) {
		scene->has_clear = true;
		ok = parse_color(p, v, "clear", &scene->clear);
	}
	if (!ok) {
		return false;
	}

	json_object *layers = member(p, root, "", "layers", false, &ok);
	if (!ok) {
		return false;
	}
	if (layers == NULL) {
		return true;
	}
	if (!parse_array(p, layers, "layers", 0)) {
		return false;
	}
	size_t n = json_object_array_length(layers);
	// Drawing the scene holds every image (twice: the client's buffer and
	// the texture) and the output: a bound on their sum bounds the memory.
	int64_t pixels = (int64_t)scene->width * scene->height;
	scene->layers = calloc(n > 0 ? n : 1, sizeof(*scene->layers));
	if (scene->layers == NULL) {
		return fail(p, "layers", "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct scene_layer *layer = &scene->layers[i];
		scene->n_layers = i + 1;
		put_msg(layer->where, sizeof(layer->where), "layers[%zu]", i);
		json_object *obj = json_object_array_get_idx(layers, i);
		if (!expect_type(p, obj, layer->where, json_type_object, "an object")) {
			return false;
		}
		json_object *tmp;
		bool is_texture = json_object_object_get_ex(obj, "image", &tmp);
		bool is_rect = json_object_object_get_ex(obj, "rect", &tmp);
		if (is_texture == is_rect) {
			return fail(p, layer->where, "needs exactly one of \"image\" or \"rect\"");
		}
		if (!(is_texture ? parse_texture_layer(p, obj, layer->where, layer) :
				parse_rect_layer(p, obj, layer->where, layer))) {
			return false;
		}
		if (is_texture) {
			pixels += (int64_t)layer->image_width * layer->image_height;
			if (pixels > SCENE_MAX_PIXELS) {
				return fail(p, layer->where, "the output and the images up to this "
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
	struct parser p = { .name = name, .dir = dir, .error = error };
	*scene = (struct scene){0};
	error[0] = '\0';

	json_tokener *tok = json_tokener_new();
	if (tok == NULL) {
		return fail(&p, NULL, "out of memory");
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
		return fail(&p, NULL, "invalid JSON at line %d, column %d: %s", line, column, why);
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
			return fail(&p, NULL, "invalid JSON at line %d: text after the end of "
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
	struct parser p = { .name = path, .error = error };
	*scene = (struct scene){0};
	FILE *file = fopen(path, "rb");
	if (file == NULL) {
		return fail(&p, NULL, "cannot open: %s", strerror(errno));
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
				return fail(&p, NULL, "out of memory");
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
		return fail(&p, NULL, "cannot read: %s", strerror(errno));
	}
	text[size] = '\0';
	if (strlen(text) != size) {
		free(text);
		return fail(&p, NULL, "invalid JSON: the file contains a NUL byte");
	}

	char *dir = strdup(path);
	if (dir == NULL) {
		free(text);
		return fail(&p, NULL, "out of memory");
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
