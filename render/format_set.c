#include <stdlib.h>
#include <string.h>

#include <mosaic/format.h>

#include "private/export.h"
#include "private/log.h"

/* Logs and returns false for a NULL set: a programmer error that must not crash. */
static bool check_set(const void *set, const char *what)
{
	if (set == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "format set %s: no set given", what);
		return false;
	}
	return true;
}

MOSAIC_EXPORT void mosaic_format_set_init(struct mosaic_format_set *set)
{
	if (!check_set(set, "init")) {
		return;
	}
	*set = (struct mosaic_format_set){0};
}

MOSAIC_EXPORT void mosaic_format_set_finish(struct mosaic_format_set *set)
{
	if (set == NULL) {
		return;
	}
	for (size_t i = 0; i < set->n_formats; i++) {
		free(set->formats[i].modifiers);
	}
	free(set->formats);
	*set = (struct mosaic_format_set){0};
}

/* Index of the first format whose fourcc is >= `fourcc`. */
static size_t format_lower_bound(const struct mosaic_format_set *set, uint32_t fourcc)
{
	size_t lo = 0, hi = set->n_formats;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->formats[mid].fourcc < fourcc) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static size_t modifier_lower_bound(const struct mosaic_format *fmt, uint64_t modifier)
{
	size_t lo = 0, hi = fmt->n_modifiers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fmt->modifiers[mid] < modifier) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

MOSAIC_EXPORT const struct mosaic_format *mosaic_format_set_get(
	const struct mosaic_format_set *set, uint32_t fourcc)
{
	if (!check_set(set, "get")) {
		return NULL;
	}
	size_t i = format_lower_bound(set, fourcc);
	if (i < set->n_formats && set->formats[i].fourcc == fourcc) {
		return &set->formats[i];
	}
	return NULL;
}

MOSAIC_EXPORT bool mosaic_format_set_has(const struct mosaic_format_set *set, uint32_t fourcc,
	uint64_t modifier)
{
	if (!check_set(set, "has")) {
		return false;
	}
	const struct mosaic_format *fmt = mosaic_format_set_get(set, fourcc);
	if (fmt == NULL) {
		return false;
	}
	size_t j = modifier_lower_bound(fmt, modifier);
	return j < fmt->n_modifiers && fmt->modifiers[j] == modifier;
}

MOSAIC_EXPORT bool mosaic_format_set_add(struct mosaic_format_set *set, uint32_t fourcc,
	uint64_t modifier)
{
	if (!check_set(set, "add")) {
		return false;
	}
	size_t i = format_lower_bound(set, fourcc);
	if (i == set->n_formats || set->formats[i].fourcc != fourcc) {
		// Both allocations first: a format never exists without a modifier.
		uint64_t *mods = malloc(sizeof(*mods));
		if (mods == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return false;
		}
		struct mosaic_format *formats = realloc(set->formats,
			(set->n_formats + 1) * sizeof(*formats));
		if (formats == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			free(mods);
			return false;
		}
		set->formats = formats;
		memmove(&formats[i + 1], &formats[i], (set->n_formats - i) * sizeof(*formats));
		mods[0] = modifier;
		formats[i] = (struct mosaic_format){
			.fourcc = fourcc,
			.n_modifiers = 1,
			.modifiers = mods,
		};
		set->n_formats++;
		return true;
	}

	struct mosaic_format *fmt = &set->formats[i];
	size_t j = modifier_lower_bound(fmt, modifier);
	if (j < fmt->n_modifiers && fmt->modifiers[j] == modifier) {
		return true;
	}
	uint64_t *mods = realloc(fmt->modifiers, (fmt->n_modifiers + 1) * sizeof(*mods));
	if (mods == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	fmt->modifiers = mods;
	memmove(&mods[j + 1], &mods[j], (fmt->n_modifiers - j) * sizeof(*mods));
	mods[j] = modifier;
	fmt->n_modifiers++;
	return true;
}

MOSAIC_EXPORT bool mosaic_format_set_remove(struct mosaic_format_set *set, uint32_t fourcc,
	uint64_t modifier)
{
	if (!check_set(set, "remove")) {
		return false;
	}
	size_t i = format_lower_bound(set, fourcc);
	if (i == set->n_formats || set->formats[i].fourcc != fourcc) {
		return false;
	}
	struct mosaic_format *fmt = &set->formats[i];
	size_t j = modifier_lower_bound(fmt, modifier);
	if (j == fmt->n_modifiers || fmt->modifiers[j] != modifier) {
		return false;
	}
	memmove(&fmt->modifiers[j], &fmt->modifiers[j + 1],
		(fmt->n_modifiers - j - 1) * sizeof(fmt->modifiers[0]));
	fmt->n_modifiers--;
	if (fmt->n_modifiers == 0) {
		free(fmt->modifiers);
		memmove(&set->formats[i], &set->formats[i + 1],
			(set->n_formats - i - 1) * sizeof(set->formats[0]));
		set->n_formats--;
	}
	return true;
}

MOSAIC_EXPORT bool mosaic_format_set_copy(struct mosaic_format_set *dst,
	const struct mosaic_format_set *src)
{
	if (!check_set(dst, "copy") || !check_set(src, "copy")) {
		return false;
	}
	struct mosaic_format_set out = {0};
	for (size_t i = 0; i < src->n_formats; i++) {
		for (size_t j = 0; j < src->formats[i].n_modifiers; j++) {
			if (!mosaic_format_set_add(&out, src->formats[i].fourcc,
					src->formats[i].modifiers[j])) {
				mosaic_format_set_finish(&out);
				mosaic_format_set_finish(dst);
				return false;
			}
		}
	}
	mosaic_format_set_finish(dst);
	*dst = out;
	return true;
}

MOSAIC_EXPORT bool mosaic_format_set_intersect(struct mosaic_format_set *dst,
	const struct mosaic_format_set *a, const struct mosaic_format_set *b)
{
	if (!check_set(dst, "intersect") || !check_set(a, "intersect") ||
			!check_set(b, "intersect")) {
		return false;
	}
	// Built aside so that dst may alias a or b.
	struct mosaic_format_set out = {0};
	for (size_t i = 0; i < a->n_formats; i++) {
		const struct mosaic_format *fa = &a->formats[i];
		for (size_t j = 0; j < fa->n_modifiers; j++) {
			if (!mosaic_format_set_has(b, fa->fourcc, fa->modifiers[j])) {
				continue;
			}
			if (!mosaic_format_set_add(&out, fa->fourcc, fa->modifiers[j])) {
				mosaic_format_set_finish(&out);
				mosaic_format_set_finish(dst);
				return false;
			}
		}
	}
	mosaic_format_set_finish(dst);
	*dst = out;
	return true;
}

MOSAIC_EXPORT bool mosaic_format_set_union(struct mosaic_format_set *dst,
	const struct mosaic_format_set *a, const struct mosaic_format_set *b)
{
	if (!check_set(dst, "union") || !check_set(a, "union") || !check_set(b, "union")) {
		return false;
	}
	struct mosaic_format_set out = {0};
	const struct mosaic_format_set *sets[] = { a, b };
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < sets[s]->n_formats; i++) {
			const struct mosaic_format *f = &sets[s]->formats[i];
			for (size_t j = 0; j < f->n_modifiers; j++) {
				if (!mosaic_format_set_add(&out, f->fourcc, f->modifiers[j])) {
					mosaic_format_set_finish(&out);
					mosaic_format_set_finish(dst);
					return false;
				}
			}
		}
	}
	mosaic_format_set_finish(dst);
	*dst = out;
	return true;
}
