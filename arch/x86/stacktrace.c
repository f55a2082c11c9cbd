/* Frame-pointer stack walk (the core is built with -fno-omit-frame-pointer). Every frame must lie
 * inside one of this CPU's known stacks and move strictly upwards, so a corrupt RBP ends the
 * walk instead of faulting. */
#include <arch/percpu.h>
#include <arch/trap.h>
#include <keel/printk.h>

#define TRACE_MAX_FRAMES 64

static bool stack_bounds(const struct percpu *c, u64 p, u64 *lo, u64 *hi)
{
	if (p >= c->stack_base && p < c->stack_top) {
		*lo = c->stack_base;
		*hi = c->stack_top;
		return true;
	}
	for (int i = 0; i < NR_IST; i++)
		if (p >= c->ist_base[i] && p < c->ist_top[i]) {
			*lo = c->ist_base[i];
			*hi = c->ist_top[i];
			return true;
		}
	return false;
}

void stack_trace(u64 rbp)
{
	const struct percpu *c = this_cpu_or_null();
	u64 lo, hi;
	if (!c || !stack_bounds(c, rbp, &lo, &hi)) {
		printk("keel:   stack trace: rbp %llx is not on this cpu's stacks\n", (unsigned long long)rbp);
		return;
	}
	printk("keel:   stack trace (addr2line -e build/keel.elf):\n");
	u64 last = 0, repeats = 0;
	for (int n = 0; n < TRACE_MAX_FRAMES; n++) {
		if (rbp < lo || rbp > hi - 16 || (rbp & 7))
			break;
		const u64 *fp = (const u64 *)rbp;
		if (!fp[1])
			break;
		if (fp[1] == last) {
			repeats++;
		} else {
			if (repeats)
				printk("keel:     ... repeated %llu more times\n", (unsigned long long)repeats);
			printk("keel:     #%d %016llx\n", n, (unsigned long long)fp[1]);
			last = fp[1];
			repeats = 0;
		}
		if (fp[0] <= rbp)
			break;
		rbp = fp[0];
	}
	if (repeats)
		printk("keel:     ... repeated %llu more times\n", (unsigned long long)repeats);
}
