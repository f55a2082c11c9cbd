/* Choosing the virtualization backend from CPUID (SDM Vol. 2A / APM Vol. 3: leaf 0 vendor). */
#include <arch/virt.h>
#include <keel/errno.h>
#include <keel/printk.h>

const struct virt_ops *virt;

static bool vendor_is(const char *want)
{
	u32 a, b, c, d;
	char v[13];
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	__builtin_memcpy(v, &b, 4);
	__builtin_memcpy(v + 4, &d, 4);
	__builtin_memcpy(v + 8, &c, 4);
	v[12] = 0;
	return !__builtin_memcmp(v, want, 12);
}

int virt_select(void)
{
	const struct virt_ops *ops = vendor_is("GenuineIntel") ? &vmx_ops
				   : vendor_is("AuthenticAMD") ? &svm_ops : NULL;
	if (!ops) {
		pr_err("virt: unknown CPU vendor; no virtualization backend");
		return -ENODEV;
	}
	int rc = ops->probe();
	if (rc) {
		pr_err("virt: %s is not usable on this CPU; no guests will run", ops->name);
		return rc;
	}
	virt = ops;
	pr_info("virt: backend %s", ops->name);
	return 0;
}
