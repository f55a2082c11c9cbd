/* libFuzzer target: the whole fetch → decode → access → complete loop on random instruction
 * bytes and register state, with a device that answers from the fuzz input and an exit that is
 * absent, random, or what a VMX CPU reports. Checks that every access request is well formed;
 * ASan/UBSan catch the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emul/emul.h"
#include "fakeenv.h"

#define FZ_CODE 0x10000ull
#define FZ_RAM 0x20000ull

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static uint64_t fz_take(struct fz_in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static void fz_check(const struct emul *e)
{
	const struct emul_access *a = &e->access;

	if ((a->size != 1 && a->size != 2 && a->size != 4 && a->size != 8) || !a->count ||
	    (unsigned)a->count * a->size > EMUL_BATCH_MAX_BYTES ||
	    (a->stride != 0 && a->stride != a->size && a->stride != -a->size) ||
	    (a->kind == EMUL_KIND_PIO && a->stride != 0))
		abort();
}

static void fz_regs(struct emul_regs *r, struct fz_in *in)
{
	static const enum emul_mode modes[] = { EMUL_MODE_REAL, EMUL_MODE_PROT16, EMUL_MODE_PROT32,
						EMUL_MODE_LONG64 };
	uint8_t cfg = (uint8_t)fz_take(in, 1);

	fe_regs_mode(r, modes[cfg & 3]);
	for (int i = 0; i < 16; i++) {
		uint8_t how = (uint8_t)fz_take(in, 1);
		/* mostly pointers into the RAM page or small counts, sometimes anything */
		r->gpr[i] = how < 128 ? FZ_RAM + (how & 0x7f) * 8 : how < 200 ? how & 15 :
			    fz_take(in, 8);
	}
	r->rflags = 2 | (fz_take(in, 2) & 0x0cd5) | ((cfg & 4) ? EMUL_RFLAGS_TF : 0);
	r->rip = FZ_CODE + ((cfg & 8) ? 0xff8 : 0); /* sometimes straddle the page end */
}

/* Length decoding of the same bytes: a fetch gives 1-15 bytes or a fault; what emul_decode
 * accepts, emul_decode_length accepts with the same length. */
static void fz_length(struct fake_env *f, const struct emul_regs *r)
{
	uint8_t buf[EMUL_INSN_MAX];
	struct emul_fault fault;
	struct emul_insn a, l;
	unsigned n = 0;
	enum emul_mode mode = r->efer & 0x400 ? EMUL_MODE_LONG64 : (r->cr0 & 1) ?
			      ((r->seg[SEG_CS].attr & SEG_ATTR_DB) ? EMUL_MODE_PROT32 :
			       EMUL_MODE_PROT16) : EMUL_MODE_REAL;
	int st = emul_fetch(&f->env.mem, r, buf, &n, &fault);

	if (st < 0 || st > 1 || (st == 0 && (n < 1 || n > EMUL_INSN_MAX)))
		abort();
	if (st)
		return;
	int rl = emul_decode_length(buf, n, mode, &l), ra = emul_decode(buf, n, mode, &a);
	if ((rl == EMUL_DEC_OK && (l.len < 1 || l.len > n)) ||
	    (ra == EMUL_DEC_OK && (rl != EMUL_DEC_OK || l.len != a.len)))
		abort();
}

/* What the exit reports for the first start: nothing, random MMIO or port I/O, or what a VMX
 * CPU would (the first device access with its linear address, found by starting the
 * emulation on a copy of the guest), so that the direct path and its fallbacks run. */
static struct emul_exit fz_exit(struct fz_in *in, struct fake_env *f, const struct emul_regs *r,
				uint8_t *ram, uint8_t *dev)
{
	static uint8_t ram0[0x1000], dev0[0x1000];
	uint8_t how = (uint8_t)fz_take(in, 1);
	struct emul_exit x = { .kind = EMUL_EXIT_NONE };
	struct emul_regs copy = *r;
	struct emul e;

	switch (how & 3) {
	case 1:
		return (struct emul_exit){ .kind = EMUL_EXIT_MMIO, .la_valid = how & 4,
					   .write = how & 8, .dev = how & 16, .la = fz_take(in, 8),
					   .gpa = fz_take(in, 8) };
	case 2:
		return (struct emul_exit){ .kind = EMUL_EXIT_PIO, .write = how & 8,
					   .port = (uint16_t)fz_take(in, 2) };
	case 3:
		memcpy(ram0, ram, sizeof(ram0));
		memcpy(dev0, dev, sizeof(dev0));
		if (emul_start(&e, &f->env, &copy, NULL) == EMUL_ACCESS && e.nmop &&
		    (e.mop[0].dev[0] || (e.nmop > 1 && e.mop[1].dev[0]))) {
			const struct emul_memop *m = &e.mop[e.mop[0].dev[0] ? 0 : 1];
			x = (struct emul_exit){ .kind = EMUL_EXIT_MMIO, .la_valid = !(how & 4),
						.write = m->write, .dev = how & 16, .la = m->la,
						.gpa = m->gpa[0] };
		}
		emul_abort(&e);
		memcpy(ram, ram0, sizeof(ram0));
		memcpy(dev, dev0, sizeof(dev0));
		return x;
	default:
		return x;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t code[0x1000], ram[0x1000], dev[0x1000];
	struct fz_in in = { data, size };
	struct fake_env f;
	struct emul e;
	struct emul_regs r;
	uint8_t ans[EMUL_BATCH_MAX_BYTES];

	memset(&r, 0, sizeof(r));
	fe_init(&f);
	fz_regs(&r, &in);
	memset(code, 0x90, sizeof(code));
	for (unsigned i = 0; i < 15; i++)
		code[(r.rip - FZ_CODE + i) & 0xfff] = (uint8_t)fz_take(&in, 1);
	fe_add_ram(&f, FZ_CODE, code, sizeof(code));
	fe_add_ram(&f, FZ_RAM, ram, sizeof(ram));
	fe_add_dev(&f, 0x30000, dev, sizeof(dev));
	fz_length(&f, &r);
	struct emul_exit x = fz_exit(&in, &f, &r, ram, dev);
	for (int round = 0; round < 8; round++) {
		int st = emul_start(&e, &f.env, &r, round ? NULL : &x);
		for (int k = 0; st == EMUL_ACCESS && k < 16; k++) {
			unsigned len = e.access.dir == EMUL_DIR_READ ? e.access.size * e.access.count : 0;
			fz_check(&e);
			for (unsigned i = 0; i < len; i++)
				ans[i] = (uint8_t)fz_take(&in, 1);
			if (fz_take(&in, 1) == 0xa5) { /* sometimes the caller gives up */
				emul_abort(&e);
				st = EMUL_RETRY;
				break;
			}
			st = emul_complete(&e, len ? ans : NULL, len);
		}
		if (st == EMUL_ACCESS)
			emul_abort(&e);
		if (st != EMUL_DONE || e.rip_advanced)
			break;
	}
	return 0;
}
