CORE_SRCS += boot/entry.S boot/trampoline.S boot/mb2.c boot/mb1.c boot/bootinfo.c
