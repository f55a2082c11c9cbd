/* The instruction at the guest's RIP: its length for intercepted instructions (CPUID, RDMSR,
 * HLT, VMMCALL...) when the hardware reports none (QEMU's SVM has no nRIP save, APM Vol. 2
 * 15.7.1), and its bytes for the emulator. A fetch walks the guest's segments and page tables;
 * its result is memoized per vCPU together with everything it read, and reused while RIP, the
 * code key (virt_ops.vcpu_code_key) and every byte it read are unchanged, which makes a fetch
 * now give the same result (docs/performance.md, "The instruction memo"). */
#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/virt.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "vcpu_emul.h"

#define NOT_CODE 0xff
#define NO_FAULT 0xff /* not a vector a fetch raises */

bool insn_check_on;

void insn_check_set(bool on) { insn_check_on = on; }

enum { INSN_OK, INSN_FAULT, INSN_RETRY, INSN_STOP };

/* A fetch in progress, recording what it reads into the memo. */
struct insn_rec {
	struct emul_mem mem;
	const struct gmem *g;
	struct insn_memo *m;
	uintptr_t buf;              /* the fetch buffer: reads into it are instruction bytes */
	u8 code_off[INSN_DEPS_MAX]; /* per dependency: offset in the instruction, or NOT_CODE */
	bool ok;                    /* everything read is recorded */
};

static u64 insn_mask(u32 n) { return n >= 8 ? ~0ull : (1ull << (8 * n)) - 1; }

static void rec_dep(struct insn_rec *r, u64 gpa, const u8 *data, u32 n, u8 code_off)
{
	struct insn_memo *m = r->m;
	const u8 *p = gmem_ptr(r->g, gpa, 8); /* validation loads eight bytes */
	u64 val = 0;

	if (!p || m->ndeps == INSN_DEPS_MAX) {
		r->ok = false;
		return;
	}
	memcpy(&val, data, n);
	m->dep[m->ndeps] = (struct insn_dep){ p, val, insn_mask(n) };
	r->code_off[m->ndeps++] = code_off;
}

static int rec_read(void *ctx, u64 gpa, void *buf, u32 len)
{
	struct insn_rec *r = ctx;
	uintptr_t b = (uintptr_t)buf;
	bool code = b - r->buf < EMUL_INSN_MAX;
	int rc = r->g->mem.read(r->g->mem.ctx, gpa, buf, len);

	if (rc) {
		r->ok = false;
		return rc;
	}
	for (u32 off = 0; off < len; off += 8)
		rec_dep(r, gpa + off, (const u8 *)buf + off, MIN(8u, len - off),
			code ? (u8)(b - r->buf + off) : NOT_CODE);
	return 0;
}

static int rec_write(void *ctx, u64 gpa, const void *buf, u32 len)
{
	struct insn_rec *r = ctx;

	r->ok = false;
	return r->g->mem.write(r->g->mem.ctx, gpa, buf, len);
}

/* A/D updates: the entry now holds `new`, which a fetch now would read. */
static int rec_cmpxchg(void *ctx, u64 gpa, u64 old, u64 new, u32 size)
{
	struct insn_rec *r = ctx;
	const u8 *p = gmem_ptr(r->g, gpa, size);
	int rc = r->g->mem.cmpxchg(r->g->mem.ctx, gpa, old, new, size);
	bool found = false;

	for (unsigned i = 0; !rc && i < r->m->ndeps; i++) {
		struct insn_dep *d = &r->m->dep[i];
		if (d->p == p && d->mask == insn_mask(size)) {
			d->val = new & d->mask;
			found = true;
		}
	}
	if (rc || !found)
		r->ok = false;
	return rc;
}

/* Keeps the dependencies up to the last of the instruction's own bytes. */
static void memo_trim(struct insn_memo *m, const struct insn_rec *r, u32 len)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < m->ndeps; i++) {
		u8 off = r->code_off[i];
		if (off == NOT_CODE)
			continue;
		if (off >= len)
			break;
		m->dep[i].mask &= insn_mask(len - off);
		keep = i + 1;
	}
	m->ndeps = (u8)keep;
}

static const u64 memo_nothing; /* what unused fixed dependencies read, under a zero mask */

static void memo_pad(struct insn_memo *m)
{
	for (unsigned i = m->ndeps; i < INSN_DEPS_FIXED; i++)
		m->dep[i] = (struct insn_dep){ (const u8 *)&memo_nothing, 0, 0 };
}

/* Fetches and measures at RIP with v->eregs' control state. INSN_FAULT sets *f to what the
 * CPU would raise: the fault on the page where the bytes ran out, or #GP(0) past 15 bytes. */
static int insn_measure(struct vcpu *v, const struct emul_mem *mem, u8 *buf, u32 *len,
			struct emul_fault *f)
{
	const struct emul_regs *r = &v->eregs;
	struct emul_insn in;
	unsigned n = 0;

	*f = (struct emul_fault){ .vector = 13, .has_error = true };
	int rc = emul_fetch(mem, r, buf, &n, f);
	if (rc == EMUL_EAGAIN)
		return INSN_RETRY;
	if (rc < 0)
		return INSN_STOP;
	if (rc > 0)
		return INSN_FAULT;
	rc = emul_decode_length(buf, n, emul_mode_of(r->cr0, r->efer, r->rflags, &r->seg[SEG_CS]),
				&in);
	if (rc == EMUL_DEC_OK) {
		*len = in.len;
		return INSN_OK;
	}
	return rc == EMUL_DEC_SHORT || rc == EMUL_DEC_GP ? INSN_FAULT : INSN_STOP;
}

/* Fetches at RIP into memo m (its key current), recording what the fetch reads; `state`
 * says v->eregs' control state is current (else it is read first). */
static __attribute__((noinline)) int insn_fill(struct vcpu *v, struct insn_memo *m, bool state,
					      struct emul_fault *f)
{
	struct insn_rec r = { .mem = { &r, rec_read, rec_write, rec_cmpxchg },
			      .g = &v->part->mem, .m = m, .buf = (uintptr_t)m->bytes, .ok = true };
	u32 len = 0;

	v->stat[KEEL_STAT_INSN_MEMO_FILLS]++;
	virt->vcpu_code_key(v, m->key);
	if (!state)
		virt->vcpu_get_emul_state(v);
	m->rip = INSN_RIP_NONE;
	m->ndeps = 0;
	int rc = insn_measure(v, &r.mem, m->bytes, &len, f);
	if (rc != INSN_OK)
		return rc;
	memo_trim(m, &r, len);
	memo_pad(m);
	m->len = (u8)len;
	if (r.ok)
		m->rip = v->regs.rip;
	return INSN_OK;
}

/* The memo for RIP, fetched again unless it still holds. */
static inline __attribute__((always_inline)) int
insn_fetch(struct vcpu *v, bool state, struct insn_memo **out, struct emul_fault *f)
{
	struct insn_memo *m = memo_of(v);

	*out = m;
	return memo_holds(v, m) ? INSN_OK : insn_fill(v, m, state, f);
}

static void insn_fault(struct vcpu *v, const struct emul_fault *f)
{
	v->pending = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = f->vector,
				      .has_error = f->has_error, .error = f->error,
				      .has_cr2 = f->has_cr2, .cr2 = f->cr2 };
}

/* The vCPU is stopped when its instruction cannot be measured: it would loop on the exit. */
static __attribute__((noinline)) int insn_length_failed(struct vcpu *v, int rc,
						       const struct emul_fault *f)
{
	switch (rc) {
	case INSN_FAULT:
		insn_fault(v, f);
		return 1;
	case INSN_RETRY:
		return 1;
	default:
		exit_fatal(v, "cannot fetch or measure the intercepted instruction at rip %#llx",
			  (unsigned long long)v->regs.rip);
		return 1;
	}
}

static void insn_skip(struct vcpu *v, u32 len)
{
	vcpu_set_rip(v, v->regs.rip + len);
	virt->vcpu_clear_shadow(v);
}

static __attribute__((noinline)) int insn_skip_fetched(struct vcpu *v, struct insn_memo *m)
{
	struct emul_fault f;
	int rc = insn_fill(v, m, false, &f);

	if (rc != INSN_OK)
		return insn_length_failed(v, rc, &f);
	insn_skip(v, m->len);
	return 0;
}

/* The instruction at RIP is done: RIP moves past it (its length from the exit, else from the
 * memo) and the interrupt shadow ends. With lencheck=1 every length the hardware reported is
 * held against Keel's decoder (VMX: all instruction exits; SVM: with NRIPS), as pio.c does for
 * port I/O. */
int exit_skip_insn(struct vcpu *v)
{
	u32 len = v->exit.insn_len;
	if (!len) {
		struct insn_memo *m = memo_of(v);
		if (__builtin_expect(!memo_holds(v, m), 0))
			return insn_skip_fetched(v, m);
		len = m->len;
	} else if (insn_check_enabled()) {
		insn_check_length(v, len);
	}
	insn_skip(v, len);
	return 0;
}

static __attribute__((noinline)) struct insn_memo *insn_bytes_fetched(struct vcpu *v,
								      struct insn_memo *m)
{
	struct emul_fault f;

	return insn_fill(v, m, true, &f) == INSN_OK ? m : NULL;
}

struct insn_memo *insn_bytes(struct vcpu *v)
{
	struct insn_memo *m = memo_of(v);

	return __builtin_expect(memo_holds(v, m), 1) ? m : insn_bytes_fetched(v, m);
}

int insn_fetch_raw(struct vcpu *v, u8 buf[INSN_MAX_BYTES], u32 *n, struct vevent *cut)
{
	struct emul_fault f = { .vector = NO_FAULT };
	unsigned got = 0;

	virt->vcpu_get_emul_state(v);
	int rc = emul_fetch(&v->part->mem.mem, &v->eregs, buf, &got, &f);
	if (rc == 0 && got) {
		*n = got;
		cut->type = VEVENT_NONE;
		if (got < INSN_MAX_BYTES && f.vector != NO_FAULT) {
			insn_fault(v, &f);
			*cut = v->pending;
			v->pending.type = VEVENT_NONE;
		}
		return 0;
	}
	return insn_length_failed(v, rc == EMUL_EAGAIN ? INSN_RETRY : rc > 0 ? INSN_FAULT : INSN_STOP,
				  &f);
}

/* Both ways of measuring, against the hardware: a fresh fetch and the memo. */
void insn_check_length(struct vcpu *v, u32 hw_len)
{
	struct insn_memo *m;
	struct emul_fault f;
	u8 buf[EMUL_INSN_MAX];
	u32 len;

	if (!hw_len)
		return;
	virt->vcpu_get_emul_state(v);
	if (insn_measure(v, &v->part->mem.mem, buf, &len, &f) != INSN_OK)
		return;
	v->stat[KEEL_STAT_LEN_CHECKED]++;
	u32 memo = insn_fetch(v, true, &m, &f) == INSN_OK ? m->len : len;
	if (len != hw_len || memo != hw_len) {
		v->stat[KEEL_STAT_LEN_MISMATCH]++;
		pr_err("%s: instruction length at rip %#llx: Keel %u (memo %u), hardware %u",
		       v->part->name, (unsigned long long)v->regs.rip, len, memo, hw_len);
	}
}
