#ifndef MOSAIC_RENDER_SCENE_PARSER_H
#define MOSAIC_RENDER_SCENE_PARSER_H

/*
 * Reading JSON values of a scene file, each check ending in one plain
 * error line ("<file>: <where>: <what>") that names the key it is about.
 * Every reader returns false after putting the message in the parser's
 * error buffer; `where` is the path of the value in the file (layers[2].src).
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "scene.h"

/* Coordinates beyond this are certainly mistakes and would overflow box math. */
#define COORD_LIMIT (1 << 20)

/* The file being read: its name and folder (for paths in it), and where errors go. */
struct scene_parser {
	const char *name;
	const char *dir;
	char *error;
};

/* snprintf for messages, where cutting a long line short is acceptable. */
void text_put(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Escapes text from the scene file for a message, so that the error stays
 * one plain line: \n, \r, \t, other controls and DEL as \xHH, C1 controls
 * (U+0080..U+009F, which some terminals obey in UTF-8) as \u00HH. With
 * `quote`, the result is a quoted string: " and \ are escaped too; without,
 * the text is JSON already (its quotes and escapes are kept). Long text is
 * cut short with "...".
 */
const char *text_escape(const char *text, bool quote, char buf[static 128]);

/*
 * The error: one line. Text from the file goes through text_escape() where it is
 * put into the message; the scene's own path comes from the command line
 * and is escaped here.
 */
bool parser_fail(struct scene_parser *p, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The JSON text of a value, escaped and shortened, for messages. */
const char *parser_show(json_object *obj, char buf[static 128]);

/* "a number", "an object", ...: what a value is, for messages. */
const char *parser_type_name(json_object *obj);

/* `where`.`key` into `out`: the path of a member. */
void parser_join(char *out, size_t size, const char *where, const char *key);

/* Rejects keys outside `allowed` (NULL-terminated): a misspelt key would be silently ignored. */
bool parser_check_keys(struct scene_parser *p, json_object *obj, const char *where,
	const char *const *allowed);

/* `what` names `type` in the message ("an object"). */
bool parser_expect_type(struct scene_parser *p, json_object *obj, const char *where,
	enum json_type type, const char *what);

/* The member `key` of `obj`, or NULL when absent (required: an error). */
json_object *parser_member(struct scene_parser *p, json_object *obj, const char *where,
	const char *key, bool required, bool *ok);

/* A number within [min, max]. */
bool parser_number(struct scene_parser *p, json_object *obj, const char *where,
	double min, double max, double *out);

/* A whole number within [min, max]. */
bool parser_int(struct scene_parser *p, json_object *obj, const char *where, int min, int max,
	int *out);

/* A width or height: a whole number from 1 to MOSAIC_MAX_IMAGE_SIZE. */
bool parser_size(struct scene_parser *p, json_object *obj, const char *where, int *out);

/* An array; of exactly `n` values unless `n` is 0. */
bool parser_array(struct scene_parser *p, json_object *obj, const char *where, size_t n);

/* [r, g, b, a], each 0..1. */
bool parser_color(struct scene_parser *p, json_object *obj, const char *where,
	struct scene_color *out);

/* [x, y, w, h] of whole numbers; `min_size` is 0 or 1. */
bool parser_box(struct scene_parser *p, json_object *obj, const char *where, int min_size,
	struct mosaic_box *out);

/* An array of boxes, allocated into `out` (the caller frees it). */
bool parser_boxes(struct scene_parser *p, json_object *obj, const char *where,
	struct mosaic_box **out, size_t *n_out);

/* One of `names` (NULL-terminated): its index in `out`. */
bool parser_name(struct scene_parser *p, json_object *obj, const char *where,
	const char *const *names, int *out);

#endif
