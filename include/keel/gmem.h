/* A partition's guest-physical memory: RAM backed by one contiguous host range, the nested page
 * tables that map it, and the accessor the emulator uses (refusing anything that is not RAM). */
#ifndef KEEL_GMEM_H
#define KEEL_GMEM_H

#include <keel/types.h>
#include "emul/walk.h"

struct gmem {
	u64 ram_size;     /* guest RAM is [0, ram_size) */
	u64 hpa;          /* host-physical base of the RAM (identity-mapped in Keel) */
	u64 npt_root;     /* host-physical address of the top nested page table */
	u64 npt_pages;    /* table pages allocated, for the memory report */
	struct emul_mem mem;
};

#define GMEM_HPA_ANY (~0ull)
/* RAM of ram_size bytes (a multiple of 2 MiB) at host-physical hpa, which the caller already
 * holds (placed RAM is claimed right after the configuration is validated, config_boot_claim),
 * or where the allocator chooses (GMEM_HPA_ANY). */
int gmem_create(struct gmem *g, u64 ram_size, u64 hpa);
/* Map [gpa, gpa+size) to host-physical hpa with NPT_* permissions (rings, passthrough MMIO). */
int gmem_map(struct gmem *g, u64 gpa, u64 hpa, u64 size, unsigned prot, unsigned memtype);
/* Host pointer to [gpa, gpa+len) when it lies entirely in guest RAM, else NULL. */
void *gmem_ptr(const struct gmem *g, u64 gpa, u64 len);

#endif
