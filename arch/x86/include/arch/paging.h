/* Keel's own page tables: an identity map of [0, top) in 2 MiB pages, split to 4 KiB where a
 * page needs its own attributes (uncached MMIO, unmapped stack guards). */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <keel/types.h>

/* Builds and loads the identity map of [0, max(top, 4 GiB)); code is executable only below
 * exec_end (rounded up to 2 MiB), everything else is NX when the CPU has NX. */
int paging_init(u64 top, u64 exec_end);
/* Marks [pa, pa + len) uncached (PCD|PWT). */
int paging_set_uncached(u64 pa, u64 len);
/* Removes [pa, pa + len) from the map (stack guard pages). */
int paging_unmap(u64 pa, u64 len);
u64 paging_cr3(void);

#endif
