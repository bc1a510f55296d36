#ifndef MOSAIC_PRIVATE_FORMAT_H
#define MOSAIC_PRIVATE_FORMAT_H

#include <stdint.h>

#include <pixman.h>

/** The pixman column of the format table: 0 when the fourcc is unknown. */
pixman_format_code_t mosaic_format_to_pixman(uint32_t fourcc);

/** The fourcc for a pixman format of the table, or 0. */
uint32_t mosaic_format_from_pixman(pixman_format_code_t code);

#endif
