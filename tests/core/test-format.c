/* The format table, layout checks and format sets. */
#include <limits.h>
#include <stdlib.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include "common.h"
#include "private/format.h"

struct expected_format {
	uint32_t fourcc;
	const char *name;
	uint32_t opaque;
	uint32_t bpp;
	bool has_alpha;
};

/*
 * Written from drm_fourcc.h, not from the library's table: the names are the
 * DRM_FORMAT_* macro names without the prefix (what wlroots, weston and
 * modetest print, and what scene files use).
 */
#define F(name) DRM_FORMAT_##name, #name
static const struct expected_format required[] = {
	{ F(ARGB8888), DRM_FORMAT_XRGB8888, 4, true },
	{ F(XRGB8888), 0, 4, false },
	{ F(ABGR8888), DRM_FORMAT_XBGR8888, 4, true },
	{ F(XBGR8888), 0, 4, false },
	{ F(RGB565), 0, 2, false },
	{ F(ARGB2101010), DRM_FORMAT_XRGB2101010, 4, true },
	{ F(XRGB2101010), 0, 4, false },
	{ F(ABGR2101010), DRM_FORMAT_XBGR2101010, 4, true },
	{ F(XBGR2101010), 0, 4, false },
};
#undef F
#define N_REQUIRED (sizeof(required) / sizeof(required[0]))

static struct log_capture cap;

static int setup(void **state)
{
	log_capture_start(&cap);
	return 0;
}

static void test_required_formats(void **state)
{
	for (size_t i = 0; i < N_REQUIRED; i++) {
		const struct expected_format *e = &required[i];
		const struct mosaic_format_info *info = mosaic_format_get_info(e->fourcc);
		assert_non_null(info);
		assert_int_equal(info->fourcc, e->fourcc);
		assert_string_equal(info->name, e->name);
		assert_int_equal(info->opaque_substitute, e->opaque);
		assert_int_equal(info->bytes_per_pixel, e->bpp);
		assert_int_equal(info->has_alpha, e->has_alpha);
		// Stable pointer into a static table.
		assert_ptr_equal(mosaic_format_get_info(e->fourcc), info);
	}
}

/*
 * drmGetFormatName() spells a fourcc as its four characters ("AR24"); the
 * table names are the macro names instead. Unknown formats are logged the
 * libdrm way, so both must agree there, and the fourcc characters of every
 * table entry must be what libdrm reports.
 */
static void test_names_and_libdrm(void **state)
{
	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	assert_true(n >= N_REQUIRED);
	for (size_t i = 0; i < n; i++) {
		char *drm_name = drmGetFormatName(all[i].fourcc);
		assert_non_null(drm_name);
		char code[5];
		for (int c = 0; c < 4; c++) {
			code[c] = (char)((all[i].fourcc >> (8 * c)) & 0xff);
		}
		code[4] = '\0';
		assert_string_equal(code, drm_name);
		free(drm_name);
	}

	const uint32_t unknown[] = { DRM_FORMAT_NV16, DRM_FORMAT_UYVY, DRM_FORMAT_RGB888,
		DRM_FORMAT_ARGB16161616F, DRM_FORMAT_C8 };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char *drm_name = drmGetFormatName(unknown[i]);
		assert_non_null(drm_name);
		char buf[32];
		const char *name = mosaic_format_name(unknown[i], buf);
		if (strncmp(name, drm_name, strlen(drm_name)) != 0) {
			print_error("mosaic says \"%s\", libdrm says \"%s\"\n", name, drm_name);
			fail();
		}
		free(drm_name);
	}
}

static void test_table_consistent(void **state)
{
	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	for (size_t i = 0; i < n; i++) {
		const struct mosaic_format_info *f = &all[i];
		assert_ptr_equal(mosaic_format_get_info(f->fourcc), f);
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(all[j].fourcc, f->fourcc);
		}
		// Name round trip.
		assert_int_equal(mosaic_format_from_name(f->name), f->fourcc);
		char buf[32];
		assert_string_equal(mosaic_format_name(f->fourcc, buf), f->name);
		// An opaque substitute exists exactly for formats with alpha, is in
		// the table, has no alpha and the same pixel size.
		if (f->has_alpha) {
			const struct mosaic_format_info *o =
				mosaic_format_get_info(f->opaque_substitute);
			assert_non_null(o);
			assert_false(o->has_alpha);
			assert_int_equal(o->bytes_per_pixel, f->bytes_per_pixel);
			assert_int_equal(o->opaque_substitute, 0);
		} else {
			assert_int_equal(f->opaque_substitute, 0);
		}
	}
	assert_no_error(&cap);
}

static void test_unknown_formats(void **state)
{
	assert_null(mosaic_format_get_info(DRM_FORMAT_NV16));
	assert_null(mosaic_format_get_info(0));
	assert_int_equal(mosaic_format_from_name("NV16"), 0);
	assert_int_equal(mosaic_format_from_name("argb8888"), 0);
	assert_int_equal(mosaic_format_from_name(""), 0);
	assert_int_equal(mosaic_format_from_name(NULL), 0);

	char buf[32];
	const char *name = mosaic_format_name(DRM_FORMAT_NV16, buf);
	assert_ptr_equal(name, buf);
	assert_true(strncmp(name, "NV16", 4) == 0);
	// Non-printable bytes never reach a log line.
	name = mosaic_format_name(0x01020304, buf);
	assert_true(strncmp(name, "????", 4) == 0);
	assert_true(strlen(name) < 32);
	name = mosaic_format_name(0xffffffff, buf);
	assert_true(strlen(name) < 32);
	for (const char *c = name; *c != '\0'; c++) {
		assert_true(*c >= 0x20 && *c < 0x7f);
	}
	assert_no_error(&cap);
}

struct expected_yuv {
	uint32_t fourcc;
	const char *name;
	int n_planes;
	uint32_t bits[3];
	uint32_t hsub, vsub, depth;
};

/* From the layouts drm_fourcc.h describes, not from the library's table. */
#define F(name) DRM_FORMAT_##name, #name
static const struct expected_yuv required_yuv[] = {
	{ F(NV12), 2, { 8, 16 }, 2, 2, 8 },
	{ F(NV21), 2, { 8, 16 }, 2, 2, 8 },
	{ F(P010), 2, { 16, 32 }, 2, 2, 10 },
	{ F(YUV420), 3, { 8, 8, 8 }, 2, 2, 8 },
	{ F(YUYV), 1, { 16 }, 2, 1, 8 },
};
#undef F

static void test_required_yuv_formats(void **state)
{
	for (size_t i = 0; i < sizeof(required_yuv) / sizeof(required_yuv[0]); i++) {
		const struct expected_yuv *e = &required_yuv[i];
		const struct mosaic_format_info *info = mosaic_format_get_info(e->fourcc);
		assert_non_null(info);
		assert_string_equal(info->name, e->name);
		assert_true(info->is_yuv);
		assert_false(info->has_alpha);
		assert_int_equal(info->opaque_substitute, 0);
		assert_int_equal(info->n_planes, e->n_planes);
		for (int p = 0; p < e->n_planes; p++) {
			assert_int_equal(info->plane_bits_per_pixel[p], e->bits[p]);
		}
		assert_int_equal(info->bytes_per_pixel, e->bits[0] / 8);
		assert_int_equal(info->hsub, e->hsub);
		assert_int_equal(info->vsub, e->vsub);
		assert_int_equal(info->yuv_depth, e->depth);
	}
	// RGB rows: one plane, no subsampling.
	for (size_t i = 0; i < N_REQUIRED; i++) {
		const struct mosaic_format_info *info = mosaic_format_get_info(required[i].fourcc);
		assert_false(info->is_yuv);
		assert_int_equal(info->n_planes, 1);
		assert_int_equal(info->plane_bits_per_pixel[0], required[i].bpp * 8);
		assert_int_equal(info->hsub, 1);
		assert_int_equal(info->vsub, 1);
	}
	assert_no_error(&cap);
}

/*
 * The table and every backend column are built from MOSAIC_FORMAT_ROWS: a
 * backend column without an entry for a row does not compile. What is left
 * to check is that the table holds exactly those rows, in that order, with
 * no row left empty (the pixman column is checked by drawing, test-yuv and
 * test-pixman).
 */
static void test_rows_match_list(void **state)
{
	static const struct {
		uint32_t fourcc;
		const char *name;
	} rows[] = {
#define ROW(name) { DRM_FORMAT_##name, #name },
		MOSAIC_FORMAT_ROWS(ROW)
#undef ROW
	};
	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	assert_int_equal(n, sizeof(rows) / sizeof(rows[0]));
	assert_int_equal(n, MOSAIC_FORMAT_N_ROWS);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(all[i].fourcc, rows[i].fourcc);
		assert_string_equal(all[i].name, rows[i].name);
	}
}

static void test_plane_size(void **state)
{
	uint64_t stride;
	uint32_t rows;
	const struct {
		uint32_t fourcc;
		int plane, width, height;
		uint64_t stride;
		uint32_t rows;
	} cases[] = {
		{ DRM_FORMAT_NV12, 0, 5, 3, 5, 3 },
		// Subsampled sizes round up: 5x3 has a 3x2 chroma plane of pairs.
		{ DRM_FORMAT_NV12, 1, 5, 3, 6, 2 },
		{ DRM_FORMAT_NV21, 1, 4, 4, 4, 2 },
		{ DRM_FORMAT_P010, 0, 5, 3, 10, 3 },
		{ DRM_FORMAT_P010, 1, 5, 3, 12, 2 },
		{ DRM_FORMAT_YUV420, 1, 5, 3, 3, 2 },
		{ DRM_FORMAT_YUV420, 2, 1, 1, 1, 1 },
		// YUYV rows hold whole pixel pairs.
		{ DRM_FORMAT_YUYV, 0, 5, 3, 12, 3 },
		{ DRM_FORMAT_YUYV, 0, 4, 1, 8, 1 },
		{ DRM_FORMAT_ARGB8888, 0, 5, 3, 20, 3 },
		{ DRM_FORMAT_RGB565, 0, MOSAIC_MAX_IMAGE_SIZE, 1, MOSAIC_MAX_IMAGE_SIZE * 2, 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mosaic_format_info *info = mosaic_format_get_info(cases[i].fourcc);
		assert_true(mosaic_format_plane_size(info, cases[i].plane, cases[i].width,
			cases[i].height, &stride, &rows));
		assert_int_equal(stride, cases[i].stride);
		assert_int_equal(rows, cases[i].rows);
	}
	assert_no_error(&cap);

	const struct mosaic_format_info *nv12 = mosaic_format_get_info(DRM_FORMAT_NV12);
	assert_false(mosaic_format_plane_size(nv12, 2, 4, 4, &stride, &rows));
	assert_one_error(&cap, "no plane 2");
	assert_false(mosaic_format_plane_size(nv12, -1, 4, 4, &stride, &rows));
	assert_one_error(&cap, "no plane -1");
	assert_false(mosaic_format_plane_size(nv12, 0, 0, 4, &stride, &rows));
	assert_one_error(&cap, "invalid size");
	assert_false(mosaic_format_plane_size(nv12, 0, 4, MOSAIC_MAX_IMAGE_SIZE + 1, &stride,
		&rows));
	assert_one_error(&cap, "invalid size");
	assert_false(mosaic_format_plane_size(NULL, 0, 4, 4, &stride, &rows));
	assert_one_error(&cap, "no format");
	assert_false(mosaic_format_plane_size(nv12, 0, 4, 4, NULL, &rows));
	assert_one_error(&cap, "no format");
}

static void test_check_layout_valid(void **state)
{
	for (size_t i = 0; i < N_REQUIRED; i++) {
		uint32_t bpp = required[i].bpp;
		assert_true(mosaic_format_check_layout(required[i].fourcc, 1, 1, bpp));
		assert_true(mosaic_format_check_layout(required[i].fourcc, 3, 2, 3 * bpp));
		assert_true(mosaic_format_check_layout(required[i].fourcc, 3, 2, 64));
		assert_true(mosaic_format_check_layout(required[i].fourcc,
			MOSAIC_MAX_IMAGE_SIZE, MOSAIC_MAX_IMAGE_SIZE, MOSAIC_MAX_IMAGE_SIZE * bpp));
	}
	assert_no_error(&cap);
}

static void test_check_layout_rejects(void **state)
{
	const uint32_t f = DRM_FORMAT_ARGB8888;
	assert_false(mosaic_format_check_layout(DRM_FORMAT_NV16, 4, 4, 16));
	assert_one_error(&cap, "NV16");
	// YUV formats have no single-plane CPU image.
	assert_false(mosaic_format_check_layout(DRM_FORMAT_YUYV, 4, 4, 16));
	assert_one_error(&cap, "YUV format");
	assert_false(mosaic_format_check_layout(DRM_FORMAT_NV12, 4, 4, 16));
	assert_one_error(&cap, "YUV format");
	assert_false(mosaic_format_check_layout(0, 4, 4, 16));
	assert_one_error(&cap, "unsupported format");

	const int sizes[][2] = {
		{ 0, 4 }, { 4, 0 }, { -1, 4 }, { 4, -1 }, { 0, 0 },
		{ MOSAIC_MAX_IMAGE_SIZE + 1, 1 }, { 1, MOSAIC_MAX_IMAGE_SIZE + 1 },
		{ INT_MAX, 1 }, { 1, INT_MAX }, { INT_MIN, INT_MIN },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_false(mosaic_format_check_layout(f, sizes[i][0], sizes[i][1], 1u << 20));
		assert_one_error(&cap, "invalid size");
	}

	// Stride too small, including one that would wrap in 32 bits.
	assert_false(mosaic_format_check_layout(f, 4, 4, 15));
	assert_one_error(&cap, "stride 15 too small");
	assert_false(mosaic_format_check_layout(f, 4, 4, 0));
	assert_one_error(&cap, "too small");
	assert_false(mosaic_format_check_layout(DRM_FORMAT_RGB565, 3, 1, 5));
	assert_one_error(&cap, "too small");

	// Stride not a multiple of the pixel size.
	assert_false(mosaic_format_check_layout(f, 4, 4, 17));
	assert_one_error(&cap, "multiple");
	assert_false(mosaic_format_check_layout(DRM_FORMAT_RGB565, 3, 1, 7));
	assert_one_error(&cap, "multiple");

	// Total size overflowing: a huge stride with a valid height.
	assert_false(mosaic_format_check_layout(f, 4, MOSAIC_MAX_IMAGE_SIZE, UINT32_MAX - 3));
	assert_one_error(&cap, "too large");
}

/* Asserts the sorted, duplicate-free invariants of a set. */
static void assert_set_sorted(const struct mosaic_format_set *set)
{
	for (size_t i = 0; i < set->n_formats; i++) {
		const struct mosaic_format *f = &set->formats[i];
		if (i > 0) {
			assert_true(set->formats[i - 1].fourcc < f->fourcc);
		}
		assert_true(f->n_modifiers > 0);
		for (size_t j = 1; j < f->n_modifiers; j++) {
			assert_true(f->modifiers[j - 1] < f->modifiers[j]);
		}
	}
}

static size_t count_pairs(const struct mosaic_format_set *set)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n_formats; i++) {
		n += set->formats[i].n_modifiers;
	}
	return n;
}

static void test_set_add_remove(void **state)
{
	struct mosaic_format_set set;
	mosaic_format_set_init(&set);
	assert_int_equal(set.n_formats, 0);
	assert_false(mosaic_format_set_has(&set, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));
	assert_null(mosaic_format_set_get(&set, DRM_FORMAT_ARGB8888));
	assert_false(mosaic_format_set_remove(&set, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));

	// Insert in a scrambled order, with duplicates.
	const uint32_t fourccs[] = { DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
		DRM_FORMAT_RGB565, DRM_FORMAT_XBGR2101010, DRM_FORMAT_ABGR8888 };
	const uint64_t mods[] = { DRM_FORMAT_MOD_INVALID, DRM_FORMAT_MOD_LINEAR, 7, 3,
		DRM_FORMAT_MOD_LINEAR };
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < 5; i++) {
			for (size_t j = 0; j < 5; j++) {
				assert_true(mosaic_format_set_add(&set, fourccs[i], mods[j]));
				assert_set_sorted(&set);
			}
		}
	}
	assert_int_equal(set.n_formats, 5);
	assert_int_equal(count_pairs(&set), 5 * 4);
	const struct mosaic_format *f = mosaic_format_set_get(&set, DRM_FORMAT_RGB565);
	assert_non_null(f);
	assert_int_equal(f->fourcc, DRM_FORMAT_RGB565);
	assert_int_equal(f->n_modifiers, 4);
	assert_true(f->modifiers[0] == DRM_FORMAT_MOD_LINEAR);
	assert_true(f->modifiers[1] == 3);
	assert_true(f->modifiers[2] == 7);
	assert_true(f->modifiers[3] == DRM_FORMAT_MOD_INVALID);
	assert_true(mosaic_format_set_has(&set, DRM_FORMAT_RGB565, 7));
	assert_false(mosaic_format_set_has(&set, DRM_FORMAT_RGB565, 8));
	assert_false(mosaic_format_set_has(&set, DRM_FORMAT_NV12, 7));

	// Remove: absent pairs leave the set alone; removing the last modifier
	// of a format removes the format.
	assert_false(mosaic_format_set_remove(&set, DRM_FORMAT_RGB565, 8));
	assert_false(mosaic_format_set_remove(&set, DRM_FORMAT_NV12, 7));
	assert_int_equal(count_pairs(&set), 20);
	for (size_t j = 0; j < 4; j++) {
		assert_true(mosaic_format_set_remove(&set, DRM_FORMAT_RGB565, mods[j]));
		assert_false(mosaic_format_set_remove(&set, DRM_FORMAT_RGB565, mods[j]));
		assert_set_sorted(&set);
	}
	assert_null(mosaic_format_set_get(&set, DRM_FORMAT_RGB565));
	assert_int_equal(set.n_formats, 4);
	assert_true(mosaic_format_set_has(&set, DRM_FORMAT_ARGB8888, 3));

	// Empty the set completely, then reuse it.
	for (size_t i = 0; i < 5; i++) {
		for (size_t j = 0; j < 4; j++) {
			mosaic_format_set_remove(&set, fourccs[i], mods[j]);
		}
	}
	assert_int_equal(set.n_formats, 0);
	assert_true(mosaic_format_set_add(&set, DRM_FORMAT_ARGB8888, 1));
	assert_true(mosaic_format_set_has(&set, DRM_FORMAT_ARGB8888, 1));
	mosaic_format_set_finish(&set);
	assert_int_equal(set.n_formats, 0);
	assert_null(set.formats);
	mosaic_format_set_finish(&set);
	mosaic_format_set_finish(NULL);
	assert_no_error(&cap);
}

/* a = {ARGB: 1 2 3, XRGB: 1, RGB565: 5}; b = {ARGB: 2 3 4, XRGB: 2, ABGR: 1}. */
static void make_sets(struct mosaic_format_set *a, struct mosaic_format_set *b)
{
	mosaic_format_set_init(a);
	mosaic_format_set_init(b);
	assert_true(mosaic_format_set_add(a, DRM_FORMAT_ARGB8888, 3));
	assert_true(mosaic_format_set_add(a, DRM_FORMAT_ARGB8888, 1));
	assert_true(mosaic_format_set_add(a, DRM_FORMAT_ARGB8888, 2));
	assert_true(mosaic_format_set_add(a, DRM_FORMAT_XRGB8888, 1));
	assert_true(mosaic_format_set_add(a, DRM_FORMAT_RGB565, 5));
	assert_true(mosaic_format_set_add(b, DRM_FORMAT_ARGB8888, 4));
	assert_true(mosaic_format_set_add(b, DRM_FORMAT_ARGB8888, 2));
	assert_true(mosaic_format_set_add(b, DRM_FORMAT_ARGB8888, 3));
	assert_true(mosaic_format_set_add(b, DRM_FORMAT_XRGB8888, 2));
	assert_true(mosaic_format_set_add(b, DRM_FORMAT_ABGR8888, 1));
}

static void assert_intersection(const struct mosaic_format_set *s)
{
	assert_set_sorted(s);
	// Only ARGB8888 {2, 3}: XRGB8888 shares the format but no modifier.
	assert_int_equal(s->n_formats, 1);
	assert_int_equal(count_pairs(s), 2);
	assert_true(mosaic_format_set_has(s, DRM_FORMAT_ARGB8888, 2));
	assert_true(mosaic_format_set_has(s, DRM_FORMAT_ARGB8888, 3));
	assert_null(mosaic_format_set_get(s, DRM_FORMAT_XRGB8888));
}

static void assert_union(const struct mosaic_format_set *s)
{
	assert_set_sorted(s);
	assert_int_equal(s->n_formats, 4);
	assert_int_equal(count_pairs(s), 4 + 2 + 1 + 1);
	const uint64_t argb[] = { 1, 2, 3, 4 };
	for (size_t i = 0; i < 4; i++) {
		assert_true(mosaic_format_set_has(s, DRM_FORMAT_ARGB8888, argb[i]));
	}
	assert_true(mosaic_format_set_has(s, DRM_FORMAT_XRGB8888, 1));
	assert_true(mosaic_format_set_has(s, DRM_FORMAT_XRGB8888, 2));
	assert_true(mosaic_format_set_has(s, DRM_FORMAT_RGB565, 5));
	assert_true(mosaic_format_set_has(s, DRM_FORMAT_ABGR8888, 1));
}

static void test_set_intersect_union(void **state)
{
	struct mosaic_format_set a, b, dst;
	make_sets(&a, &b);
	mosaic_format_set_init(&dst);

	assert_true(mosaic_format_set_intersect(&dst, &a, &b));
	assert_intersection(&dst);
	// dst holding data is replaced, not appended to.
	assert_true(mosaic_format_set_union(&dst, &a, &b));
	assert_union(&dst);
	assert_true(mosaic_format_set_intersect(&dst, &b, &a));
	assert_intersection(&dst);
	assert_true(mosaic_format_set_union(&dst, &b, &a));
	assert_union(&dst);

	// Aliasing: dst == a, dst == b, and all three the same.
	assert_true(mosaic_format_set_intersect(&a, &a, &b));
	assert_intersection(&a);
	mosaic_format_set_finish(&a);
	mosaic_format_set_finish(&b);
	make_sets(&a, &b);
	assert_true(mosaic_format_set_intersect(&b, &a, &b));
	assert_intersection(&b);
	mosaic_format_set_finish(&a);
	mosaic_format_set_finish(&b);
	make_sets(&a, &b);
	assert_true(mosaic_format_set_union(&a, &a, &b));
	assert_union(&a);
	mosaic_format_set_finish(&a);
	mosaic_format_set_finish(&b);
	make_sets(&a, &b);
	assert_true(mosaic_format_set_union(&b, &a, &b));
	assert_union(&b);

	struct mosaic_format_set before;
	mosaic_format_set_init(&before);
	assert_true(mosaic_format_set_copy(&before, &b));
	assert_true(mosaic_format_set_union(&b, &b, &b));
	assert_true(mosaic_format_set_intersect(&b, &b, &b));
	assert_union(&b);
	assert_int_equal(count_pairs(&b), count_pairs(&before));

	// Intersection with an empty set is empty and a success.
	struct mosaic_format_set empty;
	mosaic_format_set_init(&empty);
	assert_true(mosaic_format_set_intersect(&dst, &a, &empty));
	assert_int_equal(dst.n_formats, 0);
	assert_true(mosaic_format_set_union(&dst, &empty, &empty));
	assert_int_equal(dst.n_formats, 0);

	// Copy is deep: changing the copy leaves the source alone.
	assert_true(mosaic_format_set_copy(&dst, &before));
	assert_true(mosaic_format_set_remove(&dst, DRM_FORMAT_ARGB8888, 1));
	assert_true(mosaic_format_set_has(&before, DRM_FORMAT_ARGB8888, 1));
	assert_true(mosaic_format_set_copy(&dst, &dst));
	assert_false(mosaic_format_set_has(&dst, DRM_FORMAT_ARGB8888, 1));
	assert_set_sorted(&dst);

	mosaic_format_set_finish(&a);
	mosaic_format_set_finish(&b);
	mosaic_format_set_finish(&dst);
	mosaic_format_set_finish(&before);
	assert_no_error(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_required_formats, setup),
		cmocka_unit_test_setup(test_names_and_libdrm, setup),
		cmocka_unit_test_setup(test_table_consistent, setup),
		cmocka_unit_test_setup(test_unknown_formats, setup),
		cmocka_unit_test_setup(test_required_yuv_formats, setup),
		cmocka_unit_test_setup(test_rows_match_list, setup),
		cmocka_unit_test_setup(test_plane_size, setup),
		cmocka_unit_test_setup(test_check_layout_valid, setup),
		cmocka_unit_test_setup(test_check_layout_rejects, setup),
		cmocka_unit_test_setup(test_set_add_remove, setup),
		cmocka_unit_test_setup(test_set_intersect_union, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
