#ifndef MOSAIC_PRIVATE_SHM_GUARD_H
#define MOSAIC_PRIVATE_SHM_GUARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Mappings of memory that another process controls (wl_shm pools, the
 * Vulkan backend's host imports of them). The client may shrink the file
 * under the mapping; a read past its new end raises SIGBUS in whichever
 * thread reads, the compositor's or a driver's. The process-wide SIGBUS
 * handler looks the faulting address up among the guarded mappings, maps
 * anonymous zeroed memory over the whole mapping, flags it and lets the read
 * go on; a fault outside every guarded mapping goes to the handler that was
 * installed before.
 *
 * Embed the struct in the owner of the mapping; its fields are private
 * (read `faulted` through mosaic_shm_guard_faulted()).
 */
struct mosaic_shm_guard {
	void *addr;
	size_t size;
	atomic_bool faulted;
	struct mosaic_shm_guard *next;
};

/*
 * Guards [addr, addr + size), which must stay mapped until
 * mosaic_shm_guard_remove(). Installs the handler on first use. False (with
 * a log line) when the handler cannot be installed.
 */
bool mosaic_shm_guard_add(struct mosaic_shm_guard *guard, void *addr, size_t size);

/* Stops guarding: call before unmapping. Accepts a guard that was never added. */
void mosaic_shm_guard_remove(struct mosaic_shm_guard *guard);

/* True once a read of the mapping faulted (it reads zeroes since). */
bool mosaic_shm_guard_faulted(struct mosaic_shm_guard *guard);

/* Faults caught since the process started, over every guard (for tests and stats). */
unsigned long mosaic_shm_guard_fault_count(void);

#endif
