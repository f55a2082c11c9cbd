/* What the boot loader told Keel, parsed defensively into one loader-independent struct
 * (boot/mb2.c, boot/mb1.c, boot/bootinfo.c). The loader's data is untrusted: every parser
 * returns 0 or a negative errno and then leaves a one-line reason in bi->err. */
#ifndef KEEL_BOOTINFO_H
#define KEEL_BOOTINFO_H

#include <keel/errno.h>
#include <keel/types.h>

#define MB2_BOOT_MAGIC 0x36d76289u
#define MB1_BOOT_MAGIC 0x2badb002u

#define BI_MAX_MMAP 256
#define BI_MAX_MODULES 32
#define BI_CMDLINE_MAX 512
#define BI_LOADER_MAX 64
#define BI_NAME_MAX 64
#define BI_ARGS_MAX 256
#define BI_ERR_MAX 192
#define BI_MBI_MAX (1u << 20) /* larger than any MBI GRUB builds; anything above is corrupt */
#define BI_RSDP_MAX 36

enum bi_loader { BI_LOADER_MB1 = 1, BI_LOADER_MB2 = 2 };
enum bi_firmware { BI_FW_BIOS, BI_FW_UEFI };
/* Memory types use the multiboot/E820 numbering. */
enum bi_mem_type { BI_MEM_RAM = 1, BI_MEM_RESERVED = 2, BI_MEM_ACPI = 3, BI_MEM_NVS = 4, BI_MEM_BAD = 5 };
enum bi_rsdp_src { BI_RSDP_NONE, BI_RSDP_TAG14, BI_RSDP_TAG15, BI_RSDP_SCAN };

struct bi_range {
	u64 base, len;
	u32 type;
};

struct bi_module {
	u64 start, end; /* [start, end) physical */
	char name[BI_NAME_MAX];
	char args[BI_ARGS_MAX];
};

struct bootinfo {
	enum bi_loader loader;
	enum bi_firmware firmware;
	u64 mbi_pa, mbi_len;
	char cmdline[BI_CMDLINE_MAX];
	char loader_name[BI_LOADER_MAX]; /* "?" when the loader gave none */
	struct bi_range mmap[BI_MAX_MMAP];
	unsigned nmmap;
	struct bi_module mods[BI_MAX_MODULES];
	unsigned nmods;
	enum bi_rsdp_src rsdp_src;
	u64 rsdp_pa;            /* where the RSDP (or the loader's copy of it) lies */
	u8 rsdp[BI_RSDP_MAX];   /* a copy, rsdp_len bytes */
	unsigned rsdp_len;
	u64 efi_systab, efi_image;
	bool efi_mmap;          /* the loader passed an EFI memory map (tag 17) */
	char err[BI_ERR_MAX];
};

/* Parses the boot information for `magic` found at physical address info_pa (through phys_map),
 * then checks it against Keel's image [img_start, img_end): module and MBI overlaps, names,
 * memory map. For multiboot1 without an RSDP pointer it scans the BIOS areas (acpi_rsdp_scan). */
int bootinfo_parse(struct bootinfo *bi, u32 magic, u64 info_pa, u64 img_start, u64 img_end);

/* The loader-specific halves: `p` holds `avail` bytes that represent physical address `pa`. */
int mb2_parse(struct bootinfo *bi, const void *p, u64 pa, u64 avail);
int mb1_parse(struct bootinfo *bi, const void *p, u64 pa, u64 avail);

/* Checks done after either parser (also called by bootinfo_parse). */
int bootinfo_check(struct bootinfo *bi, u64 img_start, u64 img_end);

/* The module-naming rule (docs/boot.md): name = first word of the module string with any
 * directory part stripped; args = the rest, leading blanks skipped. */
int bootinfo_set_module(struct bootinfo *bi, unsigned i, u64 start, u64 end, const char *str, size_t len);

const struct bi_module *bootinfo_module(const struct bootinfo *bi, const char *name);

/* Records a failure reason in bi->err and returns -err (for `return bi_fail(...)`). */
int bi_fail(struct bootinfo *bi, int err, const char *fmt, ...) __printf(3, 4);

const char *bi_mem_type_name(u32 type);

#endif
