/* The payloads' own page tables (paged engine): two roots that map everything the same except
 * the test device's window, which root 0 leaves on the device and root 1 maps to RAM. */
#ifndef SUITE_PAGING_H
#define SUITE_PAGING_H

#include "lib/guest.h"

enum pgmode { PG_4L, PG_5L, PG_PAE, PG_32 };

#define PTE_P  0x1ull
#define PTE_W  0x2ull
#define PTE_U  0x4ull
#define PTE_A  0x20ull
#define PTE_D  0x40ull
#define PTE_PS 0x80ull
#define PTE_NX (1ull << 63)

extern uint8_t code_ram[0x2000];

/* Builds both roots for mode m. */
void pg_build(enum pgmode m);
#define PG_ALIAS 0x40000000u
void pg_alias(bool giant);
void pg_alias_flags(uintptr_t pa, bool giant, uint64_t set, uint64_t clear);
uintptr_t pg_cr3(int root);
enum pgmode pg_mode(void);
/* The leaf entry of a test-region page (SC_SLOT .. SC_TA + 0x2fff) in a root. */
uint64_t pg_pte_get(int root, uint32_t lin);
void pg_pte_set(int root, uint32_t lin, uint64_t v);
/* Sets or clears flag bits in both roots' entries of [lin, lin + len). */
void pg_flags(uint32_t lin, uint32_t len, uint64_t set, uint64_t clear);
uintptr_t pg_pte_addr(int root, uint32_t lin);
static inline void pg_invlpg(uintptr_t lin) { __asm__ volatile("invlpg (%0)" : : "r"(lin) : "memory"); }

#endif
