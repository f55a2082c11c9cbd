/* Hypercalls: VMCALL on Intel, VMMCALL on AMD, as Keel's CPUID leaf 0x40000001 EBX says. */
#include <abi/hypercall_call.h>
#include "rt.h"

static bool rt_amd;

bool rt_hcall_init(void) { return keel_hc_probe(&rt_amd); }

struct svc_hc rt_hcall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	struct keel_hc_regs k = keel_hc_call(rt_amd, nr, a, b, c);
	return (struct svc_hc){ k.status, k.rbx, k.rcx, k.rdx };
}
