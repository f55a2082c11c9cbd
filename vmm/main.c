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
	console_flush();
	svm_selftest_boot(magic, info); /* until the boot work parses the command line */
	cpu_halt_forever();
}
