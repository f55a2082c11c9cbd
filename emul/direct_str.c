/* The direct path of MOVS/STOS/LODS (with or without REP) in 64-bit mode with 64-bit addresses
 * and the exit's linear address: the device side is the exit's page (its translation taken
 * from the exit), the RAM side of MOVS is walked once, and one batch - the elements that stay
 * within both pages, at most EMUL_BATCH_MAX_BYTES, one while single-stepping - is one access.
 * The same batch as the general path (ops_string.c) with the same register results; anything
 * else (a count of 0, a segment override, two devices, a spurious exit, a fault to raise)
 * goes to the general path. */
#include "emul_internal.h"

/* Elements from linear address `a` in the string direction that stay within its page (0 if
 * the first one crosses the page end). */
static inline uint64_t dstr_room(uint64_t a, unsigned shift, bool down)
{
	unsigned off = (unsigned)a & 0xfff;

	if (off + (1u << shift) > 0x1000)
		return 0;
	return down ? (off >> shift) + 1 : (0x1000 - off) >> shift;
}

/* Batch elements between access order (the first element at the start address) and address
 * order (the lowest first). */
static void dstr_reverse(uint8_t *dst, const uint8_t *src, unsigned n, unsigned size)
{
	for (unsigned i = 0; i < n; i++)
		emul_copy(dst + i * size, src + (n - 1 - i) * size, size);
}

/* The batch's access is done: MOVS into RAM writes it, LODS loads rAX with its last element,
 * then rSI/rDI/rCX, RIP and RFLAGS (computed at the start). */
static int dstr_done(struct emul *e, const uint8_t *data, uint32_t len)
{
	struct emul_regs *r = e->regs;
	const struct emul_mem *mem = &e->env->mem;
	unsigned size = e->fx.dsize;

	if (e->fx.dop == STR_MOVS && len) {
		if (e->fx.down) {
			dstr_reverse(e->data, data, len / size, size);
			data = e->data;
		}
		(void)mem->write(mem->ctx, e->fx.ram, data, len); /* outside RAM: dropped */
	} else if (e->fx.dop == STR_LODS) {
		emul_gpr_set(r->gpr, EMUL_RAX, size, emul_ld(data + len - size, size), 1);
	}
	r->gpr[EMUL_RSI] = e->fx.si;
	r->gpr[EMUL_RDI] = e->fx.di;
	r->gpr[EMUL_RCX] = e->fx.cx;
	r->rip = e->fx.rip;
	r->rflags &= ~(uint64_t)EMUL_RFLAGS_RF;
	return EMUL_DONE;
}

/* MOVS: the RAM side at linear address `a` (walked once: the batch stays within its page),
 * read into the request (from RAM) or remembered for the answer (into RAM), with the batch as
 * planned in e. 0, or 1 when the general path must decide. */
static __attribute__((noinline)) int dstr_ram(struct emul *e, uint64_t a)
{
	const struct emul_env *env = e->env;
	const struct emul_mem *mem = &env->mem;
	unsigned size = e->fx.dsize, n = e->access.count, bytes = n * size;
	bool to_ram = e->access.dir == EMUL_DIR_READ;
	uint8_t *buf = e->fx.down ? e->data : e->access.data;
	uint64_t gpa;

	if (emul_walk_page(e, a, to_ram ? WALK_WRITE : 0, &gpa))
		return 1;
	gpa -= e->fx.down ? bytes - size : 0;
	if (env->classify(env->ctx, gpa, bytes) != EMUL_GPA_RAM)
		return 1;
	e->fx.ram = gpa;
	if (to_ram)
		return 0;
	if (mem->read(mem->ctx, gpa, buf, bytes))
		__builtin_memset(buf, 0xff, bytes); /* nothing there: all-ones */
	if (e->fx.down)
		dstr_reverse(e->access.data, e->data, n, size);
	return 0;
}

/* STOS: rAX's low `size` bytes repeated over the batch (8 bytes at a time: the buffer has room). */
static inline void dstr_fill(uint8_t *d, uint64_t v, unsigned size, unsigned bytes)
{
	static const uint64_t rep[9] = { [1] = 0x0101010101010101ull, [2] = 0x0001000100010001ull,
					 [4] = 0x0000000100000001ull, [8] = 1 };

	v = emul_trunc(v, size) * rep[size];
	for (unsigned i = 0; i < bytes; i += 8)
		__builtin_memcpy(d + i, &v, 8);
}

/* The batch is planned in e (request, registers after, RIP, outputs) before any call, so that
 * little is live across the calls: the RAM side of MOVS, then the device side's classification. */
int emul_direct_str(struct emul *e, unsigned sub, unsigned ilen, unsigned size, unsigned pfx)
{
	const struct emul_exit *x = e->exit;
	struct emul_regs *r = e->regs;
	unsigned shift = (unsigned)__builtin_ctz(size), write, bytes;
	uint64_t fl = r->rflags, count = r->gpr[EMUL_RCX], si = r->gpr[EMUL_RSI];
	uint64_t di = r->gpr[EMUL_RDI], n = EMUL_BATCH_MAX_BYTES >> shift, dev, ram, room, step, hdr;
	bool down = fl & EMUL_RFLAGS_DF, rep = pfx & (EMUL_PFX_REP | EMUL_PFX_REPNE);
	uint32_t out;

	/* the device side: the destination of STOS, the source of LODS, either of MOVS */
	write = sub == STR_STOS || (sub == STR_MOVS && x->write);
	dev = write ? di : si;
	ram = write ? si : di;
	count = rep ? count : 1;
	if (!x->la_valid || !count || (dev ^ x->la) >> 12 || x->write != write)
		return emul_start_again(e, EMUL_MODE_LONG64);
	n = count < n ? count : n;
	/* one element at a time when single-stepping (SDM Vol. 3A 17.3.1.4) */
	if (fl & EMUL_RFLAGS_TF)
		n = 1;
	room = dstr_room(dev, shift, down);
	n = room < n ? room : n;
	if (sub == STR_MOVS) {
		room = dstr_room(ram, shift, down);
		n = room < n ? room : n;
	}
	if (!n)
		return emul_start_again(e, EMUL_MODE_LONG64);
	bytes = (unsigned)n << shift;
	if (sub == STR_STOS)
		dstr_fill(e->access.data, r->gpr[EMUL_RAX], size, bytes);
	step = down ? -(uint64_t)bytes : bytes;
	e->fx.si = sub == STR_STOS ? si : si + step;
	e->fx.di = sub == STR_LODS ? di : di + step;
	e->fx.cx = rep ? count - n : r->gpr[EMUL_RCX];
	e->fx.rip = rep && count != n ? r->rip : r->rip + ilen;
	e->fx.dop = (uint8_t)sub;
	e->fx.dsize = (uint8_t)size;
	e->fx.down = down;
	/* nmop 0, single_step (TF: a #DB trap after the element), shadow_clear, rip_advanced */
	out = ((uint32_t)(fl >> 8) & 1) << 8 | 1u << 16 | (uint32_t)(!rep || count == n) << 24;
	__builtin_memcpy(&e->nmop, &out, 4);
	hdr = EMUL_KIND_MMIO | write << 8 | size << 16 |
	      (uint64_t)(uint16_t)(down ? -size : size) << 32 | n << 48;
	__builtin_memcpy(&e->access, &hdr, 8);
	e->access.addr = (x->gpa & ~0xfffull) | (dev & 0xfff);
	e->pend = EMUL_PEND | (write ? 0 : bytes);
	e->cont = dstr_done;
	if ((sub == STR_MOVS && dstr_ram(e, ram)) ||
	    (!x->dev && e->env->classify(e->env->ctx, e->access.addr - (down ? bytes - size : 0),
					 bytes) == EMUL_GPA_RAM))
		return emul_start_again(e, EMUL_MODE_LONG64);
	return EMUL_ACCESS;
}
