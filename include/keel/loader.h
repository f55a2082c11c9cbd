/* Loading a bare-metal guest image into guest RAM by the guest boot contract
 * (include/abi/guest_boot.h, docs/guest-boot.md). Works on a plain RAM view so host tests can
 * drive it with a buffer. */
#ifndef KEEL_LOADER_H
#define KEEL_LOADER_H

#include <keel/types.h>
#include <abi/guest_boot.h>

struct vcpu_regs;
struct vcpu_sregs;

struct guest_image {
	u64 entry;
	u64 start, end; /* guest-physical extent of what was loaded */
	const char *format; /* "elf64", "elf32", "flat" */
};

/* Loads `img` into `ram`. On failure returns a negative errno and points *why at a message
 * naming the problem (for "keel: error: partition P: image 'M': <why>"). */
int loader_load(u8 *ram, u64 ram_size, const u8 *img, u64 len, enum keel_entry_mode mode,
		struct guest_image *out, const char **why);

/* Builds the GDT, TSS and (long mode) page tables Keel provides below the image. */
void loader_build_tables(u8 *ram, enum keel_entry_mode mode);

/* The CPU state at entry for `mode`. */
void loader_entry_state(enum keel_entry_mode mode, u64 entry, struct vcpu_regs *r,
			struct vcpu_sregs *s);

int loader_mode_parse(const char *s, enum keel_entry_mode *out);

#endif
