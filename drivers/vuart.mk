CORE_SRCS += drivers/vuart.c drivers/console_in.c
