/* Configuration cases: the validator's checks between items and against the machine
 * (docs/config.md). Line numbers are counted by hand; HDR is line 1, PART() takes 4 lines. */
#include "tests/host/config_test.h"

/* The platform with a ring and a valid service partition: lines 2-8 after HDR (ring on 3,
 * partition svc on 4, kind on 5, memory on 7). */
#define SVC "platform\n  ring 0xf0000000\n" "partition svc\n  kind service\n  cpus 0\n  memory 64M\n  image s\n"
#define FWD(n) "  port " n " 1 forward silent\n"
#define F15 FWD("1") FWD("2") FWD("3") FWD("4") FWD("5") FWD("6") FWD("7") FWD("8") FWD("9") FWD("10") \
	FWD("11") FWD("12") FWD("13") FWD("14") FWD("15")
#define G16(name, cpu) "partition " name "\n  cpus " cpu "\n  memory 2M\n  image g\n  console forward\n" F15

const struct config_case config_cases_check[] = {
	{ "no-partitions", HDR "platform\n  cpus 2\n", 0, 0, NULL, { "0: no partitions" } },
	{ "missing-keys", HDR "partition a\n", 0, 0, NULL,
	  { "2: partition 'a': cpus: missing", "2: partition 'a': memory: missing", "2: partition 'a': image: missing" } },
	{ "initrd-not-linux", HDR PART("a", "0") "  initrd rd\n", 0, 0, NULL,
	  { "6: partition 'a': initrd: only for entry linux" } },
	{ "initrd-linux-ok", HDR PART("a", "0") "  entry linux\n  initrd rd\n", 0, 0, NULL, { 0 } },
	{ "gpa-prot32", HDR "partition a\n  cpus 0\n  memory 2M gpa 2M\n  image g\n  entry prot32\n", 0, 0, NULL,
	  { "4: partition 'a': memory: gpa must be 0 for entry prot32" } },
	{ "gpa-default-entry", HDR "partition a\n  cpus 0\n  memory 2M gpa 2M\n  image g\n", 0, 0, NULL,
	  { "4: partition 'a': memory: gpa must be 0 for entry long64" } },
	{ "gpa-linux-ok", HDR "partition a\n  cpus 0\n  memory 2M gpa 2M\n  image g\n  entry linux\n", 0, 0, NULL, { 0 } },
	{ "ram-over-apics", HDR "partition a\n  cpus 0\n  memory 4G\n  image g\n", 0, 0, NULL,
	  { "4: partition 'a': memory: RAM 0x0+0x100000000 overlaps the IOAPIC window 0xfec00000+0x1000",
	    "4: partition 'a': memory: RAM 0x0+0x100000000 overlaps the LAPIC window 0xfee00000+0x1000" } },
	{ "ram-over-lapic", HDR "partition a\n  cpus 0\n  memory 2M gpa 0xfee00000\n  image g\n  entry linux\n", 0, 0,
	  NULL, { "4: partition 'a': memory: RAM 0xfee00000+0x200000 overlaps the LAPIC window 0xfee00000+0x1000" } },
	{ "ram-up-to-ioapic-ok", HDR "partition a\n  cpus 0\n  memory 0xfec00000\n  image g\n", 0, 0, NULL, { 0 } },
	{ "mmio-over-ioapic", HDR PART("a", "0") "  mmio 0xfec00000 0x1000 none\n", 0, 0, NULL,
	  { "6: partition 'a': mmio: 0xfec00000+0x1000 overlaps the IOAPIC window 0xfec00000+0x1000" } },
	{ "passthrough-over-apics", HDR PART("a", "0") "  mmio 0xfe000000 0x2000000 passthrough\n", 0, 0, NULL,
	  { "6: partition 'a': mmio: 0xfe000000+0x2000000 overlaps the IOAPIC window 0xfec00000+0x1000",
	    "6: partition 'a': mmio: 0xfe000000+0x2000000 overlaps the LAPIC window 0xfee00000+0x1000" } },
	{ "mmio-overlap", HDR PART("a", "0") "  mmio 0xfeb00000 0x3000 incore testdev\n  mmio 0xfeb01000 0x1000 none\n", 0,
	  0, NULL, { "7: partition 'a': mmio: 0xfeb01000+0x1000 overlaps mmio 0xfeb00000+0x3000 (line 6)" } },
	{ "port-overlap", HDR PART("a", "0") "  port 0x60 1 none\n  port 0x5f 2 none\n", 0, 0, NULL,
	  { "7: partition 'a': port: 0x5f+0x2 overlaps port 0x60+0x1 (line 6)" } },
	{ "port-over-default-console", HDR PART("a", "0") "  port 0x3f8 1 none\n", 0, 0, NULL,
	  { "6: partition 'a': port: 0x3f8+0x1 overlaps the console UART 0x3f8+0x8 (line 2)" } },
	{ "port-after-console", HDR PART("a", "0") "  console incore\n  port 0x3ff 1 none\n", 0, 0, NULL,
	  { "7: partition 'a': port: 0x3ff+0x1 overlaps the console UART 0x3f8+0x8 (line 6)" } },
	{ "port-before-console", HDR PART("a", "0") "  port 0x3f0 9 none\n  console incore\n", 0, 0, NULL,
	  { "6: partition 'a': port: 0x3f0+0x9 overlaps the console UART 0x3f8+0x8 (line 7)" } },
	{ "adjacent-regions-ok", HDR PART("a", "0") "  port 0x3f0 8 none\n  port 0x400 1 none\n"
	  "  mmio 0xfeb00000 0x1000 none\n  mmio 0xfeb01000 0x1000 none\n  mmio 0x200000 0x1000 none\n", 0, 0, NULL,
	  { 0 } },
	{ "mmio-and-port-apart-ok", HDR "partition a\n  cpus 0\n  memory 2M gpa 2M\n  image g\n  entry linux\n"
	  "  mmio 0x1000 0x1000 none\n  port 0x1000 0x10 none\n", 0, 0, NULL, { 0 } },
	{ "mmio-over-ram", HDR PART("a", "0") "  mmio 0x1ff000 0x2000 none\n", 0, 0, NULL,
	  { "6: partition 'a': mmio: 0x1ff000+0x2000 overlaps the RAM 0x0+0x200000 (line 4)" } },
	{ "irq-shared", HDR SVC PART("a", "1") "  port 0x2f8 8 forward uart16550 irq 3\n"
	  "  mmio 0xfed00000 0x1000 posted counter irq 3\n", 0, 0, NULL,
	  { "14: partition 'a': mmio: irq 3 is also used by port 0x2f8+0x8 (line 13)" } },
	{ "irq-shared-with-console", HDR SVC PART("a", "1") "  console forward\n  port 0x2f8 8 forward uart16550 irq 4\n",
	  0, 0, NULL, { "14: partition 'a': port: irq 4 is also used by the console UART 0x3f8+0x8 (line 13)" } },
	{ "irq-in-two-partitions-ok", HDR SVC PART("a", "1") "  port 0x2f8 8 forward uart16550 irq 3\n" PART("b", "2")
	  "  port 0x2f8 8 forward uart16550 irq 3\n", 0, 0, NULL, { 0 } },
	{ "service-forwards-region", HDR SVC "  mmio 0xfed00000 0x1000 forward counter\n", 0, 0, NULL,
	  { "9: partition 'svc': mmio: a service partition cannot forward to itself" } },
	{ "service-forwards-console", HDR SVC "  console forward\n", 0, 0, NULL,
	  { "9: partition 'svc': console: a service partition cannot forward to itself" } },
	{ "two-services", HDR SVC "partition svc2\n  kind service\n  cpus 1\n  memory 2M\n  image s\n", 0, 0, NULL,
	  { "10: partition 'svc2': kind: a second service partition ('svc' is one, line 4)" } },
	{ "forward-without-service", HDR PART("a", "0") "  mmio 0xfed00000 0x1000 posted counter\n", 0, 0, NULL,
	  { "6: partition 'a': mmio: forwarded, but there is no service partition" } },
	{ "console-forward-without-service", HDR PART("a", "0") "  console forward\n", 0, 0, NULL,
	  { "6: partition 'a': console: forwarded, but there is no service partition" } },
	{ "service-without-ring", HDR "partition svc\n  kind service\n  cpus 0\n  memory 64M\n  image s\n", 0, 0, NULL,
	  { "3: partition 'svc': kind: a service partition needs a ring (platform: ring ADDR)" } },
	{ "ring-without-service", HDR "platform\n  ring 0xf0000000\n" PART("a", "0"), 0, 0, NULL,
	  { "3: platform: ring: there is no service partition" } },
	{ "ring-over-service-ram", HDR "platform\n  ring 0x1000000\n"
	  "partition svc\n  kind service\n  cpus 0\n  memory 64M\n  image s\n", 0, 0, NULL,
	  { "7: partition 'svc': memory: RAM 0x0+0x4000000 overlaps the ring window 0x1000000+0xb000 (line 3)" } },
	{ "region-over-ring", HDR SVC "  mmio 0xf0008000 0x1000 none\n", 0, 0, NULL,
	  { "9: partition 'svc': mmio: 0xf0008000+0x1000 overlaps the ring window 0xf0000000+0xb000 (line 3)" } },
	{ "region-after-ring-ok", HDR SVC "  mmio 0xf000b000 0x1000 none\n", 0, 0, NULL, { 0 } },
	{ "guest-region-at-ring-address-ok", HDR SVC PART("a", "1") "  mmio 0xf0000000 0x1000 none\n", 0, 0, NULL,
	  { 0 } },
	{ "ring-over-lapic", HDR "platform\n  ring 0xfedf8000\n"
	  "partition svc\n  kind service\n  cpus 0\n  memory 64M\n  image s\n", 0, 0, NULL,
	  { "3: platform: ring: the ring window 0xfedf8000+0xb000 overlaps the LAPIC window 0xfee00000+0x1000" } },
	{ "forwarded-32-ok", HDR SVC G16("g1", "1") G16("g2", "2"), 0, 0, NULL, { 0 } },
	{ "forwarded-33", HDR SVC G16("g1", "1") G16("g2", "2") PART("g3", "3")
	  "  mmio 0xfed00000 0x1000 forward counter\n", 0, 0, NULL,
	  { "53: partition 'g3': mmio: more than 32 forwarded regions in all (the ring's device table)" } },
	{ "cpu-shared", HDR PART("a", "0-1") PART("b", "1"), 0, 0, NULL,
	  { "7: partition 'b': cpus: CPU 1 is already used by partition 'a' (line 3)" } },
	{ "cpu-absent-machine", HDR PART("a", "0") PART("b", "2"), 0, 2, NULL,
	  { "7: partition 'b': cpus: CPU 2 is not on this machine (it has 2 CPUs)" } },
	{ "cpu-absent-platform", HDR "platform\n  cpus 2\n" PART("a", "0") PART("b", "1-2"), 0, 0, NULL,
	  { "9: partition 'b': cpus: CPU 2 is not on this machine (it has 2 CPUs)" } },
	{ "platform-cpus-vs-machine", HDR "platform\n  cpus 3\n" PART("a", "0"), 0, 4, NULL,
	  { "3: platform: cpus: the machine has 4 CPUs, not 3" } },
	{ "platform-cpus-matches-machine-ok", HDR "platform\n  cpus 4\n" PART("a", "3"), 0, 4, NULL, { 0 } },
	{ "image-not-loaded", HDR PART("a", "0") "partition b\n  cpus 1\n  memory 2M\n  image other\n", 0, 0, "g,rd",
	  { "9: partition 'b': image: no module named 'other'" } },
	{ "initrd-not-loaded", HDR PART("a", "0") "  entry linux\n  initrd rd.gz\n", 0, 0, "g,rd",
	  { "7: partition 'a': initrd: no module named 'rd.gz'" } },
	{ "modules-loaded-ok", HDR PART("a", "0") "  entry linux\n  initrd rd\n", 0, 0, "x,rd,g", { 0 } },
	{ "modules-unknown-ok", HDR PART("a", "0") "  entry linux\n  initrd rd\n", 0, 0, NULL, { 0 } },
	{ "initrd-is-an-image", HDR "partition a\n  cpus 0\n  memory 2M\n  image bzImage\n  entry linux\n  initrd g\n"
	  PART("b", "1"), 0, 0, NULL, { "7: partition 'a': initrd: module 'g' is the image of partition 'b' (line 11)" } },
	{ "initrd-is-own-image", HDR "partition a\n  cpus 0\n  memory 2M\n  image bzImage\n  entry linux\n"
	  "  initrd bzImage\n", 0, 0, NULL,
	  { "7: partition 'a': initrd: module 'bzImage' is the image of partition 'a' (line 5)" } },
	{ "shared-image-ok", HDR PART("a", "0") PART("b", "1") PART("c", "2"), 0, 0, "g", { 0 } },
	{ "hpa-overlap", HDR "partition a\n  cpus 0\n  memory 64M hpa 0x40000000\n  image g\n"
	  "partition b\n  cpus 1\n  memory 32M hpa 0x42000000\n  image g\n", 0, 0, NULL,
	  { "8: partition 'b': memory: hpa 0x42000000+0x2000000 overlaps the RAM of partition 'a' (line 4)" } },
	{ "hpa-adjacent-ok", HDR "partition a\n  cpus 0\n  memory 64M hpa 0x40000000\n  image g\n"
	  "partition b\n  cpus 1\n  memory 32M hpa 0x44000000\n  image g\n", 0, 0, NULL, { 0 } },
	{ "hpa-over-keel", HDR "partition a\n  cpus 0\n  memory 2M hpa 2M\n  image g\n", 0, 0, NULL,
	  { "4: partition 'a': memory: hpa 0x200000+0x200000 overlaps Keel's image 0x100000+0x200000" } },
	{ "passthrough-over-keel", HDR PART("a", "0") "  mmio 0x200000 0x1000 passthrough\n", 0, 0, NULL,
	  { "6: partition 'a': mmio: passthrough 0x200000+0x1000 overlaps Keel's image 0x100000+0x200000" } },
	{ "passthrough-over-placed-ram", HDR PART("a", "0") "  mmio 0x40000000 0x1000 passthrough\n"
	  "partition b\n  cpus 1\n  memory 32M hpa 0x40000000\n  image g\n", 0, 0, NULL,
	  { "6: partition 'a': mmio: passthrough 0x40000000+0x1000 overlaps the RAM of partition 'b' (line 9)" } },
	{ "passthrough-shared-port", HDR PART("a", "0") "  port 0x60 1 passthrough\n" PART("b", "1")
	  "  port 0x60 5 passthrough\n", 0, 0, NULL,
	  { "11: partition 'b': port: passthrough 0x60+0x5 is also passed through to partition 'a' (line 6)" } },
	{ "passthrough-shared-mmio", HDR PART("a", "0") "  mmio 0xfe000000 0x1000 passthrough\n" PART("b", "1")
	  "  mmio 0xfe000000 0x2000 passthrough\n", 0, 0, NULL,
	  { "11: partition 'b': mmio: passthrough 0xfe000000+0x2000 is also passed through to partition 'a' (line 6)" } },
	{ "passthrough-keel-uart", HDR PART("a", "0") "  console none\n  port 0x3f8 8 passthrough\n", 0, 0, NULL,
	  { "7: partition 'a': port: passthrough 0x3f8+0x8 overlaps Keel's console UART 0x3f8+0x8" } },
	{ "passthrough-apart-ok", HDR PART("a", "0") "  port 0x60 1 passthrough\n" PART("b", "1")
	  "  port 0x64 1 passthrough\n  mmio 0xfe000000 0x1000 passthrough\n", 0, 0, NULL, { 0 } },
	{ "console-first-unknown", HDR "platform\n  console-first zeta\n" PART("a", "0"), 0, 0, NULL,
	  { "3: platform: console-first: no partition named 'zeta'" } },
	{ "console-first-without-console", HDR "platform\n  console-first a\n" PART("a", "0") "  console none\n", 0, 0,
	  NULL, { "3: platform: console-first: partition 'a' has no console" } },
};
const unsigned config_cases_check_n = sizeof(config_cases_check) / sizeof(config_cases_check[0]);

const struct config_ram_case config_cases_ram[] = {
	/* Against the memory map: RAM below 640 KiB and from 1 MiB to 2 GiB, mostly with a hole at
	 * 1 GiB-1 GiB+2 MiB, the ranges listed out of order. */
	{ { "hpa-in-ram-ok", HDR "partition a\n  cpus 0\n  memory 64M hpa 0x40200000\n  image g\n", 0, 0, NULL, { 0 } },
	  "0+9fc00,40200000+3fe00000,100000+3ff00000" },
	{ { "hpa-across-abutting-ranges-ok", HDR "partition a\n  cpus 0\n  memory 64M hpa 0x3e000000\n  image g\n", 0,
	  0, NULL, { 0 } }, "0+9fc00,100000+3f000000,3f100000+40f00000" },
	{ { "hpa-over-hole", HDR "partition a\n  cpus 0\n  memory 64M hpa 0x3e000000\n  image g\n", 0, 0, NULL,
	  { "4: partition 'a': memory: hpa 0x3e000000+0x4000000 is not all RAM in the machine's memory map" } },
	  "0+9fc00,40200000+3fe00000,100000+3ff00000" },
	{ { "hpa-past-ram", HDR "partition a\n  cpus 0\n  memory 64M hpa 0x7e000000\n  image g\n", 0, 0, NULL,
	  { "4: partition 'a': memory: hpa 0x7e000000+0x4000000 is not all RAM in the machine's memory map" } },
	  "0+9fc00,40200000+3fe00000,100000+3ff00000" },
	{ { "hpa-no-ram", HDR "partition a\n  cpus 0\n  memory 2M hpa 0x100000000\n  image g\n", 0, 0, NULL,
	  { "4: partition 'a': memory: hpa 0x100000000+0x200000 is not all RAM in the machine's memory map" } },
	  "0+9fc00,100000+7ff00000" },
	{ { "passthrough-over-map-ram", HDR PART("a", "0") "  mmio 0x3ffff000 0x2000 passthrough\n", 0, 0, NULL,
	  { "6: partition 'a': mmio: passthrough 0x3ffff000+0x2000 overlaps RAM 0x100000+0x3ff00000 of the machine's memory map" } },
	  "0+9fc00,40200000+3fe00000,100000+3ff00000" },
	{ { "passthrough-in-map-hole-ok", HDR PART("a", "0") "  mmio 0x40000000 0x200000 passthrough\n"
	  "  port 0x100 1 passthrough\n", 0, 0, NULL, { 0 } }, "0+9fc00,40200000+3fe00000,100000+3ff00000" },
};
const unsigned config_cases_ram_n = sizeof(config_cases_ram) / sizeof(config_cases_ram[0]);
