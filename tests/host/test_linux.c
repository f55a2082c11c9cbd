/* The Linux loader against Debian's real bzImage (fetched into build/linux) and crafted broken
 * headers. Expected values come from the boot protocol (boot.rst) and from the image's header
 * as read by shared/linux-guest.md §2.1, not from the loader. */
#include <keel/linux.h>
#include <arch/vcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM (256ull << 20)
static int failed;

static void verdict(const char *name, int ok, const char *detail)
{
	printf("VERDICT %s linux/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : " ", ok ? "" : detail);
	failed += !ok;
}

static u8 *slurp(const char *path, u64 *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (u64)ftell(f);
	rewind(f);
	u8 *p = malloc(*len);
	if (fread(p, 1, *len, f) != *len)
		*len = 0;
	fclose(f);
	return p;
}

static u64 le(const u8 *p, int n)
{
	u64 v = 0;
	for (int i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void test_debian(const u8 *bz, u64 len, const u8 *rd, u64 rdlen, u8 *ram)
{
	struct linux_image img;
	const char *why = "";
	int rc = linux_load(ram, RAM, bz, len, rd, rdlen, "console=ttyS0", &img, &why);
	verdict("debian-loads", rc == 0, why);
	if (rc)
		return;
	/* pref_address and kernel_alignment are 16 MiB and 2 MiB in Debian's 6.1 image. */
	verdict("debian-at-16mib", img.kernel_start == 0x1000000 && img.entry == 0x1000200, "placement");
	u64 setup = ((u64)bz[0x1f1] + 1) * 512;
	verdict("debian-kernel-copied", !memcmp(ram + img.kernel_start, bz + setup, len - setup), "bytes");
	const u8 *zp = ram + LINUX_ZERO_PAGE;
	verdict("zeropage-hdrs", le(zp + 0x202, 4) == 0x53726448 && zp[0x210] == 0xff, "HdrS/loader");
	verdict("zeropage-cmdline", le(zp + 0x228, 4) == LINUX_CMDLINE &&
		!strcmp((char *)ram + LINUX_CMDLINE, "console=ttyS0"), "cmd_line_ptr");
	u64 ri = le(zp + 0x218, 4), rs = le(zp + 0x21c, 4);
	verdict("zeropage-initrd", ri % 4096 == 0 && rs == rdlen && ri + rs <= RAM &&
		ri >= img.kernel_end && !memcmp(ram + ri, rd, rdlen), "ramdisk fields");
	u8 n = zp[0x1e8];
	const u8 *e = zp + 0x2d0;
	int ok = n == 3 && le(e, 8) == 0 && le(e + 16, 4) == 1 && le(e + 40 + 16, 4) == 1 &&
		 le(e + 40, 8) == 0x100000 && le(e + 40 + 8, 8) == RAM - 0x100000 && le(e + 20 + 16, 4) == 2;
	verdict("zeropage-e820", ok, "e820 table");
	struct vcpu_regs r;
	struct vcpu_sregs s;
	linux_entry_state(&img, &r, &s);
	verdict("entry-state", r.rip == 0x1000200 && r.gpr[VCPU_RSI] == LINUX_ZERO_PAGE &&
		s.seg[SEG_CS].sel == 0x10 && s.seg[SEG_DS].sel == 0x18 && (s.efer & 0x400) &&
		!(r.rflags & 0x200), "64-bit entry state");
	/* The identity map must cover the zero page, command line and kernel (boot.rst). */
	u64 pml4 = le(ram + LINUX_PML4, 8) & ~0xfffull, pdpt0 = le(ram + pml4, 8) & ~0xfffull;
	u64 pde = le(ram + pdpt0 + 8 * (img.kernel_start >> 21), 8);
	verdict("page-tables", (pde & 0x81) == 0x81 && (pde & ~0x1fffffull) == (img.kernel_start & ~0x1fffffull),
		"PDE for the kernel");
}

static void expect_refused(const char *name, const u8 *bz, u64 len, u64 ram, const char *cmd, u8 *mem)
{
	struct linux_image img;
	const char *why = "";
	int rc = linux_load(mem, ram, bz, len, NULL, 0, cmd, &img, &why);
	char d[160];
	snprintf(d, sizeof(d), "accepted (rc %d)", rc);
	verdict(name, rc < 0 && why[0], d);
	if (rc < 0)
		printf("  %s: %s\n", name, why);
}

static void test_broken(const u8 *bz, u64 len, u8 *ram)
{
	u8 *c = malloc(len);
	memcpy(c, bz, len);
	c[0x202] = 'X';
	expect_refused("bad-magic", c, len, RAM, "", ram);
	memcpy(c, bz, len);
	c[0x206] = 0x0b;
	c[0x207] = 0x02;
	expect_refused("protocol-2.11", c, len, RAM, "", ram);
	memcpy(c, bz, len);
	c[0x236] &= (u8)~1;
	expect_refused("no-kernel-64", c, len, RAM, "", ram);
	memcpy(c, bz, len);
	c[0x230] = 3;
	expect_refused("bad-alignment", c, len, RAM, "", ram);
	memcpy(c, bz, len);
	c[0x1f1] = 0xff;
	c[0x201] = 0xff;
	expect_refused("bad-setup-size", c, len, RAM, "", ram);
	expect_refused("truncated", bz, 0x800, RAM, "", ram);
	expect_refused("ram-too-small", bz, len, 64ull << 20, "", ram);
	static char longcmd[4000];
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	expect_refused("cmdline-too-long", bz, len, RAM, longcmd, ram);
	free(c);
}

/* The command line Keel builds: every default of docs/linux.md, the measured TSC frequency, the
 * restart count after a restart, the configuration's args last (so they win). */
static void test_cmdline(void)
{
	static const char *const defaults[] = {
		"console=ttyS0,115200", "earlyprintk=serial,ttyS0,115200", "acpi=off", "pci=off",
		"nokaslr", "no5lvl", "tsc=reliable", "8250.nr_uarts=1", "panic=-1", "reboot=t",
	};
	char buf[LINUX_CMDLINE_MAX], word[64], d[LINUX_CMDLINE_MAX + 64];
	int ok = linux_cmdline(buf, sizeof(buf), 999974, "keeltest.cpus=2 quiet", 0) == 0;
	size_t n = strlen(buf);
	for (unsigned i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		snprintf(word, sizeof(word), " %s ", defaults[i]);
		snprintf(d, sizeof(d), " %s", buf);
		ok = ok && strstr(d, word);
	}
	const char *args = " keeltest.cpus=2 quiet";
	ok = ok && strstr(buf, " tsc_early_khz=999974 ") && !strstr(buf, "keel.restart") &&
	     n > strlen(args) && !strcmp(buf + n - strlen(args), args);
	snprintf(d, sizeof(d), "'%s'", buf);
	verdict("cmdline-defaults", ok, d);
	ok = linux_cmdline(buf, sizeof(buf), 2096000, "", 3) == 0;
	n = strlen(buf);
	snprintf(d, sizeof(d), "'%s'", buf);
	const char *tail = " tsc_early_khz=2096000 keel.restart=3";
	verdict("cmdline-restart", ok && n > strlen(tail) && !strcmp(buf + n - strlen(tail), tail), d);
	verdict("cmdline-buffer-full", linux_cmdline(buf, 64, 1000000, "", 0) < 0, "accepted");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/linux";
	char path[512];
	u64 len = 0, rdlen = 0;
	snprintf(path, sizeof(path), "%s/vmlinuz", dir);
	u8 *bz = slurp(path, &len);
	snprintf(path, sizeof(path), "%s/initrd.cpio.gz", dir);
	u8 *rd = slurp(path, &rdlen);
	if (!bz || !rd || !len || !rdlen) {
		printf("VERDICT FAIL linux/artefacts %s/vmlinuz or initrd.cpio.gz missing (make linux-guest)\n", dir);
		return 1;
	}
	u8 *ram = calloc(1, RAM);
	test_debian(bz, len, rd, rdlen, ram);
	test_broken(bz, len, ram);
	test_cmdline();
	return failed != 0;
}
