#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene.h"
#include "scene_parser.h"

void text_put(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(buf, size, fmt, args);
	va_end(args);
}

const char *text_escape(const char *text, bool quote, char buf[static 128])
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
			text_put(esc, sizeof(esc), "\\x%02x", *c);
		} else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) {
			text_put(esc, sizeof(esc), "\\u00%02x", c[1]);
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

bool parser_fail(struct scene_parser *p, const char *where, const char *fmt, ...)
{
	char msg[SCENE_ERROR_SIZE], name[128];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	text_escape(p->name, false, name);
	if (where != NULL && where[0] != '\0') {
		text_put(p->error, SCENE_ERROR_SIZE, "%s: %s: %s", name, where, msg);
	} else {
		text_put(p->error, SCENE_ERROR_SIZE, "%s: %s", name, msg);
	}
	return false;
}

const char *parser_show(json_object *obj, char buf[static 128])
{
	return text_escape(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
		JSON_C_TO_STRING_NOSLASHESCAPE), false, buf);
}

const char *parser_type_name(json_object *obj)
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

void parser_join(char *out, size_t size, const char *where, const char *key)
{
	text_put(out, size, "%s%s%s", where, where[0] != '\0' ? "." : "", key);
}

bool parser_check_keys(struct scene_parser *p, json_object *obj, const char *where,
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
			return parser_fail(p, where, "unknown key %s", text_escape(key, true, buf));
		}
	}
	return true;
}

bool parser_expect_type(struct scene_parser *p, json_object *obj, const char *where,
	enum json_type type, const char *what)
{
	if (json_object_get_type(obj) != type) {
		return parser_fail(p, where, "must be %s, not %s", what, parser_type_name(obj));
	}
	return true;
}

json_object *parser_member(struct scene_parser *p, json_object *obj, const char *where,
	const char *key, bool required, bool *ok)
{
	json_object *value;
	if (json_object_object_get_ex(obj, key, &value) && value != NULL) {
		return value;
	}
	if (json_object_object_get_ex(obj, key, &value)) {
		char at[128];
		parser_join(at, sizeof(at), where, key);
		*ok = parser_fail(p, at, "must not be null");
		return NULL;
	}
	if (required) {
		char at[128];
		parser_join(at, sizeof(at), where, key);
		*ok = parser_fail(p, at, "missing required key");
	}
	return NULL;
}

bool parser_number(struct scene_parser *p, json_object *obj, const char *where,
	double min, double max, double *out)
{
	enum json_type type = json_object_get_type(obj);
	if (type != json_type_double && type != json_type_int) {
		return parser_fail(p, where, "must be a number, not %s", parser_type_name(obj));
	}
	double v = json_object_get_double(obj);
	if (!isfinite(v) || v < min || v > max) {
		return parser_fail(p, where, "%g is outside %g..%g", v, min, max);
	}
	*out = v;
	return true;
}

bool parser_int(struct scene_parser *p, json_object *obj, const char *where, int min, int max,
	int *out)
{
	double v;
	if (!parser_number(p, obj, where, min, max, &v)) {
		return false;
	}
	if (v != floor(v)) {
		return parser_fail(p, where, "%g must be a whole number", v);
	}
	*out = (int)v;
	return true;
}

bool parser_size(struct scene_parser *p, json_object *obj, const char *where, int *out)
{
	if (!parser_int(p, obj, where, INT32_MIN, INT32_MAX, out)) {
		return false;
	}
	if (*out < 1 || *out > MOSAIC_MAX_IMAGE_SIZE) {
		return parser_fail(p, where, "impossible size %d (must be 1..%d)", *out,
			MOSAIC_MAX_IMAGE_SIZE);
	}
	return true;
}

bool parser_array(struct scene_parser *p, json_object *obj, const char *where, size_t n)
{
	if (!parser_expect_type(p, obj, where, json_type_array, "an array")) {
		return false;
	}
	if (n != 0 && json_object_array_length(obj) != n) {
		return parser_fail(p, where, "must have %zu elements, not %zu", n,
			json_object_array_length(obj));
	}
	return true;
}

bool parser_color(struct scene_parser *p, json_object *obj, const char *where,
	struct scene_color *out)
{
	if (!parser_array(p, obj, where, 4)) {
		return false;
	}
	double v[4];
	for (size_t i = 0; i < 4; i++) {
		char at[128];
		text_put(at, sizeof(at), "%s[%zu]", where, i);
		if (!parser_number(p, json_object_array_get_idx(obj, i), at, 0.0, 1.0, &v[i])) {
			return false;
		}
	}
	*out = (struct scene_color){ (float)v[0], (float)v[1], (float)v[2], (float)v[3] };
	return true;
}

bool parser_box(struct scene_parser *p, json_object *obj, const char *where, int min_size,
	struct mosaic_box *out)
{
	if (!parser_array(p, obj, where, 4)) {
		return false;
	}
	int v[4];
	for (size_t i = 0; i < 4; i++) {
		char at[128];
		text_put(at, sizeof(at), "%s[%zu]", where, i);
		int lo = i < 2 ? -COORD_LIMIT : min_size;
		if (!parser_int(p, json_object_array_get_idx(obj, i), at, lo, COORD_LIMIT, &v[i])) {
			return false;
		}
	}
	*out = (struct mosaic_box){ v[0], v[1], v[2], v[3] };
	return true;
}

bool parser_boxes(struct scene_parser *p, json_object *obj, const char *where,
	struct mosaic_box **out, size_t *n_out)
{
	if (!parser_array(p, obj, where, 0)) {
		return false;
	}
	size_t n = json_object_array_length(obj);
	struct mosaic_box *boxes = calloc(n > 0 ? n : 1, sizeof(*boxes));
	if (boxes == NULL) {
		return parser_fail(p, where, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		char at[128];
		text_put(at, sizeof(at), "%s[%zu]", where, i);
		if (!parser_box(p, json_object_array_get_idx(obj, i), at, 0, &boxes[i])) {
			free(boxes);
			return false;
		}
	}
	*out = boxes;
	*n_out = n;
	return true;
}

bool parser_name(struct scene_parser *p, json_object *obj, const char *where,
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
		text_put(expected + len, sizeof(expected) - len, "%s%s", i > 0 ? ", " : "",
			names[i]);
	}
	return parser_fail(p, where, "unknown value %s (expected one of: %s)", parser_show(obj, buf), expected);
}
