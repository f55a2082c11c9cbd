/* Fake guest environment for the emulator host tests. */
#include "fakeenv.h"

#include <string.h>

static struct fe_win *fe_find(struct fe_win *w, int n, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < n; i++)
		if (gpa >= w[i].gpa && gpa + len <= w[i].gpa + w[i].len && gpa + len >= gpa)
			return &w[i];
	return NULL;
}

static int fe_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	struct fake_env *f = ctx;
	struct fe_win *w = fe_find(f->ram, f->nram, gpa, len);

	if (!w)
		return -1;
	memcpy(buf, w->mem + (gpa - w->gpa), len);
	return 0;
}

static int fe_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	struct fake_env *f = ctx;
	struct fe_win *w = fe_find(f->ram, f->nram, gpa, len);

	if (!w)
		return -1;
	memcpy(w->mem + (gpa - w->gpa), buf, len);
	return 0;
}

static int fe_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new, uint32_t size)
{
	uint64_t cur = 0;

	if (fe_read(ctx, gpa, &cur, size))
		return -1;
	if (cur != old)
		return 1;
	return fe_write(ctx, gpa, &new, size);
}

static enum emul_gpa_class fe_classify(void *ctx, uint64_t gpa, uint32_t len)
{
	struct fake_env *f = ctx;

	return fe_find(f->ram, f->nram, gpa, len) ? EMUL_GPA_RAM : EMUL_GPA_DEVICE;
}

static void fe_vec_read(void *ctx, unsigned reg, void *buf, unsigned len)
{
	struct fake_env *f = ctx;

	memcpy(buf, f->vec[reg & 15], len);
}

static void fe_vec_write(void *ctx, unsigned reg, const void *buf, unsigned len, unsigned zero_to)
{
	struct fake_env *f = ctx;

	memcpy(f->vec[reg & 15], buf, len);
	if (zero_to > len)
		memset(f->vec[reg & 15] + len, 0, zero_to - len);
}

static struct {
	uint64_t pml4[512], pdpt_lo[512], pdpt_hi[512];
	uint32_t pd32[1024];
} fe_pt __attribute__((aligned(4096)));

/* P, R/W, U/S, A, D, PS (SDM Vol. 3A Tables 4-5 and 4-17). */
#define FE_LARGE 0xe7ull

static void fe_tables(void)
{
	for (uint64_t i = 0; i < 512; i++) {
		fe_pt.pdpt_lo[i] = fe_pt.pdpt_hi[i] = (i << 30) | FE_LARGE;
		fe_pt.pml4[i] = 0;
	}
	fe_pt.pml4[0] = (FE_PT_GPA + 0x1000) | 0x27;   /* P, R/W, U/S, A */
	fe_pt.pml4[511] = (FE_PT_GPA + 0x2000) | 0x27;
	for (uint32_t i = 0; i < 1024; i++)
		fe_pt.pd32[i] = (i << 22) | (uint32_t)FE_LARGE;
}

int fe_tables_read(uint64_t gpa, void *buf, uint32_t len)
{
	if (gpa < FE_PT_GPA || gpa + len > FE_PT_GPA + sizeof(fe_pt) || gpa + len < gpa)
		return -1;
	if (!fe_pt.pml4[0])
		fe_tables();
	memcpy(buf, (uint8_t *)&fe_pt + (gpa - FE_PT_GPA), len);
	return 0;
}

void fe_init(struct fake_env *f)
{
	memset(f, 0, sizeof(*f));
	fe_tables();
	f->ram[f->nram++] = (struct fe_win){ FE_PT_GPA, sizeof(fe_pt), (uint8_t *)&fe_pt };
	f->env = (struct emul_env){
		.mem = { .ctx = f, .read = fe_read, .write = fe_write, .cmpxchg = fe_cmpxchg },
		.ctx = f, .classify = fe_classify, .vec_read = fe_vec_read,
		.vec_write = fe_vec_write,
	};
}

void fe_add_ram(struct fake_env *f, uint64_t gpa, void *mem, uint64_t len)
{
	f->ram[f->nram++] = (struct fe_win){ gpa, len, mem };
}

void fe_add_dev(struct fake_env *f, uint64_t gpa, void *mem, uint64_t len)
{
	f->dev[f->ndev++] = (struct fe_win){ gpa, len, mem };
}

/* Element i of the access at addr + i*stride; a byte with no device behind it reads all-ones. */
static void fe_mmio(struct fake_env *f, const struct emul_access *a, uint8_t *rd)
{
	for (unsigned i = 0; i < a->count; i++) {
		uint64_t gpa = a->addr + (uint64_t)((int64_t)i * a->stride);
		struct fe_win *w = fe_find(f->dev, f->ndev, gpa, a->size);
		uint8_t *p = a->dir == EMUL_DIR_READ ? rd + i * a->size : (uint8_t *)a->data + i * a->size;

		if (!w) {
			f->bad++;
			if (a->dir == EMUL_DIR_READ)
				memset(p, 0xff, a->size);
			continue;
		}
		if (a->dir == EMUL_DIR_READ)
			memcpy(p, w->mem + (gpa - w->gpa), a->size);
		else
			memcpy(w->mem + (gpa - w->gpa), p, a->size);
	}
}

/* Ports: a read of port p returns ports[p..p+size), then ports[p] increments (a FIFO that
 * counts), so repeated INS reads differ; a write stores into ports[p..]. */
static void fe_pio(struct fake_env *f, const struct emul_access *a, uint8_t *rd)
{
	for (unsigned i = 0; i < a->count; i++) {
		uint8_t *p = f->ports + (uint16_t)a->addr;
		if (a->dir == EMUL_DIR_READ) {
			memcpy(rd + i * a->size, p, a->size);
			p[0]++;
			f->port_fifo_reads++;
		} else {
			memcpy(p, a->data + i * a->size, a->size);
		}
	}
}

int fe_answer(struct fake_env *f, struct emul *e)
{
	const struct emul_access *a = &e->access;
	uint8_t rd[EMUL_BATCH_MAX_BYTES];
	uint32_t n = (uint32_t)a->size * a->count;

	f->accesses++;
	if (n > f->max_batch)
		f->max_batch = n;
	if (a->kind == EMUL_KIND_PIO)
		fe_pio(f, a, rd);
	else
		fe_mmio(f, a, rd);
	/* every other one-element access by value, as arch/x86/mmio.c answers them, with garbage
	 * above the element's bytes (emul/ must take only access.size bytes of it) */
	if (a->count == 1 && (f->accesses & 1)) {
		uint64_t v = 0xa5c3e1f00f1e3c5aull * f->accesses;
		if (a->dir == EMUL_DIR_READ) {
			v = a->size == 8 ? 0 : v << (a->size * 8);
			for (unsigned i = 0; i < a->size; i++)
				v |= (uint64_t)rd[i] << (i * 8);
		}
		return emul_complete_value(e, v);
	}
	return emul_complete(e, a->dir == EMUL_DIR_READ ? rd : NULL,
			     a->dir == EMUL_DIR_READ ? n : 0);
}

int fe_run_exit(struct fake_env *f, struct emul *e, struct emul_regs *r,
		const struct emul_exit *x, int max_steps)
{
	int st = emul_start(e, &f->env, r, x);

	while (st == EMUL_ACCESS && max_steps-- > 0)
		st = fe_answer(f, e);
	return st;
}

int fe_run(struct fake_env *f, struct emul *e, struct emul_regs *r, int max_steps)
{
	return fe_run_exit(f, e, r, NULL, max_steps);
}

void fe_regs_mode(struct emul_regs *r, enum emul_mode mode)
{
	for (int i = 0; i < SEG_COUNT; i++)
		r->seg[i] = (struct emul_seg){ .base = 0, .limit = 0xffffffffu, .sel = 0,
					       .attr = 0x93 | SEG_ATTR_G | SEG_ATTR_DB };
	r->seg[SEG_CS].attr = 0x9b | SEG_ATTR_G;
	r->cr0 = 0x80000011;
	r->cr3 = FE_PD32_GPA;
	r->cr4 = 0x10; /* PSE */
	r->efer = 0;
	switch (mode) {
	case EMUL_MODE_LONG64:
		r->efer = 0x500;
		r->cr3 = FE_PML4_GPA;
		r->cr4 = 0x20; /* PAE */
		r->seg[SEG_CS].attr |= SEG_ATTR_L;
		break;
	case EMUL_MODE_PROT32:
		r->seg[SEG_CS].attr |= SEG_ATTR_DB;
		break;
	case EMUL_MODE_PROT16:
		for (int i = 0; i < SEG_COUNT; i++)
			r->seg[i].attr &= ~(uint32_t)(SEG_ATTR_DB | SEG_ATTR_G);
		break;
	default:
		r->cr0 = 0x10;
		for (int i = 0; i < SEG_COUNT; i++) {
			r->seg[i].attr &= ~(uint32_t)(SEG_ATTR_DB | SEG_ATTR_G);
			r->seg[i].limit = 0xffff;
		}
		break;
	}
}
