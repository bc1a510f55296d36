#ifndef MOSAIC_PRIVATE_EXPORT_H
#define MOSAIC_PRIVATE_EXPORT_H

/**
 * Marks a definition as part of the public ABI. The library is built with
 * -fvisibility=hidden and mosaic.syms; a test checks that the exported
 * symbols are exactly the functions declared in include/mosaic/.
 */
#define MOSAIC_EXPORT __attribute__((visibility("default")))

#endif
