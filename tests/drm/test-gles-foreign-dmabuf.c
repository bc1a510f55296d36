/*
 * GLES on llvmpipe with dmabufs of other exporters, inside the test VM.
 * Mesa 25.0.7's llvmpipe imports such dmabufs through EGL without an error
 * and then faults in its rasterizer when a draw samples them (or renders
 * into them); the GLES backend therefore hands no dmabuf to a software
 * driver and copies through the core's CPU mapping (gl/dmabuf_cpu_copy.c).
 * Each case makes a buffer, fills it through its own mapping, draws it 1:1
 * with a GLES renderer on llvmpipe into a CPU-memory target, and compares
 * with what the pixman renderer draws from the same buffer (within 1/255);
 * then the buffer is rewritten and the next frame must show the new pixels:
 * - on the GBM platform of vkms' card0: udmabufs of XRGB8888, ARGB8888 and
 *   YUYV (and NV12), a vgem buffer (a dumb buffer of card1);
 * - on the surfaceless platform: a vkms dumb buffer and a udmabuf;
 * - rendering into a udmabuf (GBM platform): the frame lands in the buffer
 *   and matches pixman's;
 * - a vgem buffer with a read-only fd is sampled but refused as a target, and
 *   a udmabuf said to be tiled is refused, each with one log line.
 * Exits 77 with one line without card0, a vgem card1 and /dev/udmabuf, or
 * without the GLES backend. A case name on the command line runs that one.
 */
#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/udmabuf.h>
#include <xf86drm.h>

#include "drm-test.h"

#define CARD "/dev/dri/card0"
#define VGEM "/dev/dri/card1"
#define W 64
#define H 48
/* Per channel: 1:1 nearest copies agree exactly but for rounding. */
#define TOLERANCE 1

/* A dmabuf with its memory mapped for the test to write. */
struct foreign {
	int fd;
	uint8_t *map;
	size_t size;
	uint32_t fourcc;
	uint32_t stride[2];
	uint32_t offset[2];
	int n_planes;
};

/* Row bytes and rows of the whole buffer, all planes stacked (YUYV: 2 bytes per pixel). */
static void layout(struct foreign *f, uint32_t fourcc, uint32_t pitch_align)
{
	f->fourcc = fourcc;
	uint32_t bpp = fourcc == DRM_FORMAT_YUYV ? 2 : fourcc == DRM_FORMAT_NV12 ? 1 : 4;
	f->stride[0] = (W * bpp + pitch_align - 1) / pitch_align * pitch_align;
	f->n_planes = fourcc == DRM_FORMAT_NV12 ? 2 : 1;
	f->offset[0] = 0;
	f->size = (size_t)f->stride[0] * H;
	if (f->n_planes == 2) {
		f->stride[1] = f->stride[0];
		f->offset[1] = (uint32_t)f->size;
		f->size += (size_t)f->stride[1] * (H / 2);
	}
}

static struct foreign make_udmabuf(uint32_t fourcc)
{
	struct foreign f = {0};
	layout(&f, fourcc, 64);
	long page = sysconf(_SC_PAGESIZE);
	f.size = (f.size + (size_t)page - 1) / (size_t)page * (size_t)page;
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	assert_true(dev >= 0);
	int memfd = memfd_create("test-gles-foreign", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, (off_t)f.size), 0);
	assert_int_equal(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	f.map = mmap(NULL, f.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	assert_true(f.map != MAP_FAILED);
	struct udmabuf_create create = {
		.memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = f.size,
	};
	f.fd = ioctl(dev, UDMABUF_CREATE, &create);
	assert_true(f.fd >= 0);
	close(memfd);
	close(dev);
	return f;
}

/* A dumb buffer of `card`, exported (read-only with `read_only`), mapped through the card. */
static struct foreign make_dumb_export(const char *card, uint32_t fourcc, bool read_only)
{
	struct foreign f = {0};
	int fd = open(card, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	struct drm_mode_create_dumb create = { .width = W, .height = H, .bpp = 32 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create), 0);
	layout(&f, fourcc, 1);
	f.stride[0] = create.pitch;
	f.size = create.size;
	struct drm_mode_map_dumb map = { .handle = create.handle };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0);
	assert_int_equal(drmPrimeHandleToFD(fd, create.handle,
		DRM_CLOEXEC | (read_only ? 0 : DRM_RDWR), &f.fd), 0);
	f.map = mmap(NULL, f.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	assert_true(f.map != MAP_FAILED);
	// The dmabuf keeps the buffer.
	close(fd);
	return f;
}

static struct foreign make_dumb(const char *card, uint32_t fourcc)
{
	return make_dumb_export(card, fourcc, false);
}

static void foreign_finish(struct foreign *f)
{
	munmap(f->map, f->size);
	close(f->fd);
}

/* Frame `v` of the pattern: blocks of colors (and alpha steps) that move with v. */
static void fill(struct foreign *f, int v)
{
	for (int y = 0; y < H; y++) {
		uint8_t *row = f->map + f->offset[0] + (size_t)y * f->stride[0];
		for (int x = 0; x < W; x++) {
			uint8_t r = (uint8_t)((x / 4 + v) * 37), g = (uint8_t)((y / 4) * 53 + v * 11);
			uint8_t b = (uint8_t)((x + y) * 3), a = (uint8_t)(((x / 8 + y / 8 + v) % 4) * 85);
			switch (f->fourcc) {
			case DRM_FORMAT_XRGB8888:
			case DRM_FORMAT_ARGB8888:;
				uint32_t px = (uint32_t)a << 24 | (uint32_t)r << 16 | (uint32_t)g << 8 | b;
				if (f->fourcc == DRM_FORMAT_ARGB8888) {
					// Premultiplied.
					px = (uint32_t)a << 24 | (uint32_t)(r * a / 255) << 16 |
						(uint32_t)(g * a / 255) << 8 | (uint32_t)(b * a / 255);
				}
				memcpy(row + 4 * x, &px, 4);
				break;
			case DRM_FORMAT_YUYV:
				row[2 * x] = (uint8_t)(16 + (r / 2 + g / 3) % 219);
				row[2 * x + 1] = x % 2 == 0 ? (uint8_t)(16 + (g + v * 9) % 224) :
					(uint8_t)(16 + b % 224);
				break;
			case DRM_FORMAT_NV12:
				row[x] = (uint8_t)(16 + (r / 2 + g / 3) % 219);
				if (x % 2 == 0 && y % 2 == 0) {
					uint8_t *c = f->map + f->offset[1] + (size_t)(y / 2) * f->stride[1];
					c[x] = (uint8_t)(16 + (g + v * 9) % 224);
					c[x + 1] = (uint8_t)(16 + b % 224);
				}
				break;
			}
		}
	}
}

static struct mosaic_buffer *wrap(const struct foreign *f)
{
	struct mosaic_dmabuf_attributes a = {
		.width = W, .height = H, .fourcc = f->fourcc,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = f->n_planes,
	};
	for (int p = 0; p < f->n_planes; p++) {
		a.fd[p] = f->fd;
		a.offset[p] = f->offset[p];
		a.stride[p] = f->stride[p];
	}
	for (int p = f->n_planes; p < MOSAIC_DMABUF_MAX_PLANES; p++) {
		a.fd[p] = -1;
	}
	// The buffer keeps its own copies of the fds.
	struct mosaic_dmabuf_attributes copy;
	assert_true(mosaic_dmabuf_attributes_copy(&copy, &a));
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf(&copy);
	assert_non_null(b);
	return b;
}

/* Draws `tex` 1:1 (nearest) over a grey background into `target`. */
static void draw(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_texture *tex)
{
	struct mosaic_pass_completion done;
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0.5f, 0.5f, 0.5f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { 0, 0, W, H },
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
}

/* What `r` draws from `buffer` into memory (XRGB8888, W x H). */
static void frame_of(struct mosaic_renderer *r, struct mosaic_texture *tex, uint32_t *out)
{
	struct mosaic_buffer *mem = mosaic_buffer_from_data(W, H, DRM_FORMAT_XRGB8888, W * 4,
		out);
	assert_non_null(mem);
	draw(r, mem, tex);
	mosaic_buffer_drop(mem);
}

static void reference_of(struct mosaic_buffer *buffer, uint32_t *out)
{
	struct mosaic_renderer *pixman = mosaic_pixman_renderer_create();
	struct mosaic_texture *t = mosaic_texture_from_buffer(pixman, buffer);
	assert_non_null(t);
	frame_of(pixman, t, out);
	mosaic_texture_destroy(t);
	mosaic_renderer_destroy(pixman);
}

static void compare(const char *what, int v, const uint32_t *got, const uint32_t *want)
{
	int worst = 0;
	for (int i = 0; i < W * H; i++) {
		for (int s = 0; s < 24; s += 8) {
			int d = abs((int)((got[i] >> s) & 0xff) - (int)((want[i] >> s) & 0xff));
			if (d > TOLERANCE) {
				fail_msg("%s, frame %d: pixel %d,%d is 0x%06x, pixman draws 0x%06x",
					what, v, i % W, i / W, got[i] & 0xffffff, want[i] & 0xffffff);
			}
			worst = d > worst ? d : worst;
		}
	}
	print_message("%s, frame %d: matches pixman (worst channel off by %d/255)\n", what, v,
		worst);
}

static struct mosaic_renderer *gles_on(const char *platform, int *card)
{
	setenv("MOSAIC_EGL_PLATFORM", platform, 1);
	*card = strcmp(platform, "gbm") == 0 ? open(CARD, O_RDWR | O_CLOEXEC) : -1;
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
		.drm_fd = *card,
	});
	unsetenv("MOSAIC_EGL_PLATFORM");
	assert_non_null(r);
	assert_true(mosaic_renderer_get_features(r) & MOSAIC_FEATURE_SOFTWARE);
	return r;
}

/* Two frames of `f` on GLES over `platform`, each compared with pixman's. */
static void sample(const char *platform, struct foreign f, const char *what)
{
	int card;
	struct mosaic_renderer *r = gles_on(platform, &card);
	char name[160];
	snprintf(name, sizeof(name), "%s on %s (%s)", what, mosaic_gles_renderer_get_egl_platform(r),
		mosaic_renderer_get_device_name(r));
	struct mosaic_buffer *b = wrap(&f);
	static uint32_t got[W * H], want[W * H];
	fill(&f, 0);
	test_log_reset();
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, b);
	assert_non_null(tex);
	for (int v = 0; v < 2; v++) {
		if (v > 0) {
			// The client draws its next frame into the same buffer.
			fill(&f, v);
		}
		frame_of(r, tex, got);
		reference_of(b, want);
		compare(name, v, got, want);
	}
	assert_int_equal(test_log.n_errors, 0);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(b);
	foreign_finish(&f);
	mosaic_renderer_destroy(r);
	if (card >= 0) {
		close(card);
	}
}

static void test_udmabuf_xrgb(void **state)
{
	sample("gbm", make_udmabuf(DRM_FORMAT_XRGB8888), "XRGB8888 udmabuf");
}

static void test_udmabuf_argb(void **state)
{
	sample("gbm", make_udmabuf(DRM_FORMAT_ARGB8888), "ARGB8888 udmabuf");
}

static void test_udmabuf_yuyv(void **state)
{
	sample("gbm", make_udmabuf(DRM_FORMAT_YUYV), "YUYV udmabuf");
}

static void test_udmabuf_nv12(void **state)
{
	sample("gbm", make_udmabuf(DRM_FORMAT_NV12), "NV12 udmabuf");
}

static void test_vgem(void **state)
{
	sample("gbm", make_dumb(VGEM, DRM_FORMAT_ARGB8888), "ARGB8888 vgem buffer");
}

static void test_surfaceless_vkms(void **state)
{
	sample("surfaceless", make_dumb(CARD, DRM_FORMAT_XRGB8888), "XRGB8888 vkms dumb buffer");
}

static void test_surfaceless_udmabuf(void **state)
{
	sample("surfaceless", make_udmabuf(DRM_FORMAT_ARGB8888), "ARGB8888 udmabuf");
}

/*
 * A dmabuf whose fd is read-only (as gbm_bo_get_fd() gives them) is sampled,
 * and refused as a target with one log line; one of a layout the CPU cannot
 * read (a tiled modifier) is refused as a texture with one log line.
 */
static void test_refused(void **state)
{
	int card;
	struct mosaic_renderer *r = gles_on("gbm", &card);
	struct foreign ro = make_dumb_export(VGEM, DRM_FORMAT_XRGB8888, true);
	assert_int_equal(fcntl(ro.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	fill(&ro, 5);
	struct mosaic_buffer *b = wrap(&ro);
	test_log_reset();
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, b);
	assert_non_null(tex);
	static uint32_t got[W * H], want[W * H];
	frame_of(r, tex, got);
	reference_of(b, want);
	compare("XRGB8888 vgem buffer with a read-only fd", 0, got, want);
	assert_int_equal(test_log.n_errors, 0);
	assert_null(mosaic_renderer_begin_pass(r, b, NULL));
	assert_int_equal(test_log.n_errors, 1);
	print_message("as a target: %s\n", test_log.last_error);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(b);
	foreign_finish(&ro);

	struct foreign tiled = make_udmabuf(DRM_FORMAT_XRGB8888);
	struct mosaic_dmabuf_attributes a = {
		.width = W, .height = H, .fourcc = DRM_FORMAT_XRGB8888,
		.modifier = I915_FORMAT_MOD_X_TILED, .n_planes = 1,
		.stride = { tiled.stride[0] }, .fd = { dup(tiled.fd), -1, -1, -1 },
	};
	b = mosaic_buffer_from_dmabuf(&a);
	assert_non_null(b);
	test_log_reset();
	assert_null(mosaic_texture_from_buffer(r, b));
	assert_int_equal(test_log.n_errors, 1);
	print_message("a tiled udmabuf: %s\n", test_log.last_error);
	mosaic_buffer_drop(b);
	foreign_finish(&tiled);
	mosaic_renderer_destroy(r);
	close(card);
}

/* A frame rendered into a udmabuf lands in its memory, as pixman draws it. */
static void test_render_into_udmabuf(void **state)
{
	int card;
	struct mosaic_renderer *r = gles_on("gbm", &card);
	struct foreign src = make_udmabuf(DRM_FORMAT_ARGB8888);
	struct foreign dst = make_udmabuf(DRM_FORMAT_XRGB8888);
	fill(&src, 3);
	memset(dst.map, 0, dst.size);
	struct mosaic_buffer *sb = wrap(&src), *db = wrap(&dst);
	test_log_reset();
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, sb);
	assert_non_null(tex);
	draw(r, db, tex);
	assert_int_equal(test_log.n_errors, 0);
	static uint32_t got[W * H], want[W * H];
	for (int y = 0; y < H; y++) {
		memcpy(&got[y * W], dst.map + (size_t)y * dst.stride[0], W * 4);
	}
	reference_of(sb, want);
	compare("rendering into an XRGB8888 udmabuf", 0, got, want);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(sb);
	mosaic_buffer_drop(db);
	foreign_finish(&src);
	foreign_finish(&dst);
	mosaic_renderer_destroy(r);
	close(card);
}

int main(int argc, char *argv[])
{
	if (!mosaic_backend_is_built(MOSAIC_BACKEND_GLES)) {
		printf("the GLES backend was not built\n");
		return TEST_SKIP;
	}
	if (access(CARD, R_OK | W_OK) != 0 || access(VGEM, R_OK | W_OK) != 0 ||
			access("/dev/udmabuf", R_OK | W_OK) != 0) {
		printf("no %s, %s or /dev/udmabuf (run inside the test VM: tests/vm/run.sh)\n",
			CARD, VGEM);
		return TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udmabuf_xrgb),
		cmocka_unit_test(test_udmabuf_argb),
		cmocka_unit_test(test_udmabuf_yuyv),
		cmocka_unit_test(test_udmabuf_nv12),
		cmocka_unit_test(test_vgem),
		cmocka_unit_test(test_surfaceless_vkms),
		cmocka_unit_test(test_surfaceless_udmabuf),
		cmocka_unit_test(test_render_into_udmabuf),
		cmocka_unit_test(test_refused),
	};
	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
