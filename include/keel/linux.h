/* Loading an unmodified Linux bzImage by the x86 64-bit boot protocol (Documentation/x86/boot.rst,
 * "64-bit Boot Protocol"): zero page, command line, initrd, e820 map, page tables and GDT, and the
 * CPU state at entry. Works on a plain RAM view so host tests can drive it with a buffer. */
#ifndef KEEL_LINUX_H
#define KEEL_LINUX_H

#include <keel/types.h>

struct vcpu_regs;
struct vcpu_sregs;

/* Guest-physical layout Keel builds for a Linux guest (all below 1 MiB except the kernel/initrd). */
#define LINUX_GDT        0x1000ull  /* null, null, __BOOT_CS 0x10, __BOOT_DS 0x18, TSS 0x20 */
#define LINUX_ZERO_PAGE  0x7000ull  /* struct boot_params */
#define LINUX_PML4       0x9000ull  /* PML4, PDPT at +0x1000, 4 PDs at +0x2000: 0–4 GiB identity */
#define LINUX_CMDLINE    0x20000ull /* up to the image's cmdline_size */
#define LINUX_LOW_RAM_END 0x9fc00ull /* the top 1 KiB of base memory and 0xA0000–1 MiB are reserved */
#define LINUX_CMDLINE_MAX 2048u

struct linux_image {
	u64 kernel_start, kernel_end; /* where the protected-mode part and its init_size lie */
	u64 initrd_start, initrd_end;
	u64 entry;                    /* kernel_start + 0x200 */
	u16 version;                  /* boot protocol version */
};

/* Loads `bz` (len bytes) and `initrd` (may be NULL) into `ram` with the command line `cmdline`.
 * Returns 0, or a negative errno with *why naming the problem. */
int linux_load(u8 *ram, u64 ram_size, const u8 *bz, u64 len, const u8 *initrd, u64 initrd_len,
	       const char *cmdline, struct linux_image *out, const char **why);

/* The command line Keel gives the kernel: its defaults, tsc_early_khz=`khz`, after a restart
 * keel.restart=`restarts`, then `args`. -E2BIG when it does not fit in `size` bytes. */
int linux_cmdline(char *buf, size_t size, u64 khz, const char *args, u32 restarts);

/* The CPU state at the 64-bit entry: long mode, CS = 0x10, DS/ES/SS = 0x18, RSI = zero page. */
void linux_entry_state(const struct linux_image *img, struct vcpu_regs *r, struct vcpu_sregs *s);

#endif
