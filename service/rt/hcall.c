/* Hypercalls: VMCALL on Intel, VMMCALL on AMD, as Keel's CPUID leaf 0x40000001 EBX says. */
#include "rt.h"

static bool rt_amd;

static void rt_cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

bool rt_hcall_init(void)
{
	uint32_t r[4];

	rt_cpuid(1, r);
	if (!(r[2] & (1u << 31)))
		return false;
	rt_cpuid(0x40000000, r);
	if (r[1] != 0x6c65654b || r[2] != 0x6c65654b || r[3] != 0x6c65654b) /* "Keel" x3 */
		return false;
	rt_cpuid(0x40000001, r);
	rt_amd = r[1] == 1;
	return true;
}

struct svc_hc rt_hcall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	struct svc_hc r;

	if (rt_amd)
		__asm__ volatile("vmmcall" : "=a"(r.status), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx)
				 : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	else
		__asm__ volatile("vmcall" : "=a"(r.status), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx)
				 : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}
