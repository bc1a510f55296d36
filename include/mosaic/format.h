#ifndef MOSAIC_FORMAT_H
#define MOSAIC_FORMAT_H

/**
 * Pixel formats, named by DRM fourcc (drm_fourcc.h), and sets of
 * (format, modifier) pairs used for negotiation between clients, renderers,
 * allocators and KMS planes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Most planes of any format of the table (YUV420: Y, Cb, Cr). */
#define MOSAIC_FORMAT_MAX_PLANES 3

/**
 * Facts about one format mosaic knows: single-plane RGB formats, and Y'CbCr
 * formats of one to three planes (NV12, NV21, P010, YUV420, YUYV), which
 * come only as dmabuf planes (struct mosaic_dmabuf_attributes), are sampled
 * through a conversion into RGB and are never render targets.
 */
struct mosaic_format_info {
	/** DRM fourcc, e.g. DRM_FORMAT_ARGB8888. */
	uint32_t fourcc;
	/**
	 * The name of the DRM_FORMAT_* macro without its prefix, e.g. "ARGB8888"
	 * (drmGetFormatName() prints the fourcc characters, "AR24", instead).
	 */
	const char *name;
	/** The same layout with the alpha channel ignored (ARGB8888 -> XRGB8888), or 0. */
	uint32_t opaque_substitute;
	/** Bytes per pixel of plane 0 (YUYV: 2, a 4-byte Y0 Cb Y1 Cr pair per 2 pixels). */
	uint32_t bytes_per_pixel;
	/** True when the format carries alpha. */
	bool has_alpha;
	/** True for Y'CbCr formats (see the top of this struct). */
	bool is_yuv;
	/** Memory planes, 1..MOSAIC_FORMAT_MAX_PLANES. */
	int n_planes;
	/**
	 * Bits per pixel of each plane, counted on the plane's own grid: plane 0
	 * has the image's size, planes 1.. are subsampled by hsub x vsub
	 * (NV12: 8, 16: one byte of Y per pixel, a Cb Cr pair per 2x2 pixels).
	 */
	uint32_t plane_bits_per_pixel[MOSAIC_FORMAT_MAX_PLANES];
	/**
	 * Chroma subsampling, 1 or 2 horizontally and vertically (4:2:0 is 2x2,
	 * YUYV's 4:2:2 is 2x1); 1x1 for RGB. Subsampled sizes round up: a 5x3
	 * NV12 image has a 3x2 chroma plane.
	 */
	uint32_t hsub, vsub;
	/** Significant bits per component of YUV formats (8, P010: 10); 0 for RGB. */
	uint32_t yuv_depth;
};

/** How Y'CbCr values map to R'G'B' (the matrix coefficients of ITU-T H.273). */
enum mosaic_yuv_matrix {
	/** ITU-R BT.601 (Kr 0.299, Kb 0.114): SD video, JPEG; the default. */
	MOSAIC_YUV_MATRIX_BT601 = 0,
	/** ITU-R BT.709 (Kr 0.2126, Kb 0.0722): HD video. */
	MOSAIC_YUV_MATRIX_BT709 = 1,
};

/** The code range of the samples. */
enum mosaic_yuv_range {
	/** Limited ("TV", "narrow"): 8-bit Y 16..235, Cb Cr 16..240 (10-bit: 64..940/960). */
	MOSAIC_YUV_RANGE_LIMITED = 0,
	/** Full ("PC", "JPEG"): every code, Y 0..255, Cb Cr centred on 128 (10-bit: 512). */
	MOSAIC_YUV_RANGE_FULL = 1,
};

/**
 * Where subsampled chroma samples sit relative to the luma samples (the
 * chroma sample location types of ITU-T H.273). Only the subsampled axes
 * matter: YUYV uses the horizontal part alone.
 */
enum mosaic_chroma_location {
	/**
	 * Type 0, the default of MPEG-2, H.264 and HEVC: horizontally cosited
	 * with the even luma columns, vertically midway between two rows.
	 */
	MOSAIC_CHROMA_LOCATION_LEFT = 0,
	/** Type 1 (MPEG-1, JPEG): midway between luma samples on both axes. */
	MOSAIC_CHROMA_LOCATION_CENTER = 1,
	/** Type 2: cosited with the top-left luma sample of each 2x2 block. */
	MOSAIC_CHROMA_LOCATION_TOP_LEFT = 2,
};

/**
 * The colour facts of Y'CbCr content, carried by the buffer (see
 * mosaic_dmabuf_attributes.yuv). A zeroed struct means BT.601, limited
 * range, chroma at the left (H.273 type 0): what compositors assume when a
 * client says nothing. Ignored for RGB formats.
 *
 * What each backend does with it:
 * - pixman converts on the CPU at texture creation and at every update, and
 *   honours every value here: the chroma planes are reconstructed bilinearly
 *   at the stated location (edges clamp), then converted with the matrix
 *   and range in floating point and rounded once.
 * - GLES passes the values to the driver as EGL_YUV_COLOR_SPACE_HINT_EXT,
 *   EGL_SAMPLE_RANGE_HINT_EXT and EGL_YUV_CHROMA_{HORIZONTAL,VERTICAL}_SITING_HINT_EXT
 *   when the dmabuf is imported; the driver samples it through
 *   GL_OES_EGL_image_external and may treat the hints as hints (Mesa's
 *   llvmpipe honours matrix and range, not the chroma location, and
 *   replicates YUYV chroma over each pixel pair). On software drivers the
 *   YUV formats EGL lists are probe-imported at start-up (from a memfd, or
 *   a GBM buffer on the GBM platform) and those that fail are left out of
 *   the renderer's format set (Mesa 25's llvmpipe refuses NV12, NV21, P010
 *   and YUV420).
 * - Vulkan samples them through a VkSamplerYcbcrConversion (Vulkan 1.1's
 *   samplerYcbcrConversion feature; MOSAIC_VK_NO_YCBCR=1 turns it off):
 *   BT.601/BT.709 as the YCBCR_601/709 models, limited/full range as
 *   ITU_NARROW/ITU_FULL, the chroma location as chroma offsets (left:
 *   x COSITED_EVEN, y MIDPOINT; center: MIDPOINT on both; top-left:
 *   COSITED_EVEN on both), chroma filtered linearly where the format allows
 *   it. Only formats whose features allow sampling, linear filtering and
 *   copies, with at least one kind of chroma offset, are listed (one INFO
 *   line for each left out); an offset the device lacks is replaced by the
 *   one it has, and a device without a linear chroma filter or a separate
 *   reconstruction filter reconstructs chroma with the nearest sample (both
 *   logged at start-up; lavapipe: cosited offsets only for the 4:2:0
 *   formats, midpoint only and no linear chroma filter for YUYV). The planes
 *   of a LINEAR dmabuf are copied into an image by every frame that draws
 *   it (as for RGB dmabufs without VK_EXT_image_drm_format_modifier); odd
 *   sizes are padded to the subsampling by repeating the edge. YUV textures
 *   cannot be read back (draw them into an RGB buffer instead).
 * The values are read when a texture is made from the buffer (and, by
 * pixman, at each update); GPU backends cache the import per buffer, so a
 * buffer keeps the facts it was first imported with.
 */
struct mosaic_yuv_info {
	enum mosaic_yuv_matrix matrix;
	enum mosaic_yuv_range range;
	enum mosaic_chroma_location chroma_location;
};

/**
 * The table entry for `fourcc`, or NULL when mosaic does not know the
 * format. The returned pointer is static and valid forever.
 */
const struct mosaic_format_info *mosaic_format_get_info(uint32_t fourcc);

/**
 * All formats mosaic knows, in table order. *count receives the number of
 * entries; the array is static.
 */
const struct mosaic_format_info *mosaic_format_get_all(size_t *count);

/**
 * The format's name for logs: the table name for known formats, otherwise the
 * four characters of the code as drmGetFormatName() prints them
 * (non-printable ones as '?') followed by the hex value, e.g.
 * "NV12 (0x3231564e)".
 * The result is written to `buf` (at least 32 bytes) and returned.
 */
const char *mosaic_format_name(uint32_t fourcc, char buf[static 32]);

/** Looks up a known format by table name ("XRGB8888"); 0 when unknown. */
uint32_t mosaic_format_from_name(const char *name);

/**
 * Checks that a `width` x `height` image of `fourcc` with `stride` bytes per
 * row is well formed: a known RGB format (YUV formats have no single-plane CPU
 * image: they come as dmabuf planes), 0 < size <= MOSAIC_MAX_IMAGE_SIZE, stride
 * at least width * bytes per pixel and a multiple of the pixel size, total
 * size without overflow. Logs the reason and returns false otherwise.
 */
bool mosaic_format_check_layout(uint32_t fourcc, int width, int height, uint32_t stride);

/**
 * The smallest row size in bytes and the number of rows of plane `plane` of
 * a `width` x `height` image of the format (subsampled planes rounded up,
 * YUYV rows holding whole pixel pairs). False, with a log line, for a plane
 * the format does not have or a size outside 1..MOSAIC_MAX_IMAGE_SIZE.
 * `info` is borrowed; `min_stride` and `rows` may not be NULL.
 */
bool mosaic_format_plane_size(const struct mosaic_format_info *info, int plane, int width,
	int height, uint64_t *min_stride, uint32_t *rows);

/** Largest width or height accepted anywhere in mosaic, in pixels. */
#define MOSAIC_MAX_IMAGE_SIZE 16384

/** One format and the modifiers it can be used with. */
struct mosaic_format {
	uint32_t fourcc;
	size_t n_modifiers;
	/** Owned by the set; kept sorted ascending, without duplicates. */
	uint64_t *modifiers;
};

/**
 * A set of (fourcc, modifier) pairs. Caller-owned storage: zero-initialize it
 * (or use mosaic_format_set_init()), fill it, release with
 * mosaic_format_set_finish(). Formats are kept sorted by fourcc.
 */
struct mosaic_format_set {
	size_t n_formats;
	struct mosaic_format *formats;
};

/** Makes `set` empty without freeing anything (for storage not yet initialized). */
void mosaic_format_set_init(struct mosaic_format_set *set);

/** Frees what `set` holds and leaves it empty. Accepts NULL. */
void mosaic_format_set_finish(struct mosaic_format_set *set);

/** Adds the pair; returns false only on allocation failure. */
bool mosaic_format_set_add(struct mosaic_format_set *set, uint32_t fourcc, uint64_t modifier);

/** Removes a pair; returns whether it was present. */
bool mosaic_format_set_remove(struct mosaic_format_set *set, uint32_t fourcc,
	uint64_t modifier);

/** True when the pair is in the set. */
bool mosaic_format_set_has(const struct mosaic_format_set *set, uint32_t fourcc,
	uint64_t modifier);

/** The entry for `fourcc`, or NULL. Valid until the set is next modified. */
const struct mosaic_format *mosaic_format_set_get(const struct mosaic_format_set *set,
	uint32_t fourcc);

/**
 * Replaces `dst` with a copy of `src`. `dst` must be initialized (possibly
 * holding data, which is freed). On failure `dst` is left empty.
 */
bool mosaic_format_set_copy(struct mosaic_format_set *dst, const struct mosaic_format_set *src);

/**
 * Replaces `dst` with the pairs present in both `a` and `b`. `dst` may alias
 * `a` or `b`. On failure `dst` is left empty. Returns false on allocation
 * failure only; an empty intersection is a success.
 */
bool mosaic_format_set_intersect(struct mosaic_format_set *dst,
	const struct mosaic_format_set *a, const struct mosaic_format_set *b);

/** Like mosaic_format_set_intersect(), with the pairs present in either set. */
bool mosaic_format_set_union(struct mosaic_format_set *dst,
	const struct mosaic_format_set *a, const struct mosaic_format_set *b);

#endif
