/* The Linux x86 64-bit boot protocol (boot.rst "64-bit Boot Protocol"; zero-page.rst). The
 * bzImage is untrusted: every header field is checked before use. */
#include <keel/linux.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include <arch/vcpu.h>

/* Setup header fields, as offsets into the image and the zero page (boot.rst "The Real-Mode
 * Kernel Header"). */
#define HDR_SETUP_SECTS   0x1f1
#define HDR_SETUP_START   0x1f1
#define HDR_JUMP_END      0x201 /* the byte here + 0x202 is the header's end */
#define HDR_MAGIC         0x202 /* "HdrS" */
#define HDR_VERSION       0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS     0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE  0x21c
#define HDR_CMD_LINE_PTR  0x228
#define HDR_INITRD_MAX    0x22c
#define HDR_KERNEL_ALIGN  0x230
#define HDR_RELOCATABLE   0x234
#define HDR_XLOADFLAGS    0x236
#define HDR_CMDLINE_SIZE  0x238
#define HDR_PREF_ADDRESS  0x258
#define HDR_INIT_SIZE     0x260
#define ZP_E820_ENTRIES   0x1e8
#define ZP_E820_TABLE     0x2d0

#define LOADED_HIGH     0x01
#define CAN_USE_HEAP    0x80
#define XLF_KERNEL_64   0x01
#define E820_RAM        1
#define E820_RESERVED   2

static u64 rd(const u8 *p, unsigned n)
{
	u64 v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void wr(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

struct bz_hdr {
	u64 setup_bytes, hdr_end;
	u64 align, pref, init_size, initrd_max, cmdline_size;
};

static int linux_check(const u8 *bz, u64 len, struct bz_hdr *h, const char **why)
{
	if (len < 0x1000)
		return *why = "image too short to be a bzImage", -ENOEXEC;
	if (rd(bz + HDR_MAGIC, 4) != 0x53726448) /* "HdrS" */
		return *why = "not a Linux bzImage (no \"HdrS\" header)", -ENOEXEC;
	if (rd(bz + HDR_VERSION, 2) < 0x20c)
		return *why = "boot protocol older than 2.12 (no 64-bit entry)", -ENOEXEC;
	if (!(rd(bz + HDR_XLOADFLAGS, 2) & XLF_KERNEL_64))
		return *why = "kernel has no 64-bit entry point (XLF_KERNEL_64 clear)", -ENOEXEC;
	if (!(bz[HDR_LOADFLAGS] & LOADED_HIGH) || !bz[HDR_RELOCATABLE])
		return *why = "kernel is not a relocatable bzImage", -ENOEXEC;
	u64 sects = bz[HDR_SETUP_SECTS] ? bz[HDR_SETUP_SECTS] : 4;
	h->setup_bytes = (sects + 1) * 512;
	h->hdr_end = 0x202 + bz[HDR_JUMP_END];
	h->align = rd(bz + HDR_KERNEL_ALIGN, 4);
	h->pref = rd(bz + HDR_PREF_ADDRESS, 8);
	h->init_size = rd(bz + HDR_INIT_SIZE, 4);
	h->initrd_max = rd(bz + HDR_INITRD_MAX, 4);
	h->cmdline_size = rd(bz + HDR_CMDLINE_SIZE, 4);
	if (h->setup_bytes >= len || h->hdr_end > h->setup_bytes || h->hdr_end > 0x280)
		return *why = "setup header sizes are inconsistent with the file", -ENOEXEC;
	if (!h->align || (h->align & (h->align - 1)) || h->align > (1ull << 30))
		return *why = "kernel_alignment is not a power of two", -ENOEXEC;
	if (h->init_size < len - h->setup_bytes)
		return *why = "init_size is smaller than the kernel itself", -ENOEXEC;
	return 0;
}

/* The kernel runs at pref_address (16 MiB for Debian) when RAM allows: the decompressor moves
 * itself there anyway (boot.rst: "LOAD_PHYSICAL_ADDR"). */
static int linux_place(const struct bz_hdr *h, u64 ram_size, u64 len, struct linux_image *img,
		       const char **why)
{
	u64 at = ALIGN_UP(MAX(h->pref, (u64)0x100000), h->align);
	if (at >= ram_size || h->init_size > ram_size - at)
		return *why = "the partition's RAM is too small for the kernel's init_size", -ENOMEM;
	img->kernel_start = at;
	img->kernel_end = at + MAX(h->init_size, len - h->setup_bytes);
	img->entry = at + 0x200;
	return 0;
}

static int linux_initrd(u8 *ram, u64 ram_size, const struct bz_hdr *h, const u8 *initrd, u64 n,
			struct linux_image *img, const char **why)
{
	img->initrd_start = img->initrd_end = 0;
	if (!initrd || !n)
		return 0;
	u64 top = MIN(ram_size, h->initrd_max + 1);
	if (n > top || ALIGN_DOWN(top - n, PAGE_SIZE) < ALIGN_UP(img->kernel_end, PAGE_SIZE))
		return *why = "the initrd does not fit above the kernel in the partition's RAM", -ENOMEM;
	img->initrd_start = ALIGN_DOWN(top - n, PAGE_SIZE);
	img->initrd_end = img->initrd_start + n;
	memcpy(ram + img->initrd_start, initrd, n);
	return 0;
}

static void linux_e820(u8 *zp, u64 ram_size)
{
	static const struct { u64 base, end; u32 type; } map[] = {
		{ 0, LINUX_LOW_RAM_END, E820_RAM },
		{ LINUX_LOW_RAM_END, 0x100000, E820_RESERVED },
	};
	u8 *e = zp + ZP_E820_TABLE;
	for (unsigned i = 0; i < ARRAY_SIZE(map); i++, e += 20) {
		wr(e, map[i].base, 8);
		wr(e + 8, map[i].end - map[i].base, 8);
		wr(e + 16, map[i].type, 4);
	}
	wr(e, 0x100000, 8);
	wr(e + 8, ram_size - 0x100000, 8);
	wr(e + 16, E820_RAM, 4);
	zp[ZP_E820_ENTRIES] = ARRAY_SIZE(map) + 1;
}

static void linux_zero_page(u8 *ram, u64 ram_size, const u8 *bz, const struct bz_hdr *h,
			    const struct linux_image *img)
{
	u8 *zp = ram + LINUX_ZERO_PAGE;
	memset(zp, 0, PAGE_SIZE);
	memcpy(zp + HDR_SETUP_START, bz + HDR_SETUP_START, h->hdr_end - HDR_SETUP_START);
	zp[HDR_TYPE_OF_LOADER] = 0xff; /* "undefined" boot loader (boot.rst type_of_loader) */
	zp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	wr(zp + HDR_CMD_LINE_PTR, LINUX_CMDLINE, 4);
	wr(zp + HDR_RAMDISK_IMAGE, img->initrd_start, 4);
	wr(zp + HDR_RAMDISK_SIZE, img->initrd_end - img->initrd_start, 4);
	linux_e820(zp, ram_size);
}

/* GDT: __BOOT_CS = 0x10 (64-bit code), __BOOT_DS = 0x18, and a TSS for VM entry; identity map of
 * 0–4 GiB in 2 MiB pages (boot.rst: the loader's map must cover the kernel, zero page, cmdline). */
static void linux_tables(u8 *ram)
{
	wr(ram + LINUX_GDT + 0x10, 0x00af9b000000ffffull, 8);
	wr(ram + LINUX_GDT + 0x18, 0x00cf93000000ffffull, 8);
	wr(ram + LINUX_GDT + 0x20, 0x0000890000000067ull | ((LINUX_GDT + 0x100) << 16), 8);
	u64 pdpt = LINUX_PML4 + 0x1000, pd = LINUX_PML4 + 0x2000;
	wr(ram + LINUX_PML4, pdpt | 0x3, 8);
	for (u64 i = 0; i < 4; i++)
		wr(ram + pdpt + 8 * i, (pd + 0x1000 * i) | 0x3, 8);
	for (u64 i = 0; i < 2048; i++)
		wr(ram + pd + 8 * i, (i << 21) | 0x83, 8);
}

int linux_load(u8 *ram, u64 ram_size, const u8 *bz, u64 len, const u8 *initrd, u64 initrd_len,
	       const char *cmdline, struct linux_image *out, const char **why)
{
	struct bz_hdr h;
	int rc = linux_check(bz, len, &h, why);
	if (!rc)
		rc = linux_place(&h, ram_size, len, out, why);
	if (!rc)
		rc = linux_initrd(ram, ram_size, &h, initrd, initrd_len, out, why);
	if (rc)
		return rc;
	size_t clen = strnlen(cmdline, LINUX_CMDLINE_MAX);
	if (clen >= MIN((u64)LINUX_CMDLINE_MAX, h.cmdline_size + 1))
		return *why = "command line longer than the kernel's cmdline_size", -E2BIG;
	memcpy(ram + out->kernel_start, bz + h.setup_bytes, len - h.setup_bytes);
	memcpy(ram + LINUX_CMDLINE, cmdline, clen);
	ram[LINUX_CMDLINE + clen] = 0;
	linux_zero_page(ram, ram_size, bz, &h, out);
	linux_tables(ram);
	out->version = (u16)rd(bz + HDR_VERSION, 2);
	return 0;
}

void linux_entry_state(const struct linux_image *img, struct vcpu_regs *r, struct vcpu_sregs *s)
{
	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < SEG_COUNT; i++)
		s->seg[i] = (struct emul_seg){ .limit = 0xffffffff, .sel = 0x18, .attr = 0xc093 };
	s->seg[SEG_CS] = (struct emul_seg){ .limit = 0xffffffff, .sel = 0x10, .attr = 0xa09b };
	s->tr = (struct emul_seg){ .base = LINUX_GDT + 0x100, .limit = 0x67, .sel = 0x20, .attr = 0x8b };
	s->ldtr = (struct emul_seg){ .attr = SEG_ATTR_UNUSABLE | 0x82 };
	s->gdtr_base = LINUX_GDT;
	s->gdtr_limit = 0x27;
	s->cr0 = 0x80000033; /* PG | NE | ET | MP | PE */
	s->cr3 = LINUX_PML4;
	s->cr4 = 0x20;       /* PAE */
	s->efer = 0x500;     /* LME | LMA */
	s->pat = 0x0007040600070406ull;
	s->xcr0 = 1;
	r->rip = img->entry;
	r->rflags = 0x2;     /* IF = 0 */
	r->gpr[VCPU_RSI] = LINUX_ZERO_PAGE;
}

/* Keel's defaults (docs/linux.md justifies each); the configuration's `args` follow them, so
 * a partition's own value of a parameter wins. */
static const char linux_defaults[] =
	"console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 acpi=off pci=off nokaslr no5lvl "
	"tsc=reliable 8250.nr_uarts=1 panic=-1 reboot=t";

int linux_cmdline(char *buf, size_t size, u64 khz, const char *args, u32 restarts)
{
	char r[32] = "";
	if (restarts)
		snprintf(r, sizeof(r), " keel.restart=%u", restarts);
	int n = snprintf(buf, size, "%s tsc_early_khz=%llu%s%s%s", linux_defaults,
			 (unsigned long long)khz, r, args[0] ? " " : "", args);
	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}
