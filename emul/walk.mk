# emul/: guest page walker and segment checks (owner: walk branch).
CORE_SRCS += emul/walk.c emul/seg.c
