#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "private/log.h"
#include "private/shm_guard.h"

/*
 * The list is read from the signal handler: it is guarded by a spinlock, an
 * async-signal-safe primitive. The lock is never held while guarded memory
 * is read, so the thread that faults never holds it; other threads hold it
 * for a few instructions.
 */
static atomic_flag guards_lock = ATOMIC_FLAG_INIT;
static struct mosaic_shm_guard *guards;
static atomic_ulong fault_count;
static struct sigaction old_action;
static bool handler_installed;

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&guards_lock, memory_order_acquire)) {
	}
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&guards_lock, memory_order_release);
}

static void handle_sigbus(int sig, siginfo_t *info, void *context)
{
	uintptr_t addr = (uintptr_t)info->si_addr;
	bool handled = false;
	lock();
	for (struct mosaic_shm_guard *g = guards; g != NULL; g = g->next) {
		uintptr_t start = (uintptr_t)g->addr;
		if (addr >= start && addr - start < g->size) {
			// Zeroes over the whole mapping: the reader goes on, the owner sees
			// the flag and tells the client.
			handled = mmap(g->addr, g->size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED;
			atomic_store(&g->faulted, true);
			break;
		}
	}
	unlock();
	if (handled) {
		atomic_fetch_add(&fault_count, 1);
		return;
	}
	if (old_action.sa_handler == SIG_DFL || old_action.sa_handler == SIG_IGN) {
		// Not ours: the faulting access runs again under the old action (the
		// kernel does not let a fault's SIGBUS be ignored).
		sigaction(SIGBUS, &old_action, NULL);
	} else if (old_action.sa_flags & SA_SIGINFO) {
		old_action.sa_sigaction(sig, info, context);
	} else {
		old_action.sa_handler(sig);
	}
}

bool mosaic_shm_guard_add(struct mosaic_shm_guard *guard, void *addr, size_t size)
{
	*guard = (struct mosaic_shm_guard){ .addr = addr, .size = size };
	lock();
	if (!handler_installed) {
		struct sigaction action = {
			.sa_sigaction = handle_sigbus,
			.sa_flags = SA_SIGINFO | SA_NODEFER,
		};
		sigemptyset(&action.sa_mask);
		if (sigaction(SIGBUS, &action, &old_action) != 0) {
			unlock();
			mosaic_log_errno(MOSAIC_LOG_ERROR, "cannot install the SIGBUS handler");
			return false;
		}
		handler_installed = true;
	}
	guard->next = guards;
	guards = guard;
	unlock();
	return true;
}

void mosaic_shm_guard_remove(struct mosaic_shm_guard *guard)
{
	if (guard->addr == NULL) {
		return;
	}
	lock();
	for (struct mosaic_shm_guard **p = &guards; *p != NULL; p = &(*p)->next) {
		if (*p == guard) {
			*p = guard->next;
			break;
		}
	}
	unlock();
	guard->addr = NULL;
	guard->next = NULL;
}

bool mosaic_shm_guard_faulted(struct mosaic_shm_guard *guard)
{
	return atomic_load(&guard->faulted);
}

unsigned long mosaic_shm_guard_fault_count(void)
{
	return atomic_load(&fault_count);
}
