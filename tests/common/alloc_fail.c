/*
 * Allocation failures for the fault tests (see alloc_fail.h): malloc,
 * calloc, realloc and free are interposed for the whole process. Only
 * allocations whose caller is code of libmosaic are counted and failed, so
 * that a driver (Mesa, libwayland) is never made to fail: it is not expected
 * to survive that. The executable must export these definitions
 * (export_dynamic) for the library's calls to resolve to them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"

#define INTERPOSE __attribute__((visibility("default")))

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void __libc_free(void *ptr);

static uintptr_t lib_start, lib_end;

static int find_lib(struct dl_phdr_info *info, size_t size, void *data)
{
	if (strstr(info->dlpi_name, "libmosaic") == NULL) {
		return 0;
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) != 0) {
			lib_start = info->dlpi_addr + ph->p_vaddr;
			lib_end = lib_start + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

struct fault_alloc fault_alloc = { .fail_at = -1 };

/*
 * Live allocations made by libmosaic (open addressing; a freed slot holds
 * TOMB). Other threads (the driver's) free concurrently: one spin lock.
 */
#define SLOTS (1 << 16)
#define TOMB ((void *)1)
static void *live[SLOTS];
int fault_live;
bool fault_tracking;
static atomic_flag live_lock = ATOMIC_FLAG_INIT;

static size_t slot_of(const void *p)
{
	return ((uintptr_t)p >> 4) * 2654435761u % SLOTS;
}

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&live_lock, memory_order_acquire)) {
	}
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&live_lock, memory_order_release);
}

static void track(void *p)
{
	lock();
	for (size_t i = slot_of(p), k = 0; k < SLOTS; i = (i + 1) % SLOTS, k++) {
		if (live[i] == NULL || live[i] == TOMB) {
			live[i] = p;
			fault_live++;
			break;
		}
	}
	unlock();
}

static void untrack(void *p)
{
	lock();
	for (size_t i = slot_of(p), k = 0; k < SLOTS && live[i] != NULL;
			i = (i + 1) % SLOTS, k++) {
		if (live[i] == p) {
			live[i] = TOMB;
			fault_live--;
			break;
		}
	}
	unlock();
}

static bool from_lib(const void *ret)
{
	return (uintptr_t)ret >= lib_start && (uintptr_t)ret < lib_end;
}

/* Counts an allocation of the library; true when this one fails. */
static bool inject_alloc(const void *ret)
{
	if (!fault_alloc.armed || !from_lib(ret) || fault_alloc.calls++ != fault_alloc.fail_at) {
		return false;
	}
	fault_alloc.injected = true;
	return true;
}

static void *tracked(void *p, const void *ret)
{
	if (p != NULL && fault_tracking && from_lib(ret)) {
		track(p);
	}
	return p;
}

INTERPOSE void *malloc(size_t size)
{
	const void *ret = __builtin_return_address(0);
	return inject_alloc(ret) ? NULL : tracked(__libc_malloc(size), ret);
}

INTERPOSE void *calloc(size_t n, size_t size)
{
	const void *ret = __builtin_return_address(0);
	return inject_alloc(ret) ? NULL : tracked(__libc_calloc(n, size), ret);
}

INTERPOSE void *realloc(void *ptr, size_t size)
{
	const void *ret = __builtin_return_address(0);
	if (inject_alloc(ret)) {
		return NULL;
	}
	void *p = __libc_realloc(ptr, size);
	if (p != NULL && ptr != NULL && fault_tracking) {
		untrack(ptr);
	}
	return tracked(p, ret);
}

INTERPOSE void free(void *ptr)
{
	if (ptr != NULL && fault_tracking) {
		untrack(ptr);
	}
	__libc_free(ptr);
}

bool fault_alloc_init(void)
{
	dl_iterate_phdr(find_lib, NULL);
	return lib_start != 0;
}

struct fault_log fault_log;

void fault_log_handler(enum mosaic_log level, const char *msg, void *data)
{
	if (level == MOSAIC_LOG_ERROR) {
		fault_log.errors++;
		snprintf(fault_log.last, sizeof(fault_log.last), "%s", msg);
	}
	if (fault_log.verbose && level <= MOSAIC_LOG_WARN) {
		fprintf(stderr, "mosaic: %s\n", msg);
	}
}

int fault_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		n += e->d_name[0] != '.';
	}
	closedir(dir);
	// Less the one opendir() holds.
	return n - 1;
}
