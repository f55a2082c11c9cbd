CORE_SRCS += drivers/uart16550.c drivers/console.c
