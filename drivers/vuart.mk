CORE_SRCS += drivers/vuart.c
