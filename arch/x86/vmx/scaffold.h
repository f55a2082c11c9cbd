/* TEMPORARY: stand-ins for the boot branch's services (scaffold.c); delete with it. */
#ifndef ARCH_VMX_SCAFFOLD_H
#define ARCH_VMX_SCAFFOLD_H

#include <keel/types.h>

const char *scaffold_cmdline(u32 magic, u32 info);
bool scaffold_has_word(const char *cmdline, const char *word);
void scaffold_host_tables(void);
void scaffold_mask_pic(void);
void scaffold_poweroff(void);
void scaffold_host_idt(u8 irq_vector);
void scaffold_self_ipi(u8 vector);
extern volatile u32 scaffold_irq_count, scaffold_nmi_count;

#endif
