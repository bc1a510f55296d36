#ifndef MOSAIC_MOSAIC_H
#define MOSAIC_MOSAIC_H

/** Everything a compositor uses, in one include. */

#include <mosaic/allocator.h>
#include <mosaic/buffer.h>
#include <mosaic/config.h>
#include <mosaic/drm.h>
#include <mosaic/format.h>
#include <mosaic/log.h>
#include <mosaic/pass.h>
#include <mosaic/pixman.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>
#include <mosaic/util.h>

#endif
