/* VMEXIT_INVALID says only that VMRUN refused the state. These are the consistency checks of
 * APM Vol. 2 15.5.1 (and the event-injection rules of 15.20), re-done in software so the log
 * can name the rule that failed. */
#include "svm.h"

/* EFER bits that may be 1: SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE, MCOMMIT, INTWB. */
#define EFER_DEFINED (BIT(0) | BIT(8) | BIT(10) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | \
		      BIT(15) | BIT(17) | BIT(18))

struct svm_rule {
	const char *what;
	bool (*broken)(const struct svm_snap *m);
};

void svm_snap_take(const struct vmcb *v, struct svm_snap *s)
{
	*s = (struct svm_snap){
		.efer = v->save.efer, .cr0 = v->save.cr0, .cr3 = v->save.cr3, .cr4 = v->save.cr4,
		.dr6 = v->save.dr6, .dr7 = v->save.dr7, .g_pat = v->save.g_pat,
		.eventinj = v->ctl.eventinj, .np_ctl = v->ctl.np_ctl, .iopm_pa = v->ctl.iopm_pa,
		.msrpm_pa = v->ctl.msrpm_pa, .asid = v->ctl.asid, .icpt2 = v->ctl.icpt2,
		.cs_attrib = v->save.cs.attrib,
	};
}

static u32 phys_bits(void)
{
	if (cpuid(0x80000000, 0).a < 0x80000008)
		return 36;
	return cpuid(0x80000008, 0).a & 0xff;
}

static bool long_paging(const struct svm_snap *m)
{
	return (m->efer & EFER_LME) && (m->cr0 & CR0_PG);
}

static bool no_svme(const struct svm_snap *m) { return !(m->efer & EFER_SVME); }
static bool nw_no_cd(const struct svm_snap *m) { return (m->cr0 & CR0_NW) && !(m->cr0 & CR0_CD); }
static bool cr0_high(const struct svm_snap *m) { return m->cr0 >> 32; }
static bool cr4_high(const struct svm_snap *m) { return m->cr4 >> 32; }
static bool dr6_high(const struct svm_snap *m) { return m->dr6 >> 32; }
static bool dr7_high(const struct svm_snap *m) { return m->dr7 >> 32; }
static bool efer_rsvd(const struct svm_snap *m) { return m->efer & ~EFER_DEFINED; }
static bool lm_no_pae(const struct svm_snap *m) { return long_paging(m) && !(m->cr4 & CR4_PAE); }
static bool lm_no_pe(const struct svm_snap *m) { return long_paging(m) && !(m->cr0 & CR0_PE); }
static bool no_vmrun_icpt(const struct svm_snap *m) { return !(m->icpt2 & ICPT2_VMRUN); }
static bool asid_zero(const struct svm_snap *m) { return m->asid == 0; }

static bool cr3_wide(const struct svm_snap *m)
{
	return (m->efer & EFER_LMA) && (m->cr3 >> phys_bits());
}

/* CS.L and CS.D together are reserved in long mode. */
static bool cs_l_and_d(const struct svm_snap *m)
{
	return long_paging(m) && (m->cr4 & CR4_PAE) && (m->cs_attrib & 0x200) &&
	       (m->cs_attrib & 0x400);
}

static bool maps_wide(const struct svm_snap *m)
{
	u64 limit = 1ull << phys_bits();

	return m->iopm_pa >= limit - SVM_IOPM_PAGES * PAGE_SIZE ||
	       m->msrpm_pa >= limit - SVM_MSRPM_PAGES * PAGE_SIZE;
}

static bool bad_eventinj(const struct svm_snap *m)
{
	u64 e = m->eventinj;
	u32 type = EVT_TYPE(e);

	if (!(e & EVT_V))
		return false;
	if (type == 1 || type > EVT_TYPE_SOFT)
		return true;
	return type == EVT_TYPE_EXC && (EVT_VECTOR(e) == 2 || EVT_VECTOR(e) > 31);
}

static bool bad_gpat(const struct svm_snap *m)
{
	if (!(m->np_ctl & 1))
		return false;
	for (unsigned i = 0; i < 8; i++) {
		u8 t = (u8)(m->g_pat >> (8 * i));
		if (t > 7 || t == 2 || t == 3)
			return true;
	}
	return false;
}

static const struct svm_rule svm_rules[] = {
	{ "EFER.SVME is clear", no_svme },
	{ "CR0.NW is set while CR0.CD is clear", nw_no_cd },
	{ "CR0 bits 63:32 are not zero", cr0_high },
	{ "CR3 has bits above the physical address width (long mode)", cr3_wide },
	{ "CR4 bits 63:32 are not zero", cr4_high },
	{ "DR6 bits 63:32 are not zero", dr6_high },
	{ "DR7 bits 63:32 are not zero", dr7_high },
	{ "EFER has reserved bits set", efer_rsvd },
	{ "EFER.LME and CR0.PG are set but CR4.PAE is clear", lm_no_pae },
	{ "EFER.LME and CR0.PG are set but CR0.PE is clear", lm_no_pe },
	{ "long mode with CS.L and CS.D both set", cs_l_and_d },
	{ "the VMRUN intercept is clear", no_vmrun_icpt },
	{ "the IOPM or MSRPM lies beyond the physical address width", maps_wide },
	{ "the ASID is 0", asid_zero },
	{ "EVENTINJ has an illegal type or vector", bad_eventinj },
	{ "gPAT holds an invalid memory type", bad_gpat },
};

/* The first rule the state breaks, or NULL. */
const char *svm_check_state(const struct svm_snap *s)
{
	for (unsigned i = 0; i < ARRAY_SIZE(svm_rules); i++)
		if (svm_rules[i].broken(s))
			return svm_rules[i].what;
	return NULL;
}
