/* TEMPORARY: stand-ins for the boot branch's services (scaffold.c); delete with it. */
#ifndef ARCH_VMX_SCAFFOLD_H
#define ARCH_VMX_SCAFFOLD_H

#include <keel/types.h>

const char *scaffold_cmdline(u32 magic, u32 info);
bool scaffold_has_word(const char *cmdline, const char *word);
void scaffold_host_tables(void);
void scaffold_mask_pic(void);
void scaffold_poweroff(void);

#endif
