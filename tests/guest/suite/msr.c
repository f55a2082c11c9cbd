/* The MSRs a guest may use and the ones it may not: EFER (reserved bits and LME under paging
 * #GP), PAT (each entry a memory type, else #GP with the old value kept), the FS/GS bases (the
 * CPU's own, passed through: a write moves FS-relative accesses), APIC_BASE (reads the xAPIC at
 * its default base, enabled; anything else #GP), and the virtualization MSRs and unknown ones
 * #GP (SDM Vol. 4; APM Vol. 2 15.30). */
#include "suite.h"

#define MSR_APIC_BASE 0x1bu
#define MSR_PAT       0x277u
#define MSR_EFER      0xc0000080u
#define MSR_FS_BASE   0xc0000100u
#define MSR_GS_BASE   0xc0000101u
#define MSR_KGS_BASE  0xc0000102u
#define PAT_POWER_ON  0x0007040600070406ull

/* 0, or the vector of the exception the access raised (13 with error 0 is #GP(0)). */
static int msr_status(const struct guest_exc *x)
{
	return x->raised ? (x->error ? 256 + x->vector : x->vector) : 0;
}

static int msr_rd(uint32_t msr, uint64_t *v)
{
	struct guest_exc x;
	msr_read_try(msr, v, &x);
	return msr_status(&x);
}

static int msr_wr(uint32_t msr, uint64_t v)
{
	struct guest_exc x;
	msr_write_try(msr, v, &x);
	return msr_status(&x);
}

static void msr_efer(const char *s)
{
	uint64_t efer, nx;
	bool l64 = sizeof(ureg) == 8;
	int r = msr_rd(MSR_EFER, &efer);
	verdict_check(s, "efer-read", !r && !!(efer & 0x500) == l64 && (efer & 0x500) != 0x100,
		      "rdmsr %d efer %lx", r, (unsigned long)efer);
	int w = msr_wr(MSR_EFER, efer | 0x800), r2 = msr_rd(MSR_EFER, &nx);
	verdict_check(s, "efer-write-nxe", !w && !r2 && nx == (efer | 0x800), "wrmsr %d efer %lx", w,
		      (unsigned long)nx);
	msr_wr(MSR_EFER, efer);
	int g1 = msr_wr(MSR_EFER, efer | 0x2), g2 = l64 ? msr_wr(MSR_EFER, efer & ~0x100ull) : 13;
	msr_rd(MSR_EFER, &nx);
	verdict_check(s, "efer-invalid-gp", g1 == 13 && g2 == 13 && nx == efer,
		      "reserved bit %d, LME under paging %d, efer now %lx", g1, g2, (unsigned long)nx);
}

static void msr_pat(const char *s)
{
	static const uint64_t bad[] = { 2, 3, 8, 0x80 };
	uint64_t pat, now;
	int r = msr_rd(MSR_PAT, &pat);
	verdict_check(s, "pat-read", !r && pat == PAT_POWER_ON, "rdmsr %d pat %lx", r, (unsigned long)pat);
	uint64_t wc = (PAT_POWER_ON & ~0xff00ull) | 0x0100; /* entry 1: WC */
	int w = msr_wr(MSR_PAT, wc);
	msr_rd(MSR_PAT, &now);
	verdict_check(s, "pat-write", !w && now == wc, "wrmsr %d pat %lx", w, (unsigned long)now);
	bool ok = true;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok = ok && msr_wr(MSR_PAT, (wc & ~(0xffull << 40)) | bad[i] << 40) == 13;
	msr_rd(MSR_PAT, &now);
	verdict_check(s, "pat-invalid-gp", ok && now == wc, "pat now %lx", (unsigned long)now);
	msr_wr(MSR_PAT, PAT_POWER_ON);
}

/* The bases are passed through: the value reads back and an FS-relative load uses it. */
static void msr_bases(const char *s)
{
	static uint64_t cell = 0x1122334455667788ull;
	uint64_t fs, gs, kgs, via = 0;
	uint64_t want_fs = (uintptr_t)&cell - 0x100;
	int w = msr_wr(MSR_FS_BASE, want_fs) | msr_wr(MSR_GS_BASE, 0x5000) | msr_wr(MSR_KGS_BASE, 0x6000);
	int r = msr_rd(MSR_FS_BASE, &fs) | msr_rd(MSR_GS_BASE, &gs) | msr_rd(MSR_KGS_BASE, &kgs);
	__asm__ volatile("mov %%fs:0x100, %0" : "=r"(via));
	verdict_check(s, "fs-gs-base", !w && !r && fs == want_fs && gs == 0x5000 && kgs == 0x6000 &&
		      via == cell, "wr %d rd %d fs %lx gs %lx kgs %lx load %lx", w, r, (unsigned long)fs,
		      (unsigned long)gs, (unsigned long)kgs, (unsigned long)via);
	msr_wr(MSR_FS_BASE, 0);
	msr_wr(MSR_GS_BASE, 0);
	msr_wr(MSR_KGS_BASE, 0);
}

static void msr_apic(const char *s, unsigned vcpu)
{
	uint64_t v, want = 0xfee00000ull | 0x800 | (vcpu == 0 ? 0x100 : 0);
	int r = msr_rd(MSR_APIC_BASE, &v);
	int same = msr_wr(MSR_APIC_BASE, want), off = msr_wr(MSR_APIC_BASE, want & ~0x800ull),
	    move = msr_wr(MSR_APIC_BASE, (want & 0xfff) | 0xfed00000ull);
	verdict_check(s, "apic-base", !r && v == want && !same && off == 13 && move == 13,
		      "read %d %lx, same %d, disable %d, move %d", r, (unsigned long)v, same, off, move);
}

/* VMX and SVM control MSRs, and numbers no CPU has. */
static void msr_refused(const char *s)
{
	static const uint32_t none[] = { 0x3a, 0x480, 0x48b, 0xc0010114, 0xc0010117, 0x12345678,
					 0x40000000, 0xc0011234 };
	uint64_t v;
	for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		int r = msr_rd(none[i], &v), w = msr_wr(none[i], 0);
		if (r != 13 || w != 13) {
			verdict_fail(s, "unknown-gp", "msr %x: rdmsr %d wrmsr %d (want #GP(0) = 13)",
				     none[i], r, w);
			return;
		}
	}
	verdict_pass(s, "unknown-gp");
}

void msr_suite(const char *s, unsigned vcpu)
{
	msr_efer(s);
	msr_pat(s);
	if (sizeof(ureg) == 8)
		msr_bases(s);
	msr_apic(s, vcpu);
	msr_refused(s);
}
