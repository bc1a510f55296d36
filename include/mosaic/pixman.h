#ifndef MOSAIC_PIXMAN_H
#define MOSAIC_PIXMAN_H

/**
 * The pixman (CPU) backend: always built, runs anywhere, and is the
 * reference every other backend is compared with.
 *
 * Besides buffers with a CPU pointer it takes dmabufs, as textures and as
 * render targets, by mapping them (mmap, with DMA_BUF_IOCTL_SYNC around each
 * access; the mapping is cached on the buffer): one plane of a format of
 * mosaic_format_get_all(), DRM_FORMAT_MOD_LINEAR or an implicit modifier,
 * which is taken to be linear. Rendering needs a dmabuf exported read-write.
 * Its dmabuf format sets list DRM_FORMAT_MOD_LINEAR only.
 *
 * YUV dmabufs (NV12, NV21, P010, YUV420, YUYV: every plane mapped) are
 * textures only: converted on the CPU into x8r8g8b8 (P010: x2r10g10b10) when
 * the texture is made and at every update, with the buffer's struct
 * mosaic_yuv_info (see <mosaic/format.h> for what is honoured).
 */

#include <stdbool.h>

#include <pixman.h>

#include <mosaic/renderer.h>
#include <mosaic/texture.h>

/** Creates a pixman renderer. NULL only on allocation failure. */
struct mosaic_renderer *mosaic_pixman_renderer_create(void);

/** True when `renderer` is a pixman renderer. */
bool mosaic_renderer_is_pixman(const struct mosaic_renderer *renderer);

/** True when `texture` comes from a pixman renderer. */
bool mosaic_texture_is_pixman(const struct mosaic_texture *texture);

/**
 * The texture's pixman image (escape hatch). Owned by the texture; valid
 * until it is destroyed or updated. `texture` must be a pixman texture.
 */
pixman_image_t *mosaic_pixman_texture_get_image(struct mosaic_texture *texture);

#endif
