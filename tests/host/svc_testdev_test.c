/* The service's testdev model (service/dev_testdev.c): the register interface of
 * include/abi/testdev.h and its port block, with expectations written from that header, then a
 * differential run against Keel's in-core model (vmm/testdev.c) on random window, control-page
 * and port accesses: both must read the same. */
#include <stdlib.h>
#include <string.h>
#include <keel/partition.h>
#include <keel/testdev.h>
#include <arch/vcpu.h>
#include "svc_fake.h"
#include "svc_virq_stub.h"

static const char *suite = "svc_testdev";
static struct fake F;
static struct svc_dev D;

#define W KEEL_RING_WRITE
#define R KEEL_RING_READ

/* The ring carries `size` bytes of a read: the model's value truncated. */
static uint64_t rd(uint64_t off, unsigned size)
{
	uint64_t v = D.model->read(&D, off, size);

	return size < 8 ? v & ((1ull << (8 * size)) - 1) : v;
}
static void wr(uint64_t off, unsigned size, uint64_t v) { D.model->write(&D, off, size, v); }
static uint32_t reg(enum keel_testdev_reg r) { return (uint32_t)rd(r, 4); }
static void set(enum keel_testdev_reg r, uint32_t v) { wr(r, 4, v); }

/* A port-space testdev of `partition` listed after D (device 0 of the table). */
static struct svc_dev P;
static int port_dev(uint16_t partition)
{
	F.svc.dev[0] = D;
	memset(&P, 0, sizeof(P));
	P.desc = (struct keel_ring_device){ .partition = partition, .kind = KEEL_RING_PIO,
					    .irq = 0xff, .base = KEEL_TESTDEV_PORT,
					    .size = KEEL_TESTDEV_PORTS, .model = "testdev" };
	P.index = 1;
	P.svc = &F.svc;
	P.model = svc_model_find(P.desc.model);
	return P.model && P.model->init(&P) == 0 ? 0 : -1;
}
static uint64_t prd(uint64_t off, unsigned size)
{
	uint64_t v = P.model->read(&P, off, size);

	return size < 8 ? v & ((1ull << (8 * size)) - 1) : v;
}
static void pwr(uint64_t off, unsigned size, uint64_t v) { P.model->write(&P, off, size, v); }

static void setup(struct tc *t, const char *name)
{
	free(D.state);
	fk_init(&F);
	tc_begin(t, suite, name);
	if (fk_dev(&F, &D, "testdev", 0, KEEL_RING_MMIO, KEEL_TESTDEV_GPA, KEEL_TESTDEV_SIZE, 0xff))
		tc_fail(t, __FILE__, __LINE__, "no testdev model");
}

static bool entry(uint32_t i, uint32_t *info, uint64_t *data)
{
	set(KEEL_TESTDEV_LOG_INDEX, i);
	*info = reg(KEEL_TESTDEV_LOG_INFO);
	*data = reg(KEEL_TESTDEV_LOG_LO) | (uint64_t)reg(KEEL_TESTDEV_LOG_HI) << 32;
	return *info != 0xffffffffu;
}

/* RESET fills the window with its low byte and clears the log. */
static int case_reset(void)
{
	struct tc t;
	uint32_t bad = 0;

	setup(&t, "reset-fills-and-clears");
	wr(0x10, 1, 0x33);
	set(KEEL_TESTDEV_RESET, 0x1a5);
	TC_CHECK(&t, reg(KEEL_TESTDEV_LOG_COUNT) == 0, "log count %u", reg(KEEL_TESTDEV_LOG_COUNT));
	for (uint32_t a = 0; a < KEEL_TESTDEV_DATA; a += 4) {
		set(KEEL_TESTDEV_ADDR, a);
		bad += reg(KEEL_TESTDEV_DATA_PORT) != 0xa5a5a5a5u;
	}
	TC_CHECK(&t, bad == 0 && reg(KEEL_TESTDEV_LOG_COUNT) == 0, "%u words not 0xa5, log %u",
		 bad, reg(KEEL_TESTDEV_LOG_COUNT));
	return tc_end(&t);
}

/* Window accesses are logged as offset | size << 16 | dir << 24 with their data. */
static int case_log(void)
{
	struct tc t;
	uint32_t info[3];
	uint64_t data[3], r4, r8;

	setup(&t, "window-accesses-logged");
	set(KEEL_TESTDEV_RESET, 0);
	wr(0x123, 2, 0xbeef);
	r4 = rd(0x122, 4);
	wr(0x1ff8, 8, 0x0102030405060708ull);
	r8 = rd(0x1ff8, 8);
	TC_CHECK(&t, r4 == 0x00beef00 && r8 == 0x0102030405060708ull, "read %#llx %#llx",
		 (unsigned long long)r4, (unsigned long long)r8);
	TC_CHECK(&t, reg(KEEL_TESTDEV_LOG_COUNT) == 4, "count %u", reg(KEEL_TESTDEV_LOG_COUNT));
	for (uint32_t i = 0; i < 3; i++)
		TC_CHECK(&t, entry(i, &info[i], &data[i]), "entry %u missing", i);
	TC_CHECK(&t, info[0] == (0x123u | 2u << 16 | 1u << 24) && data[0] == 0xbeef, "entry 0 %#x %#llx",
		 info[0], (unsigned long long)data[0]);
	TC_CHECK(&t, info[1] == (0x122u | 4u << 16) && data[1] == 0x00beef00, "entry 1 %#x %#llx",
		 info[1], (unsigned long long)data[1]);
	TC_CHECK(&t, info[2] == (0x1ff8u | 8u << 16 | 1u << 24) && data[2] == 0x0102030405060708ull,
		 "entry 2 %#x %#llx", info[2], (unsigned long long)data[2]);
	return tc_end(&t);
}

/* ADDR takes multiples of 4 up to DATA - 4; DATA_PORT moves 4 window bytes, unlogged. */
static int case_port(void)
{
	struct tc t;
	uint32_t a1, a2, a3, count;

	setup(&t, "addr-and-data-port");
	set(KEEL_TESTDEV_RESET, 0);
	set(KEEL_TESTDEV_ADDR, 0x100);
	set(KEEL_TESTDEV_DATA_PORT, 0x11223344);
	set(KEEL_TESTDEV_ADDR, 0x101);
	a1 = reg(KEEL_TESTDEV_ADDR);
	set(KEEL_TESTDEV_ADDR, KEEL_TESTDEV_DATA);
	a2 = reg(KEEL_TESTDEV_ADDR);
	set(KEEL_TESTDEV_ADDR, KEEL_TESTDEV_DATA - 4);
	a3 = reg(KEEL_TESTDEV_ADDR);
	count = reg(KEEL_TESTDEV_LOG_COUNT);
	TC_CHECK(&t, a1 == 0x100 && a2 == 0x100 && a3 == KEEL_TESTDEV_DATA - 4 && count == 0,
		 "addr %#x %#x %#x, log %u", a1, a2, a3, count);
	TC_CHECK(&t, rd(0x100, 4) == 0x11223344 && rd(0x103, 1) == 0x11, "window %#llx",
		 (unsigned long long)rd(0x100, 4));
	return tc_end(&t);
}

/* Control registers are 32-bit and aligned: other sizes and offsets read all-ones and writes
 * do nothing; a window access that runs into the control page is neither done nor logged. */
static int case_odd(void)
{
	struct tc t;
	uint64_t r2, r8, mis, hole, straddle;

	setup(&t, "odd-sizes-and-straddles");
	set(KEEL_TESTDEV_RESET, 0x5a);
	r2 = rd(KEEL_TESTDEV_LOG_COUNT, 2);
	r8 = rd(KEEL_TESTDEV_ADDR, 8);
	mis = rd(KEEL_TESTDEV_LOG_COUNT + 2, 4);
	hole = rd(0x2ffc, 4);
	wr(KEEL_TESTDEV_RESET, 2, 0x11);
	wr(KEEL_TESTDEV_RESET, 8, 0x11);
	straddle = rd(KEEL_TESTDEV_DATA - 2, 4);
	wr(KEEL_TESTDEV_DATA - 4, 8, 0);
	TC_CHECK(&t, r2 == 0xffff && r8 == ~0ull && mis == 0xffffffffu && hole == 0xffffffffu &&
		 straddle == 0xffffffffu, "reads %#llx %#llx %#llx %#llx %#llx",
		 (unsigned long long)r2, (unsigned long long)r8, (unsigned long long)mis,
		 (unsigned long long)hole, (unsigned long long)straddle);
	set(KEEL_TESTDEV_ADDR, KEEL_TESTDEV_DATA - 4);
	TC_CHECK(&t, reg(KEEL_TESTDEV_DATA_PORT) == 0x5a5a5a5au && reg(KEEL_TESTDEV_LOG_COUNT) == 0,
		 "window %#x log %u", reg(KEEL_TESTDEV_DATA_PORT), reg(KEEL_TESTDEV_LOG_COUNT));
	return tc_end(&t);
}

/* LOG_MAX entries are kept; later accesses are counted only; past the end reads all-ones. */
static int case_limit(void)
{
	struct tc t;
	uint32_t info;
	uint64_t data;
	bool last, past;

	setup(&t, "log-limit");
	set(KEEL_TESTDEV_RESET, 0);
	for (uint32_t i = 0; i < KEEL_TESTDEV_LOG_MAX + 44; i++)
		wr(i * 4, 4, i);
	last = entry(KEEL_TESTDEV_LOG_MAX - 1, &info, &data) &&
	       data == KEEL_TESTDEV_LOG_MAX - 1 && info == ((KEEL_TESTDEV_LOG_MAX - 1) * 4 | 4u << 16 | 1u << 24);
	past = !entry(KEEL_TESTDEV_LOG_MAX, &info, &data) && data == ~0ull;
	TC_CHECK(&t, reg(KEEL_TESTDEV_LOG_COUNT) == KEEL_TESTDEV_LOG_MAX + 44 && last && past &&
		 reg(KEEL_TESTDEV_LOG_INDEX) == KEEL_TESTDEV_LOG_MAX, "count %u last %d past %d",
		 reg(KEEL_TESTDEV_LOG_COUNT), last, past);
	return tc_end(&t);
}

/* KEEL_TESTDEV_IRQ: a line op on an IOAPIC pin becomes KEEL_HC_IRQ (partition, pin, op); ISA
 * lines and message-signalled interrupts are the in-core model's only; a refusal is logged once. */
static int case_irq(void)
{
	struct tc t;

	setup(&t, "irq-register-to-hypercall");
	set(KEEL_TESTDEV_IRQ, 5 | 1u << 8);
	set(KEEL_TESTDEV_IRQ, 5 | 0u << 8);
	set(KEEL_TESTDEV_IRQ, 17 | 2u << 8);
	set(KEEL_TESTDEV_IRQ, 4 | 1u << 8 | KEEL_TESTDEV_IRQ_ISA);
	set(KEEL_TESTDEV_IRQ, 0x41 | KEEL_TESTDEV_IRQ_MSI << 8);
	wr(KEEL_TESTDEV_IRQ, 2, 9 | 1u << 8);
	TC_CHECK(&t, F.nirq == 3 && F.irq[0].partition == 0 && F.irq[0].pin == 5 &&
		 F.irq[0].level == 1 && F.irq[1].pin == 5 && F.irq[1].level == 0 &&
		 F.irq[2].pin == 17 && F.irq[2].level == 2, "%u calls", F.nirq);
	TC_CHECK(&t, reg(KEEL_TESTDEV_LOG_COUNT) == 0 && rd(KEEL_TESTDEV_IRQ, 4) == 0xffffffffu,
		 "the register was logged or reads back");
	F.status[KEEL_HC_IRQ] = KEEL_EPERM;
	set(KEEL_TESTDEV_IRQ, 6 | 1u << 8);
	set(KEEL_TESTDEV_IRQ, 7 | 1u << 8);
	TC_CHECK(&t, F.calls[KEEL_HC_IRQ] == 5 && fk_logged(&F, "KEEL_HC_IRQ") == 1,
		 "%llu calls, %u log lines", (unsigned long long)F.calls[KEEL_HC_IRQ],
		 fk_logged(&F, "KEEL_HC_IRQ"));
	return tc_end(&t);
}

/* The port block reaches the window of the partition's MMIO testdev: cursor accesses stream it
 * (wrapping at its end), data ports are logged with the port flag, BULK is not, LOG counts and
 * clears, LOG_READ streams INFO, data low, data high per entry. Another partition's port block
 * has a window of its own. */
static int case_port_block(void)
{
	struct tc t;
	uint32_t s[7];

	setup(&t, "port-block-shares-window");
	TC_CHECK(&t, port_dev(0) == 0 && P.state == D.state, "the port block has its own state");
	set(KEEL_TESTDEV_RESET, 0);
	wr(KEEL_TESTDEV_DATA - 2, 2, 0x2211);
	wr(0, 2, 0x4433);
	pwr(KEEL_TESTDEV_P_CURSOR, 4, KEEL_TESTDEV_DATA - 2);
	uint64_t got = prd(KEEL_TESTDEV_P_DATA + 3, 4);
	uint32_t cur = (uint32_t)prd(KEEL_TESTDEV_P_CURSOR, 4);
	TC_CHECK(&t, got == 0x44332211 && cur == 2, "cursor read %#llx, cursor %#x",
		 (unsigned long long)got, cur);
	pwr(KEEL_TESTDEV_P_DATA, 2, 0xaabb);
	pwr(KEEL_TESTDEV_P_BULK, 1, 0xcc);
	TC_CHECK(&t, rd(2, 4) == 0xccaabb, "window %#llx", (unsigned long long)rd(2, 4));
	TC_CHECK(&t, prd(KEEL_TESTDEV_P_LOG, 4) == 5, "log %llu", (unsigned long long)prd(KEEL_TESTDEV_P_LOG, 4));
	pwr(KEEL_TESTDEV_P_LOG_READ, 4, 0);
	for (unsigned i = 0; i < 7; i++) /* entries 0-1 and the start of 2 */
		s[i] = (uint32_t)prd(KEEL_TESTDEV_P_LOG_READ, 4);
	TC_CHECK(&t, s[0] == ((KEEL_TESTDEV_DATA - 2) | 2u << 16 | 1u << 24) && s[1] == 0x2211 && !s[2] &&
		 s[6] == (3u | 4u << 16 | KEEL_TESTDEV_INFO_PORT), "stream %#x %#x %#x ... %#x",
		 s[0], s[1], s[2], s[6]);
	set(KEEL_TESTDEV_LOG_INDEX, 3);
	TC_CHECK(&t, reg(KEEL_TESTDEV_LOG_INFO) == (0u | 2u << 16 | 1u << 24 | KEEL_TESTDEV_INFO_PORT) &&
		 reg(KEEL_TESTDEV_LOG_LO) == 0xaabb, "entry 3 %#x %#x", reg(KEEL_TESTDEV_LOG_INFO),
		 reg(KEEL_TESTDEV_LOG_LO));
	pwr(KEEL_TESTDEV_P_LOG, 4, 0);
	TC_CHECK(&t, reg(KEEL_TESTDEV_LOG_COUNT) == 0 && prd(KEEL_TESTDEV_P_LOG_READ, 4) == 0xffffffffu &&
		 rd(0, 1) == 0x33, "clear: count %u", reg(KEEL_TESTDEV_LOG_COUNT));
	TC_CHECK(&t, prd(KEEL_TESTDEV_P_CURSOR, 2) == 0xffff && prd(KEEL_TESTDEV_P_DATA + 14, 4) == 0xffffffffu &&
		 prd(KEEL_TESTDEV_P_BULK, 8) == ~0ull, "odd port accesses answered");
	void *mine = D.state;
	TC_CHECK(&t, port_dev(1) == 0 && P.state != mine, "partition 1's port block shares partition 0's window");
	free(P.state);
	return tc_end(&t);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A port access on both models: the port block's offsets, every size; cursor writes in range
 * mostly, so the stream stays inside the window's interesting bytes as often as not. */
static void port_step(struct tc *t, struct testdev *core, struct vcpu *vcpu, uint64_t r, uint64_t v,
		      uint64_t *reads)
{
	unsigned size = 1u << ((r >> 6) & 3);
	uint64_t off = (r >> 8) % (KEEL_TESTDEV_PORTS + 4);
	bool write = (r >> 14) & 1;

	if (off == KEEL_TESTDEV_P_CURSOR && write && (r >> 15) % 4)
		v %= KEEL_TESTDEV_DATA;
	if (size < 8)
		v &= (1ull << (8 * size)) - 1;
	if (write) {
		testdev_port_ops.write(core, vcpu, off, size, v);
		pwr(off, size, v);
		return;
	}
	uint64_t a = testdev_port_ops.read(core, vcpu, off, size), b = prd(off, size);
	if (size < 8)
		a &= (1ull << (8 * size)) - 1;
	TC_CHECK(t, a == b, "port read %#llx size %u: in-core %#llx service %#llx",
		 (unsigned long long)off, size, (unsigned long long)a, (unsigned long long)b);
	(*reads)++;
}

/* Random accesses (window, control page, odd sizes, straddles, the port block) on both models:
 * every read must agree. Control-page writes are weighted so resets, log reads and the port all happen. */
static int case_differential(void)
{
	static const uint32_t regs[] = { KEEL_TESTDEV_RESET, KEEL_TESTDEV_ADDR, KEEL_TESTDEV_DATA_PORT,
					 KEEL_TESTDEV_LOG_COUNT, KEEL_TESTDEV_LOG_INDEX,
					 KEEL_TESTDEV_LOG_INFO, KEEL_TESTDEV_LOG_LO,
					 KEEL_TESTDEV_LOG_HI, KEEL_TESTDEV_IRQ };
	static struct partition part;
	static struct vcpu vcpu = { .part = &part };
	struct testdev *core = calloc(1, sizeof(*core));
	unsigned pins = 0;
	uint64_t seed = 0x5eed5eed12345678ull, reads = 0;
	struct tc t;

	setup(&t, "same-as-in-core-model");
	TC_CHECK(&t, port_dev(0) == 0, "no port block");
	for (uint32_t n = 0; n < 400000 && !t.failed; n++) {
		uint64_t r = rnd(&seed), off, v = rnd(&seed);
		unsigned size = 1u << (r & 3);
		bool write = (r >> 2) & 1;

		if ((r >> 3) % 8 == 7) {
			port_step(&t, core, &vcpu, r, v, &reads);
			continue;
		}
		if ((r >> 3) % 8 == 0)
			off = regs[(r >> 6) % 9] + ((r >> 9) % 16 == 0 ? (r >> 13) % 4 : 0);
		else if ((r >> 3) % 8 == 1)
			off = KEEL_TESTDEV_DATA - 8 + (r >> 6) % 16;
		else
			off = (r >> 6) % (KEEL_TESTDEV_SIZE + 64);
		if (off == KEEL_TESTDEV_LOG_INDEX && write)
			v %= KEEL_TESTDEV_LOG_MAX + 8;
		if (size < 8)
			v &= (1ull << (8 * size)) - 1;
		if (write) {
			testdev_ops.write(core, &vcpu, off, size, v);
			wr(off, size, v);
		} else {
			uint64_t a = testdev_ops.read(core, &vcpu, off, size), b = rd(off, size);

			if (size < 8)
				a &= (1ull << (8 * size)) - 1, b &= (1ull << (8 * size)) - 1;
			TC_CHECK(&t, a == b, "access %u: read %#llx size %u: in-core %#llx service %#llx",
				 n, (unsigned long long)off, size, (unsigned long long)a,
				 (unsigned long long)b);
			reads++;
		}
	}
	TC_CHECK(&t, reads > 100000, "only %llu reads", (unsigned long long)reads);
	/* Interrupt-register writes: the in-core model's IOAPIC line ops, in order, are the
	 * service model's KEEL_HC_IRQ calls. */
	for (unsigned i = 0, j = 0; i < virq_ncalls && i < VIRQ_CALLS_MAX; i++) {
		if (virq_calls[i].kind != VIRQ_CALL_PIN)
			continue;
		pins++;
		if (j < FK_IRQS) {
			TC_CHECK(&t, F.irq[j].pin == (uint8_t)virq_calls[i].line &&
				 F.irq[j].level == virq_calls[i].level, "line op %u: in-core pin %u op %u, "
				 "service pin %u op %u", j, virq_calls[i].line, virq_calls[i].level,
				 F.irq[j].pin, F.irq[j].level);
			j++;
		}
	}
	TC_CHECK(&t, virq_ncalls <= VIRQ_CALLS_MAX && pins == F.nirq && pins > 50,
		 "in-core %u line ops (%u calls), service %u", pins, virq_ncalls, F.nirq);
	free(core);
	return tc_end(&t);
}

int main(void)
{
	int failed = case_reset() + case_log() + case_port() + case_odd() + case_limit() +
		     case_irq() + case_port_block() + case_differential();

	free(D.state);
	return failed ? 1 : 0;
}
