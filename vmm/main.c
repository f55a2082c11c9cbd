/* Keel's C entry on the bootstrap CPU. */
#include <keel/console.h>
#include <keel/printk.h>
#include <arch/io.h>
#include <arch/virt.h>

void kmain(u32 magic, u32 info);

void kmain(u32 magic, u32 info)
{
	console_init();
	printk("Keel microhypervisor\n");
	printk("boot: magic %#x info %#x\n", magic, info);
	vmx_selftest_boot(magic, info);
	console_flush();
	cpu_halt_forever();
}
