/* The `silent` model: takes requests and never answers, so the core's timeouts can be tested.
 * One debug register: a read at SVC_SILENT_LATE is answered late (loop.c), to test the core's
 * handling of answers that come after their timeout. */
#include "svc.h"

const struct svc_model svc_model_silent = {
	.name = "silent",
	.silent = true,
};
