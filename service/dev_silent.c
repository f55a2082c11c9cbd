/* The `silent` model: takes requests and never answers, so the core's timeouts can be tested. */
#include "svc.h"

const struct svc_model svc_model_silent = {
	.name = "silent",
	.silent = true,
};
