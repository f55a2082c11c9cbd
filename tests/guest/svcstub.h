/* A minimal STAND-IN service VM for Keel's forwarding tests, until the real service VM (branch
 * `service`) lands: a freestanding payload that attaches to the ring and answers with four small
 * device models. Only what the tests need; the real models are the service VM's. */
#ifndef SVCSTUB_H
#define SVCSTUB_H

#include "lib/guest.h"
#include <abi/ring.h>

/* One model instance per entry of the ring's device table. */
struct stub_dev {
	const struct keel_ring_device *d;
	int model;                 /* enum stub_model */
	void *state;
};

enum stub_model { STUB_NONE, STUB_TESTDEV, STUB_SILENT, STUB_COUNTER, STUB_UART };

/* The silent model's debug register: a read here is answered late, just before the next
 * request is answered (Keel has timed it out by then if the guest waited long enough). */
#define STUB_SILENT_LATE 0xff8u

/* Sets up a device's model; false when the stub has no room or does not know the model. */
bool stub_model_init(struct stub_dev *dev);
/* Element i of request q: reads fill *val; returns false when the model never answers. */
bool stub_model_access(struct stub_dev *dev, const struct keel_ring_req *q, uint64_t addr,
		       bool write, unsigned size, uint64_t *val);

#endif
