/* The page walk of a memory operand when the exit did not translate its page. */
#include "emul_internal.h"

int emul_walk_page(struct emul *e, uint64_t la, unsigned access, uint64_t *gpa)
{
	struct walk_ctl ctl;
	int ret;

	emul_walk_ctl(e->regs, &ctl);
	ret = emul_walk(&ctl, &e->env->mem, la, access, gpa, &e->fault);
	if (ret > 0)
		return EMUL_FAULT;
	if (ret == -WALK_EAGAIN) /* an entry kept changing under the A/D update */
		return EMUL_RETRY;
	return ret < 0 ? EMUL_BAD_TABLES : 0;
}
